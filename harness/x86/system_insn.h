/* system_insn: the system instructions whose checks Unicorn leaves out, and
 * the rules a CPU applies to them, as the kvm backend's CPU does: a move to
 * CR0 or CR4, moves to and from the debug registers, RDMSR and WRMSR. The
 * emu backend decodes them with sys_insn_decode and faults as these rules
 * say; the rules are data here so both backends share one model (the kvm
 * backend gives KVM the same MSR list as a filter). */
#ifndef KVMCHECK_X86_SYSTEM_INSN_H
#define KVMCHECK_X86_SYSTEM_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sys_insn_kind {
	SYS_INSN_MOV_TO_CR,   /* 0f 22 /r */
	SYS_INSN_MOV_FROM_DR, /* 0f 21 /r */
	SYS_INSN_MOV_TO_DR,   /* 0f 23 /r */
	SYS_INSN_WRMSR,       /* 0f 30 */
	SYS_INSN_RDMSR,       /* 0f 32 */
	SYS_INSN_SMSW_REG,    /* 0f 01 /4 with a register operand */
	SYS_INSN_HYPERCALL,   /* 0f 01 c1 vmcall, 0f 01 d9 vmmcall */
};

struct sys_insn {
	enum sys_insn_kind kind;
	int reg;  /* the control or debug register's number; for a hypercall, 1 for vmmcall */
	int gpr;  /* the general register moved (enum gpr) */
	bool operand_prefix; /* 0x66: the other operand size */
	bool rex_w;          /* 64-bit code: a 64-bit operand */
};

/* Decodes the instruction at code (len bytes readable) when it is one of
 * the kinds above; long64: 64-bit code, where REX prefixes exist. */
bool sys_insn_decode(const uint8_t *code, size_t len, bool long64, struct sys_insn *out);

/* Whether mem holds the opcode bytes of any of the kinds: a guest whose
 * memory holds none at the start needs no decoding of each instruction
 * (unless it writes such code itself later). */
bool sys_insn_present(const uint8_t *mem, size_t len);

/* The mnemonic of a decoded SYS_INSN_HYPERCALL: vmcall or vmmcall. */
const char *sys_hypercall_name(const struct sys_insn *insn);

/* The mnemonic of the hypercall instruction at code, or NULL when there is
 * none. */
const char *sys_hypercall_at(const uint8_t *code, size_t len, bool long64);

/* Why a case ends at a hypercall, in the same words on every backend:
 * kvmcheck is no hypervisor, and a guest that calls one would otherwise
 * get a different answer from each backend and host (README, "vmcall and
 * vmmcall"). */
void sys_hypercall_reason(char *out, size_t out_len, const char *mnemonic);

/* What the CPU holds when a control register is written. */
struct sys_ctl {
	uint64_t cr0, cr4, efer;
	bool long64; /* executing 64-bit code */
};

/* Whether moving value to CR0 or CR4 is allowed; a CPU raises #GP(0)
 * otherwise. CR4 bits are allowed as kvmcheck's CPU model (x86/cpuid.h)
 * reports the features behind them. */
bool sys_cr0_write_ok(const struct sys_ctl *now, uint64_t value);
bool sys_cr4_write_ok(const struct sys_ctl *now, uint64_t value);

/* The MSRs a guest may read and write on every backend; any other raises
 * #GP(0). Fills at most max ranges [first, first + count); returns how many. */
struct sys_msr_range {
	uint32_t first, count;
};
size_t sys_msr_ranges(struct sys_msr_range *out, size_t max);
bool sys_msr_known(uint32_t index);

/* Whether WRMSR of value to a known MSR is allowed (reserved EFER bits,
 * canonical addresses, PAT memory types). */
bool sys_msr_write_ok(const struct sys_ctl *now, uint32_t index, uint64_t value);

/* DR7: the enable bits of breakpoints on instruction execution. */
uint64_t sys_dr7_exec_enables(uint64_t dr7);

#endif
