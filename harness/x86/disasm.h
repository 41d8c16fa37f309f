/* disasm: one x86 instruction in words, for messages that must say which
 * instruction a host could not run rather than only its bytes. */
#ifndef KVMCHECK_X86_DISASM_H
#define KVMCHECK_X86_DISASM_H

#include <stddef.h>
#include <stdint.h>

/* Writes the instruction at the start of code (len bytes readable), decoded
 * for bits 16, 32 or 64, as Intel syntax ("fsin", "popcnt ax, bx") to out.
 * Returns its length in bytes, or 0 when the bytes are no instruction
 * (out is then ""). */
size_t x86_disasm_one(const uint8_t *code, size_t len, uint64_t address, int bits, char *out, size_t out_len);

#endif
