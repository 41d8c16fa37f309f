; bob's greeting
bits 16
org 0
	mov dx, 0x3f8
	mov si, msg
	mov cx, len
	rep outsb
	hlt
msg:	db "Hi"
len	equ $ - msg
