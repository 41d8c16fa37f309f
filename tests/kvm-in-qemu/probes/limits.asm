; A boot sector that meets a real-mode segment limit, assembled twice by
; tcg-limits.sh: with -DCODE_LIMIT ip runs past offset 0xffff of its code
; segment, without it a word is read at ds:0xffff. A CPU raises #GP at
; either (vector 13): the probe prints G (S for #SS). An emulator that
; wraps ip to 0 runs the code placed at offset 0 and prints W; one that
; checks no data segment limit reads on and prints N. It leaves through
; QEMU's isa-debug-exit at port 0xf4.
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
%ifdef CODE_LIMIT
	; at 1000:0000 code that says W, at 1000:fffd three nops
	mov ax, 0x1000
	mov es, ax
	mov si, wrapped
	xor di, di
	mov cx, wrapped_end - wrapped
	rep movsb
	mov di, 0xfffd
	mov al, 0x90
	stosb
	stosb
	stosb
	jmp 0x1000:0xfffd
wrapped:
	mov al, 'W'
	jmp 0:say
wrapped_end:
%else
	mov ax, [0xffff]
	mov al, 'N'
	jmp say
%endif
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
