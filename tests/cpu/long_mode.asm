; A guest that switches modes itself: real -> long (64-bit) -> real.
bits 16
org 0x1000
%include "lib.inc"
	mov sp, 0x7000
	cli
	mov word [0x30 * 4], int30
	mov word [0x30 * 4 + 2], 0
	; One 2 MiB page maps RAM as it is: PML4 at 0x10000, PDPT at 0x11000,
	; page directory at 0x12000 (RAM starts zeroed).
	mov ax, 0x1000
	mov es, ax
	mov dword [es:0x0000], 0x11003
	mov dword [es:0x1000], 0x12003
	mov dword [es:0x2000], 0x83
	xor ax, ax
	mov es, ax
	mov eax, 0x10000
	mov cr3, eax
	mov eax, cr4
	or eax, 1 << 5              ; PAE
	mov cr4, eax
	mov ecx, 0xc0000080         ; EFER
	rdmsr
	or eax, 1 << 8              ; LME
	wrmsr
	lgdt [gdtr]
	mov eax, cr0
	or eax, 0x80000001          ; PG and PE at once: long mode
	mov cr0, eax
	jmp 0x18:long64
bits 64
long64:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov ecx, 0xc0000080
	rdmsr
	mov [lm_efer], eax
	mov rax, 0x100000000
	add rax, rax
	shr rax, 33
	mov [lm_sum], eax           ; 1 if the upper half took part
	; #UD's 64-bit interrupt gate, in an IDT at 0x3000
	mov rax, ud_handler
	mov [0x3000 + 6 * 16], ax
	mov word [0x3000 + 6 * 16 + 2], 0x18
	mov word [0x3000 + 6 * 16 + 4], 0x8e00
	shr rax, 16
	mov [0x3000 + 6 * 16 + 6], ax
	shr rax, 16
	mov [0x3000 + 6 * 16 + 8], eax
	lidt [idtr64]
ud_at:
	ud2
	; Back: a far return to 32-bit code, where paging can be turned off.
	push 0x08
	push compat
	retfq
ud_handler:
	mov rax, [rsp]
	mov [ud_rip], eax
	add qword [rsp], 2          ; past the ud2
	iretq
bits 32
compat:
	mov eax, cr0
	and eax, 0x7fffffff         ; paging off: long mode ends
	mov cr0, eax
	mov ecx, 0xc0000080
	rdmsr
	and eax, ~(1 << 8)
	wrmsr
	jmp 0x20:pm16
bits 16
pm16:
	mov ax, 0x28
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, cr0
	and eax, 0x7ffffffe         ; PE off: real mode
	mov cr0, eax
	jmp 0:rm
rm:
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x7000
	lidt [ivt]
	test byte [lm_efer + 1], 1 << 2     ; EFER.LMA, bit 10
	CHECK "long mode: EFER.LMA set there", nz
	cmp dword [lm_sum], 1
	CHECK "long mode: 64-bit arithmetic", e
	cmp dword [ud_rip], ud_at
	CHECK "long mode: #UD through the 64-bit IDT pushed rip at the ud2", e
	mov eax, cr0
	test eax, 0x80000001
	CHECK "back in real mode: CR0.PE and PG clear", z
	mov ecx, 0xc0000080
	rdmsr
	test eax, 1 << 10
	CHECK "back in real mode: EFER.LMA clear", z
	int 0x30
	cmp byte [int30_ran], 1
	CHECK "back in real mode: int n goes through the IVT", e
	hlt
int30:
	mov byte [int30_ran], 1
	iret
lm_efer: dd 0
lm_sum: dd 0
ud_rip: dd 0
int30_ran: db 0
align 8
gdt:
	dq 0
	dq 0x00cf9a000000ffff     ; 0x08 flat 32-bit code
	dq 0x00cf92000000ffff     ; 0x10 flat data
	dq 0x00af9a000000ffff     ; 0x18 64-bit code
	dq 0x00009a000000ffff     ; 0x20 16-bit code, 64 KiB
	dq 0x000092000000ffff     ; 0x28 16-bit data, 64 KiB
gdtr:
	dw gdtr - gdt - 1
	dd gdt
idtr64:
	dw 0xfff
	dq 0x3000
ivt:
	dw 0x3ff
	dd 0
PRINT_ROUTINE
