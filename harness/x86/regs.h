/* regs: the register names cases use (al..edi, ip/eip, flags/eflags,
 * cs..ss, and the 64-bit rax..r15, rip, rflags with cr0, cr3, cr4, efer)
 * and the part of struct cpu_state each one is. */
#ifndef KVMCHECK_REGS_H
#define KVMCHECK_REGS_H

#include <stdbool.h>
#include <stdint.h>

#include "x86/cpu_state.h"

/* A named view of part of struct cpu_state, e.g. "ah" is bits 8..15 of eax. */
struct reg_ref {
	enum { REG_GPR, REG_EIP, REG_EFLAGS, REG_SEG, REG_CR0, REG_CR3, REG_CR4, REG_EFER } kind;
	int index;    /* enum gpr or enum seg */
	int shift;    /* bit offset inside the register */
	int width;    /* 8, 16, 32 or 64 */
};

/* A register name with the value a case sets or expects. */
struct reg_value {
	char name[8];
	struct reg_ref ref;
	uint64_t value;
};

/* Looks a case-facing name up ("ax", "EIP"); false when there is none. */
bool reg_lookup(const char *name, struct reg_ref *out);

uint64_t reg_get(const struct cpu_state *state, struct reg_ref ref);

/* A segment register set in real mode (CR0.PE clear) moves its base with
 * the selector, as a real-mode load does. */
void reg_set(struct cpu_state *state, struct reg_ref ref, uint64_t value);

/* Largest value the register holds: 0xff, 0xffff, 0xffffffff or all ones. */
uint64_t reg_max(struct reg_ref ref);

/* A control register or EFER: set by the case's mode, not by its own value. */
bool reg_is_control(struct reg_ref ref);

/* The list of accepted names, for error messages. */
const char *reg_names_help(void);

#endif
