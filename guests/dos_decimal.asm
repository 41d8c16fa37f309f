; Add up 1 to 100 and print the sum in decimal, one digit at a time with
; int 21h AH=02h: divide by 10 until nothing is left, pushing each
; remainder, then pop the digits back in the order they are read.
org 0x100

	xor ax, ax
	mov cx, 100
.add:
	add ax, cx
	loop .add

	mov bx, 10
	xor cx, cx              ; digits pushed
.split:
	xor dx, dx
	div bx                  ; ax = ax / 10, dx = the last digit
	push dx
	inc cx
	test ax, ax
	jnz .split
.print:
	pop dx
	add dl, '0'
	mov ah, 0x02
	int 0x21
	loop .print

	mov ah, 0x09
	mov dx, newline
	int 0x21
	mov ax, 0x4c00
	int 0x21

newline db 13, 10, "$"
