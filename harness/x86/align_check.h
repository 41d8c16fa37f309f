/* align_check: whether an instruction about to run makes a data access
 * that alignment checking refuses (SDM vol. 3, 6.15, interrupt 17: with
 * CR0.AM and RFLAGS.AC set at level 3, a word, doubleword or quadword
 * operand whose address is not a multiple of its size raises #AC before
 * the instruction does anything). Unicorn raises no #AC, so the emu
 * backend asks here, only while those three hold.
 *
 * Checked: explicit memory operands (string operands included), the
 * stack slots of push, pop, call, ret, pushf, popf and iret, 2-, 4-, 8-
 * and 10-byte operands (an x87 extended real to 8, a 48-bit far pointer
 * to 4). Not checked: FPU and SSE state areas and 16-byte operands,
 * whose alignment rules differ by instruction. */
#ifndef KVMCHECK_X86_ALIGN_CHECK_H
#define KVMCHECK_X86_ALIGN_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "x86/cpu_state.h"

/* What the addresses are made of: every general register, and each
 * segment's base (FS and GS in 64-bit code; all of them elsewhere). */
struct x86_align_regs {
	uint64_t gpr[GPR_COUNT];
	uint64_t seg_base[SEG_COUNT];
};

struct x86_align_decoder;

/* NULL when Capstone cannot be opened. */
struct x86_align_decoder *x86_align_decoder_open(void);
void x86_align_decoder_close(struct x86_align_decoder *d);

/* Whether the instruction at code (len bytes readable), in 64-bit code or
 * else 32-bit code (code32 false: 16-bit), accesses memory misaligned.
 * False for bytes that are no instruction (the CPU raises #UD). */
bool x86_align_misaligned(struct x86_align_decoder *d, const uint8_t *code, size_t len, bool long64, bool code32,
			  const struct x86_align_regs *regs);

#endif
