; The shape of many boot-sector tutorials: print a line, then park the CPU
; in `jmp $`. On a PC the timer keeps interrupting it and the BIOS handler
; returns to the same jump, for ever; kvmcheck sees that nothing but the
; firmware can run and ends the case at once as a halt.
bits 16
org 0x7c00

	mov si, message
	mov ah, 0x0e
.next:
	lodsb
	test al, al
	jz .park
	int 0x10
	jmp .next
.park:
	jmp $

message db "Parked.", 0

times 510 - ($ - $$) db 0
dw 0xaa55
