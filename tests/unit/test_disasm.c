#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "x86/disasm.h"
#include "testutil.h"

struct disasm_row {
	const char *bytes; /* hex pairs */
	int bits;
	const char *text;  /* "" when the bytes are no instruction */
	size_t size;
};

static const struct disasm_row rows[] = {
	{"d9fe", 16, "fsin", 2},
	{"0fa2", 16, "cpuid", 2},
	{"b80100", 16, "mov ax, 1", 3},
	{"f30fb8c3", 32, "popcnt eax, ebx", 4},
	{"0f05", 64, "syscall", 2},
	{"f4", 16, "hlt", 1},
	{"0f0b", 32, "ud2", 2},
	{"0f", 16, "", 0},          /* cut short */
	{"", 16, "", 0},            /* nothing to read */
};

Test(disasm, names_the_instruction_or_nothing)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t code[16];
		size_t len = tu_unhex(rows[i].bytes, code);
		char text[96] = "junk";
		size_t size = x86_disasm_one(code, len, 0x1000, rows[i].bits, text, sizeof(text));
		cr_expect_eq(size, rows[i].size, "%s/%d: size %zu", rows[i].bytes, rows[i].bits, size);
		cr_expect_str_eq(text, rows[i].text, "%s/%d", rows[i].bytes, rows[i].bits);
	}
}
