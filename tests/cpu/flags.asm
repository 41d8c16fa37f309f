; Arithmetic flags a real CPU defines (CF ZF SF OF, and PF AF where the
; manual defines them), one check per line.
bits 16
org 0
%include "lib.inc"
%define CF 0x001
%define PF 0x004
%define AF 0x010
%define ZF 0x040
%define SF 0x080
%define OF 0x800
%define ARITH (CF|PF|AF|ZF|SF|OF)
	mov sp, 0x7000
	cld
	mov al, 0x7f
	add al, 1
	FLAGS_ARE "add 7f+1: OF SF AF", ARITH, (OF|SF|AF)
	mov al, 0xff
	add al, 1
	FLAGS_ARE "add ff+1: CF ZF PF AF", ARITH, (CF|ZF|PF|AF)
	mov ax, 0
	sub ax, 1
	FLAGS_ARE "sub 0-1: CF SF PF AF", ARITH, (CF|SF|PF|AF)
	mov al, 0x80
	sub al, 1
	FLAGS_ARE "sub 80-1: OF AF", ARITH, (OF|AF)
	stc
	mov al, 0xff
	inc al
	FLAGS_ARE "inc keeps CF", (CF|ZF), (CF|ZF)
	mov ax, 0x00f0
	and ax, 0x0f0f
	FLAGS_ARE "and clears CF OF", (CF|OF|ZF), ZF
	mov al, 0x80
	neg al
	FLAGS_ARE "neg 80: CF OF SF", (CF|OF|SF|ZF), (CF|OF|SF)
	xor al, al
	neg al
	FLAGS_ARE "neg 0: ZF, no CF", (CF|ZF), ZF
	mov ax, 0x4000
	mov bx, 4
	mul bx
	FLAGS_ARE "mul overflow into dx: CF OF", (CF|OF), (CF|OF)
	mov al, 0x40
	shl al, 1
	FLAGS_ARE "shl 1: OF when the sign changes", (CF|OF), OF
	mov al, 0x81
	rcr al, 1
	FLAGS_ARE "rcr 1: CF from bit 0", CF, CF
	mov ax, 0x0105
	aad
	cmp ax, 15
	CHECK "aad 1,5 = 15", e
	hlt
PRINT_ROUTINE
