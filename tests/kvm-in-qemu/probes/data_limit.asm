; A boot sector that reads a word at ds:0xffff in real mode. A CPU raises
; #GP there (vector 13): it prints G (S for #SS). An emulator that checks
; no data segment limit reads on: it prints N.
; tests/kvm-in-qemu/tcg-limits.sh boots it.
bits 16
org 0x7c00
	cli
	xor ax, ax
	mov ds, ax
	mov ss, ax
	mov sp, 0x7000
	mov word [13*4], gp_handler
	mov word [13*4+2], 0
	mov word [12*4], ss_handler
	mov word [12*4+2], 0
	mov ax, [0xffff]               ; a word at ds:ffff: #GP on a CPU
	mov al, 'N'
	jmp say
gp_handler:
	mov al, 'G'
	jmp say
ss_handler:
	mov al, 'S'
say:
	mov dx, 0x3f8
	out dx, al
	mov dx, 0xf4
	out dx, al
	hlt
times 510-($-$$) db 0
dw 0xaa55
