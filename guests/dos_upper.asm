; Read a line with DOS buffered input (int 21h AH=0Ah), print it in upper
; case on a new line (AH=02h), and return with `ret` (to the int 20h at
; PSP:0000), as the first .COM programs did.
org 0x100

	mov ah, 0x09
	mov dx, prompt
	int 0x21
	mov ah, 0x0a
	mov dx, buffer
	int 0x21
	mov ah, 0x02            ; a new line: DOS echoed only the CR
	mov dl, 10
	int 0x21
	mov si, buffer + 2
	xor cx, cx
	mov cl, [buffer + 1]
	jcxz .done
.next:
	lodsb
	cmp al, 'a'
	jb .put
	cmp al, 'z'
	ja .put
	sub al, 'a' - 'A'
.put:
	mov dl, al
	mov ah, 0x02
	int 0x21
	loop .next
.done:
	ret

prompt db "Your name? $"
buffer db 40, 0
	times 41 db 0
