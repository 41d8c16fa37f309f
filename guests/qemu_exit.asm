; A test in the style of those written for QEMU's isa-debug-exit device:
; it checks something and reports by writing a code to port 0xf4, which
; ends the run. It needs no firmware: the exit port is on every machine.
bits 16
	mov ax, 40
	add ax, 2
	cmp ax, 42
	jne .fail
	mov al, 0x10            ; success
	out 0xf4, al
.fail:
	mov al, 0x11
	out 0xf4, al
