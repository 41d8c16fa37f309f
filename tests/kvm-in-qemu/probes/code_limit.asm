; A boot sector that runs ip past offset 0xffff of a real-mode code
; segment. A CPU raises #GP there (vector 13): it prints G. An emulator
; that wraps ip to 0 runs the code placed at offset 0: it prints W.
; tests/kvm-in-qemu/tcg-limits.sh boots it.
bits 16
org 0x7c00
	cli
	xor ax, ax
	mov ds, ax
	mov ss, ax
	mov sp, 0x7000
	mov word [13*4], gp_handler      ; #GP through the IVT
	mov word [13*4+2], 0
	; at 1000:0000 code that says W (ip wrapped to 0)
	mov ax, 0x1000
	mov es, ax
	mov si, wrapped
	xor di, di
	mov cx, wrapped_end - wrapped
	rep movsb
	; at 1000:fffd three nops, then ip runs past 0xffff
	mov di, 0xfffd
	mov al, 0x90
	stosb
	stosb
	stosb
	jmp 0x1000:0xfffd
gp_handler:
	mov al, 'G'
	jmp say
wrapped:
	mov al, 'W'
	jmp 0:say
wrapped_end:
say:
	mov dx, 0x3f8
	out dx, al
	mov dx, 0xf4
	out dx, al
	hlt
times 510-($-$$) db 0
dw 0xaa55
