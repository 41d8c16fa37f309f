/* regs: the guest CPU state kvmcheck sets and reads back, and the register
 * names cases use for it (al..edi, ip/eip, flags/eflags, cs..ss). */
#ifndef KVMCHECK_REGS_H
#define KVMCHECK_REGS_H

#include <stdbool.h>
#include <stdint.h>

enum gpr { GPR_EAX, GPR_ECX, GPR_EDX, GPR_EBX, GPR_ESP, GPR_EBP, GPR_ESI, GPR_EDI, GPR_COUNT };
enum seg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_COUNT };

/* What a real-mode guest can observe: segment selectors only, since the
 * base of each is selector * 16 there. */
struct cpu_state {
	uint32_t gpr[GPR_COUNT];
	uint32_t eip;
	uint32_t eflags;
	uint16_t seg[SEG_COUNT];
};

/* A named view of part of struct cpu_state, e.g. "ah" is bits 8..15 of eax. */
struct reg_ref {
	enum { REG_GPR, REG_EIP, REG_EFLAGS, REG_SEG } kind;
	int index;    /* enum gpr or enum seg */
	int shift;    /* bit offset inside the 32-bit register */
	int width;    /* 8, 16 or 32 */
};

/* A register name with the value a case sets or expects. */
struct reg_value {
	char name[8];
	struct reg_ref ref;
	uint32_t value;
};

/* The initial state of every case: cs=ds=es=ss=fs=gs=0, ip=0, flags=0x2. */
void cpu_state_reset(struct cpu_state *state);

/* Looks a case-facing name up ("ax", "EIP"); false when there is none. */
bool reg_lookup(const char *name, struct reg_ref *out);

uint32_t reg_get(const struct cpu_state *state, struct reg_ref ref);
void reg_set(struct cpu_state *state, struct reg_ref ref, uint32_t value);

/* Largest value the register holds: 0xff, 0xffff or 0xffffffff. */
uint32_t reg_max(struct reg_ref ref);

/* The list of accepted names, for error messages. */
const char *reg_names_help(void);

#endif
