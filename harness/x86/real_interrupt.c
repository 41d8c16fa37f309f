#include "x86/real_interrupt.h"

#include "core/le.h"

#define RFLAGS_TF (1u << 8)
#define RFLAGS_AC (1u << 18)

bool x86_real_mode_accepts_interrupt(const struct cpu_state *state)
{
	return !(state->cr0 & CR0_PE) && (state->rflags & RFLAGS_IF);
}

/* The stack wraps within its 64 KiB segment, as a word push at sp 0 does. */
static uint64_t stack_slot(const struct cpu_state *state, uint16_t sp)
{
	return state->seg[SEG_SS].base + sp;
}

int x86_real_mode_interrupt(struct cpu_state *state, uint8_t *mem, size_t mem_size, uint8_t vector)
{
	uint64_t entry = state->idt.base + (uint64_t)vector * 4;
	const uint16_t sp = (uint16_t)state->gpr[GPR_ESP];
	const uint16_t frame[3] = { (uint16_t)state->rip, state->seg[SEG_CS].selector, (uint16_t)state->rflags };
	if (entry + 4 > mem_size)
		return -1;
	for (int i = 0; i < 3; i++) {
		uint64_t at = stack_slot(state, (uint16_t)(sp - 6 + 2 * i));
		if (at + 2 > mem_size)
			return -1;
	}
	for (int i = 0; i < 3; i++) {
		uint64_t at = stack_slot(state, (uint16_t)(sp - 6 + 2 * i));
		mem[at] = (uint8_t)frame[i];
		mem[at + 1] = (uint8_t)(frame[i] >> 8);
	}
	state->gpr[GPR_ESP] = (state->gpr[GPR_ESP] & ~0xffffull) | (uint16_t)(sp - 6);
	state->rflags &= ~(uint64_t)(RFLAGS_IF | RFLAGS_TF | RFLAGS_AC);
	cpu_state_set_real_segment(state, SEG_CS, (uint16_t)le_load(mem + entry + 2, 2));
	state->rip = (uint16_t)le_load(mem + entry, 2);
	return 0;
}

int x86_real_mode_handler_entry(const struct cpu_state *state, const uint8_t *mem, size_t mem_size, uint8_t vector,
				uint64_t *linear)
{
	uint64_t entry = state->idt.base + (uint64_t)vector * 4;
	if ((uint32_t)vector * 4 + 3 > state->idt.limit || entry + 4 > mem_size)
		return -1;
	*linear = (uint64_t)(uint16_t)le_load(mem + entry + 2, 2) * 16 + (uint16_t)le_load(mem + entry, 2);
	return 0;
}
