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

uint32_t reg_max(struct reg_ref ref)
{
	return ref.width == 32 ? 0xffffffffu : (1u << ref.width) - 1;
}

static uint64_t *reg_slot(struct cpu_state *state, struct reg_ref ref)
{
	switch (ref.kind) {
	case REG_GPR: return &state->gpr[ref.index];
	case REG_EIP: return &state->rip;
	case REG_EFLAGS: return &state->rflags;
	default: return NULL;
	}
}

uint32_t reg_get(const struct cpu_state *state, struct reg_ref ref)
{
	if (ref.kind == REG_SEG)
		return state->seg[ref.index].selector;
	const uint64_t *slot = reg_slot((struct cpu_state *)state, ref);
	return (uint32_t)(*slot >> ref.shift) & reg_max(ref);
}

void reg_set(struct cpu_state *state, struct reg_ref ref, uint32_t value)
{
	if (ref.kind == REG_SEG) {
		if (state->cr0 & CR0_PE)
			state->seg[ref.index].selector = (uint16_t)value;
		else
			cpu_state_set_real_segment(state, ref.index, (uint16_t)value);
		return;
	}
	uint64_t *slot = reg_slot(state, ref);
	uint64_t mask = (uint64_t)reg_max(ref) << ref.shift;
	*slot = (*slot & ~mask) | (((uint64_t)value << ref.shift) & mask);
}

const char *reg_names_help(void)
{
	return "al..bh, ax..di, eax..edi, ip, eip, flags, eflags, cs, ds, es, fs, gs, ss";
}
