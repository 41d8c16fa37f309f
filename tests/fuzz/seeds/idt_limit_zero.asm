; a real-mode IDT limit of 0: #GP, then #DF, then shutdown
bits 16
	lidt [idt]
	int 0x10
	hlt
idt:	dw 0
	dd 0
