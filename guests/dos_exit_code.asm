; Compute 6 * 7 and hand it back as the program's return code (int 21h
; AH=4Ch, AL = the code), as batch files see it in ERRORLEVEL.
org 0x100

	mov al, 6
	mov bl, 7
	mul bl
	mov ah, 0x4c
	int 0x21
