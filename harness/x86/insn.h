/* insn: the little instruction decoding instruction counting needs (README
 * "Metrics"): both backends must agree on what one instruction is, so they
 * ask the same questions of the same bytes. */
#ifndef KVMCHECK_INSN_H
#define KVMCHECK_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A rep/repe/repne-prefixed string instruction (movs, cmps, stos, lods,
 * scas, ins, outs): it may run again at the same address without having
 * retired. code holds len bytes from the instruction's start; REX prefixes
 * are read as such only when long64 (64-bit code). */
bool x86_insn_is_rep_string(const uint8_t *code, size_t len, bool long64);

/* A hlt (after any prefixes); *length gets its length in bytes. */
bool x86_insn_is_hlt(const uint8_t *code, size_t len, bool long64, size_t *length);

/* An int n (vector n) or int3 (vector 3); *length gets its length. */
bool x86_insn_is_int(const uint8_t *code, size_t len, bool long64, uint8_t *vector, size_t *length);

/* An into (not in 64-bit code, where it is invalid); *length gets its
 * length. It interrupts through vector 4 only when OF is set. */
bool x86_insn_is_into(const uint8_t *code, size_t len, bool long64, size_t *length);

/* An sti (after any prefixes); *length gets its length. */
bool x86_insn_is_sti(const uint8_t *code, size_t len, bool long64, size_t *length);

/* A load of SS from a register or the stack (mov ss, r16 / pop ss), after
 * which a CPU holds the single-step trap back until the next instruction
 * has run; *length gets its length. */
bool x86_insn_is_ss_load(const uint8_t *code, size_t len, bool long64, size_t *length);

/* The opcode byte after any prefixes, or -1 when the bytes end first. */
int x86_insn_opcode(const uint8_t *code, size_t len, bool long64);

/* Where that opcode byte is: the length of the prefixes (len when the
 * bytes end first). */
size_t x86_insn_opcode_offset(const uint8_t *code, size_t len, bool long64);

/* A jump to itself (`jmp $`, short or near, without prefixes): the guest
 * is parked there until an interrupt takes it away. code16: 16-bit code,
 * whose near jump has a 16-bit displacement. */
bool x86_insn_is_jump_to_self(const uint8_t *code, size_t len, bool code16);

/* A far jump, call or return, or an iret (in 64-bit code, no direct far
 * jump or call: those opcodes are invalid there). True also when the
 * bytes end before it can tell. */
bool x86_insn_is_far_transfer(const uint8_t *code, size_t len, bool long64);

/* An instruction of 16- or 32-bit code that may load CS: a far jump, call
 * or return, an iret or a software interrupt. True also when the bytes
 * end before it can tell. */
bool x86_insn_may_load_cs(const uint8_t *code, size_t len);

#endif
