#include "x86/regs.h"

#include <string.h>
#include <strings.h>

struct reg_name {
	const char *name;
	struct reg_ref ref;
};

#define GPR8L(n, i)  { n, { REG_GPR, i, 0, 8 } }
#define GPR8H(n, i)  { n, { REG_GPR, i, 8, 8 } }
#define GPR16(n, i)  { n, { REG_GPR, i, 0, 16 } }
#define GPR32(n, i)  { n, { REG_GPR, i, 0, 32 } }
#define GPR64(n, i)  { n, { REG_GPR, i, 0, 64 } }
#define SEG(n, i)    { n, { REG_SEG, i, 0, 16 } }

static const struct reg_name reg_names[] = {
	GPR8L("al", GPR_EAX), GPR8H("ah", GPR_EAX), GPR8L("cl", GPR_ECX), GPR8H("ch", GPR_ECX),
	GPR8L("dl", GPR_EDX), GPR8H("dh", GPR_EDX), GPR8L("bl", GPR_EBX), GPR8H("bh", GPR_EBX),
	GPR16("ax", GPR_EAX), GPR16("cx", GPR_ECX), GPR16("dx", GPR_EDX), GPR16("bx", GPR_EBX),
	GPR16("sp", GPR_ESP), GPR16("bp", GPR_EBP), GPR16("si", GPR_ESI), GPR16("di", GPR_EDI),
	GPR32("eax", GPR_EAX), GPR32("ecx", GPR_ECX), GPR32("edx", GPR_EDX), GPR32("ebx", GPR_EBX),
	GPR32("esp", GPR_ESP), GPR32("ebp", GPR_EBP), GPR32("esi", GPR_ESI), GPR32("edi", GPR_EDI),
	{ "ip", { REG_EIP, 0, 0, 16 } }, { "eip", { REG_EIP, 0, 0, 32 } },
	{ "flags", { REG_EFLAGS, 0, 0, 16 } }, { "eflags", { REG_EFLAGS, 0, 0, 32 } },
	SEG("es", SEG_ES), SEG("cs", SEG_CS), SEG("ss", SEG_SS),
	SEG("ds", SEG_DS), SEG("fs", SEG_FS), SEG("gs", SEG_GS),
	GPR64("rax", GPR_EAX), GPR64("rcx", GPR_ECX), GPR64("rdx", GPR_EDX), GPR64("rbx", GPR_EBX),
	GPR64("rsp", GPR_ESP), GPR64("rbp", GPR_EBP), GPR64("rsi", GPR_ESI), GPR64("rdi", GPR_EDI),
	GPR64("r8", GPR_R8), GPR64("r9", GPR_R9), GPR64("r10", GPR_R10), GPR64("r11", GPR_R11),
	GPR64("r12", GPR_R12), GPR64("r13", GPR_R13), GPR64("r14", GPR_R14), GPR64("r15", GPR_R15),
	{ "rip", { REG_EIP, 0, 0, 64 } }, { "rflags", { REG_EFLAGS, 0, 0, 64 } },
	{ "cr0", { REG_CR0, 0, 0, 64 } }, { "cr3", { REG_CR3, 0, 0, 64 } },
	{ "cr4", { REG_CR4, 0, 0, 64 } }, { "efer", { REG_EFER, 0, 0, 64 } },
};

bool reg_lookup(const char *name, struct reg_ref *out)
{
	for (size_t i = 0; i < sizeof(reg_names) / sizeof(reg_names[0]); i++) {
		if (strcasecmp(name, reg_names[i].name) == 0) {
			*out = reg_names[i].ref;
			return true;
		}
	}
	return false;
}

uint64_t reg_max(struct reg_ref ref)
{
	return ref.width == 64 ? UINT64_MAX : (UINT64_C(1) << ref.width) - 1;
}

bool reg_is_control(struct reg_ref ref)
{
	return ref.kind == REG_CR0 || ref.kind == REG_CR3 || ref.kind == REG_CR4 || ref.kind == REG_EFER;
}

static uint64_t *reg_slot(struct cpu_state *state, struct reg_ref ref)
{
	switch (ref.kind) {
	case REG_GPR: return &state->gpr[ref.index];
	case REG_EIP: return &state->rip;
	case REG_EFLAGS: return &state->rflags;
	case REG_CR0: return &state->cr0;
	case REG_CR3: return &state->cr3;
	case REG_CR4: return &state->cr4;
	case REG_EFER: return &state->efer;
	default: return NULL;
	}
}

uint64_t reg_get(const struct cpu_state *state, struct reg_ref ref)
{
	if (ref.kind == REG_SEG)
		return state->seg[ref.index].selector;
	const uint64_t *slot = reg_slot((struct cpu_state *)state, ref);
	return (*slot >> ref.shift) & reg_max(ref);
}

void reg_set(struct cpu_state *state, struct reg_ref ref, uint64_t value)
{
	if (ref.kind == REG_SEG) {
		if (state->cr0 & CR0_PE)
			state->seg[ref.index].selector = (uint16_t)value;
		else
			cpu_state_set_real_segment(state, ref.index, (uint16_t)value);
		return;
	}
	uint64_t *slot = reg_slot(state, ref);
	uint64_t mask = reg_max(ref) << ref.shift;
	*slot = (*slot & ~mask) | ((value << ref.shift) & mask);
}

const char *reg_names_help(void)
{
	return "al..bh, ax..di, eax..edi, ip, eip, flags, eflags, cs, ds, es, fs, gs, ss, "
	       "rax..rdi, r8..r15, rip, rflags, cr0, cr3, cr4, efer";
}
