; The classic KVM hello world: write a string to the serial port, byte by
; byte, then halt.
bits 16
org 0

	mov dx, 0x3f8           ; serial port data register
	mov si, msg
next:
	mov al, [si]
	test al, al
	jz done
	out dx, al
	inc si
	jmp next
done:
	hlt

msg:	db "Hello, KVM!", 0
