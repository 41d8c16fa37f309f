; a software interrupt through an IVT of zeros
bits 16
	int3
	int 0x21
	into
	hlt
