; kvmcheck's BIOS and DOS firmware: the guest half. kvmcheck loads it at
; F000:0000 (physical 0xF0000) for a case with `firmware: bios` or `dos`
; (or a preset implying one) and points the interrupt vector table at it.
;
; Every interrupt vector has a stub of STUB_SIZE bytes at F000:(vector *
; STUB_SIZE). A stub pushes its vector number and joins `to_host`, which
; copies the caller's registers into the doorbell's request block, rings the
; doorbell (port 0x510) with the block's physical address, and returns to
; the caller with the registers the host's service wrote back, flags
; included (CF, ZF). The services themselves are C code in kvmcheck
; (harness/machine/firmware/), so they behave the same on every backend.
; Vectors that must do nothing (the keyboard and other IRQs, int 1Ch,
; Ctrl-Break) point at `do_nothing`, a lone iret. The timer's IRQ0 (int 08h)
; points at `timer_irq`: the host counts the tick in the BIOS data area and
; acknowledges the interrupt, then the handler calls the user's hook, int
; 1Ch, as a BIOS does.
;
; The block lives at F000:E000, in a page of its own, so that writing it
; never touches a page holding code.

bits 16
org 0

STUB_SIZE       equ 8
BLOCK           equ 0xE000
BLOCK_PHYS      equ 0xF0000 + BLOCK
DOORBELL_PORT   equ 0x510
DOORBELL_MAGIC  equ 0x4244564b
REGS_IN              equ BLOCK + 8     ; eax ebx ecx edx esi edi ebp ds es eflags
REGS_OUT             equ BLOCK + 48    ; the same, as the service returns them

%assign vector 0
%rep 256
	push word vector
	jmp to_host
	times (vector + 1) * STUB_SIZE - ($ - $$) db 0x90
%assign vector vector + 1
%endrep

; A stub longer than STUB_SIZE makes the `times` above negative, an error;
; so do_nothing is at 256 * STUB_SIZE (FIRMWARE_IRET_OFFSET in firmware.h).
do_nothing:             ; F000:0800
	iret

; F000:0801 (FIRMWARE_TIMER_OFFSET): int 08h. It reaches the host as a stub
; does, through a frame of its own whose iret comes back here.
timer_irq:
	pushf
	push cs
	push word .counted
	push word 0x08
	jmp to_host
.counted:
	int 0x1c
	iret

; Stack on entry: [sp] vector, [sp+2] ip, [sp+4] cs, [sp+6] flags.
to_host:
	mov [cs:REGS_IN + 0], eax
	mov [cs:REGS_IN + 4], ebx
	mov [cs:REGS_IN + 8], ecx
	mov [cs:REGS_IN + 12], edx
	mov [cs:REGS_IN + 16], esi
	mov [cs:REGS_IN + 20], edi
	mov [cs:REGS_IN + 24], ebp
	mov [cs:REGS_IN + 28], ds
	mov [cs:REGS_IN + 32], es
	mov bp, sp
	mov ax, [ss:bp + 6]
	mov [cs:REGS_IN + 36], ax
	mov ax, [ss:bp]
	mov [cs:BLOCK + 6], ax                  ; the service is the vector
	mov dword [cs:BLOCK], DOORBELL_MAGIC
	mov word [cs:BLOCK + 4], 1              ; version
	mov eax, BLOCK_PHYS
	mov dx, DOORBELL_PORT
	out dx, eax
	mov ax, [cs:REGS_OUT + 36]
	mov [ss:bp + 6], ax                     ; iret takes the service's flags
	mov ds, [cs:REGS_OUT + 28]
	mov es, [cs:REGS_OUT + 32]
	mov eax, [cs:REGS_OUT + 0]
	mov ebx, [cs:REGS_OUT + 4]
	mov ecx, [cs:REGS_OUT + 8]
	mov edx, [cs:REGS_OUT + 12]
	mov esi, [cs:REGS_OUT + 16]
	mov edi, [cs:REGS_OUT + 20]
	mov ebp, [cs:REGS_OUT + 24]
	add sp, 2
	iret
