#include "x86/cpu_state.h"

#include <string.h>

#define REAL_MODE_LIMIT 0xffffu

static struct x86_segment real_mode_segment(uint8_t type, uint8_t s)
{
	/* The accessed bit is set as VMX wants it for usable segments. */
	return (struct x86_segment){ .limit = REAL_MODE_LIMIT, .type = type, .s = s, .present = 1 };
}

void cpu_state_reset(struct cpu_state *state)
{
	memset(state, 0, sizeof(*state));
	state->rflags = RFLAGS_FIXED;
	for (enum seg s = 0; s < SEG_COUNT; s++)
		state->seg[s] = real_mode_segment(SEG_TYPE_DATA_RW_ACCESSED, 1);
	state->seg[SEG_CS] = real_mode_segment(SEG_TYPE_CODE_RX_ACCESSED, 1);
	state->tr = real_mode_segment(SEG_TYPE_TSS_BUSY, 0);
	state->ldtr = real_mode_segment(SEG_TYPE_LDT, 0);
	state->cr0 = CPU_RESET_CR0;
	state->gdt.limit = REAL_MODE_LIMIT;
	state->idt.limit = REAL_MODE_LIMIT;
}

void cpu_state_set_real_segment(struct cpu_state *state, enum seg seg, uint16_t selector)
{
	state->seg[seg].selector = selector;
	state->seg[seg].base = (uint64_t)selector << 4;
}
