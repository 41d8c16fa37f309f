#include "x86/insn.h"

#define OPCODE_HLT 0xf4
#define OPCODE_INT3 0xcc
#define OPCODE_INT 0xcd
#define PREFIX_REPNE 0xf2
#define PREFIX_REP 0xf3

static bool is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case PREFIX_REPNE: case PREFIX_REP:
		return true;
	default:
		return false;
	}
}

/* Walks the prefixes: the offset of the opcode, and whether a rep prefix
 * was among them. len when the bytes end first. */
static size_t opcode_offset(const uint8_t *code, size_t len, bool long64, bool *rep)
{
	size_t i = 0;
	*rep = false;
	while (i < len && is_legacy_prefix(code[i])) {
		*rep |= code[i] == PREFIX_REP || code[i] == PREFIX_REPNE;
		i++;
	}
	/* A REX prefix counts only right before the opcode. */
	if (long64 && i < len && (code[i] & 0xf0) == 0x40)
		i++;
	return i;
}

static bool is_string_opcode(uint8_t op)
{
	return (op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf) || (op >= 0x6c && op <= 0x6f);
}

bool x86_insn_is_rep_string(const uint8_t *code, size_t len, bool long64)
{
	bool rep;
	size_t at = opcode_offset(code, len, long64, &rep);
	return rep && at < len && is_string_opcode(code[at]);
}

/* An instruction that is its opcode byte alone, after any prefixes. */
static bool is_one_byte_insn(const uint8_t *code, size_t len, bool long64, uint8_t opcode, size_t *length)
{
	bool rep;
	size_t at = opcode_offset(code, len, long64, &rep);
	if (at >= len || code[at] != opcode)
		return false;
	*length = at + 1;
	return true;
}

bool x86_insn_is_hlt(const uint8_t *code, size_t len, bool long64, size_t *length)
{
	return is_one_byte_insn(code, len, long64, OPCODE_HLT, length);
}

bool x86_insn_is_int(const uint8_t *code, size_t len, bool long64, uint8_t *vector, size_t *length)
{
	bool rep;
	size_t at = opcode_offset(code, len, long64, &rep);
	if (at < len && code[at] == OPCODE_INT3) {
		*vector = 3;
		*length = at + 1;
		return true;
	}
	if (at + 1 < len && code[at] == OPCODE_INT) {
		*vector = code[at + 1];
		*length = at + 2;
		return true;
	}
	return false;
}

#define OPCODE_INTO 0xce

bool x86_insn_is_into(const uint8_t *code, size_t len, bool long64, size_t *length)
{
	return !long64 && is_one_byte_insn(code, len, long64, OPCODE_INTO, length);
}

#define OPCODE_STI 0xfb
#define OPCODE_POP_SS 0x17
#define OPCODE_MOV_SREG 0x8e
#define SREG_SS 2

bool x86_insn_is_sti(const uint8_t *code, size_t len, bool long64, size_t *length)
{
	return is_one_byte_insn(code, len, long64, OPCODE_STI, length);
}

bool x86_insn_is_ss_load(const uint8_t *code, size_t len, bool long64, size_t *length)
{
	bool rep;
	size_t at = opcode_offset(code, len, long64, &rep);
	if (at < len && code[at] == OPCODE_POP_SS && !long64) {
		*length = at + 1;
		return true;
	}
	/* Only the register form: its length needs no ModRM decoding. */
	if (at + 1 < len && code[at] == OPCODE_MOV_SREG && (code[at + 1] >> 6) == 3 &&
	    ((code[at + 1] >> 3) & 7) == SREG_SS) {
		*length = at + 2;
		return true;
	}
	return false;
}

int x86_insn_opcode(const uint8_t *code, size_t len, bool long64)
{
	bool rep;
	size_t at = opcode_offset(code, len, long64, &rep);
	return at < len ? code[at] : -1;
}

size_t x86_insn_opcode_offset(const uint8_t *code, size_t len, bool long64)
{
	bool rep;
	return opcode_offset(code, len, long64, &rep);
}

bool x86_insn_is_jump_to_self(const uint8_t *code, size_t len, bool code16)
{
	if (len >= 2 && code[0] == 0xeb && code[1] == 0xfe)
		return true;
	if (code16)
		return len >= 3 && code[0] == 0xe9 && code[1] == 0xfd && code[2] == 0xff;
	return len >= 5 && code[0] == 0xe9 && code[1] == 0xfb && code[2] == 0xff && code[3] == 0xff &&
	       code[4] == 0xff;
}

#define OPCODE_GROUP_5 0xff
#define GROUP_5_CALL_FAR 3
#define GROUP_5_JMP_FAR 5

/* A far transfer whose opcode is at `at` (see x86_insn_is_far_transfer);
 * true when the bytes end before it can tell. */
static bool is_far_transfer_at(const uint8_t *code, size_t len, size_t at, bool long64)
{
	if (at >= len)
		return true;
	switch (code[at]) {
	case 0x9a: case 0xea:             /* call far, jmp far: not in 64-bit code */
		return !long64;
	case 0xca: case 0xcb: case 0xcf:  /* retf, iret */
		return true;
	case OPCODE_GROUP_5:
		if (at + 1 >= len)
			return true;
		return ((code[at + 1] >> 3) & 7) == GROUP_5_CALL_FAR || ((code[at + 1] >> 3) & 7) == GROUP_5_JMP_FAR;
	default:
		return false;
	}
}

bool x86_insn_is_far_transfer(const uint8_t *code, size_t len, bool long64)
{
	bool rep;
	return is_far_transfer_at(code, len, opcode_offset(code, len, long64, &rep), long64);
}

bool x86_insn_may_load_cs(const uint8_t *code, size_t len)
{
	bool rep;
	size_t at = opcode_offset(code, len, false, &rep);
	if (at < len && (code[at] == OPCODE_INT3 || code[at] == OPCODE_INT || code[at] == OPCODE_INTO || code[at] == 0xf1))
		return true;
	return is_far_transfer_at(code, len, at, false);
}
