; bob's upper-caser, with two mistakes: it counts each byte twice, and
; it leaves the letters after 'p' in lower case.
bits 16
org 0

	xor cx, cx
poll:
	mov dx, 0x3fd
	in al, dx
	test al, 1
	jz finished
	mov dx, 0x3f8
	in al, dx
	add cx, 2
	cmp al, 'a'
	jb .send
	cmp al, 'p'
	ja .send
	sub al, 'a' - 'A'
.send:
	out dx, al
	jmp poll
finished:
	hlt
