; Prints a banner with `rep outsb` and reads the 8-byte input with
; `rep insb` into memory, then prints that back. String I/O counts one
; exit per byte moved.
bits 16
org 0
	cld
	mov dx, 0x3f8
	mov si, banner
	mov cx, banner_len
	rep outsb

	mov di, buffer
	mov cx, 8
	rep insb

	mov si, buffer
	mov cx, 8
	rep outsb
	hlt

banner:	db "in: "
banner_len equ $ - banner
buffer:	times 8 db 0
