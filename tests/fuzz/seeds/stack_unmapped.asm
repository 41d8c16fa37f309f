; an interrupt frame pushed beyond RAM
bits 16
	mov ax, 0xffff
	mov ss, ax
	mov sp, 0x20
	int 3
	hlt
