/* Unit tests of x86/protected_interrupt.c and x86/selector_fault.c, on a
 * cpu_state and RAM alone: the parts of IDT delivery no backend row
 * reaches on this machine (16-bit gates, IST, the LDT, conforming
 * handlers, paging, what is refused) and the byte-exact frames. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "x86/mode.h"
#include "x86/protected_interrupt.h"
#include "x86/selector_fault.h"

#define RAM (1u << 20)
#define IDT 0x3000u
#define STACK 0x8000u
#define HANDLER 0x5000u
#define RF (1u << 16)
#define IF (1u << 9)
#define TF (1u << 8)

static uint8_t *mem;
static struct cpu_state state;
static char why[160];

static void put(uint64_t at, uint64_t value, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		mem[at + i] = (uint8_t)(value >> (8 * i));
}

static uint64_t get(uint64_t at, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = bytes; i-- > 0;)
		v = v << 8 | mem[at + i];
	return v;
}

static void gate32(uint8_t vector, uint16_t selector, uint32_t offset, uint8_t type_byte)
{
	uint64_t at = IDT + vector * 8u;
	put(at, offset & 0xffff, 2);
	put(at + 2, selector, 2);
	put(at + 4, (uint64_t)type_byte << 8, 2);
	put(at + 6, offset >> 16, 2);
}

static void gate64(uint8_t vector, uint64_t offset, uint8_t ist, uint8_t type_byte)
{
	uint64_t at = IDT + vector * 16u;
	put(at, offset & 0xffff, 2);
	put(at + 2, X86_SEL_CODE64, 2);
	put(at + 4, ist | (uint64_t)type_byte << 8, 2);
	put(at + 6, (offset >> 16) & 0xffff, 2);
	put(at + 8, offset >> 32, 4);
	put(at + 12, 0, 4);
}

/* A test's own .init runs after the suite's: the second replaces the first. */
static void in_mode(enum x86_mode mode)
{
	free(mem);
	mem = calloc(1, RAM);
	cr_assert_not_null(mem);
	cpu_state_reset(&state);
	char err[160];
	cr_assert_eq(x86_mode_setup(mode, mem, RAM, &state, err, sizeof(err)), 0, "%s", err);
	state.idt = (struct x86_table){ .base = IDT, .limit = 0x7ff };
	state.gpr[GPR_ESP] = STACK;
	state.rflags = 0x202;
	state.rip = 0x1234;
	why[0] = '\0';
}

static void protected_mode(void) { in_mode(X86_MODE_PROTECTED); }
static void long_mode(void) { in_mode(X86_MODE_LONG); }
static void release(void)
{
	free(mem);
	mem = NULL;
}

static enum x86_delivery deliver(uint8_t vector, bool software, uint32_t error_code)
{
	struct x86_event ev = { .vector = vector, .software = software, .error_code = error_code,
				.return_rip = software ? 0x1236 : 0x1234, .fault_rip = 0x1234 };
	return x86_protected_interrupt(&state, mem, RAM, &ev, why, sizeof(why));
}

TestSuite(protected_interrupt, .init = protected_mode, .fini = release);

Test(protected_interrupt, int_n_through_a_32_bit_interrupt_gate)
{
	gate32(0x21, X86_SEL_CODE32, HANDLER, 0x8e);
	cr_assert_eq(deliver(0x21, true, 0), X86_DELIVERED, "%s", why);
	cr_assert_eq(get(STACK - 12, 4), 0x1236, "eip past the int");
	cr_assert_eq(get(STACK - 8, 4), X86_SEL_CODE32);
	cr_assert_eq(get(STACK - 4, 4), 0x202, "no RF for a software interrupt");
	cr_assert_eq(state.gpr[GPR_ESP], STACK - 12);
	cr_assert_eq(state.rip, HANDLER);
	cr_assert_eq(state.seg[SEG_CS].selector, X86_SEL_CODE32);
	cr_assert_eq(state.rflags & IF, 0, "an interrupt gate clears IF");
}

Test(protected_interrupt, gp_pushes_its_error_code_and_rf_and_a_trap_gate_keeps_if)
{
	gate32(13, X86_SEL_CODE32, HANDLER, 0x8f);
	state.rflags |= TF;
	cr_assert_eq(deliver(13, false, 0x40), X86_DELIVERED, "%s", why);
	cr_assert_eq(get(STACK - 16, 4), 0x40);
	cr_assert_eq(get(STACK - 12, 4), 0x1234, "eip at the fault");
	cr_assert_eq(get(STACK - 4, 4), 0x202 | TF | RF);
	cr_assert_eq(state.rflags & (IF | TF | RF), IF, "TF and RF cleared, IF kept");
}

Test(protected_interrupt, software_int_of_an_exception_vector_pushes_no_error_code)
{
	gate32(13, X86_SEL_CODE32, HANDLER, 0x8e);
	cr_assert_eq(deliver(13, true, 0), X86_DELIVERED, "%s", why);
	cr_assert_eq(state.gpr[GPR_ESP], STACK - 12);
}

Test(protected_interrupt, sixteen_bit_gate_pushes_words)
{
	gate32(0x21, X86_SEL_CODE32, 0x12345, 0x86);
	cr_assert_eq(deliver(0x21, true, 0), X86_DELIVERED, "%s", why);
	cr_assert_eq(get(STACK - 6, 2), 0x1236);
	cr_assert_eq(get(STACK - 4, 2), X86_SEL_CODE32);
	cr_assert_eq(get(STACK - 2, 2), 0x202);
	cr_assert_eq(state.gpr[GPR_ESP], STACK - 6);
	cr_assert_eq(state.rip, 0x2345, "a 16-bit gate's offset is 16 bits");
}

Test(protected_interrupt, limit_then_double_fault_then_shutdown)
{
	gate32(13, X86_SEL_CODE32, HANDLER, 0x8e);
	state.idt.limit = 13 * 8 + 7;
	cr_assert_eq(deliver(0x50, true, 0), X86_DELIVERED, "%s", why);
	cr_assert_eq(get(STACK - 16, 4), 0x50 * 8 + 2, "#GP names the vector in the IDT, EXT clear");
	cr_assert_eq(get(STACK - 12, 4), 0x1234, "at the int");
	state.idt.limit = 7;
	state.gpr[GPR_ESP] = STACK;
	cr_assert_eq(deliver(6, false, 0), X86_SHUTDOWN);
}

Test(protected_interrupt, gate_not_present_is_np_and_a_double_fault_pushes_0)
{
	gate32(6, X86_SEL_CODE32, HANDLER, 0x0e);
	gate32(11, X86_SEL_CODE32, HANDLER, 0x8e);
	cr_assert_eq(deliver(6, false, 0), X86_DELIVERED, "%s", why);
	cr_assert_eq(get(STACK - 16, 4), 6 * 8 + 3, "#NP: IDT and EXT");
	gate32(11, X86_SEL_CODE32, HANDLER, 0x0e);
	gate32(8, X86_SEL_CODE32, HANDLER + 8, 0x8e);
	state.gpr[GPR_ESP] = STACK;
	cr_assert_eq(deliver(6, false, 0), X86_DELIVERED, "%s", why);
	cr_assert_eq(state.rip, HANDLER + 8, "#NP while delivering #NP: #DF");
	cr_assert_eq(get(STACK - 16, 4), 0);
}

/* CPL 3 code; int 0x30's gate has DPL 0: #GP naming it, to a conforming
 * handler (no stack switch). */
Test(protected_interrupt, software_int_below_the_gate_dpl_and_a_conforming_handler)
{
	const uint64_t gdt = 0x4000;
	put(gdt + 0x08, 0x00cf9e000000ffffull, 8);  /* conforming code, DPL 0 */
	put(gdt + 0x10, 0x00cff3000000ffffull, 8);  /* data, DPL 3 */
	state.gdt = (struct x86_table){ .base = gdt, .limit = 0x17 };
	state.seg[SEG_CS].selector = 0x0b;
	gate32(0x30, 0x08, HANDLER, 0x8e);
	gate32(13, 0x08, HANDLER + 8, 0x8e);
	cr_assert_eq(deliver(0x30, true, 0), X86_DELIVERED, "%s", why);
	cr_assert_eq(state.rip, HANDLER + 8);
	cr_assert_eq(get(STACK - 16, 4), 0x30 * 8 + 2);
	cr_assert_eq(state.seg[SEG_CS].selector, 0x0b, "a conforming segment keeps CPL 3");
	cr_assert_eq(state.seg[SEG_CS].type & 1, 1, "marked accessed");
	cr_assert_eq(mem[gdt + 0x08 + 5] & 1, 1, "in the GDT too");
}

Test(protected_interrupt, handler_in_the_ldt)
{
	const uint64_t ldt = 0x4000;
	put(ldt, 0x00cf9b000000ffffull, 8);
	state.ldtr = (struct x86_segment){ .base = ldt, .limit = 7, .present = 1, .type = SEG_TYPE_LDT };
	gate32(0x21, 0x04, HANDLER, 0x8e);
	cr_assert_eq(deliver(0x21, true, 0), X86_DELIVERED, "%s", why);
	cr_assert_eq(state.seg[SEG_CS].selector, 0x04);
}

Test(protected_interrupt, what_is_not_emulated_is_said_and_changes_nothing)
{
	struct cpu_state before;
	gate32(0x21, 0x28, 0, 0x85);
	before = state;
	cr_assert_eq(deliver(0x21, true, 0), X86_DELIVERY_NOT_EMULATED);
	cr_assert(strstr(why, "task gate") != NULL, "%s", why);
	cr_assert_arr_eq(&state, &before, sizeof(state));
	state.rflags |= 1u << 17; /* VM */
	gate32(0x21, X86_SEL_CODE32, HANDLER, 0x8e);
	cr_assert_eq(deliver(0x21, true, 0), X86_DELIVERY_NOT_EMULATED);
	cr_assert(strstr(why, "virtual-8086") != NULL, "%s", why);
}

/* ---- a handler more privileged than the interrupted code ---------------- */

#define USER_CODE 0x2b    /* GDT 0x28, RPL 3 */
#define USER_DATA 0x33    /* GDT 0x30, RPL 3 */
#define KERNEL_STACK 0x9000u

/* The interrupted code at level 3: the mode's GDT grown by a level-3
 * code segment (64-bit in long mode) and data segment, and the TSS
 * giving level 0 the stack KERNEL_STACK in SS 0x10. */
static void at_level_3(bool long_mode)
{
	uint64_t code = long_mode ? 0x00affb000000ffffull : 0x00cffb000000ffffull;
	put(state.gdt.base + 0x28, code, 8);
	put(state.gdt.base + 0x30, 0x00cff3000000ffffull, 8);
	state.gdt.limit = 0x37;
	state.seg[SEG_CS].selector = USER_CODE;
	state.seg[SEG_CS].dpl = 3;
	state.seg[SEG_SS].selector = USER_DATA;
	state.seg[SEG_SS].dpl = 3;
	if (long_mode) {
		put(state.tr.base + 4, KERNEL_STACK + 8, 8);  /* RSP0, aligned down on use */
	} else {
		put(state.tr.base + 4, KERNEL_STACK, 4);      /* ESP0 */
		put(state.tr.base + 8, X86_SEL_DATA, 2);      /* SS0 */
	}
}

Test(protected_interrupt, int_from_level_3_switches_to_the_tss_stack_of_level_0)
{
	at_level_3(false);
	gate32(0x80, X86_SEL_CODE32, HANDLER, 0xee);  /* interrupt gate, DPL 3 */
	cr_assert_eq(deliver(0x80, true, 0), X86_DELIVERED, "%s", why);
	cr_assert_eq(state.seg[SEG_CS].selector, X86_SEL_CODE32, "CPL 0");
	cr_assert_eq(state.seg[SEG_SS].selector, X86_SEL_DATA);
	cr_assert_eq(state.seg[SEG_SS].dpl, 0);
	cr_assert_eq(state.gpr[GPR_ESP], KERNEL_STACK - 20);
	cr_assert_eq(get(KERNEL_STACK - 20, 4), 0x1236, "eip past the int");
	cr_assert_eq(get(KERNEL_STACK - 16, 4), USER_CODE);
	cr_assert_eq(get(KERNEL_STACK - 12, 4), 0x202);
	cr_assert_eq(get(KERNEL_STACK - 8, 4), STACK, "the interrupted esp");
	cr_assert_eq(get(KERNEL_STACK - 4, 2), USER_DATA, "the interrupted ss");
	cr_assert_eq(get(STACK - 4, 4), 0, "nothing on the interrupted stack");
}

Test(protected_interrupt, fault_at_level_3_pushes_its_error_code_on_the_new_stack)
{
	at_level_3(false);
	gate32(13, X86_SEL_CODE32, HANDLER, 0x8e);
	cr_assert_eq(deliver(13, false, 0x18), X86_DELIVERED, "%s", why);
	cr_assert_eq(state.gpr[GPR_ESP], KERNEL_STACK - 24);
	cr_assert_eq(get(KERNEL_STACK - 24, 4), 0x18, "the error code");
	cr_assert_eq(get(KERNEL_STACK - 20, 4), 0x1234, "eip at the fault");
}

Test(protected_interrupt, a_16_bit_tss_gives_ss_sp)
{
	at_level_3(false);
	state.tr.type = 0x3;                           /* busy 16-bit TSS */
	put(state.tr.base + 2, KERNEL_STACK - 0x100, 2); /* SP0 */
	put(state.tr.base + 4, X86_SEL_DATA, 2);        /* SS0 */
	gate32(0x80, X86_SEL_CODE32, HANDLER, 0xee);
	cr_assert_eq(deliver(0x80, true, 0), X86_DELIVERED, "%s", why);
	cr_assert_eq(state.gpr[GPR_ESP], KERNEL_STACK - 0x100 - 20);
	cr_assert_eq(get(KERNEL_STACK - 0x100 - 8, 4), STACK, "the interrupted esp");
}

/* Each wrong level-0 stack raises #TS (or #SS when not present) naming the
 * selector. Delivered to level 0 through the same TSS, the fault's own
 * stack switch fails alike, a second contributory fault, so #DF, whose
 * delivery fails again: a triple fault. To a conforming handler, which
 * runs at level 3 on the interrupted stack, the first fault arrives. */
Test(protected_interrupt, a_wrong_level_0_stack_raises_ts_or_ss_with_its_selector)
{
	static const struct { uint16_t ss0; uint64_t descriptor; uint8_t vector; uint32_t error; } rows[] = {
		{ 0x0000, 0, X86_VECTOR_TS, 0 },                                        /* null */
		{ 0x0013, 0, X86_VECTOR_TS, 0x10 },                                     /* RPL 3 */
		{ 0x0048, 0, X86_VECTOR_TS, 0x48 },                                     /* beyond the GDT */
		{ 0x0028, 0, X86_VECTOR_TS, 0x28 },                                     /* code */
		{ 0x0038, 0x00cf91000000ffffull, X86_VECTOR_TS, 0x38 },                 /* read-only */
		{ 0x0038, 0x00cff3000000ffffull, X86_VECTOR_TS, 0x38 },                 /* DPL 3 */
		{ 0x0038, 0x00cf13000000ffffull, X86_VECTOR_SS, 0x38 },                 /* not present */
	};
	for (int conforming_handler = 0; conforming_handler < 2; conforming_handler++) {
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			protected_mode();
			at_level_3(false);
			put(state.gdt.base + 0x38, rows[i].descriptor, 8);
			put(state.gdt.base + 0x40, 0x00cfff000000ffffull, 8);  /* conforming code, DPL 3 */
			state.gdt.limit = 0x47;
			put(state.tr.base + 8, rows[i].ss0, 2);
			gate32(0x80, X86_SEL_CODE32, HANDLER, 0xee);
			gate32(rows[i].vector, conforming_handler ? 0x40 : X86_SEL_CODE32, HANDLER + 0x100, 0x8e);
			gate32(X86_VECTOR_DF, X86_SEL_CODE32, HANDLER + 0x200, 0x8e);
			if (!conforming_handler) {
				cr_assert_eq(deliver(0x80, true, 0), X86_SHUTDOWN, "row %zu: %s", i, why);
				continue;
			}
			cr_assert_eq(deliver(0x80, true, 0), X86_DELIVERED, "row %zu: %s", i, why);
			cr_assert_eq(state.rip, HANDLER + 0x100, "row %zu: the fault's handler", i);
			cr_assert_eq(state.gpr[GPR_ESP], STACK - 16, "row %zu: on the interrupted stack", i);
			cr_assert_eq(get(STACK - 16, 4), rows[i].error, "row %zu: error code", i);
			cr_assert_eq(get(STACK - 12, 4), 0x1234, "row %zu: at the int", i);
		}
	}
}

Test(protected_interrupt, long_mode_int_from_level_3_takes_rsp0_and_a_null_ss, .init = long_mode)
{
	at_level_3(true);
	gate64(0x40, HANDLER, 0, 0xee);  /* IDTR's limit here reaches vector 0x7f */
	cr_assert_eq(deliver(0x40, true, 0), X86_DELIVERED, "%s", why);
	cr_assert_eq(state.seg[SEG_CS].selector, X86_SEL_CODE64);
	cr_assert_eq(state.seg[SEG_SS].selector, 0, "a null SS, RPL the new level");
	cr_assert_eq(state.gpr[GPR_ESP], KERNEL_STACK - 40, "RSP0 aligned down, five slots");
	cr_assert_eq(get(KERNEL_STACK - 40, 8), 0x1236);
	cr_assert_eq(get(KERNEL_STACK - 32, 8), USER_CODE);
	cr_assert_eq(get(KERNEL_STACK - 16, 8), STACK, "the interrupted rsp");
	cr_assert_eq(get(KERNEL_STACK - 8, 8), USER_DATA, "the interrupted ss");
}

Test(protected_interrupt, long_mode_ist_wins_over_rsp0, .init = long_mode)
{
	at_level_3(true);
	gate64(0x40, HANDLER, 1, 0xee);
	put(state.tr.base + 0x24, 0xa000, 8);  /* IST1 */
	cr_assert_eq(deliver(0x40, true, 0), X86_DELIVERED, "%s", why);
	cr_assert_eq(state.gpr[GPR_ESP], 0xa000 - 40);
	cr_assert_eq(state.seg[SEG_SS].selector, 0);
}

Test(protected_interrupt, stack_outside_ram_is_said)
{
	gate32(0x21, X86_SEL_CODE32, HANDLER, 0x8e);
	state.gpr[GPR_ESP] = RAM + 0x100;
	cr_assert_eq(deliver(0x21, true, 0), X86_DELIVERY_OUTSIDE_RAM);
	cr_assert(strstr(why, "stack frame") != NULL, "%s", why);
}

/* 32-bit paging: the stack through a 4 MiB page at 4 MiB, and a gate in
 * a page not present (0x6000) raising #PF with CR2. */
Test(protected_interrupt, paging_is_followed_and_a_page_not_present_is_a_page_fault)
{
	const uint64_t pd = 0x10000, pt = 0x11000;
	put(pd, pt | 3, 4);                         /* 0..4 MiB: a page table */
	put(pd + 4, 0x00000083, 4);                 /* 4..8 MiB: a 4 MiB page onto 0 */
	for (uint32_t i = 0; i < 256; i++)
		put(pt + i * 4, (i * 0x1000) | (i == 6 ? 0 : 3), 4);
	state.cr3 = pd;
	state.cr4 |= 1u << 4;                       /* PSE */
	state.cr0 |= CR0_PG;
	state.idt.base = 0x5f00;                    /* #PF's gate in page 5, 0x21's in page 6 */
	state.gpr[GPR_ESP] = 0x400000 + STACK;      /* physical STACK */
	put(0x5f00 + 14 * 8, HANDLER & 0xffff, 2);
	put(0x5f00 + 14 * 8 + 2, X86_SEL_CODE32, 2);
	put(0x5f00 + 14 * 8 + 4, 0x8e00, 2);
	cr_assert_eq(deliver(0x21, true, 0), X86_DELIVERED, "%s", why);
	cr_assert_eq(state.rip, HANDLER, "#PF's handler");
	cr_assert_eq(state.cr2, 0x5f00 + 0x21 * 8, "the gate's linear address");
	cr_assert_eq(state.gpr[GPR_ESP], 0x400000 + STACK - 16);
	cr_assert_eq(get(STACK - 16, 4), 0, "a read of a page not present");
	cr_assert_eq(get(STACK - 12, 4), 0x1234, "at the int");
}

Test(protected_interrupt, long_mode_frame_is_aligned_and_pushes_ss_rsp, .init = long_mode)
{
	gate64(6, 0x123456789aull, 0, 0x8e);
	state.gpr[GPR_ESP] = STACK - 8;
	cr_assert_eq(deliver(6, false, 0), X86_DELIVERED, "%s", why);
	cr_assert_eq(state.rip, 0x123456789aull);
	cr_assert_eq(state.gpr[GPR_ESP], STACK - 16 - 40);
	cr_assert_eq(get(STACK - 16 - 40, 8), 0x1234);
	cr_assert_eq(get(STACK - 16 - 32, 8), X86_SEL_CODE64);
	cr_assert_eq(get(STACK - 16 - 24, 8), 0x202 | RF);
	cr_assert_eq(get(STACK - 16 - 16, 8), STACK - 8, "the old rsp");
	cr_assert_eq(get(STACK - 16 - 8, 8), X86_SEL_DATA, "the old ss");
}

Test(protected_interrupt, long_mode_ist_stack, .init = long_mode)
{
	gate64(13, HANDLER, 2, 0x8e);
	put(state.tr.base + 0x24 + 8, 0x9008, 8);  /* IST2 */
	cr_assert_eq(deliver(13, false, 0x18), X86_DELIVERED, "%s", why);
	cr_assert_eq(state.gpr[GPR_ESP], 0x9000 - 48, "IST2 aligned down, six slots");
	cr_assert_eq(get(0x9000 - 48, 8), 0x18, "the error code");
	cr_assert_eq(get(0x9000 - 16, 8), STACK, "the interrupted rsp");
}

Test(protected_interrupt, long_mode_wants_a_64_bit_gate_and_handler, .init = long_mode)
{
	gate64(6, HANDLER, 0, 0x86);                 /* a 16-bit gate type */
	gate64(13, HANDLER + 8, 0, 0x8e);
	cr_assert_eq(deliver(6, false, 0), X86_DELIVERED, "%s", why);
	cr_assert_eq(state.rip, HANDLER + 8);
	cr_assert_eq(get(state.gpr[GPR_ESP], 8), 6 * 8 + 3);
}

Test(selector_fault, reads_the_selector_of_a_segment_load, .init = protected_mode, .fini = release)
{
	static const uint8_t mov_ds_ax[] = { 0x8e, 0xd8 };
	static const uint8_t mov_ss_r9[] = { 0x41, 0x8e, 0xd1 };
	static const uint8_t jmp_far[] = { 0xea, 0x00, 0x10, 0x00, 0x00, 0x2b, 0x00 };
	static const uint8_t mov_ds_mem[] = { 0x8e, 0x1d, 0, 0, 0, 0 };
	state.gpr[GPR_EAX] = 0x1243;
	state.gpr[GPR_R9] = 0x33;
	cr_assert_eq(x86_selector_fault_code(mov_ds_ax, sizeof(mov_ds_ax), &state, false), 0x1240);
	cr_assert_eq(x86_selector_fault_code(mov_ss_r9, sizeof(mov_ss_r9), &state, true), 0x30);
	cr_assert_eq(x86_selector_fault_code(jmp_far, sizeof(jmp_far), &state, false), 0x28);
	cr_assert_eq(x86_selector_fault_code(mov_ds_mem, sizeof(mov_ds_mem), &state, false), 0, "not understood");
	cr_assert_eq(x86_selector_fault_code(jmp_far, 3, &state, false), 0, "cut short");
}

/* Random tables and registers (a fixed seed): whatever they hold, the
 * delivery stays inside RAM (ASan watches) and ends in one of its four
 * answers, a state change only when delivered. */
static uint64_t next_random(uint64_t *seed)
{
	*seed ^= *seed << 13;
	*seed ^= *seed >> 7;
	*seed ^= *seed << 17;
	return *seed;
}

Test(protected_interrupt, random_tables_and_registers_end_in_an_answer)
{
	struct cpu_state modes[2];
	modes[0] = state;
	long_mode();
	modes[1] = state;
	uint64_t seed = 12;
	unsigned answers[X86_DELIVERY_OUTSIDE_RAM + 1] = { 0 };
	for (size_t i = 0; i < RAM; i += 8)
		put(i, next_random(&seed), 8);
	for (int round = 0; round < 20000; round++) {
		uint64_t r = next_random(&seed);
		state = modes[r & 1];
		state.idt = (struct x86_table){ .base = next_random(&seed) % (RAM + 0x1000), .limit = (uint16_t)r };
		state.gdt = (struct x86_table){ .base = next_random(&seed) % (RAM + 0x1000), .limit = (uint16_t)(r >> 16) };
		state.ldtr.base = next_random(&seed);
		state.ldtr.limit = (uint32_t)next_random(&seed);
		state.tr.base = next_random(&seed);
		state.gpr[GPR_ESP] = (r & 32) ? next_random(&seed) : next_random(&seed) % RAM;
		state.seg[SEG_SS].db = (r >> 32) & 1;
		state.seg[SEG_SS].base = (r & 4) ? next_random(&seed) : 0;
		state.seg[SEG_CS].selector = (uint16_t)next_random(&seed);
		state.cr3 = next_random(&seed) % (RAM + 0x2000);
		if (r & 8)
			state.cr0 ^= CR0_PG;
		if (r & 16)
			state.cr4 ^= CR4_PAE | (1u << 4);
		struct cpu_state before = state;
		enum x86_delivery d = deliver((uint8_t)(r >> 40), (r >> 48) & 1, (uint32_t)(r >> 20));
		cr_assert(d == X86_DELIVERED || d == X86_SHUTDOWN || d == X86_DELIVERY_NOT_EMULATED ||
			  d == X86_DELIVERY_OUTSIDE_RAM);
		if (d != X86_DELIVERED)
			cr_assert_arr_eq(&state, &before, sizeof(state), "round %d: answer %d changed the state", round, d);
		answers[d]++;
	}
	for (int d = 0; d <= X86_DELIVERY_OUTSIDE_RAM; d++)
		cr_assert_gt(answers[d], 0, "answer %d never given: delivered %u, shutdown %u, not emulated %u, outside %u",
			     d, answers[0], answers[1], answers[2], answers[3]);
}
