; bob: adds bx to ax, but only the low bytes (the carry into ah is lost)
bits 16
org 0
	add al, bl
	hlt
