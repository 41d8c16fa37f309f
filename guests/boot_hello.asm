; A boot sector that prints with the BIOS teletype (int 10h AH=0Eh), the
; first program of most OS tutorials, then halts.
bits 16
org 0x7c00

start:
	xor ax, ax
	mov ds, ax
	mov si, message
.next:
	lodsb
	test al, al
	jz .done
	mov ah, 0x0e
	mov bx, 0x0007
	int 0x10
	jmp .next
.done:
	cli
	hlt

message db "Hello from the boot sector!", 13, 10, 0

times 510 - ($ - $$) db 0
dw 0xaa55
