; Reads the serial input until none is left, polling the line status
; register, and writes each byte back in upper case. Ends by halting with
; the number of bytes read in cx.
bits 16
org 0

	xor cx, cx
poll:
	mov dx, 0x3fd           ; line status register
	in al, dx
	test al, 1              ; data ready?
	jz finished
	mov dx, 0x3f8
	in al, dx
	inc cx
	cmp al, 'a'
	jb .send
	cmp al, 'z'
	ja .send
	sub al, 'a' - 'A'
.send:
	out dx, al
	jmp poll
finished:
	hlt
