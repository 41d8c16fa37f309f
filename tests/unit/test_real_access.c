#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "x86/real_access.h"
#include "testutil.h"

/* Registers the rows start from: ordinary offsets, none near the end. */
static void base_regs(uint32_t gpr[GPR_R8])
{
	for (int i = 0; i < GPR_R8; i++)
		gpr[i] = 0x100;
	gpr[GPR_ESP] = 0x8000;
}

struct fault_row {
	const char *bytes;
	const char *what;
	int reg;          /* set to value before the check */
	uint32_t value;
	enum real_limit_fault fault;
};

#define OK REAL_LIMIT_OK
#define GP REAL_LIMIT_GP
#define SS REAL_LIMIT_SS

static const struct fault_row fault_rows[] = {
	{ "8b07", "mov ax, [bx]", GPR_EBX, 0xfffe, OK },
	{ "8b07", "mov ax, [bx]", GPR_EBX, 0xffff, GP },
	{ "8a07", "mov al, [bx]", GPR_EBX, 0xffff, OK },
	{ "668b07", "mov eax, [bx]", GPR_EBX, 0xfffc, OK },
	{ "668b07", "mov eax, [bx]", GPR_EBX, 0xfffd, GP },
	{ "8b4601", "mov ax, [bp + 1]", GPR_EBP, 0xfffe, SS },
	{ "3e8b4600", "mov ax, [ds:bp]", GPR_EBP, 0xffff, GP },
	{ "2e8b07", "mov ax, [cs:bx]", GPR_EBX, 0xffff, GP },
	{ "368b07", "mov ax, [ss:bx]", GPR_EBX, 0xffff, SS },
	{ "268b07", "mov ax, [es:bx]", GPR_EBX, 0xffff, GP },
	{ "8b00", "mov ax, [bx + si]: 16-bit sums wrap", GPR_EBX, 0xff00, OK },
	{ "8b40ff", "mov ax, [bx + si - 1]", GPR_ESI, 0xff00, GP },
	{ "678b03", "mov ax, [ebx]", GPR_EBX, 0xfffe, OK },
	{ "678b03", "mov ax, [ebx]", GPR_EBX, 0x10000, GP },
	{ "678b0473", "mov ax, [ebx + esi * 2]", GPR_ESI, 0x7fff, GP },
	{ "678b45fe", "mov ax, [ebp - 2]", GPR_EBP, 0x10001, SS },
	{ "8d07", "lea ax, [bx]: no access", GPR_EBX, 0xffff, OK },
	{ "a1ffff", "mov ax, [0xffff]", GPR_EAX, 0, GP },
	{ "a0ffff", "mov al, [0xffff]", GPR_EAX, 0, OK },
	{ "c707ffff", "mov word [bx], 0xffff", GPR_EBX, 0xffff, GP },
	{ "ff37", "push word [bx]", GPR_EBX, 0xffff, GP },
	{ "50", "push ax", GPR_ESP, 1, SS },
	{ "50", "push ax", GPR_ESP, 0, OK },
	{ "6650", "push eax", GPR_ESP, 2, SS },
	{ "58", "pop ax", GPR_ESP, 0xffff, SS },
	{ "58", "pop ax", GPR_ESP, 0xfffe, OK },
	{ "60", "pusha", GPR_ESP, 5, SS },
	{ "61", "popa", GPR_ESP, 0xfff1, SS },
	{ "61", "popa", GPR_ESP, 0xfff0, OK },
	{ "9c", "pushf", GPR_ESP, 1, SS },
	{ "e80000", "call near", GPR_ESP, 1, SS },
	{ "9a00000000", "call far", GPR_ESP, 3, SS },
	{ "c3", "ret", GPR_ESP, 0xffff, SS },
	{ "cb", "retf", GPR_ESP, 0xfffd, SS },
	{ "cf", "iret", GPR_ESP, 0xfffb, SS },
	{ "cf", "iret", GPR_ESP, 0xfffa, OK },
	{ "c9", "leave", GPR_EBP, 0xffff, SS },
	{ "c80400" "00", "enter 4, 0", GPR_ESP, 1, SS },
	{ "a5", "movsw", GPR_ESI, 0xffff, GP },
	{ "a5", "movsw", GPR_EDI, 0xffff, GP },
	{ "a4", "movsb", GPR_ESI, 0xffff, OK },
	{ "67a5", "movsw with esi", GPR_ESI, 0x10000, GP },
	{ "ab", "stosw", GPR_EDI, 0xffff, GP },
	{ "ad", "lodsw", GPR_ESI, 0xffff, GP },
	{ "af", "scasw", GPR_EDI, 0xffff, GP },
	{ "a7", "cmpsw", GPR_EDI, 0xffff, GP },
	{ "6d", "insw", GPR_EDI, 0xffff, GP },
	{ "6f", "outsw", GPR_ESI, 0xffff, GP },
	{ "f3a5", "rep movsw with cx 0 moves nothing", GPR_ECX, 0, OK },
	{ "67d7", "xlat with ebx", GPR_EBX, 0x10000, GP },
	{ "d7", "xlat: a byte, never beyond", GPR_EBX, 0xffff, OK },
	{ "c407", "les ax, [bx]: a far pointer", GPR_EBX, 0xfffc, OK },
	{ "c407", "les ax, [bx]: a far pointer", GPR_EBX, 0xfffd, GP },
	{ "0f0117", "lgdt [bx]: six bytes", GPR_EBX, 0xfffb, GP },
	{ "ff1f", "call far [bx]", GPR_EBX, 0xfffd, GP },
	{ "ff1f", "call far [bx]", GPR_ESP, 3, SS },
	{ "0fae07", "fxsave [bx]: 512 bytes", GPR_EBX, 0xfe01, GP },
	{ "cd21", "int 0x21: its frame is the deliverer's", GPR_ESP, 1, OK },
	{ "0f0b", "ud2", GPR_ESP, 1, OK },
	{ "90", "nop", GPR_ESP, 1, OK },
};

Test(real_access, each_row_faults_as_the_cpu_does)
{
	struct real_decoder *d = real_decoder_open();
	cr_assert_not_null(d);
	const uint32_t limits[SEG_COUNT] = { 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff };
	for (size_t i = 0; i < sizeof(fault_rows) / sizeof(fault_rows[0]); i++) {
		const struct fault_row *r = &fault_rows[i];
		uint8_t code[16];
		size_t len = tu_unhex(r->bytes, code);
		uint32_t gpr[GPR_R8];
		base_regs(gpr);
		gpr[r->reg] = r->value;
		struct real_access a;
		enum real_limit_fault got = REAL_LIMIT_OK;
		if (real_access_decode(d, code, len, &a))
			got = real_access_fault(&a, gpr, limits);
		cr_expect_eq(got, r->fault, "%s (%s) with reg %d = %#x: %d, expected %d", r->what, r->bytes, r->reg,
			     r->value, got, r->fault);
	}
	real_decoder_close(d);
}

Test(real_access, a_4_gib_limit_lets_a32_through)
{
	struct real_decoder *d = real_decoder_open();
	cr_assert_not_null(d);
	uint8_t code[16];
	size_t len = tu_unhex("678b03", code);
	struct real_access a;
	cr_assert(real_access_decode(d, code, len, &a));
	uint32_t gpr[GPR_R8];
	base_regs(gpr);
	gpr[GPR_EBX] = 0x20000;
	uint32_t limits[SEG_COUNT] = { 0xffff, 0xffff, 0xffff, 0xffffffffu, 0xffff, 0xffff };
	cr_assert_eq(real_access_fault(&a, gpr, limits), REAL_LIMIT_OK);
	limits[SEG_DS] = 0xffff;
	cr_assert_eq(real_access_fault(&a, gpr, limits), REAL_LIMIT_GP);
	real_decoder_close(d);
}

Test(real_access, frame_fits_unless_a_word_straddles_the_end)
{
	cr_assert(real_frame_fits(0, 3, 0xffff));
	cr_assert(real_frame_fits(6, 3, 0xffff));
	cr_assert_not(real_frame_fits(1, 3, 0xffff));
	cr_assert_not(real_frame_fits(3, 3, 0xffff));
	cr_assert_not(real_frame_fits(5, 3, 0xffff));
	cr_assert(real_frame_fits(7, 3, 0xffff));
}

/* Bytes of one instruction, and what the cache is expected to answer
 * for them (the question is each table's test). */
struct bytes_row {
	const char *bytes;
	const char *what;
	bool expected;
};

/* Asks a fresh cache `answer` for each row, the instruction at an address
 * of its own; says `yes` or `no` of each that differs from its row. */
static void expect_rows(const struct bytes_row *rows, size_t n,
			bool (*answer)(struct real_access_cache *c, uint64_t at, const uint8_t *code, size_t len),
			const char *yes, const char *no)
{
	struct real_access_cache *c = calloc(1, sizeof(*c));
	cr_assert_not_null(c);
	for (size_t i = 0; i < n; i++) {
		uint8_t code[16];
		size_t len = tu_unhex(rows[i].bytes, code);
		bool got = answer(c, 0x1000 + 0x20 * i, code, len);
		cr_expect_eq(got, rows[i].expected, "%s (%s): %s", rows[i].what, rows[i].bytes, got ? yes : no);
	}
	real_access_cache_free(c);
}

/* The cache's shortcut past Capstone must not skip anything that touches
 * memory: ff /2 and /6 (call, push) and 8f /0 (pop) push or pop even with
 * a register operand. */
static const struct bytes_row filter_rows[] = {
	{ "40", "inc ax", false },
	{ "b8ffff", "mov ax, 0xffff", false },
	{ "01c3", "add bx, ax", false },
	{ "3c05", "cmp al, 5", false },
	{ "e6e9", "out 0xe9, al", false },
	{ "75fe", "jnz", false },
	{ "f4", "hlt", false },
	{ "0107", "add [bx], ax", true },
	{ "ffd3", "call bx", true },
	{ "fff3", "push bx", true },
	{ "8fc0", "pop ax (8f /0)", true },
	{ "50", "push ax", true },
	{ "a5", "movsw", true },
	{ "6601c3", "add ebx, eax: a prefix goes to Capstone", false },
	{ "268b07", "mov ax, [es:bx]", true },
};

/* The cache hands back accesses to check. */
static bool is_checked(struct real_access_cache *c, uint64_t at, const uint8_t *code, size_t len)
{
	return real_access_lookup(c, at, code, len) != NULL;
}

Test(real_access, the_cache_skips_only_what_touches_no_memory)
{
	expect_rows(filter_rows, sizeof(filter_rows) / sizeof(filter_rows[0]), is_checked, "checked", "not checked");
}

/* The cache answers from the bytes at the address now, not from what was
 * there when it first decoded. */
Test(real_access, the_cache_sees_code_change)
{
	struct real_access_cache *c = calloc(1, sizeof(*c));
	cr_assert_not_null(c);
	uint8_t code[4];
	size_t len = tu_unhex("8b07", code);
	const struct real_access *a = real_access_lookup(c, 0x1000, code, len);
	cr_assert_not_null(a);
	cr_assert_eq(a->count, 1);
	cr_assert_eq(real_access_lookup(c, 0x1000, code, len), a, "a second lookup decodes again");
	len = tu_unhex("89c0", code);  /* mov ax, ax */
	cr_assert_null(real_access_lookup(c, 0x1000, code, len));
	len = tu_unhex("8b07", code);
	cr_assert_not_null(real_access_lookup(c, 0x1000, code, len));
	real_access_cache_free(c);
}

static const struct bytes_row loads_cs_rows[] = {
	{ "ea00000002", "jmp 0x0200:0", true },
	{ "66ea000000000200", "o32 jmp far", true },
	{ "9a00000002", "call 0x0200:0", true },
	{ "ff2f", "jmp far [bx]", true },
	{ "ff1f", "call far [bx]", true },
	{ "2eff2f", "jmp far [cs:bx]", true },
	{ "cb", "retf", true },
	{ "ca0200", "retf 2", true },
	{ "cf", "iret", true },
	{ "cd30", "int 0x30", true },
	{ "cc", "int3", true },
	{ "6649", "dec ecx", false },
	{ "75fc", "jnz", false },
	{ "ff27", "jmp [bx] (near)", false },
	{ "ff17", "call [bx] (near)", false },
	{ "c3", "ret (near)", false },
	{ "8ed8", "mov ds, ax", false },
};

static bool loads_cs(struct real_access_cache *c, uint64_t at, const uint8_t *code, size_t len)
{
	const struct real_access_slot *s = real_access_slot_lookup(c, at, code, len);
	cr_assert_not_null(s);
	return s->loads_cs;
}

/* What the emu backend rereads CS after (README, Parity). */
Test(real_access, the_cache_knows_what_may_load_cs)
{
	expect_rows(loads_cs_rows, sizeof(loads_cs_rows) / sizeof(loads_cs_rows[0]), loads_cs, "loads cs",
		    "does not load cs");
}
