#include "x86/system_insn.h"

#include <stdio.h>
#include <string.h>

#include "x86/cpu_state.h"
#include "x86/cpuid.h"

#define CR0_HIGH_BITS 0xffffffff00000000ull

#define MSR_SYSENTER_CS 0x174u
#define MSR_PAT 0x277u
#define MSR_EFER 0xc0000080u
#define MSR_LSTAR 0xc0000082u
#define MSR_CSTAR 0xc0000083u
#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u

static bool is_legacy_prefix(uint8_t b)
{
	static const uint8_t prefixes[] = { 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65 };
	return memchr(prefixes, b, sizeof(prefixes)) != NULL;
}

static bool kind_of(uint8_t opcode, enum sys_insn_kind *kind)
{
	switch (opcode) {
	case 0x22: *kind = SYS_INSN_MOV_TO_CR; return true;
	case 0x21: *kind = SYS_INSN_MOV_FROM_DR; return true;
	case 0x23: *kind = SYS_INSN_MOV_TO_DR; return true;
	case 0x30: *kind = SYS_INSN_WRMSR; return true;
	case 0x32: *kind = SYS_INSN_RDMSR; return true;
	case 0x01: *kind = SYS_INSN_SMSW_REG; return true; /* and lgdt, lidt...: the ModRM byte tells */
	default: return false;
	}
}

#define MODRM_VMCALL 0xc1u
#define MODRM_VMMCALL 0xd9u

bool sys_insn_decode(const uint8_t *code, size_t len, bool long64, struct sys_insn *out)
{
	size_t i = 0;
	uint8_t rex = 0;
	out->operand_prefix = false;
	out->rex_w = false;
	for (; i < len && i < 15; i++) {
		if (is_legacy_prefix(code[i])) {
			out->operand_prefix |= code[i] == 0x66;
			rex = 0; /* a REX prefix counts only right before the opcode */
			continue;
		}
		if (long64 && (code[i] & 0xf0) == 0x40) {
			rex = code[i];
			continue;
		}
		break;
	}
	if (i + 1 >= len || code[i] != 0x0f || !kind_of(code[i + 1], &out->kind))
		return false;
	out->reg = 0;
	out->gpr = 0;
	if (out->kind == SYS_INSN_WRMSR || out->kind == SYS_INSN_RDMSR)
		return true;
	if (i + 2 >= len)
		return false;
	/* The mod field is ignored by the moves: they always name registers. */
	uint8_t modrm = code[i + 2];
	out->reg = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
	out->gpr = (modrm & 7) | ((rex & 1) ? 8 : 0);
	out->rex_w = (rex & 8) != 0;
	if (out->kind == SYS_INSN_SMSW_REG && (modrm == MODRM_VMCALL || modrm == MODRM_VMMCALL)) {
		out->kind = SYS_INSN_HYPERCALL;
		out->reg = modrm == MODRM_VMMCALL;
		return true;
	}
	if (out->kind == SYS_INSN_SMSW_REG)
		return (modrm >> 6) == 3 && ((modrm >> 3) & 7) == 4;
	return true;
}

const char *sys_hypercall_name(const struct sys_insn *insn)
{
	return insn->reg ? "vmmcall" : "vmcall";
}

const char *sys_hypercall_at(const uint8_t *code, size_t len, bool long64)
{
	struct sys_insn insn;
	if (!sys_insn_decode(code, len, long64, &insn) || insn.kind != SYS_INSN_HYPERCALL)
		return NULL;
	return sys_hypercall_name(&insn);
}

void sys_hypercall_reason(char *out, size_t out_len, const char *mnemonic)
{
	snprintf(out, out_len, "`%s` is a call to the hypervisor, which kvmcheck does not provide", mnemonic);
}

bool sys_insn_present(const uint8_t *mem, size_t len)
{
	for (const uint8_t *p = mem; len >= 2;) {
		const uint8_t *hit = memchr(p, 0x0f, len - 1);
		if (!hit)
			return false;
		enum sys_insn_kind kind;
		if (kind_of(hit[1], &kind))
			return true;
		len -= (size_t)(hit + 1 - p);
		p = hit + 1;
	}
	return false;
}

bool sys_cr0_write_ok(const struct sys_ctl *now, uint64_t value)
{
	if (value & CR0_HIGH_BITS)
		return false;
	if ((value & CR0_NW) && !(value & CR0_CD))
		return false;
	if ((value & CR0_PG) && !(value & CR0_PE))
		return false;
	bool paging_on = (value & CR0_PG) && !(now->cr0 & CR0_PG);
	if (paging_on && (now->efer & EFER_LME) && !(now->cr4 & CR4_PAE))
		return false;
	/* Long mode cannot be left from 64-bit code. */
	if (!(value & CR0_PG) && now->long64)
		return false;
	return true;
}

#define CR4_ALWAYS 0x7ffull     /* VME through OSXMMEXCPT */
#define CR4_FSGSBASE (1ull << 16)
#define CR4_PCIDE (1ull << 17)
#define CR4_OSXSAVE (1ull << 18)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define CR4_PKE (1ull << 22)
#define CR4_UMIP (1ull << 11)
#define CR4_LA57 (1ull << 12)
#define CR4_VMXE (1ull << 13)

/* A CR4 bit is allowed when the model reports its feature (as KVM derives
 * reserved CR4 bits from the guest's CPUID). */
struct cr4_feature {
	uint64_t bit;
	uint32_t function;
	int reg; /* 1 ebx, 2 ecx, 3 edx */
	uint32_t mask;
};

static const struct cr4_feature cr4_features[] = {
	{ CR4_VMXE, 1, 2, 1u << 5 },
	{ CR4_PCIDE, 1, 2, 1u << 17 },
	{ CR4_OSXSAVE, 1, 2, 1u << 26 },
	{ CR4_FSGSBASE, 7, 1, 1u << 0 },
	{ CR4_SMEP, 7, 1, 1u << 7 },
	{ CR4_SMAP, 7, 1, 1u << 20 },
	{ CR4_UMIP, 7, 2, 1u << 2 },
	{ CR4_PKE, 7, 2, 1u << 3 },
	{ CR4_LA57, 7, 2, 1u << 16 },
};

static uint64_t cr4_allowed(void)
{
	uint64_t allowed = CR4_ALWAYS;
	for (size_t i = 0; i < sizeof(cr4_features) / sizeof(cr4_features[0]); i++) {
		const struct cr4_feature *f = &cr4_features[i];
		const struct cpuid_leaf *leaf = cpuid_model_leaf(f->function, 0);
		uint32_t r = !leaf ? 0 : f->reg == 1 ? leaf->ebx : f->reg == 2 ? leaf->ecx : leaf->edx;
		if (r & f->mask)
			allowed |= f->bit;
	}
	return allowed;
}

bool sys_cr4_write_ok(const struct sys_ctl *now, uint64_t value)
{
	if (value & ~cr4_allowed())
		return false;
	bool long_mode = now->efer & EFER_LMA;
	if (long_mode && !(value & CR4_PAE))
		return false;
	if (long_mode && ((value ^ now->cr4) & CR4_LA57))
		return false;
	return true;
}

static const struct sys_msr_range msr_ranges[] = {
	{ MSR_SYSENTER_CS, 3 },   /* SYSENTER_CS, _ESP, _EIP */
	{ MSR_PAT, 1 },
	{ MSR_EFER, 5 },          /* EFER, STAR, LSTAR, CSTAR, SFMASK */
	{ MSR_FS_BASE, 3 },       /* FS_BASE, GS_BASE, KERNEL_GS_BASE */
};

#define MSR_RANGES (sizeof(msr_ranges) / sizeof(msr_ranges[0]))

size_t sys_msr_ranges(struct sys_msr_range *out, size_t max)
{
	size_t n = MSR_RANGES < max ? MSR_RANGES : max;
	memcpy(out, msr_ranges, n * sizeof(*out));
	return n;
}

bool sys_msr_known(uint32_t index)
{
	for (size_t i = 0; i < MSR_RANGES; i++) {
		if (index - msr_ranges[i].first < msr_ranges[i].count)
			return true;
	}
	return false;
}

/* 48-bit virtual addresses: bits 63..47 all equal. */
static bool canonical(uint64_t address)
{
	uint64_t top = address >> 47;
	return top == 0 || top == 0x1ffff;
}

static bool pat_ok(uint64_t value)
{
	for (int i = 0; i < 8; i++) {
		uint8_t type = (uint8_t)(value >> (8 * i));
		if (type == 2 || type == 3 || type > 7)
			return false;
	}
	return true;
}

static uint64_t efer_allowed(void)
{
	const struct cpuid_leaf *ext = cpuid_model_leaf(0x80000001, 0);
	uint64_t allowed = EFER_SCE | EFER_LME | EFER_LMA;
	if (ext && (ext->edx & (1u << 20)))
		allowed |= 1u << 11; /* NXE */
	return allowed;
}

bool sys_msr_write_ok(const struct sys_ctl *now, uint32_t index, uint64_t value)
{
	switch (index) {
	case MSR_EFER:
		if (value & ~efer_allowed())
			return false;
		/* LME cannot change while paging is on. */
		return !((now->cr0 & CR0_PG) && ((value ^ now->efer) & EFER_LME));
	case MSR_PAT:
		return pat_ok(value);
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
		return canonical(value);
	default:
		return sys_msr_known(index);
	}
}

uint64_t sys_dr7_exec_enables(uint64_t dr7)
{
	uint64_t enables = 0;
	for (int n = 0; n < 4; n++) {
		uint64_t rw = (dr7 >> (16 + 4 * n)) & 3;
		if (rw == 0)
			enables |= 3ull << (2 * n);
	}
	return dr7 & enables;
}
