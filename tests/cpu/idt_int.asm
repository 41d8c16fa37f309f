; int n and iret through the protected-mode IDT (mode: protected, loaded at
; 0x1000), and the faults the IDT itself raises for them. Some KVM hosts
; run int n outside real mode through KVM's instruction emulator, which
; cannot (kvm-may-not-run.txt).
bits 32
org 0x1000
%include "lib32.inc"

	mov esp, STACK
	GATE 0x21, on_int, INTERRUPT_GATE
	GATE 13, on_gp, INTERRUPT_GATE
	GATE 11, on_np, INTERRUPT_GATE
	GATE 0x22, on_int, INTERRUPT_GATE & 0x7f   ; not present
	lidt [idtr]

	; int n through an interrupt gate, back with iret.
	CLEAN_FLAGS_IF
	mov ebx, esp
	int 0x21
.after_int:
	cmp dword [seen_eip], .after_int
	CHECK "int n: pushed eip is after the int", e
	cmp dword [seen_cs], 0x08
	CHECK "int n: pushed cs is the code segment", e
	test dword [seen_eflags], RF_FLAG
	CHECK "int n: no RF pushed (not a fault)", z
	test dword [handler_eflags], IF_FLAG
	CHECK "int n: the handler runs with IF clear", z
	pushfd
	pop eax
	test eax, IF_FLAG
	CHECK "iret: IF back", nz
	cmp ebx, esp
	CHECK "iret: esp back", e

	; A gate not present: #NP naming it (0x22*8 | IDT 2), at the int.
	RESUME_AT .np_done
.np:	int 0x22
.np_done:
	cmp dword [seen_vector], 11
	CHECK "int to a gate not present: #NP", e
	cmp dword [seen_error], 0x22 * 8 + 2
	CHECK "int to a gate not present: error code names it", e
	cmp dword [seen_eip], .np
	CHECK "int to a gate not present: pushed eip is the int", e

	; A vector beyond the IDT limit: #GP naming it, at the int.
	RESUME_AT .gp_done
.gp:	int 0x50
.gp_done:
	cmp dword [seen_vector], 13
	CHECK "int beyond the IDT limit: #GP", e
	cmp dword [seen_error], 0x50 * 8 + 2
	CHECK "int beyond the IDT limit: error code names it", e
	cmp dword [seen_eip], .gp
	CHECK "int beyond the IDT limit: pushed eip is the int", e

	cli
	hlt

on_int:
	pushfd
	pop dword [handler_eflags]
	mov eax, [esp]
	mov [seen_eip], eax
	mov eax, [esp + 4]
	mov [seen_cs], eax
	mov eax, [esp + 8]
	mov [seen_eflags], eax
	iretd

; A fault handler records the frame, then goes on at [resume].
%macro FAULT_HANDLER 2 ; label, vector
%1:
	mov dword [seen_vector], %2
	pop dword [seen_error]
	mov eax, [esp]
	mov [seen_eip], eax
	mov esp, STACK
	jmp [resume]
%endmacro
FAULT_HANDLER on_gp, 13
FAULT_HANDLER on_np, 11

PRINT_ROUTINE32

resume: dd 0
seen_vector: dd 0
seen_error: dd 0
seen_eip: dd 0
seen_cs: dd 0
seen_eflags: dd 0
handler_eflags: dd 0
idtr: dw 0x22 * 8 + 7
	dd IDT
