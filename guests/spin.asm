; Never stops: the case expects its timeout.
bits 16
org 0
	jmp $
