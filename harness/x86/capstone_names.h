/* capstone_names: Capstone's x86 decoder opened for details, and its
 * register names in kvmcheck's terms (enum gpr, enum seg), for the code
 * that asks Capstone which memory an instruction touches (real_access,
 * align_check). */
#ifndef KVMCHECK_X86_CAPSTONE_NAMES_H
#define KVMCHECK_X86_CAPSTONE_NAMES_H

#include <capstone/capstone.h>
#include <stdbool.h>

#include "x86/cpu_state.h"

/* Opens a decoder of this mode with instruction details on; false (and
 * nothing to close) when Capstone refuses. */
bool x86_cs_open(cs_mode mode, csh *handle);

/* The general register reg names (enum gpr) and how many bytes of it the
 * name covers (8, 4 or 2); -1 for any other register, such as rip. */
int x86_cs_gpr(x86_reg reg, unsigned *bytes);

/* The segment a memory operand goes through: its override, else SS for an
 * address based on (e/r)bp or (e/r)sp, else DS. */
enum seg x86_cs_mem_segment(const x86_op_mem *m);

#endif
