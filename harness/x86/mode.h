/* mode: puts a fresh guest into real, protected or long mode, in one place
 * for every backend. Protected and long mode need tables in guest RAM; they
 * go into the top X86_MODE_TABLES_SIZE bytes of RAM, above where a flat guest
 * loaded low is expected to reach:
 *
 *   top - 0x8000  GDT: null, 0x08 flat 32-bit code, 0x10 flat data,
 *                 0x18 64-bit code, 0x20 TSS (16 bytes, the long-mode form)
 *   top - 0x7000  TSS (104 bytes, all zero)
 *   top - 0x6000  PML4            (long mode only)
 *   top - 0x5000  PDPT            (long mode only)
 *   top - 0x4000  4 page directories: RAM identity-mapped in 2 MiB pages
 *
 * (top is the RAM size rounded down to 4 KiB.) No IDT is set up (limit 0):
 * an interrupt or a fault outside real mode is a triple fault on KVM. */
#ifndef KVMCHECK_X86_MODE_H
#define KVMCHECK_X86_MODE_H

#include <stddef.h>
#include <stdint.h>

#include "x86/cpu_state.h"

enum x86_mode { X86_MODE_REAL, X86_MODE_PROTECTED, X86_MODE_LONG };

#define X86_MODE_TABLES_SIZE 0x8000u
/* Smallest RAM protected or long mode accept: the tables and 64 KiB below them. */
#define X86_MODE_MIN_RAM (X86_MODE_TABLES_SIZE + 0x10000u)

#define X86_SEL_CODE32 0x08
#define X86_SEL_DATA 0x10
#define X86_SEL_CODE64 0x18
#define X86_SEL_TSS 0x20

#define X86_GDT_OFFSET 0x0000u  /* from the start of the tables */
#define X86_TSS_OFFSET 0x1000u
#define X86_PML4_OFFSET 0x2000u
#define X86_PDPT_OFFSET 0x3000u
#define X86_PD_OFFSET 0x4000u
#define X86_PD_COUNT 4          /* 4 GiB, all a uint32_t RAM size can hold */

/* "real", "protected", "long". */
const char *x86_mode_name(enum x86_mode mode);

/* The mode a state describes, from CR0.PE and EFER.LMA. */
enum x86_mode x86_mode_of(const struct cpu_state *state);

/* Where the tables start for this mode and RAM size: mem_size in real mode,
 * which needs none. Guest code must end at or below it. */
uint64_t x86_mode_tables_base(enum x86_mode mode, size_t mem_size);

/* Writes the mode's tables into mem and sets state's segments, control
 * registers, EFER, GDTR/IDTR and TR for it; the general registers, rip
 * (a linear address outside real mode) and rflags are the caller's. Real
 * mode leaves both untouched (state is expected to be cpu_state_reset's).
 * Returns 0, or -1 with err filled in when RAM is too small. */
int x86_mode_setup(enum x86_mode mode, uint8_t *mem, size_t mem_size, struct cpu_state *state,
		   char *err, size_t err_len);

#endif
