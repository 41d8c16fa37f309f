; CPUID: kvmcheck's one CPU model (harness/x86/cpuid.c) on every backend.
bits 16
org 0
%include "lib.inc"
	mov sp, 0x7000
	xor eax, eax
	cpuid
	cmp ebx, 0x68747541     ; "Auth"
	CHECK "cpuid 0: vendor AuthenticAMD (ebx)", e
	cmp edx, 0x69746e65     ; "enti"
	CHECK "cpuid 0: vendor AuthenticAMD (edx)", e
	cmp ecx, 0x444d4163     ; "cAMD"
	CHECK "cpuid 0: vendor AuthenticAMD (ecx)", e
	mov eax, 1
	cpuid
	cmp eax, 0x663
	CHECK "cpuid 1: family 6 model 6 stepping 3", e
	mov eax, 0x80000000
	cpuid
	cmp eax, 0x80000001
	CHECK "cpuid 80000000: extended leaves", ae
	hlt
PRINT_ROUTINE
