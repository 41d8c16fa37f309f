; Installs handlers in the real-mode interrupt vector table and reaches
; them three ways: a software interrupt, an invalid opcode (#UD) and a
; division by zero (#DE). Each handler prints one letter.
bits 16
org 0x7c00

	xor ax, ax
	mov ds, ax
	mov ss, ax
	mov sp, 0x7c00
	mov word [0x21 * 4], int21
	mov word [0x21 * 4 + 2], 0
	mov word [6 * 4], invalid_opcode
	mov word [6 * 4 + 2], 0
	mov word [0 * 4], divide_error
	mov word [0 * 4 + 2], 0

	mov dx, 0x3f8
	int 0x21                ; prints S
	ud2                     ; prints U, resumes after ud2
	xor bl, bl
	mov ax, 100
	div bl                  ; prints D, resumes after div
	mov al, 10
	out dx, al
	hlt

int21:
	mov al, 'S'
	out dx, al
	iret

invalid_opcode:
	mov al, 'U'
	out dx, al
	push bp                 ; #UD saves the address of ud2 itself: step over its 2 bytes
	mov bp, sp
	add word [bp + 2], 2
	pop bp
	iret

divide_error:
	mov al, 'D'
	out dx, al
	push bp                 ; #DE saves the address of div itself: step over its 2 bytes
	mov bp, sp
	add word [bp + 2], 2
	pop bp
	iret
