/* Unit tests of what kvm's instruction counting watches while it steps
 * (README "Metrics"): the faults an instruction may raise
 * (x86/insn_faults.c), where the guest's tables send them
 * (x86_real_mode_handler_entry, x86_protected_handler_entry), and whether
 * a software interrupt completed or faulted while delivered
 * (x86_protected_interrupt_escalating). */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "x86/insn_faults.h"
#include "x86/mode.h"
#include "x86/protected_interrupt.h"
#include "x86/real_interrupt.h"

#define RAM (1u << 20)
#define IDT 0x3000u
#define GDT 0x6000u

/* ---- the faults an instruction may raise ------------------------------ */

static const struct x86_fault_context real_mode = { 0 };
static const struct x86_fault_context flat32 = { .code32 = true };

static size_t vectors_of(const struct x86_fault_context *ctx, const uint8_t *code, size_t len, uint8_t *out)
{
	return x86_insn_fault_vectors(code, len, ctx, out, 4);
}

/* The first vector named for the bytes given. */
static uint8_t first_of(const struct x86_fault_context *ctx, const uint8_t *code, size_t len)
{
	uint8_t v[4];
	cr_assert_gt(vectors_of(ctx, code, len, v), 0);
	return v[0];
}

#define FIRST(ctx, ...) \
	first_of(ctx, (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

Test(insn_faults, an_ordinary_instruction_watches_gp_ud_de_and_ss)
{
	static const uint8_t mov_ax_bx_mem[] = { 0x8b, 0x07 };
	uint8_t v[4];
	cr_assert_eq(vectors_of(&real_mode, mov_ax_bx_mem, sizeof(mov_ax_bx_mem), v), 4);
	cr_assert_eq(v[0], X86_VECTOR_GP);
	cr_assert_eq(v[1], X86_VECTOR_UD);
	cr_assert_eq(v[2], X86_VECTOR_DE);
	cr_assert_eq(v[3], X86_VECTOR_SS);
}

Test(insn_faults, what_an_instruction_is_comes_first)
{
	cr_assert_eq(FIRST(&real_mode, 0xf6, 0xf3), X86_VECTOR_DE, "div bl");
	cr_assert_eq(FIRST(&real_mode, 0x62, 0x06, 0x18, 0x10), 5, "bound: #BR");
	cr_assert_eq(FIRST(&real_mode, 0x8b, 0x46, 0x0f), X86_VECTOR_SS, "mov ax, [bp+0xf]");
	cr_assert_eq(FIRST(&real_mode, 0x50), X86_VECTOR_SS, "push ax");
	cr_assert_eq(FIRST(&real_mode, 0xff, 0x36, 0x00, 0x20), X86_VECTOR_SS, "push word [0x2000]");
	cr_assert_eq(FIRST(&real_mode, 0x36, 0x8b, 0x07), X86_VECTOR_SS, "mov ax, [ss:bx]");
	cr_assert_eq(FIRST(&real_mode, 0x67, 0x8b, 0x45, 0x00), X86_VECTOR_SS, "mov ax, [ebp+0]");
	cr_assert_eq(FIRST(&flat32, 0x8b, 0x44, 0x24, 0x04), X86_VECTOR_SS, "mov eax, [esp+4]");
	cr_assert_eq(FIRST(&flat32, 0x8b, 0x45, 0x08), X86_VECTOR_SS, "mov eax, [ebp+8]");
}

Test(insn_faults, what_an_instruction_is_not_does_not_come_first)
{
	cr_assert_eq(FIRST(&real_mode, 0x3e, 0x8b, 0x46, 0x00), X86_VECTOR_GP, "mov ax, [ds:bp]");
	cr_assert_eq(FIRST(&real_mode, 0x8b, 0x06, 0x00, 0x20), X86_VECTOR_GP, "mov ax, [0x2000]: rm 6, mod 0");
	cr_assert_eq(FIRST(&flat32, 0x8b, 0x03), X86_VECTOR_GP, "mov eax, [ebx]");
	cr_assert_eq(FIRST(&flat32, 0x8b, 0x05, 0, 0, 0, 0), X86_VECTOR_GP, "mov eax, [disp32]");
	cr_assert_eq(FIRST(&real_mode, 0xf6, 0xe3), X86_VECTOR_GP, "mul bl raises no #DE");
	const struct x86_fault_context long64 = { .long64 = true, .code32 = true };
	cr_assert_eq(FIRST(&long64, 0x62, 0x06), X86_VECTOR_GP, "0x62 is no bound in 64-bit code");
}

Test(insn_faults, a_segment_load_in_protected_mode_watches_np_or_ss_first)
{
	const struct x86_fault_context pm32 = { .code32 = true, .protected_mode = true };
	const struct x86_fault_context pm64 = { .long64 = true, .code32 = true, .protected_mode = true };
	cr_assert_eq(FIRST(&pm32, 0x8e, 0xd8), X86_VECTOR_NP, "mov ds, ax");
	cr_assert_eq(FIRST(&pm32, 0x8e, 0xd0), X86_VECTOR_SS, "mov ss, ax: a stack segment not present is #SS");
	cr_assert_eq(FIRST(&pm32, 0x1f), X86_VECTOR_NP, "pop ds");
	cr_assert_eq(FIRST(&pm32, 0x0f, 0xa9), X86_VECTOR_NP, "pop gs");
	cr_assert_eq(FIRST(&pm32, 0xc5, 0x03), X86_VECTOR_NP, "lds eax, [ebx]");
	cr_assert_eq(FIRST(&pm32, 0x0f, 0xb2, 0x03), X86_VECTOR_SS, "lss eax, [ebx]");
	cr_assert_eq(FIRST(&pm32, 0xea, 0, 0, 0, 0, 0x08, 0), X86_VECTOR_NP, "jmp 0x08:0");
	cr_assert_eq(FIRST(&pm32, 0xff, 0x2b), X86_VECTOR_NP, "jmp far [ebx]");
	cr_assert_eq(FIRST(&pm32, 0xcf), X86_VECTOR_NP, "iret");
	cr_assert_eq(FIRST(&pm64, 0x48, 0xcf), X86_VECTOR_NP, "iretq");
	cr_assert_eq(FIRST(&real_mode, 0x8e, 0xd8), X86_VECTOR_GP, "mov ds, ax in real mode reads no descriptor");
	cr_assert_eq(FIRST(&pm64, 0xc5, 0xf9, 0x6f, 0xc1), X86_VECTOR_GP, "c5 is VEX in 64-bit code, not lds");
	cr_assert_eq(FIRST(&pm32, 0xff, 0x23), X86_VECTOR_GP, "jmp [ebx] is near");
}

Test(insn_faults, x87_raises_nm_only_while_the_fpu_is_unavailable)
{
	const struct x86_fault_context ts = { .fpu_unavailable = true };
	cr_assert_eq(FIRST(&ts, 0x9b), 7, "wait with CR0.TS: #NM");
	cr_assert_eq(FIRST(&ts, 0xd9, 0xe8), 7, "fld1 with CR0.TS: #NM");
	cr_assert_eq(FIRST(&real_mode, 0x9b), 16, "wait: #MF");
}

/* SSE: #NM while the FPU state is not the task's, #XM for arithmetic when
 * CR4.OSXMMEXCPT delivers unmasked exceptions; #AC for level 3 with
 * alignment checking on; #TS for a task's iret. */
Test(insn_faults, sse_alignment_and_task_faults_come_first_where_the_state_allows_them)
{
	const struct x86_fault_context xm = { .code32 = true, .protected_mode = true, .simd_exceptions = true };
	const struct x86_fault_context xm64 = { .long64 = true, .code32 = true, .protected_mode = true,
						.simd_exceptions = true };
	const struct x86_fault_context ts = { .code32 = true, .protected_mode = true, .fpu_unavailable = true };
	const struct x86_fault_context ac = { .code32 = true, .protected_mode = true, .alignment_checked = true };
	const struct x86_fault_context nt = { .code32 = true, .protected_mode = true, .nested_task = true };
	const struct x86_fault_context nt64 = { .long64 = true, .code32 = true, .protected_mode = true,
						.nested_task = true };
	const struct x86_fault_context nt_real = { .nested_task = true };
	const struct {
		const struct x86_fault_context *ctx;
		uint8_t bytes[8];
		size_t len;
		uint8_t first;
		const char *what;
	} rows[] = {
		{ &xm, { 0xf3, 0x0f, 0x5e, 0xc1 }, 4, 19, "divss xmm0, xmm1: #XM" },
		{ &xm, { 0x0f, 0x51, 0x03 }, 3, 19, "sqrtps xmm0, [ebx]: #XM" },
		{ &xm, { 0x66, 0x0f, 0x2f, 0xc1 }, 4, 19, "comisd xmm0, xmm1: #XM" },
		{ &xm, { 0xf2, 0x0f, 0x2d, 0xc1 }, 4, 19, "cvtsd2si eax, xmm1: #XM" },
		{ &xm, { 0x0f, 0xc2, 0xc1, 0x01 }, 4, 19, "cmpltps xmm0, xmm1: #XM" },
		{ &xm64, { 0x41, 0x0f, 0x58, 0xc1 }, 4, 19, "addps xmm0, xmm9 (REX): #XM" },
		{ &xm, { 0x0f, 0x28, 0xc1 }, 3, X86_VECTOR_GP, "movaps moves, it raises no #XM" },
		{ &xm, { 0x66, 0x0f, 0xfe, 0xc1 }, 4, X86_VECTOR_GP, "paddd is integer: no #XM" },
		{ &flat32, { 0xf3, 0x0f, 0x5e, 0xc1 }, 4, X86_VECTOR_GP, "divss without CR4.OSXMMEXCPT: #UD, not #XM" },
		{ &ts, { 0xf3, 0x0f, 0x5e, 0xc1 }, 4, 7, "divss with CR0.TS: #NM" },
		{ &ts, { 0x0f, 0x28, 0xc1 }, 3, 7, "movaps with CR0.TS: #NM" },
		{ &ts, { 0x0f, 0xae, 0x13 }, 3, 7, "ldmxcsr [ebx] with CR0.TS: #NM" },
		{ &ts, { 0x0f, 0xa2 }, 2, X86_VECTOR_GP, "cpuid is no SSE" },
		{ &ac, { 0x8b, 0x03 }, 2, 17, "mov eax, [ebx] at level 3 with AC: #AC" },
		{ &ac, { 0xf7, 0x33 }, 2, X86_VECTOR_DE, "div [ebx]: #DE before #AC" },
		{ &nt, { 0xcf }, 1, X86_VECTOR_TS, "iret with NT: a task return, #TS" },
		{ &nt64, { 0x48, 0xcf }, 2, X86_VECTOR_NP, "iretq with NT: no task return in 64-bit code" },
		{ &nt_real, { 0xcf }, 1, X86_VECTOR_GP, "iret with NT in real mode: no task" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		cr_expect_eq(first_of(rows[i].ctx, rows[i].bytes, rows[i].len), rows[i].first, "%s", rows[i].what);
}

Test(insn_faults, paging_puts_pf_before_the_rest_and_each_vector_comes_once)
{
	const struct x86_fault_context paged = { .code32 = true, .paging = true };
	static const uint8_t div_ebx_mem[] = { 0xf7, 0x33 };
	uint8_t v[8];
	size_t n = x86_insn_fault_vectors(div_ebx_mem, sizeof(div_ebx_mem), &paged, v, sizeof(v));
	cr_assert_eq(n, 5);
	cr_assert_eq(v[0], X86_VECTOR_DE);
	cr_assert_eq(v[1], X86_VECTOR_PF);
	cr_assert_eq(v[2], X86_VECTOR_GP);
	cr_assert_eq(v[3], X86_VECTOR_UD);
	cr_assert_eq(v[4], X86_VECTOR_SS);
}

/* ---- where the tables send them -------------------------------------- */

static uint8_t *mem;
static struct cpu_state state;

static void put(uint64_t at, uint64_t value, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		mem[at + i] = (uint8_t)(value >> (8 * i));
}

static void in_mode(enum x86_mode mode)
{
	mem = calloc(1, RAM);
	cr_assert_not_null(mem);
	cpu_state_reset(&state);
	char err[160];
	cr_assert_eq(x86_mode_setup(mode, mem, RAM, &state, err, sizeof(err)), 0, "%s", err);
}

static void real(void) { in_mode(X86_MODE_REAL); }
static void release(void)
{
	free(mem);
	mem = NULL;
}

TestSuite(handler_entry, .fini = release);

Test(handler_entry, real_mode_reads_segment_and_offset_from_the_ivt, .init = real)
{
	put(12 * 4, 0x0010, 2);
	put(12 * 4 + 2, 0x1234, 2);
	uint64_t at = 0;
	cr_assert_eq(x86_real_mode_handler_entry(&state, mem, RAM, 12, &at), 0);
	cr_assert_eq(at, 0x12340 + 0x10);
}

Test(handler_entry, real_mode_follows_a_moved_ivt_and_its_limit, .init = real)
{
	state.idt = (struct x86_table){ .base = 0x4000, .limit = 4 * 6 - 1 };
	put(0x4000 + 5 * 4, 0x0020, 2);
	put(0x4000 + 5 * 4 + 2, 0x0100, 2);
	uint64_t at = 0;
	cr_assert_eq(x86_real_mode_handler_entry(&state, mem, RAM, 5, &at), 0);
	cr_assert_eq(at, 0x1020);
	cr_assert_eq(x86_real_mode_handler_entry(&state, mem, RAM, 6, &at), -1, "past the limit");
}

static void gate(uint8_t vector, uint16_t selector, uint32_t offset, uint8_t type_byte)
{
	uint64_t at = IDT + vector * 8u;
	put(at, offset & 0xffff, 2);
	put(at + 2, selector, 2);
	put(at + 4, (uint64_t)type_byte << 8, 2);
	put(at + 6, offset >> 16, 2);
}

/* Flat code at 0x08, and code based at 0x10000 at 0x10. */
static void protected(void)
{
	in_mode(X86_MODE_PROTECTED);
	put(GDT, 0, 8);
	put(GDT + 8, 0x00cf9a000000ffffull, 8);
	put(GDT + 16, 0x00cf9a010000ffffull, 8);
	state.gdt = (struct x86_table){ .base = GDT, .limit = 23 };
	state.idt = (struct x86_table){ .base = IDT, .limit = 0x7ff };
}

Test(handler_entry, protected_mode_reads_the_gate_and_adds_its_segment_base, .init = protected)
{
	gate(13, 0x08, 0x00123456, 0x8e);
	gate(12, 0x10, 0x500, 0x8f);
	uint64_t at = 0;
	unsigned push = 0;
	cr_assert_eq(x86_protected_handler_entry(&state, mem, RAM, 13, &at, &push), 0);
	cr_assert_eq(at, 0x123456);
	cr_assert_eq(push, 4);
	cr_assert_eq(x86_protected_handler_entry(&state, mem, RAM, 12, &at, &push), 0);
	cr_assert_eq(at, 0x10500);
}

Test(handler_entry, a_16_bit_gate_keeps_16_bits_of_offset, .init = protected)
{
	gate(6, 0x08, 0x00121234, 0x86);
	uint64_t at = 0;
	unsigned push = 0;
	cr_assert_eq(x86_protected_handler_entry(&state, mem, RAM, 6, &at, &push), 0);
	cr_assert_eq(at, 0x1234);
	cr_assert_eq(push, 2);
}

Test(handler_entry, no_entry_where_the_delivery_finds_no_handler, .init = protected)
{
	uint64_t at = 0;
	unsigned push = 0;
	gate(13, 0x08, 0x1000, 0x0e);
	cr_assert_eq(x86_protected_handler_entry(&state, mem, RAM, 13, &at, &push), -1, "not present");
	gate(13, 0x18, 0x1000, 0x8e);
	cr_assert_eq(x86_protected_handler_entry(&state, mem, RAM, 13, &at, &push), -1, "selector past the GDT");
	gate(13, 0x08, 0x1000, 0x85);
	cr_assert_eq(x86_protected_handler_entry(&state, mem, RAM, 13, &at, &push), -1, "task gate");
	state.idt.limit = 13 * 8 - 1;
	gate(13, 0x08, 0x1000, 0x8e);
	cr_assert_eq(x86_protected_handler_entry(&state, mem, RAM, 13, &at, &push), -1, "past the IDT's limit");
}

Test(handler_entry, long_mode_reads_a_64_bit_offset)
{
	in_mode(X86_MODE_LONG);
	state.idt = (struct x86_table){ .base = IDT, .limit = 0xfff };
	uint64_t g = IDT + 14 * 16u;
	put(g, 0x5678, 2);
	put(g + 2, X86_SEL_CODE64, 2);
	put(g + 4, 0x8e00, 2);
	put(g + 6, 0x1234, 2);
	put(g + 8, 0x1, 4);
	uint64_t at = 0;
	unsigned push = 0;
	cr_assert_eq(x86_protected_handler_entry(&state, mem, RAM, 14, &at, &push), 0);
	cr_assert_eq(at, 0x112345678ull);
	cr_assert_eq(push, 8);
}

Test(handler_entry, a_software_interrupt_that_faults_while_delivered_says_it_escalated, .init = protected)
{
	gate(13, 0x08, 0x5000, 0x8e);
	state.gpr[GPR_ESP] = 0x8000;
	state.rip = 0x1234;
	struct cpu_state before = state;
	bool escalated = false;
	char why[160] = "";
	const struct x86_event empty_gate = { .vector = 0x31, .software = true, .return_rip = 0x1236, .fault_rip = 0x1234 };
	cr_assert_eq(x86_protected_interrupt_escalating(&state, mem, RAM, &empty_gate, &escalated, why, sizeof(why)),
		     X86_DELIVERED, "%s", why);
	cr_assert(escalated, "int 0x31 through a gate of no valid type raises #GP");
	cr_assert_eq(state.rip, 0x5000);
	state = before;
	const struct x86_event int13 = { .vector = 13, .software = true, .return_rip = 0x1236, .fault_rip = 0x1234 };
	cr_assert_eq(x86_protected_interrupt_escalating(&state, mem, RAM, &int13, &escalated, why, sizeof(why)),
		     X86_DELIVERED, "%s", why);
	cr_assert_not(escalated, "int 13 through its own gate");
	cr_assert_eq(state.rip, 0x5000);
}
