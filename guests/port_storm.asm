; Writes to an unserved port forever: every write is a VM exit, so the
; exit budget ends it.
bits 16
org 0
	mov dx, 0x80
	xor al, al
again:
	out dx, al
	inc al
	jmp again
