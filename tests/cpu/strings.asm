; String instructions: direction, counts, repe/repne ending, segment use.
bits 16
org 0
%include "lib.inc"
	mov sp, 0x7000
	cld
	mov si, src
	mov di, 0x3000
	mov cx, 5
	rep movsb
	cmp cx, 0
	CHECK "rep movsb leaves cx 0", e
	cmp di, 0x3005
	CHECK "rep movsb moves di forward", e
	mov si, src
	mov di, 0x3000
	mov cx, 5
	repe cmpsb
	CHECK "repe cmpsb of equal bytes ends equal", e
	mov di, 0x3002
	mov al, 'z'
	stosb
	mov si, src
	mov di, 0x3000
	mov cx, 5
	repe cmpsb
	cmp cx, 2
	CHECK "repe cmpsb stops after the first difference", e
	std
	mov di, 0x3104
	mov al, 7
	mov cx, 5
	rep stosb
	cld
	cmp di, 0x30ff
	CHECK "std: stosb moves di backward", e
	mov di, src
	mov al, 'c'
	mov cx, 5
	repne scasb
	cmp di, src + 3
	CHECK "repne scasb stops after the match", e
	mov cx, 0
	mov di, 0x3200
	rep stosb
	cmp di, 0x3200
	CHECK "rep with cx 0 does nothing", e
	hlt
src: db "abcde"
PRINT_ROUTINE
