; Alignment checking (mode: long, loaded at 0x1000): with CR0.AM and
; RFLAGS.AC set, a misaligned data access at level 3 raises #AC (vector
; 17, error code 0) before the instruction does anything; not at level 0,
; not with AC clear, not when aligned. Each check runs a few instructions
; at level 3 (entered with iretq) that end with `ud2`, whose #UD takes
; them back to level 0 (this host's KVM shuts a guest down at an `int n`
; from level 3 in long mode); #AC's handler returns to level 0 the same
; way, noting what the CPU pushed. Handlers leave through `back`, which
; drops their frame.
bits 64
org 0x1000

%define AC_FLAG (1 << 18)
%define USER_STACK 0x6000
%define KERNEL_STACK 0x7000       ; RSP0 in the TSS: where handlers' frames go
%define MAIN_STACK 0x7800
%define DATA 0x4000               ; a dword at DATA + 1 is misaligned

%macro CHECK 2
	j%2 %%pass
	mov rsi, %%fail_text
	call print
	jmp %%done
%%pass:
	mov rsi, %%pass_text
	call print
	jmp %%done
%%pass_text: db "PASS ", %1, 10, 0
%%fail_text: db "FAIL ", %1, 10, 0
%%done:
%endmacro

; GATE vector, handler, type byte: a 64-bit gate to code segment 0x18.
%macro GATE 3
	mov rax, %2
	mov [0x3000 + %1 * 16], ax
	mov word [0x3000 + %1 * 16 + 2], 0x18
	mov word [0x3000 + %1 * 16 + 4], (%3) << 8
	shr rax, 16
	mov [0x3000 + %1 * 16 + 6], ax
	shr rax, 16
	mov [0x3000 + %1 * 16 + 8], eax
%endmacro

; AT_LEVEL_3 label, rsp, rflags: runs the code at label at level 3.
%macro AT_LEVEL_3 3
	mov byte [ac_seen], 0
	mov byte [finished], 0
	mov dword [user_eax], 0x1234
	mov qword [resume_at], %%back
	push 0x23
	push %2
	push %3
	push 0x2b
	push %1
	iretq
%%back:
%endmacro

	mov rsp, MAIN_STACK
	mov [main_rsp], rsp
	lgdt [gdtr]
	mov ax, 0x30
	ltr ax
	GATE 17, on_ac, 0x8e
	GATE 6, on_back, 0x8e           ; #UD: the user code's way back
	lidt [idtr]
	mov dword [DATA], 0x11223344
	mov dword [DATA + 4], 0x55667788
	mov rax, cr0
	or eax, 1 << 18                 ; CR0.AM
	mov cr0, rax

	AT_LEVEL_3 misaligned_load, USER_STACK, 0x202 | AC_FLAG
	cmp byte [ac_seen], 1
	CHECK "misaligned dword load at level 3 with AC: #AC", e
	cmp qword [ac_error], 0
	CHECK "#AC: error code 0", e
	mov rax, misaligned_load.at
	cmp [ac_rip], rax
	CHECK "#AC: pushed rip is the load", e
	cmp qword [ac_cs], 0x2b
	CHECK "#AC: pushed cs is the level-3 code", e

	AT_LEVEL_3 aligned_load, USER_STACK, 0x202 | AC_FLAG
	cmp byte [ac_seen], 0
	CHECK "aligned dword load at level 3 with AC: no #AC", e
	cmp dword [user_eax], 0x11223344
	CHECK "aligned dword load: loaded", e

	AT_LEVEL_3 misaligned_load, USER_STACK, 0x202
	cmp byte [ac_seen], 0
	CHECK "misaligned dword load at level 3 without AC: no #AC", e
	cmp byte [finished], 1
	CHECK "misaligned dword load without AC: the code went on", e

	AT_LEVEL_3 push_qword, USER_STACK + 1, 0x202 | AC_FLAG
	cmp byte [ac_seen], 1
	CHECK "push with rsp misaligned at level 3 with AC: #AC", e
	mov rax, push_qword.at
	cmp [ac_rip], rax
	CHECK "#AC from a push: pushed rip is the push", e

	pushfq
	or qword [rsp], AC_FLAG
	popfq
	mov byte [ac_seen], 0
	mov eax, [DATA + 1]
	pushfq
	and qword [rsp], ~AC_FLAG
	popfq
	cmp byte [ac_seen], 0
	CHECK "misaligned dword load at level 0 with AC: no #AC", e
	hlt

misaligned_load:
.at:	mov eax, [DATA + 1]
	mov [user_eax], eax
	ud2
aligned_load:
	mov eax, [DATA]
	mov [user_eax], eax
	ud2
push_qword:
.at:	push rax
	ud2

on_ac:
	mov byte [ac_seen], 1
	pop qword [ac_error]
	mov rax, [rsp]
	mov [ac_rip], rax
	mov rax, [rsp + 8]
	mov [ac_cs], rax
	jmp back
on_back:
	mov byte [finished], 1
back:
	mov rsp, [main_rsp]
	jmp [resume_at]

print:
	push rax
	push rdx
	mov dx, 0x3f8
.next:
	lodsb
	test al, al
	jz .done
	out dx, al
	jmp .next
.done:
	pop rdx
	pop rax
	ret

align 8
main_rsp: dq 0
resume_at: dq 0
ac_error: dq 0
ac_rip: dq 0
ac_cs: dq 0
user_eax: dd 0
ac_seen: db 0
finished: db 0
align 8
gdt:
	dq 0
	dq 0x00cf9b000000ffff     ; 0x08 flat 32-bit code
	dq 0x00cf93000000ffff     ; 0x10 flat data
	dq 0x00af9b000000ffff     ; 0x18 64-bit code
	dq 0x00cff3000000ffff     ; 0x20 level-3 data (0x23)
	dq 0x00affb000000ffff     ; 0x28 level-3 64-bit code (0x2b)
	dw 0x67, tss, 0x8900, 0   ; 0x30 the TSS, 16 bytes
	dq 0
gdtr:
	dw gdtr - gdt - 1
	dq gdt
idtr:
	dw 0xfff
	dq 0x3000
align 8
tss:
	dd 0
	dq KERNEL_STACK           ; RSP0
	times 0x68 - 12 db 0
