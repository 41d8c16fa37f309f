; Hello from 64-bit long mode: RAM is identity-mapped, so addresses are
; the physical ones; the 64-bit registers hold values wider than 32 bits.
bits 64
org 0x1000

	mov edx, 0x3f8
	lea rsi, [rel msg]
next:
	lodsb
	test al, al
	jz done
	out dx, al
	jmp next
done:
	mov rax, 0x123456789abcdef0
	mov r15, rsi
	hlt

msg:	db "long", 0
