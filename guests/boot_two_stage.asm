; A two-stage boot loader: the boot sector reads the next two sectors of
; its disk to 0000:7E00 with int 13h AH=02h (from the drive the BIOS
; booted it from, in DL) and jumps there; the second stage prints.
bits 16
org 0x7c00

stage1:
	xor ax, ax
	mov es, ax
	mov ds, ax
	mov bx, stage2          ; es:bx = 0000:7E00
	mov ax, 0x0202          ; read 2 sectors
	mov cx, 0x0002          ; cylinder 0, sector 2
	xor dh, dh              ; head 0; dl is the boot drive
	int 0x13
	jc .failed
	cmp al, 2
	jne .failed
	jmp stage2
.failed:
	mov al, '!'
	mov ah, 0x0e
	int 0x10
	cli
	hlt

times 510 - ($ - $$) db 0
dw 0xaa55

stage2:                         ; 0x7e00, the disk's second sector
	mov si, message
.next:
	lodsb
	test al, al
	jz .done
	mov ah, 0x0e
	int 0x10
	jmp .next
.done:
	cli
	hlt

times 512 - ($ - stage2) db 0
message db "stage 2 loaded from disk", 0   ; in the third sector
times 1024 - ($ - stage2) db 0
