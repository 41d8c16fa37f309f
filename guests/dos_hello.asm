; The DOS "hello": print a $-terminated string (int 21h AH=09h) and end
; with AH=4Ch, return code 0.
org 0x100

	mov ah, 0x09
	mov dx, message
	int 0x21
	mov ax, 0x4c00
	int 0x21

message db "Hello, world!", 13, 10, "$"
