#include "x86/selector_fault.h"

#define OPCODE_MOV_SREG 0x8e
#define OPCODE_JMP_FAR 0xea
#define OPCODE_CALL_FAR 0x9a
#define PREFIX_OPERAND 0x66
#define SELECTOR_RPL 0x3u

static bool is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
		return true;
	default:
		return false;
	}
}

static uint32_t code_of(uint16_t selector)
{
	return selector & ~SELECTOR_RPL;
}

uint32_t x86_selector_fault_code(const uint8_t *code, size_t len, const struct cpu_state *state, bool long64)
{
	size_t i = 0;
	bool operand_prefix = false;
	unsigned rex_b = 0;
	for (; i < len && is_legacy_prefix(code[i]); i++)
		operand_prefix |= code[i] == PREFIX_OPERAND;
	if (long64 && i < len && (code[i] & 0xf0) == 0x40)
		rex_b = code[i++] & 1u;
	if (i >= len)
		return 0;
	uint8_t op = code[i];
	if (op == OPCODE_MOV_SREG && i + 1 < len && (code[i + 1] >> 6) == 3) {
		unsigned rm = (code[i + 1] & 7u) | rex_b << 3;
		return code_of((uint16_t)state->gpr[rm]);
	}
	if ((op == OPCODE_JMP_FAR || op == OPCODE_CALL_FAR) && !long64) {
		size_t offset_size = (state->seg[SEG_CS].db != 0) != operand_prefix ? 4 : 2;
		size_t at = i + 1 + offset_size;
		if (at + 2 <= len)
			return code_of((uint16_t)(code[at] | code[at + 1] << 8));
	}
	return 0;
}
