; Read a line with DOS buffered input (int 21h AH=0Ah) and print it
; backwards on the next line, walking the buffer from its last character
; to its first; end with int 20h.
org 0x100

	mov ah, 0x09
	mov dx, prompt
	int 0x21
	mov ah, 0x0a
	mov dx, buffer
	int 0x21
	mov ah, 0x02            ; DOS echoed the CR only: add the line feed
	mov dl, 10
	int 0x21

	xor cx, cx
	mov cl, [buffer + 1]    ; the count DOS read, without the CR
	jcxz .done
	mov si, buffer + 1
	add si, cx              ; the last character typed
.next:
	mov dl, [si]
	mov ah, 0x02
	int 0x21
	dec si
	loop .next
.done:
	mov ah, 0x09
	mov dx, newline
	int 0x21
	int 0x20

prompt  db "Text: $"
newline db 13, 10, "$"
buffer  db 80, 0
	times 80 db 0
