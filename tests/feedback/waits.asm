bits 16
	mov dx, 0x3f8
	mov al, 'W'
	out dx, al
	call spin
	hlt
%include "lib.inc"
