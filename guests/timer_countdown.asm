; A timer-driven .COM program: it hooks the BIOS timer's user hook (int
; 1Ch), counts down from 3 once a second while it sleeps in `hlt`, and
; prints each number as its hook counts it down. 18 ticks make a second
; (18.2 Hz); time here is virtual, so the run takes no real second.
bits 16
org 0x100

	mov ax, 0x351c          ; keep the old hook, as a polite program does
	int 0x21
	mov [old_hook], bx
	mov [old_hook + 2], es
	mov ax, 0x251c
	mov dx, tick
	int 0x21

	sti
.wait:
	hlt                     ; sleep until the next tick
	cmp byte [left], 0
	jne .wait

	push ds                 ; put the old hook back before leaving
	lds dx, [old_hook]
	mov ax, 0x251c
	int 0x21
	pop ds
	mov dx, done
	mov ah, 0x09
	int 0x21
	mov ax, 0x4c00
	int 0x21

tick:                           ; int 1Ch: called by the BIOS at each tick
	inc byte [cs:ticks]
	cmp byte [cs:ticks], 18
	jb .out
	mov byte [cs:ticks], 0
	push ax
	push dx
	mov dl, [cs:left]
	add dl, '0'
	mov ah, 0x02
	int 0x21
	dec byte [cs:left]
	pop dx
	pop ax
.out:
	iret

left: db 3
ticks: db 0
old_hook: dd 0
done: db " liftoff", 13, 10, '$'
