; Instructions a real CPU runs in real mode but KVM's instruction emulator
; does not know: hosts whose KVM runs real mode through that emulator (no
; unrestricted guest) cannot run this guest (kvm-may-not-run.txt).
bits 16
org 0
%include "lib.inc"
	mov sp, 0x7000
	fninit
	fld1
	fld1
	faddp
	fistp word [result]
	cmp word [result], 2
	CHECK "x87: 1 + 1 = 2", e
	hlt
result: dw 0
PRINT_ROUTINE
