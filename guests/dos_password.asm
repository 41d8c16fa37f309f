; Ask for a password without showing it: read keys with int 21h AH=08h (no
; echo), print a '*' for each instead, stop at Enter, then say whether it
; was the right one.
org 0x100

	mov ah, 0x09
	mov dx, prompt
	int 0x21
	mov di, typed
.key:
	mov ah, 0x08
	int 0x21
	cmp al, 13              ; Enter
	je .check
	cmp di, typed + max_len
	jae .key                ; no room: the key is dropped
	stosb
	mov dl, '*'
	mov ah, 0x02
	int 0x21
	jmp .key
.check:
	mov cx, di
	sub cx, typed           ; the length typed
	mov dx, wrong
	cmp cx, secret_len
	jne .say
	mov si, secret
	mov di, typed
	repe cmpsb
	jne .say
	mov dx, right
.say:
	mov ah, 0x09
	int 0x21
	mov ax, 0x4c00
	int 0x21

prompt     db "Password: $"
right      db 13, 10, "Access granted", 13, 10, "$"
wrong      db 13, 10, "Access denied", 13, 10, "$"
secret     db "opensesame"
secret_len equ $ - secret
max_len    equ 32
typed      times max_len db 0
