; installs a handler for int 0x21 and #DE in segment 0, then uses both
bits 16
	xor ax, ax
	mov es, ax
	mov word [es:0x21*4], handler
	mov word [es:0x21*4+2], cs
	mov word [es:0], handler
	mov word [es:2], cs
	mov sp, 0x100
	int 0x21
	xor bl, bl
	div bl
	hlt
handler:
	mov dx, 0x3f8
	out dx, al
	iret
