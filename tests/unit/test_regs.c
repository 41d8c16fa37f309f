/* Unit tests for regs.c: register names, the views they give of the CPU
 * state, and their widths. */
#include <criterion/criterion.h>
#include <string.h>

#include "x86/regs.h"

static struct reg_ref ref_of(const char *name)
{
	struct reg_ref ref;
	cr_assert(reg_lookup(name, &ref), "'%s' should be a register", name);
	return ref;
}

Test(regs_view, reset_state_is_zero_with_reserved_flag_bit)
{
	struct cpu_state s;
	memset(&s, 0xa5, sizeof(s));
	cpu_state_reset(&s);
	for (int i = 0; i < GPR_COUNT; i++)
		cr_assert_eq(s.gpr[i], 0u, "gpr %d", i);
	for (int i = 0; i < SEG_COUNT; i++) {
		cr_assert_eq(s.seg[i].selector, 0u, "seg %d", i);
		cr_assert_eq(s.seg[i].base, 0u, "seg %d", i);
		cr_assert_eq(s.seg[i].limit, 0xffffu, "seg %d", i);
		cr_assert(s.seg[i].present && s.seg[i].s, "seg %d is a usable code or data segment", i);
	}
	cr_assert_eq(s.seg[SEG_CS].type, SEG_TYPE_CODE_RX_ACCESSED);
	cr_assert_eq(s.seg[SEG_DS].type, SEG_TYPE_DATA_RW_ACCESSED);
	cr_assert_eq(s.rip, 0u);
	cr_assert_eq(s.rflags, 0x2u);
	cr_assert_eq(s.cr0, 0x60000010u, "CD | NW | ET, as a CPU resets");
	cr_assert_eq(s.cr3 | s.cr4 | s.efer, 0u);
	cr_assert_eq(s.gdt.limit, 0xffffu);
	cr_assert_eq(s.idt.limit, 0xffffu);
	cr_assert_eq(s.tr.type, SEG_TYPE_TSS_BUSY);
}

Test(regs_view, every_name_maps_to_its_register_part)
{
	static const struct {
		const char *name;
		int kind, index, shift, width;
	} table[] = {
		{ "al", REG_GPR, GPR_EAX, 0, 8 },    { "ah", REG_GPR, GPR_EAX, 8, 8 },
		{ "cl", REG_GPR, GPR_ECX, 0, 8 },    { "ch", REG_GPR, GPR_ECX, 8, 8 },
		{ "dl", REG_GPR, GPR_EDX, 0, 8 },    { "dh", REG_GPR, GPR_EDX, 8, 8 },
		{ "bl", REG_GPR, GPR_EBX, 0, 8 },    { "bh", REG_GPR, GPR_EBX, 8, 8 },
		{ "ax", REG_GPR, GPR_EAX, 0, 16 },   { "cx", REG_GPR, GPR_ECX, 0, 16 },
		{ "dx", REG_GPR, GPR_EDX, 0, 16 },   { "bx", REG_GPR, GPR_EBX, 0, 16 },
		{ "sp", REG_GPR, GPR_ESP, 0, 16 },   { "bp", REG_GPR, GPR_EBP, 0, 16 },
		{ "si", REG_GPR, GPR_ESI, 0, 16 },   { "di", REG_GPR, GPR_EDI, 0, 16 },
		{ "eax", REG_GPR, GPR_EAX, 0, 32 },  { "ecx", REG_GPR, GPR_ECX, 0, 32 },
		{ "edx", REG_GPR, GPR_EDX, 0, 32 },  { "ebx", REG_GPR, GPR_EBX, 0, 32 },
		{ "esp", REG_GPR, GPR_ESP, 0, 32 },  { "ebp", REG_GPR, GPR_EBP, 0, 32 },
		{ "esi", REG_GPR, GPR_ESI, 0, 32 },  { "edi", REG_GPR, GPR_EDI, 0, 32 },
		{ "ip", REG_EIP, 0, 0, 16 },         { "eip", REG_EIP, 0, 0, 32 },
		{ "flags", REG_EFLAGS, 0, 0, 16 },   { "eflags", REG_EFLAGS, 0, 0, 32 },
		{ "es", REG_SEG, SEG_ES, 0, 16 },    { "cs", REG_SEG, SEG_CS, 0, 16 },
		{ "ss", REG_SEG, SEG_SS, 0, 16 },    { "ds", REG_SEG, SEG_DS, 0, 16 },
		{ "fs", REG_SEG, SEG_FS, 0, 16 },    { "gs", REG_SEG, SEG_GS, 0, 16 },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct reg_ref r = ref_of(table[i].name);
		cr_assert_eq((int)r.kind, table[i].kind, "%s kind", table[i].name);
		cr_assert_eq(r.index, table[i].index, "%s index", table[i].name);
		cr_assert_eq(r.shift, table[i].shift, "%s shift", table[i].name);
		cr_assert_eq(r.width, table[i].width, "%s width", table[i].name);
	}
}

Test(regs_view, lookup_ignores_case)
{
	struct reg_ref lower = ref_of("eax"), upper = ref_of("EAX"), mixed = ref_of("eAx");
	cr_assert_eq(upper.kind, lower.kind);
	cr_assert_eq(upper.index, lower.index);
	cr_assert_eq(upper.width, 32);
	cr_assert_eq(mixed.width, 32);
	struct reg_ref ah = ref_of("AH");
	cr_assert_eq(ah.shift, 8);
	cr_assert_eq(ref_of("Eip").kind, REG_EIP);
	cr_assert_eq(ref_of("DS").index, SEG_DS);
}

Test(regs_view, unknown_names_are_refused)
{
	static const char *const bad[] = { "", "a", "axx", "r16", "r8x", "xmm0", "al ", " al", "e", "eipx", "cr1", "cr2", "msr" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct reg_ref ref = { .width = -1 };
		cr_assert_not(reg_lookup(bad[i], &ref), "'%s' should not be a register", bad[i]);
	}
}

Test(regs_view, byte_word_and_dword_views_share_one_register)
{
	struct cpu_state s;
	cpu_state_reset(&s);
	reg_set(&s, ref_of("eax"), 0x11223344);
	cr_assert_eq(reg_get(&s, ref_of("al")), 0x44u);
	cr_assert_eq(reg_get(&s, ref_of("ah")), 0x33u);
	cr_assert_eq(reg_get(&s, ref_of("ax")), 0x3344u);
	cr_assert_eq(reg_get(&s, ref_of("eax")), 0x11223344u);

	reg_set(&s, ref_of("ah"), 0xab);
	cr_assert_eq(s.gpr[GPR_EAX], 0x1122ab44u, "ah leaves the other bits alone");
	reg_set(&s, ref_of("al"), 0xcd);
	cr_assert_eq(s.gpr[GPR_EAX], 0x1122abcdu);
	reg_set(&s, ref_of("ax"), 0x5566);
	cr_assert_eq(s.gpr[GPR_EAX], 0x11225566u, "ax leaves the top half alone");
	for (int i = 1; i < GPR_COUNT; i++)
		cr_assert_eq(s.gpr[i], 0u, "no other register touched (%d)", i);
}

Test(regs_view, set_truncates_to_the_register_width)
{
	struct cpu_state s;
	cpu_state_reset(&s);
	reg_set(&s, ref_of("bl"), 0x1ff);
	cr_assert_eq(s.gpr[GPR_EBX], 0xffu, "bl must not spill into bh");
	reg_set(&s, ref_of("bh"), 0x1ee);
	cr_assert_eq(s.gpr[GPR_EBX], 0xeeffu, "bh must not spill into bits 16..");
	reg_set(&s, ref_of("cx"), 0x12345678);
	cr_assert_eq(s.gpr[GPR_ECX], 0x5678u);
	reg_set(&s, ref_of("ds"), 0x12345);
	cr_assert_eq(s.seg[SEG_DS].selector, 0x2345u);
}

Test(regs_view, ip_flags_and_segments)
{
	struct cpu_state s;
	cpu_state_reset(&s);
	reg_set(&s, ref_of("eip"), 0x12345678);
	cr_assert_eq(reg_get(&s, ref_of("ip")), 0x5678u);
	reg_set(&s, ref_of("ip"), 0x7c00);
	cr_assert_eq(s.rip, 0x12347c00u);
	cr_assert_eq(reg_get(&s, ref_of("flags")), 0x2u);
	reg_set(&s, ref_of("eflags"), 0x00240046);
	cr_assert_eq(reg_get(&s, ref_of("flags")), 0x0046u);
	cr_assert_eq(reg_get(&s, ref_of("eflags")), 0x00240046u);
	reg_set(&s, ref_of("cs"), 0xf000);
	reg_set(&s, ref_of("gs"), 0x1234);
	cr_assert_eq(s.seg[SEG_CS].selector, 0xf000);
	cr_assert_eq(s.seg[SEG_GS].selector, 0x1234);
	cr_assert_eq(reg_get(&s, ref_of("cs")), 0xf000u);
	cr_assert_eq(s.seg[SEG_ES].selector | s.seg[SEG_SS].selector | s.seg[SEG_DS].selector |
		     s.seg[SEG_FS].selector, 0);
}

Test(regs_view, a_real_mode_segment_base_follows_its_selector)
{
	struct cpu_state s;
	cpu_state_reset(&s);
	reg_set(&s, ref_of("ds"), 0x1234);
	cr_assert_eq(s.seg[SEG_DS].base, 0x12340u);
	cr_assert_eq(s.seg[SEG_DS].limit, 0xffffu, "the limit stays");
	s.cr0 |= CR0_PE;
	reg_set(&s, ref_of("ds"), 0x10);
	cr_assert_eq(s.seg[SEG_DS].selector, 0x10u);
	cr_assert_eq(s.seg[SEG_DS].base, 0x12340u, "outside real mode a selector does not give a base");
}

Test(regs_view, sixty_four_bit_registers_keep_their_upper_half)
{
	struct cpu_state s;
	cpu_state_reset(&s);
	s.gpr[GPR_EAX] = 0x1122334455667788ull;
	cr_assert_eq(reg_get(&s, ref_of("eax")), 0x55667788u);
	reg_set(&s, ref_of("ax"), 0xabcd);
	cr_assert_eq(s.gpr[GPR_EAX], 0x112233445566abcdull);
	reg_set(&s, ref_of("eax"), 0x01020304);
	cr_assert_eq(s.gpr[GPR_EAX], 0x1122334401020304ull);
}

Test(regs_view, reg_max_follows_width)
{
	cr_assert_eq(reg_max(ref_of("al")), 0xffu);
	cr_assert_eq(reg_max(ref_of("dh")), 0xffu);
	cr_assert_eq(reg_max(ref_of("si")), 0xffffu);
	cr_assert_eq(reg_max(ref_of("ip")), 0xffffu);
	cr_assert_eq(reg_max(ref_of("flags")), 0xffffu);
	cr_assert_eq(reg_max(ref_of("ss")), 0xffffu);
	cr_assert_eq(reg_max(ref_of("edi")), 0xffffffffu);
	cr_assert_eq(reg_max(ref_of("eflags")), 0xffffffffu);
}

Test(regs_view, help_lists_the_names)
{
	const char *help = reg_names_help();
	cr_assert_not_null(help);
	cr_assert_not_null(strstr(help, "eflags"));
	cr_assert_not_null(strstr(help, "eax"));
}

Test(regs_view, sixty_four_bit_names_and_control_registers)
{
	static const struct { const char *name; int kind, index, width; } table[] = {
		{ "rax", REG_GPR, GPR_EAX, 64 }, { "rdi", REG_GPR, GPR_EDI, 64 }, { "r8", REG_GPR, GPR_R8, 64 },
		{ "R15", REG_GPR, GPR_R15, 64 }, { "rip", REG_EIP, 0, 64 },       { "rflags", REG_EFLAGS, 0, 64 },
		{ "cr0", REG_CR0, 0, 64 },       { "cr3", REG_CR3, 0, 64 },       { "cr4", REG_CR4, 0, 64 },
		{ "efer", REG_EFER, 0, 64 },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct reg_ref r = ref_of(table[i].name);
		cr_assert_eq((int)r.kind, table[i].kind, "%s kind", table[i].name);
		cr_assert_eq(r.index, table[i].index, "%s index", table[i].name);
		cr_assert_eq(r.width, table[i].width, "%s width", table[i].name);
	}
	cr_assert(reg_is_control(ref_of("efer")));
	cr_assert_not(reg_is_control(ref_of("rax")));
	cr_assert_eq(reg_max(ref_of("rax")), UINT64_MAX);
	cr_assert_eq(reg_max(ref_of("eax")), 0xffffffffu);
}

Test(regs_view, sixty_four_bit_views_share_the_register)
{
	struct cpu_state s;
	cpu_state_reset(&s);
	reg_set(&s, ref_of("rax"), 0x1122334455667788u);
	cr_assert_eq(reg_get(&s, ref_of("eax")), 0x55667788u);
	cr_assert_eq(reg_get(&s, ref_of("rax")), 0x1122334455667788u);
	reg_set(&s, ref_of("eax"), 0xaabbccdd);
	cr_assert_eq(s.gpr[GPR_EAX], 0x11223344aabbccddu, "a 32-bit set leaves the top half (the CPU's zeroing is the guest's)");
	s.cr0 = 0x80000011;
	s.efer = 0x500;
	cr_assert_eq(reg_get(&s, ref_of("cr0")), 0x80000011u);
	cr_assert_eq(reg_get(&s, ref_of("efer")), 0x500u);
}
