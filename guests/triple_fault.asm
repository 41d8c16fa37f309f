; Enters protected mode with an empty interrupt table and executes an
; invalid opcode: the #UD, the #GP it causes and the double fault all miss
; the table, and the CPU shuts down (a triple fault). Protected mode makes
; the table's limit count on every CPU; in real mode some ignore it.
bits 16
org 0
	cli
	lidt [empty_idt]
	mov eax, cr0
	or al, 1                ; PE
	mov cr0, eax
	ud2
	hlt                     ; never reached

empty_idt:
	dw 0                    ; limit
	dd 0                    ; base
