; Exceptions through the protected-mode IDT (mode: protected, loaded at
; 0x1000, kvmcheck's flat segments 0x08/0x10). Handlers do not return with
; iret: they check what the CPU pushed, then go on at `resume` with the
; stack reset, so the case also runs on KVM hosts that cannot execute iret
; outside real mode (idt_int.asm has int n and iret).
bits 32
org 0x1000
%include "lib32.inc"

	mov esp, STACK
	GATE 6, on_ud, INTERRUPT_GATE
	GATE 13, on_gp, INTERRUPT_GATE
	GATE 8, on_df, INTERRUPT_GATE
	lidt [idtr]

	; #UD through an interrupt gate: eip at the ud2, IF cleared.
	CLEAN_FLAGS_IF
	RESUME_AT .ud_done
.ud:	ud2
.ud_done:
	cmp dword [seen_eip], .ud
	CHECK "#UD: pushed eip is the ud2", e
	cmp dword [seen_cs], 0x08
	CHECK "#UD: pushed cs is the code segment", e
	test dword [seen_eflags], IF_FLAG
	CHECK "#UD: pushed eflags have IF", nz
	test dword [seen_eflags], RF_FLAG
	CHECK "#UD: pushed eflags have RF (a fault)", nz
	test dword [handler_eflags], IF_FLAG
	CHECK "#UD: an interrupt gate clears IF", z
	cmp dword [seen_esp], STACK - 12
	CHECK "#UD: three dwords pushed, no error code", e

	; The same through a trap gate: IF stays set.
	GATE 6, on_ud, TRAP_GATE
	CLEAN_FLAGS_IF
	RESUME_AT .trap_done
	ud2
.trap_done:
	test dword [handler_eflags], IF_FLAG
	CHECK "#UD: a trap gate keeps IF", nz

	; #GP from loading a selector beyond the GDT: its error code.
	CLEAN_FLAGS_IF
	RESUME_AT .gp_done
	mov ax, 0x43
.gp:	mov ds, ax
.gp_done:
	cmp dword [seen_error], 0x40
	CHECK "#GP: error code is the selector", e
	cmp dword [seen_eip], .gp
	CHECK "#GP: pushed eip is the mov", e

	; A second contributory fault in the same run is delivered as itself:
	; #DE, then #GP from a selector in memory, with its error code.
	GATE 0, on_de, INTERRUPT_GATE
	CLEAN_FLAGS_IF
	RESUME_AT .de_done
	xor edx, edx
	mov eax, 5
	xor ecx, ecx
.de:	div ecx
.de_done:
	cmp dword [seen_vector], 0
	CHECK "#DE: vector 0", e
	cmp dword [seen_eip], .de
	CHECK "#DE: pushed eip is the div", e
	CLEAN_FLAGS_IF
	RESUME_AT .gp2_done
	mov dword [seen_error], 0
.gp2:	mov ds, [bad_selector]
.gp2_done:
	cmp dword [seen_vector], 13
	CHECK "#GP after #DE: vector 13, not a double fault", e
	cmp dword [seen_error], 0x48
	CHECK "#GP after #DE: error code is the selector in memory", e

	cli
	hlt

; A handler records the vector and the frame, then goes on at [resume].
%macro HANDLER 3 ; label, vector, error code pushed
%1:
	pushfd
	pop dword [handler_eflags]
	mov dword [seen_vector], %2
%if %3
	pop dword [seen_error]
%endif
	mov eax, [esp]
	mov [seen_eip], eax
	mov eax, [esp + 4]
	mov [seen_cs], eax
	mov eax, [esp + 8]
	mov [seen_eflags], eax
	mov [seen_esp], esp
	xor eax, eax             ; the final registers do not depend on the frame
	mov ax, 0x10
	mov ds, ax
	mov esp, STACK
	jmp [resume]
%endmacro
HANDLER on_ud, 6, 0
HANDLER on_gp, 13, 1
HANDLER on_df, 8, 1
HANDLER on_de, 0, 0

PRINT_ROUTINE32

bad_selector: dw 0x4b
resume: dd 0
seen_vector: dd 0
seen_error: dd 0
seen_eip: dd 0
seen_cs: dd 0
seen_eflags: dd 0
seen_esp: dd 0
handler_eflags: dd 0
idtr: dw 0x7ff
	dd IDT
