/* real_access: the memory a real-mode instruction is about to read or
 * write, and whether a CPU refuses it for the segment's limit (SDM vol. 3,
 * 20.1.1: an operand whose last byte lies beyond offset 0xffff raises #GP,
 * or #SS when the segment is SS), checked before the instruction runs.
 * Unicorn checks no data segment limit, so the emu backend asks here.
 *
 * Decoding is Capstone's and costs about a microsecond, which a guest pays
 * once per instruction address: a real_access_cache keeps the decodings,
 * each verified against the instruction's bytes on every use (code may
 * change under it). Software interrupts are left out: their frame is
 * pushed by whoever delivers them (see real_frame_fits). */
#ifndef KVMCHECK_X86_REAL_ACCESS_H
#define KVMCHECK_X86_REAL_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "x86/cpu_state.h"

#define REAL_ACCESS_MAX_OPERANDS 4
#define REAL_ACCESS_NO_REG (-1)

/* One explicit or string operand: seg:(base + index * scale + disp), with
 * 16-bit arithmetic unless a32. */
struct real_operand {
	uint8_t seg;      /* enum seg */
	int8_t base;      /* enum gpr, or REAL_ACCESS_NO_REG */
	int8_t index;     /* enum gpr, or REAL_ACCESS_NO_REG */
	bool plus_al;     /* xlat: AL is added to the address */
	uint8_t scale;
	bool a32;
	int32_t disp;
	uint16_t size;    /* bytes */
};

/* The stack the instruction itself pushes to or pops from (SS, 16-bit SP:
 * real mode's stack segment is never a big one here). */
struct real_stack_use {
	int8_t direction; /* -1: pushes, +1: pops, 0: none */
	uint8_t unit;     /* bytes a push or pop moves */
	uint8_t units;
	bool from_bp;     /* leave: pops from BP */
};

struct real_access {
	uint8_t count;
	struct real_operand mem[REAL_ACCESS_MAX_OPERANDS];
	struct real_stack_use stack;
	bool rep;              /* a rep string instruction: no access when (e)cx is 0 */
	bool rep_a32;          /* ... counting in ecx */
	uint16_t regs_needed;  /* bit n: enum gpr n is read to check */
};

enum real_limit_fault { REAL_LIMIT_OK = 0, REAL_LIMIT_SS = 12, REAL_LIMIT_GP = 13 };

/* Which fault, if any, the accesses raise with these registers (the low
 * 32 bits of each enum gpr below GPR_R8; only regs_needed are read) and
 * these segment limits (enum seg). */
enum real_limit_fault real_access_fault(const struct real_access *access, const uint32_t gpr[GPR_R8],
					const uint32_t limit[SEG_COUNT]);

/* Whether the `words` words of an interrupt frame pushed from sp fit in a
 * stack segment of this limit; a CPU that cannot push it faults again
 * (#SS, then #DF, then shutdown). */
bool real_frame_fits(uint16_t sp, unsigned words, uint32_t limit);

struct real_decoder;

/* NULL when Capstone cannot be opened. */
struct real_decoder *real_decoder_open(void);
void real_decoder_close(struct real_decoder *decoder);

/* Decodes the 16-bit instruction at code (len bytes readable). False when
 * the bytes are no instruction Capstone knows: a CPU raises #UD, not a
 * limit fault, and Unicorn does the same. */
bool real_access_decode(struct real_decoder *decoder, const uint8_t *code, size_t len,
			struct real_access *out);

#define REAL_ACCESS_CACHE_SLOTS 256
#define REAL_ACCESS_MAX_INSN 15

struct real_access_slot {
	uint64_t address;
	uint8_t length;   /* 0: empty */
	uint8_t bytes[REAL_ACCESS_MAX_INSN];
	bool known;       /* decoded; else the bytes are no instruction */
	bool loads_cs;    /* x86_insn_may_load_cs: for a caller that keeps CS's base */
	struct real_access access;
};

struct real_access_cache {
	struct real_decoder *decoder; /* opened at the first miss */
	struct real_access_slot slot[REAL_ACCESS_CACHE_SLOTS];
};

/* The accesses of the length-byte instruction at code, which lies at
 * linear address; NULL when it accesses nothing that can fault or cannot
 * be decoded. */
const struct real_access *real_access_lookup(struct real_access_cache *cache, uint64_t address,
					     const uint8_t *code, size_t length);

/* The same instruction's slot, filled if it did not hold it (NULL when
 * length is 0 or beyond REAL_ACCESS_MAX_INSN), and what real_access_lookup
 * answers from it. */
const struct real_access_slot *real_access_slot_lookup(struct real_access_cache *cache, uint64_t address,
						       const uint8_t *code, size_t length);
const struct real_access *real_access_of(const struct real_access_slot *slot);

void real_access_cache_free(struct real_access_cache *cache);

/* The calling thread's cache, made at its first call (NULL when out of
 * memory) and kept for the thread's life: a decoder's first decode costs
 * about 10 us, more than a small case's whole run, and decodings stay
 * good from one VM to the next since each is checked against the bytes. */
struct real_access_cache *real_access_thread_cache(void);

#endif
