; polls the line status register like echo_upper, reading every register
bits 16
	mov dx, 0x3f8
next:	in al, dx
	inc dx
	cmp dx, 0x400
	jb next
	mov dx, 0x3fd
	in al, dx
	test al, 1
	jnz next - 3
	hlt
