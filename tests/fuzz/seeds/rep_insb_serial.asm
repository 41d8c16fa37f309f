; reads all input and more with rep insb, then writes it back 16-bit wide
bits 16
	cld
	mov dx, 0x3f8
	mov di, 0x800
	mov cx, 12
	rep insb
	mov si, 0x800
	mov cx, 6
	rep outsw
	hlt
