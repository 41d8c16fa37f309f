; Real-mode segment limits: a data access whose last byte lies beyond
; offset 0xffff of its segment raises #GP, or #SS through SS, before the
; instruction does anything (SDM vol. 3, 20.1.1); an access that ends at
; 0xffff raises nothing. The handler notes the vector and the pushed ip
; and resumes at [resume], where si and di are saved at once.
bits 16
org 0
%include "lib.inc"
%macro VECTOR 2
	mov word [%1 * 4], %2
	mov word [%1 * 4 + 2], 0
%endmacro
; EXPECT name, vector, faulting instruction: runs it after `resume` and
; `vector` are set, then checks the vector and that ip pointed at it.
%macro EXPECT 3+
	mov word [resume], %%after
	mov byte [vector], 0
%%at:
	%3
%%after:
	mov [after_si], si        ; before CHECK's print moves si
	mov [after_di], di
	cmp byte [vector], %2
	CHECK %1, e
	cmp word [saved_ip], %%at
	CHECK {%1, ": pushed ip is the instruction"}, e
%endmacro
	jmp start
	times 0x400 - ($ - $$) db 0     ; the IVT lives at 0
start:
	mov sp, 0x7000
	VECTOR 12, on_ss
	VECTOR 13, on_gp
	mov bx, 0xffff
	EXPECT "word at ds:0xffff: #GP", 13, mov word [bx], 0x5a5a
	cmp byte [0xffff], 0
	CHECK "word at ds:0xffff: nothing written", e
	mov bx, 0xfffd
	EXPECT "dword at ds:0xfffd: #GP", 13, mov dword [bx], 0x5a5a5a5a
	mov bp, 0xffff
	EXPECT "word at [bp] 0xffff: #SS", 12, mov word [bp], 0x5a5a
	mov bx, 0xffff
	EXPECT "word at ss:0xffff: #SS", 12, mov ax, [ss:bx]
	EXPECT "word at cs:0xffff: #GP", 13, mov ax, [cs:bx]
	mov ebx, 0x10000
	EXPECT "a32 word at 0x10000: #GP", 13, mov word [ebx], 0x5a5a
	mov ax, 0x1000
	mov es, ax
	cmp byte [es:0], 0
	CHECK "a32 word at 0x10000: nothing written", e
	xor ax, ax
	mov es, ax
	cld
	mov si, 0xffff
	mov di, 0x7800
	EXPECT "movsw from si 0xffff: #GP", 13, movsw
	cmp word [after_si], 0xffff
	CHECK "movsw from si 0xffff: si unchanged", e
	cmp word [after_di], 0x7800
	CHECK "movsw from si 0xffff: di unchanged", e
	mov di, 0xffff
	EXPECT "stosw to di 0xffff: #GP", 13, stosw
	mov sp, 0xffff
	EXPECT "pop with sp 0xffff: #SS", 12, pop ax
	mov sp, 0x7000
	mov byte [vector], 0
	mov bx, 0xfffe
	mov word [bx], 0x1234
	mov ax, [bx]
	mov al, [0xffff]
	mov ebx, 0xfffc
	mov eax, [ebx]
	mov sp, 0
	push ax
	pop ax
	mov sp, 0x7000
	cmp byte [vector], 0
	CHECK "accesses ending at 0xffff: no fault", e
	hlt

on_ss:
	mov byte [vector], 12
	jmp resume_after_fault
on_gp:
	mov byte [vector], 13
resume_after_fault:        ; notes the pushed ip and returns to [resume]
	push bp
	mov bp, sp
	mov ax, [bp + 2]
	mov [saved_ip], ax
	mov ax, [resume]
	mov [bp + 2], ax
	pop bp
	iret
vector: db 0
saved_ip: dw 0
resume: dw 0
after_si: dw 0
after_di: dw 0
PRINT_ROUTINE
