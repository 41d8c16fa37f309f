; Reads beyond the end of guest RAM (1 MiB): FFFF:0010 is physical
; 0x100000. No memory is there, so the run ends with outcome `error`.
bits 16
org 0
	mov ax, 0xffff
	mov ds, ax
	mov al, [0x10]
	hlt
