; alice: adds bx to ax
bits 16
org 0
	add ax, bx
	hlt
