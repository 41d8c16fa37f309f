; SIBLING-MARKER-7c0f: alice's greeting
bits 16
org 0
	mov dx, 0x3f8
	mov si, msg
	mov cx, len
	rep outsb
	hlt
msg:	db "Hello"
len	equ $ - msg
