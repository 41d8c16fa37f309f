; sti; hlt with nothing to wake the CPU, and a pushf/popf trap flag
bits 16
	pushf
	pop ax
	or ax, 0x100
	push ax
	popf
	nop
	sti
	hlt
