/* Unit tests of the shared mode set-up (x86/mode.c): the tables it writes
 * byte for byte, its refusals, and protected- and long-mode guests run
 * through the run loop on every backend that can run here. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "machine/machine.h"
#include "testutil.h"
#include "x86/mode.h"

#define RAM (1u << 20)
#define LOAD 0x1000u
#define TABLES (RAM - X86_MODE_TABLES_SIZE)

static uint64_t u64_at(const uint8_t *mem, uint64_t at)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | mem[at + i];
	return v;
}

static uint8_t *ram(size_t size)
{
	uint8_t *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	cr_assert(mem != MAP_FAILED);
	return mem;
}

static void set_up(enum x86_mode mode, uint8_t *mem, size_t size, struct cpu_state *s)
{
	char err[200] = "";
	cpu_state_reset(s);
	cr_assert_eq(x86_mode_setup(mode, mem, size, s, err, sizeof(err)), 0, "%s", err);
}

/* ---- x86_mode_setup ------------------------------------------------------ */

Test(x86_mode, real_mode_changes_nothing)
{
	uint8_t *mem = ram(RAM);
	struct cpu_state s, reset;
	set_up(X86_MODE_REAL, mem, RAM, &s);
	cpu_state_reset(&reset);
	cr_assert_arr_eq(&s, &reset, sizeof(s));
	for (size_t i = 0; i < RAM; i += 4096)
		cr_assert_eq(mem[i], 0);
	cr_assert_eq(x86_mode_tables_base(X86_MODE_REAL, RAM), RAM, "real mode reserves no RAM");
	cr_assert_eq(x86_mode_of(&s), X86_MODE_REAL);
	munmap(mem, RAM);
}

Test(x86_mode, protected_mode_gdt_tss_and_registers)
{
	uint8_t *mem = ram(RAM);
	struct cpu_state s;
	set_up(X86_MODE_PROTECTED, mem, RAM, &s);
	cr_assert_eq(x86_mode_tables_base(X86_MODE_PROTECTED, RAM), 0xf8000);
	cr_assert_eq(u64_at(mem, TABLES + 0x00), 0, "null descriptor");
	cr_assert_eq(u64_at(mem, TABLES + 0x08), 0x00cf9b000000ffffull, "flat 32-bit code");
	cr_assert_eq(u64_at(mem, TABLES + 0x10), 0x00cf93000000ffffull, "flat data");
	cr_assert_eq(u64_at(mem, TABLES + 0x18), 0x00af9b000000ffffull, "64-bit code");
	cr_assert_eq(u64_at(mem, TABLES + 0x20), 0x00008b0f90000067ull, "busy TSS at 0xf9000");
	cr_assert_eq(u64_at(mem, TABLES + 0x28), 0, "upper half of the TSS descriptor");
	cr_assert_eq(s.gdt.base, TABLES);
	cr_assert_eq(s.gdt.limit, 0x2f);
	cr_assert_eq(s.idt.limit, 0, "no IDT: a fault is a triple fault");
	cr_assert_eq(s.cr0, CR0_PE | CR0_ET);
	cr_assert_eq(s.efer, 0);
	cr_assert_eq(s.cr4, 0);
	cr_assert_eq(s.seg[SEG_CS].selector, X86_SEL_CODE32);
	cr_assert_eq(s.seg[SEG_CS].type, SEG_TYPE_CODE_RX_ACCESSED);
	cr_assert(s.seg[SEG_CS].db && s.seg[SEG_CS].g && !s.seg[SEG_CS].l);
	cr_assert_eq(s.seg[SEG_CS].limit, 0xffffffffu);
	for (enum seg i = 0; i < SEG_COUNT; i++) {
		if (i == SEG_CS)
			continue;
		cr_assert_eq(s.seg[i].selector, X86_SEL_DATA, "segment %d", i);
		cr_assert_eq(s.seg[i].type, SEG_TYPE_DATA_RW_ACCESSED);
		cr_assert_eq(s.seg[i].base, 0);
	}
	cr_assert_eq(s.tr.selector, X86_SEL_TSS);
	cr_assert_eq(s.tr.base, TABLES + X86_TSS_OFFSET);
	cr_assert_eq(s.tr.limit, 0x67);
	cr_assert_eq(s.rflags, 0x2, "the caller's registers stay");
	cr_assert_eq(x86_mode_of(&s), X86_MODE_PROTECTED);
	cr_assert_eq(u64_at(mem, TABLES + X86_PML4_OFFSET), 0, "no page tables in protected mode");
	munmap(mem, RAM);
}

Test(x86_mode, long_mode_identity_maps_ram_in_2mib_pages)
{
	uint8_t *mem = ram(RAM);
	struct cpu_state s;
	set_up(X86_MODE_LONG, mem, RAM, &s);
	cr_assert_eq(s.cr3, TABLES + X86_PML4_OFFSET);
	cr_assert_eq(u64_at(mem, TABLES + X86_PML4_OFFSET), TABLES + X86_PDPT_OFFSET + 7);
	cr_assert_eq(u64_at(mem, TABLES + X86_PDPT_OFFSET), TABLES + X86_PD_OFFSET + 7);
	cr_assert_eq(u64_at(mem, TABLES + X86_PDPT_OFFSET + 8), 0);
	cr_assert_eq(u64_at(mem, TABLES + X86_PD_OFFSET), 0x87, "0..2 MiB: present, writable, user, large");
	cr_assert_eq(u64_at(mem, TABLES + X86_PD_OFFSET + 8), 0, "1 MiB of RAM needs one page");
	cr_assert_eq(s.cr0, CR0_PE | CR0_ET | CR0_PG);
	cr_assert_eq(s.cr4, CR4_PAE);
	cr_assert_eq(s.efer, EFER_LME | EFER_LMA);
	cr_assert_eq(s.seg[SEG_CS].selector, X86_SEL_CODE64);
	cr_assert(s.seg[SEG_CS].l && !s.seg[SEG_CS].db);
	cr_assert_eq(s.seg[SEG_DS].selector, X86_SEL_DATA);
	cr_assert_eq(x86_mode_of(&s), X86_MODE_LONG);
	munmap(mem, RAM);
}

Test(x86_mode, long_mode_maps_past_the_first_gib_with_a_second_directory)
{
	const size_t size = (1ull << 30) + (4u << 20);
	const uint64_t tables = size - X86_MODE_TABLES_SIZE;
	uint8_t *mem = ram(size);
	struct cpu_state s;
	set_up(X86_MODE_LONG, mem, size, &s);
	uint64_t pd0 = tables + X86_PD_OFFSET, pd1 = pd0 + 0x1000;
	cr_assert_eq(u64_at(mem, tables + X86_PDPT_OFFSET + 8), pd1 + 7);
	cr_assert_eq(u64_at(mem, pd0 + 511 * 8), 511ull * (2u << 20) + 0x87);
	cr_assert_eq(u64_at(mem, pd1 + 0), (1ull << 30) + 0x87);
	cr_assert_eq(u64_at(mem, pd1 + 8), (1ull << 30) + (2u << 20) + 0x87);
	cr_assert_eq(u64_at(mem, pd1 + 16), 0);
	munmap(mem, size);
}

Test(x86_mode, refuses_ram_too_small_for_its_tables)
{
	uint8_t *mem = ram(X86_MODE_MIN_RAM);
	struct cpu_state s;
	char err[200] = "";
	cpu_state_reset(&s);
	cr_assert_eq(x86_mode_setup(X86_MODE_LONG, mem, X86_MODE_MIN_RAM - 0x1000, &s, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "long mode needs between 98304 bytes and 4 GiB of RAM for its tables, not 94208");
	cr_assert_eq(x86_mode_setup(X86_MODE_PROTECTED, mem, X86_MODE_MIN_RAM, &s, err, sizeof(err)), 0, "%s", err);
	munmap(mem, X86_MODE_MIN_RAM);
}

Test(x86_mode, names)
{
	cr_assert_str_eq(x86_mode_name(X86_MODE_REAL), "real");
	cr_assert_str_eq(x86_mode_name(X86_MODE_PROTECTED), "protected");
	cr_assert_str_eq(x86_mode_name(X86_MODE_LONG), "long");
}

/* ---- guests through the run loop ------------------------------------------ */

static struct run_result result;

static void result_fini(void)
{
	run_result_free(&result);
}

static void run_in_mode(const struct backend_ops *ops, enum x86_mode mode, const char *source)
{
	char header[24];
	snprintf(header, sizeof(header), "org 0x%x\n", LOAD); /* the source says its bits */
	size_t len = 0;
	uint8_t *image = tu_nasm(header, source, RAM, &len);
	struct machine_config cfg = {
		.image = image, .image_len = len, .load_address = LOAD, .memory_size = RAM,
		.mode = mode, .max_exits = 1000, .timeout_ms = 5000, .output_limit = 1024,
	};
	cpu_state_reset(&cfg.initial);
	cfg.initial.rip = LOAD;
	cfg.initial.gpr[GPR_ESP] = 0x8000;
	memset(&result, 0, sizeof(result));
	machine_run(ops, &cfg, &result);
	free(image);
}

static void assert_output(const char *expected)
{
	cr_assert_eq(result.output.len, strlen(expected), "output '%.*s'", (int)result.output.len,
		     (const char *)result.output.data);
	cr_assert_arr_eq(result.output.data, expected, strlen(expected));
}

#define PRINT_MSG \
	"  mov esi, msg\n" \
	"  mov edx, 0x3f8\n" \
	"  mov ecx, msg_end - msg\n" \
	"next:\n" \
	"  lodsb\n" \
	"  out dx, al\n" \
	"  loop next\n"

static void check_protected(void)
{
	cr_assert_eq(result.outcome, OUTCOME_HLT, "%s", result.message ? result.message : "");
	assert_output("in protected mode\n");
	cr_assert(result.regs_valid);
	const struct cpu_state *r = &result.regs;
	cr_assert_eq(r->gpr[GPR_EAX], 0xdeadbeef);
	cr_assert_eq(r->gpr[GPR_EBX] & CR0_PE, CR0_PE, "the guest read CR0.PE set: %#llx",
		     (unsigned long long)r->gpr[GPR_EBX]);
	cr_assert_eq(r->gpr[GPR_EDI], 0x123456, "a store and load above 64 KiB through ds");
	cr_assert_eq(r->cr0 & (CR0_PE | CR0_PG), CR0_PE);
	cr_assert_eq(r->seg[SEG_CS].selector, X86_SEL_CODE32, "the far jump reloaded cs from the GDT");
	cr_assert_eq(r->seg[SEG_DS].selector, X86_SEL_DATA);
	cr_assert_eq(r->efer & EFER_LMA, 0);
	cr_assert_eq(r->rip, LOAD + 0x39, "just after the hlt: rip %#llx", (unsigned long long)r->rip);
}

static void check_long(void)
{
	cr_assert_eq(result.outcome, OUTCOME_HLT, "%s", result.message ? result.message : "");
	assert_output("in long mode\n");
	cr_assert(result.regs_valid);
	const struct cpu_state *r = &result.regs;
	cr_assert_eq(r->gpr[GPR_EAX], 0x1122334455667788ull, "rax %#llx", (unsigned long long)r->gpr[GPR_EAX]);
	cr_assert_eq(r->gpr[GPR_R15], 0xfedcba9876543210ull, "r15 %#llx", (unsigned long long)r->gpr[GPR_R15]);
	cr_assert_eq(r->gpr[GPR_EBX] & CR0_PG, CR0_PG, "the guest read CR0.PG set");
	cr_assert_eq(r->cr0 & (CR0_PE | CR0_PG), CR0_PE | CR0_PG);
	cr_assert_eq(r->cr4 & CR4_PAE, CR4_PAE);
	cr_assert_eq(r->efer & (EFER_LME | EFER_LMA), EFER_LME | EFER_LMA, "efer %#llx",
		     (unsigned long long)r->efer);
	cr_assert_eq(r->seg[SEG_CS].selector, X86_SEL_CODE64);
	cr_assert_eq(r->cr3, TABLES + X86_PML4_OFFSET);
}

static void check_fault_without_idt(void)
{
	cr_assert_eq(result.outcome, OUTCOME_SHUTDOWN, "%s", result.message ? result.message : "");
	assert_output("!");
}

struct mode_row {
	const char *name;
	enum x86_mode mode;
	const char *source;
	void (*check)(void);
};

static const struct mode_row rows[] = {
	{ "protected_mode_guest_prints_and_halts", X86_MODE_PROTECTED,
	  "bits 32\n"
	  "  jmp 0x08:reload\n"      /* 7 bytes */
	  "reload:\n"
	  "  mov ax, 0x10\n"         /* 4 */
	  "  mov ds, ax\n"           /* 2 */
	  "  mov dword [0x20000], 0x123456\n" /* 10 */
	  "  mov edi, [0x20000]\n"   /* 6 */
	  PRINT_MSG                  /* 5 + 5 + 5 + 1 + 1 + 2 */
	  "  mov ebx, cr0\n"         /* 3 */
	  "  mov eax, 0xdeadbeef\n"  /* 5 */
	  "  hlt\n"                  /* at 0x38 */
	  "msg: db 'in protected mode', 10\n"
	  "msg_end:\n",
	  check_protected },
	{ "long_mode_guest_prints_and_halts", X86_MODE_LONG,
	  "bits 64\n"
	  PRINT_MSG
	  "  mov rbx, cr0\n"
	  "  mov rax, 0x1122334455667788\n"
	  "  mov r15, 0xfedcba9876543210\n"
	  "  hlt\n"
	  "msg: db 'in long mode', 10\n"
	  "msg_end:\n",
	  check_long },
	{ "protected_mode_fault_without_an_idt_is_a_triple_fault", X86_MODE_PROTECTED,
	  "bits 32\n  mov dx, 0x3f8\n  mov al, '!'\n  out dx, al\n  ud2\n  hlt\n",
	  check_fault_without_idt },
	{ "long_mode_fault_without_an_idt_is_a_triple_fault", X86_MODE_LONG,
	  "bits 64\n  mov dx, 0x3f8\n  mov al, '!'\n  out dx, al\n  ud2\n  hlt\n",
	  check_fault_without_idt },
};
#define ROW_COUNT (sizeof(rows) / sizeof(rows[0]))

static const struct backend_ops *const backends[] = { &backend_kvm, &backend_emu };
#define BACKEND_COUNT (sizeof(backends) / sizeof(backends[0]))

struct row_on_backend {
	size_t row;
	size_t backend;
};

ParameterizedTestParameters(x86_mode, guest)
{
	static struct row_on_backend params[ROW_COUNT * BACKEND_COUNT];
	size_t n = 0;
	for (size_t r = 0; r < ROW_COUNT; r++)
		for (size_t b = 0; b < BACKEND_COUNT; b++)
			params[n++] = (struct row_on_backend){ r, b };
	return cr_make_param_array(struct row_on_backend, params, n);
}

ParameterizedTest(struct row_on_backend *p, x86_mode, guest, .fini = result_fini, .timeout = 20)
{
	const struct mode_row *row = &rows[p->row];
	const struct backend_ops *ops = backends[p->backend];
	char why[200] = "";
	if (!tu_backend_wanted(ops->name))
		cr_skip_test("%s not in KVMCHECK_TEST_BACKENDS", ops->name);
	if (!ops->available(why, sizeof(why)))
		cr_skip_test("no %s here: %s", ops->name, why);
	cr_log_info("%s on %s", row->name, ops->name);
	run_in_mode(ops, row->mode, row->source);
	cr_assert_str_eq(result.backend, ops->name);
	row->check();
}

/* emu delivers through the guest's IDT (x86/protected_interrupt.c) but
 * for what it does not emulate, which it names: a task gate. */
Test(x86_mode, emu_names_a_task_gate_it_does_not_emulate, .fini = result_fini)
{
	if (!tu_backend_wanted("emu"))
		cr_skip_test("emu not in KVMCHECK_TEST_BACKENDS");
	run_in_mode(&backend_emu, X86_MODE_PROTECTED,
		    "bits 32\n  mov dword [0x20000 + 0x30 * 8 + 4], 0x8500\n  lidt [idtr]\n  int 0x30\n  hlt\n"
		    "idtr: dw 0x30 * 8 + 7\n  dd 0x20000\n");
	cr_assert_eq(result.outcome, OUTCOME_ERROR);
	cr_assert_str_eq(result.message,
			 "emu: interrupt 48 goes through a task gate, which is not emulated (guest at 0008:1013)");
}

Test(x86_mode, an_image_reaching_into_the_tables_is_refused, .fini = result_fini)
{
	if (!tu_backend_wanted("emu"))
		cr_skip_test("emu not in KVMCHECK_TEST_BACKENDS");
	static const uint8_t hlt = 0xf4;
	struct machine_config cfg = {
		.image = &hlt, .image_len = 1, .load_address = TABLES, .memory_size = RAM,
		.mode = X86_MODE_PROTECTED, .max_exits = 10, .timeout_ms = 5000, .output_limit = 16,
	};
	cpu_state_reset(&cfg.initial);
	machine_run(&backend_emu, &cfg, &result);
	cr_assert(result.host_fault);
	cr_assert_str_eq(result.message,
			 "guest image of 1 bytes at 0xf8000 does not fit in 1048576 bytes of RAM below the mode's tables");
	run_result_free(&result);
	memset(&result, 0, sizeof(result));
	cfg.mode = X86_MODE_REAL;
	cpu_state_set_real_segment(&cfg.initial, SEG_CS, TABLES >> 4);
	machine_run(&backend_emu, &cfg, &result);
	cr_assert_eq(result.outcome, OUTCOME_HLT, "real mode reserves nothing");
}
