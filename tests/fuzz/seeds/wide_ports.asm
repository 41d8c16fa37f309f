; 16- and 32-bit accesses that straddle the serial port's registers
bits 16
	mov dx, 0x3f6
	mov eax, 0x41424344
	out dx, eax
	in eax, dx
	mov dx, 0x3fb
	mov al, 0x80            ; DLAB
	out dx, al
	mov dx, 0x3f8
	out dx, ax              ; divisor latch
	in ax, dx
	mov dx, 0x3fd
	in al, dx
	mov dx, 0x3ff
	out dx, ax              ; scratch and a port beyond
	hlt
