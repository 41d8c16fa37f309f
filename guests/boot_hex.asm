; A boot sector that prints a 16-bit number in hexadecimal with the BIOS
; teletype (int 10h AH=0Eh), four bits at a time from the top, as OS
; tutorials do before they have a printf; then halts for good.
bits 16
org 0x7c00

start:
	xor ax, ax
	mov ds, ax
	mov ss, ax
	mov sp, 0x7c00
	mov si, prefix
	call print_string
	mov dx, 0x1fb6
	call print_hex
	mov si, newline
	call print_string
	cli
	hlt

; dx in four hex digits
print_hex:
	mov cx, 4
.digit:
	rol dx, 4               ; the top four bits come round to the bottom
	mov al, dl
	and al, 0x0f
	add al, '0'
	cmp al, '9'
	jbe .put
	add al, 'A' - '0' - 10
.put:
	mov ah, 0x0e
	int 0x10
	loop .digit
	ret

; the NUL-terminated string at ds:si
print_string:
	lodsb
	test al, al
	jz .end
	mov ah, 0x0e
	int 0x10
	jmp print_string
.end:
	ret

prefix  db "dx = 0x", 0
newline db 13, 10, 0

times 510 - ($ - $$) db 0
dw 0xaa55
