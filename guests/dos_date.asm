; Print today's date and the time as DOS tells them (int 21h AH=2Ah and
; AH=2Ch) in the form "Friday 2024-03-15 13:45:30", each number in decimal
; with leading zeros, the day's name looked up from AL.
org 0x100

	mov ah, 0x2a
	int 0x21                ; cx = year, dh = month, dl = day, al = weekday
	mov [year], cx
	mov [month], dh
	mov [day], dl
	xor ah, ah
	shl ax, 1
	mov si, ax
	mov dx, [day_names + si]
	mov ah, 0x09
	int 0x21
	mov dl, ' '
	call put_char

	mov ax, [year]
	mov cx, 4
	call print_number
	mov dl, '-'
	call put_char
	mov al, [month]
	call print_two
	mov dl, '-'
	call put_char
	mov al, [day]
	call print_two
	mov dl, ' '
	call put_char

	mov ah, 0x2c
	int 0x21                ; ch = hours, cl = minutes, dh = seconds
	mov [minute], cl
	mov [second], dh
	mov al, ch
	call print_two
	mov dl, ':'
	call put_char
	mov al, [minute]
	call print_two
	mov dl, ':'
	call put_char
	mov al, [second]
	call print_two
	mov dl, 13
	call put_char
	mov dl, 10
	call put_char
	mov ax, 0x4c00
	int 0x21

; al as two digits
print_two:
	xor ah, ah
	mov cx, 2
	; fall through
; ax as cx digits, with leading zeros
print_number:
	mov bx, 10
	mov di, cx
.split:
	xor dx, dx
	div bx                  ; dx = the last digit
	push dx
	loop .split
	mov cx, di
.print:
	pop dx
	add dl, '0'
	mov ah, 0x02
	int 0x21
	loop .print
	ret

put_char:
	mov ah, 0x02
	int 0x21
	ret

year   dw 0
month  db 0
day    db 0
minute db 0
second db 0
day_names dw sunday, monday, tuesday, wednesday, thursday, friday, saturday
sunday    db "Sunday$"
monday    db "Monday$"
tuesday   db "Tuesday$"
wednesday db "Wednesday$"
thursday  db "Thursday$"
friday    db "Friday$"
saturday  db "Saturday$"
