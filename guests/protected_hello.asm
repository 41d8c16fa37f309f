; Hello from 32-bit protected mode: kvmcheck has set up a flat GDT (code
; 0x08, data 0x10), so the guest uses linear addresses and 32-bit registers.
bits 32
org 0x1000

	mov edx, 0x3f8
	mov esi, msg
next:
	lodsb
	test al, al
	jz done
	out dx, al
	jmp next
done:
	mov ebx, cr0            ; PE and ET, as the mode left them
	hlt

msg:	db "protected", 0
