; one string instruction worth more exits than the budget
bits 16
	cld
	mov dx, 0x3f8
	xor si, si
	mov cx, 1000
	rep outsb
	hlt
