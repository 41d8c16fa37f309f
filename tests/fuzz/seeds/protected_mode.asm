; enters protected mode with a flat GDT and writes from 32-bit code
bits 16
	cli
	lgdt [gdtr]
	mov eax, cr0
	or al, 1
	mov cr0, eax
	jmp 0x08:(0xf000 + pm)
bits 32
pm:	mov ax, 0x10
	mov ds, ax
	mov dx, 0x3f8
	mov al, 'P'
	out dx, al
	hlt
align 8
gdt:	dq 0
	dq 0x00cf9a000000ffff
	dq 0x00cf92000000ffff
gdtr:	dw $ - gdt - 1
	dd 0xf000 + gdt
