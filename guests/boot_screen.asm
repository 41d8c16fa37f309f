; A boot sector that clears the screen (int 10h AH=06h), puts the cursor
; at row 2, column 5 (AH=02h) and writes there: a banner in yellow on blue
; (AH=09h, one cell at a time) and a line through the teletype.
bits 16
org 0x7c00

start:
	mov ax, 0x0600          ; scroll up 0 lines: clear the window
	mov bh, 0x07
	xor cx, cx
	mov dx, 0x184f          ; row 24, column 79
	int 0x10

	mov ah, 0x02
	xor bh, bh
	mov dx, 0x0205          ; row 2, column 5
	int 0x10

	mov si, banner
.banner:
	lodsb
	test al, al
	jz .line
	mov ah, 0x09
	mov bx, 0x001e          ; page 0, yellow on blue
	mov cx, 1
	int 0x10
	mov ah, 0x03            ; where is the cursor?
	int 0x10
	inc dl                  ; AH=09h does not move it: one to the right
	mov ah, 0x02
	int 0x10
	jmp .banner

.line:
	mov ah, 0x02
	mov dx, 0x0400          ; row 4, column 0
	int 0x10
	mov si, line
.teletype:
	lodsb
	test al, al
	jz .done
	mov ah, 0x0e
	int 0x10
	jmp .teletype
.done:
	cli
	hlt

banner db "KVMCHECK", 0
line db "written at the cursor", 0

times 510 - ($ - $$) db 0
dw 0xaa55
