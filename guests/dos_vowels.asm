; Count the vowels in the command tail (the text after the program's name
; on the command line, at PSP:0081h, its length at PSP:0080h) and print
; the count with AH=02h; end with `ret` to the int 20h at PSP:0000.
org 0x100

	xor cx, cx
	mov cl, [0x80]          ; the tail's length
	mov si, 0x81
	xor bx, bx              ; vowels seen
	jcxz .report
.next:
	lodsb
	or al, 0x20             ; lower case (harmless for non-letters here)
	mov di, vowels
	push cx
	mov cx, vowels_len
	repne scasb             ; is al one of "aeiou"?
	pop cx
	jne .skip
	inc bx
.skip:
	loop .next
.report:
	mov ax, bx              ; print bx (under 100) as one or two digits
	mov bl, 10
	div bl                  ; al = tens, ah = ones
	mov bh, ah
	test al, al
	jz .ones
	mov dl, al
	add dl, '0'
	mov ah, 0x02
	int 0x21
.ones:
	mov dl, bh
	add dl, '0'
	mov ah, 0x02
	int 0x21
	mov ah, 0x09
	mov dx, suffix
	int 0x21
	ret

vowels     db "aeiou"
vowels_len equ $ - vowels
suffix     db " vowels", 13, 10, "$"
