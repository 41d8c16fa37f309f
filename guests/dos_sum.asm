; The classic assignment "store the sum of 1..100 in `total`, and copy the
; greeting into `buffer`", checked by label with expect.memory
; (cases/memory.yaml). It prints the copy with int 21h AH=09h and ends
; with AH=4Ch, return code 0.
org 0x100

	xor ax, ax
	mov cx, 100
add_next:
	add ax, cx
	loop add_next
	mov [total], ax

	mov si, greeting
	mov di, buffer
	mov cx, greeting_len
	cld
	rep movsb

	mov ah, 0x09
	mov dx, buffer
	int 0x21
	mov ax, 0x4c00
	int 0x21

greeting	db "HELLO$"
greeting_len	equ $ - greeting
total		dw 0
buffer		times greeting_len db 0
