; a far jump to where there is no memory
bits 16
	jmp 0xf000:0xfff0
