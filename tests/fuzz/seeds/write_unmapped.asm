bits 16
	mov ax, 0x2000
	mov es, ax
	mov byte [es:0], 1
	hlt
