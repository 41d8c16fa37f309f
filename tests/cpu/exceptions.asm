; Interrupts and exceptions through the IVT: where the CPU resumes, what it
; pushes, and #GP at the end of the code segment.
bits 16
org 0
%include "lib.inc"
%macro VECTOR 2
	mov word [%1 * 4], %2
	mov word [%1 * 4 + 2], 0
%endmacro
	jmp start
	times 0x400 - ($ - $$) db 0     ; the IVT lives at 0
start:
	mov sp, 0x7000
	VECTOR 0, on_de
	VECTOR 6, on_ud
	VECTOR 13, on_gp
	VECTOR 0x42, on_int
	mov bx, 0
	mov ax, 1
de_at:
	div bl
	cmp word [saved_ip], de_at
	CHECK "#DE: pushed ip is the div", e
	cmp cx, 0xde
	CHECK "#DE: handler ran", e
ud_at:
	ud2
	cmp word [saved_ip], ud_at
	CHECK "#UD: pushed ip is the ud2", e
	pushf
	pop ax
	or ax, 0x200
	push ax
	popf
	int 0x42
int_ret:
	cmp word [saved_ip], int_ret
	CHECK "int n: pushed ip is after it", e
	test word [saved_flags], 0x200
	CHECK "int n: pushed flags have IF", nz
	test word [handler_flags], 0x200
	CHECK "int n: handler runs with IF clear", z
	jmp 0:0xfff0
gp_back:
	cmp word [saved_ip], 0
	CHECK "#GP: ip past 0xffff (pushed as 0)", e
	hlt

on_de:                     ; resume after the 2-byte div
	call save
	mov cx, 0xde
	mov bx, [bp_ip]
	add word [bx], 2
	iret
on_ud:                     ; resume after the 2-byte ud2
	call save
	mov bx, [bp_ip]
	add word [bx], 2
	iret
on_int:
	call save
	pushf
	pop word [handler_flags]
	iret
on_gp:
	call save
	mov sp, 0x7000
	jmp gp_back
save:                      ; saves the frame the CPU pushed under our ret
	push bp
	mov bp, sp
	mov ax, [bp + 4]
	mov [saved_ip], ax
	mov ax, [bp + 8]
	mov [saved_flags], ax
	lea ax, [bp + 4]
	mov [bp_ip], ax
	pop bp
	ret
saved_ip: dw 0
saved_flags: dw 0
handler_flags: dw 0
bp_ip: dw 0
PRINT_ROUTINE
	times 0xfff0 - ($ - $$) db 0
	times 16 nop
