; A guest that switches modes itself: real -> 32-bit protected -> real.
bits 16
org 0
%include "lib.inc"
	mov sp, 0x7000
	cli
	lgdt [gdtr]
	mov eax, cr0
	or al, 1
	mov cr0, eax
	jmp 0x08:pm
bits 32
pm:
	mov ax, 0x10
	mov ds, ax
	mov ss, ax
	mov eax, cr0
	mov [pm_cr0], eax
	mov ax, 0x18             ; 16-bit data, limit 64 KiB, for going back
	mov ds, ax
	mov es, ax
	mov ss, ax
	jmp 0x20:pm16
bits 16
pm16:
	mov eax, cr0
	and al, 0xfe
	mov cr0, eax
	jmp 0:rm
rm:
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	test byte [pm_cr0], 1
	CHECK "protected mode: CR0.PE was set there", nz
	mov eax, cr0
	test al, 1
	CHECK "back in real mode: CR0.PE clear", z
	hlt
pm_cr0: dd 0
align 8
gdt:
	dq 0
	dq 0x00cf9a000000ffff     ; 0x08 flat 32-bit code
	dq 0x00cf92000000ffff     ; 0x10 flat data
	dq 0x000092000000ffff     ; 0x18 16-bit data, 64 KiB
	dq 0x00009a000000ffff     ; 0x20 16-bit code, 64 KiB
gdtr:
	dw gdtr - gdt - 1
	dd gdt
PRINT_ROUTINE
