; A boot sector that writes coloured text straight into the text screen at
; B800:0000, as OS tutorials do: "MEMORY" in white on blue (0x1f) on row
; 0, ten '!' in yellow on red (0x4e) on row 2. It counts the characters
; it wrote in `written`. Checked with expect.screen_attributes and
; expect.memory (cases/memory.yaml).
org 0x7c00

	mov ax, 0xb800
	mov es, ax
	xor di, di
	mov si, message
	mov ah, 0x1f
write_next:
	lodsb
	test al, al
	jz row_two
	stosw
	inc word [written]
	jmp write_next
row_two:
	mov di, 2 * 80 * 2
	mov ax, 0x4e21
	mov cx, 10
	rep stosw
	add word [written], 10
	cli
	hlt

message	db "MEMORY", 0
written	dw 0

	times 510 - ($ - $$) db 0
	dw 0xaa55
