/* Instruction counting (README "Metrics") through the run loop on every
 * backend that can run here: guests whose instructions were counted by
 * hand, each run on kvm (single-stepping) and emu (a code hook), which
 * must both give the hand count. make check-kvm runs the kvm rows inside
 * QEMU (KVMCHECK_TEST_BACKENDS=kvm). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/machine.h"
#include "testutil.h"

#define COUNT_MEM (1u << 20)
#define COUNT_LOAD 0x1000u

static const struct backend_ops *const count_backends[] = { &backend_kvm, &backend_emu };
#define COUNT_BACKENDS (sizeof(count_backends) / sizeof(count_backends[0]))

struct count_row {
	const char *name;
	const char *source;
	uint64_t limit;        /* 0: none */
	enum outcome outcome;
	uint64_t instructions; /* counted by hand, as the comment in source says */
	int64_t ax;            /* ax at the end; -1: not checked */
};

/* A real-mode guest that enters 32-bit protected mode with flat
 * segments, then fills a 32-bit interrupt gate of its IDT at 0x3000. */
#define PM_SWITCH \
	"  cli\n  lgdt [gdtr]\n  mov eax, cr0\n  or al, 1\n  mov cr0, eax\n  jmp 0x08:pm\n" \
	"bits 32\npm:\n  mov ax, 0x10\n  mov ds, ax\n  mov ss, ax\n  mov esp, 0x8000\n"
#define GATE32(vector, handler) \
	"  mov eax, " handler "\n  mov [0x3000 + " vector " * 8], ax\n  mov word [0x3000 + " vector " * 8 + 2], 0x08\n" \
	"  mov word [0x3000 + " vector " * 8 + 4], 0x8e00\n  shr eax, 16\n  mov [0x3000 + " vector " * 8 + 6], ax\n"
#define PM_TABLES \
	"align 8\ngdt: dq 0\n  dq 0x00cf9a000000ffff\n  dq 0x00cf92000000ffff\n" \
	"gdtr: dw 23\n  dd gdt\nidtr: dw 0x7ff\n  dd 0x3000\n"

/* The same, with a fourth descriptor: a data segment marked not present. */
#define PM_TABLES_WITH_ABSENT_DATA \
	"align 8\ngdt: dq 0\n  dq 0x00cf9a000000ffff\n  dq 0x00cf92000000ffff\n  dq 0x00cf12000000ffff\n" \
	"gdtr: dw 31\n  dd gdt\nidtr: dw 0x7ff\n  dd 0x3000\n"

static const struct count_row count_rows[] = {
	{ "straight_line_counts_every_instruction_and_the_hlt",
	  "  mov ax, 1\n  mov bx, 2\n  add ax, bx\n  hlt\n", 0, OUTCOME_HLT, 4, -1 },
	{ "a_loop_counts_each_iteration",
	  /* 1 + 10 * (dec, jnz) + hlt */
	  "  mov cx, 10\nagain:\n  dec cx\n  jnz again\n  hlt\n", 0, OUTCOME_HLT, 22, -1 },
	{ "rep_movsb_counts_once_however_often_it_repeats",
	  "  cld\n  mov si, 0x2000\n  mov di, 0x3000\n  mov cx, 100\n  rep movsb\n  hlt\n", 0, OUTCOME_HLT, 6, -1 },
	{ "a_long_rep_movsb_counts_once",
	  "  cld\n  mov si, 0x2000\n  mov di, 0x4000\n  mov cx, 3000\n  rep movsb\n  hlt\n", 0, OUTCOME_HLT, 6, -1 },
	{ "repne_scasb_counts_once",
	  /* stops at the 0x42 planted 20 bytes in */
	  "  mov byte [0x2014], 0x42\n  cld\n  mov di, 0x2000\n  mov al, 0x42\n  mov cx, 100\n  repne scasb\n  mov ax, cx\n  hlt\n",
	  0, OUTCOME_HLT, 8, 79 },
	{ "rep_outsb_counts_once",
	  "  cld\n  mov dx, 0x3f8\n  mov si, msg\n  mov cx, 5\n  rep outsb\n  hlt\nmsg: db 'hello'\n", 0, OUTCOME_HLT, 6, -1 },
	{ "rep_movsb_with_cx_0_counts_once",
	  "  xor cx, cx\n  rep movsb\n  hlt\n", 0, OUTCOME_HLT, 3, -1 },
	{ "a_rep_movsb_run_twice_counts_twice",
	  /* mov bx; 2 * (mov cx, rep movsb, dec bx, jnz) + hlt */
	  "  mov bx, 2\nagain:\n  mov cx, 3\n  rep movsb\n  dec bx\n  jnz again\n  hlt\n", 0, OUTCOME_HLT, 10, -1 },
	{ "int_and_iret_count_with_the_handler",
	  /* 2 movs, int, inc, iret, hlt */
	  "  mov word [0x80*4], handler\n  mov word [0x80*4+2], 0\n  int 0x80\n  hlt\nhandler:\n  inc ax\n  iret\n",
	  0, OUTCOME_HLT, 6, 1 },
	{ "int3_counts_like_int_n",
	  "  mov word [3*4], handler\n  mov word [3*4+2], 0\n  int3\n  hlt\nhandler:\n  mov ax, 7\n  iret\n",
	  0, OUTCOME_HLT, 6, 7 },
	{ "the_pushed_flags_show_no_trap_flag_while_counting",
	  /* pushf, pop, 2 movs, int, pushf, pop, iret, or, hlt: the handler's
	   * frame and pushf both hold FLAGS without TF */
	  "  pushf\n  pop ax\n  mov word [0x81*4], handler\n  mov word [0x81*4+2], 0\n  int 0x81\n  or ax, bx\n  hlt\n"
	  "handler:\n  pushf\n  pop bx\n  iret\n",
	  0, OUTCOME_HLT, 10, 0x0002 },
	{ "an_instruction_that_faults_does_not_count",
	  /* 2 movs, xor, (div faults), mov, hlt */
	  "  mov word [0], handler\n  mov word [2], 0\n  xor bl, bl\n  div bl\nhandler:\n  mov ax, 0x1234\n  hlt\n",
	  0, OUTCOME_HLT, 5, 0x1234 },
	{ "an_invalid_instruction_does_not_count",
	  /* 2 movs, (ud2 raises #UD), mov, hlt */
	  "  mov word [6*4], handler\n  mov word [6*4+2], 0\n  ud2\nhandler:\n  mov ax, 5\n  hlt\n", 0, OUTCOME_HLT, 4, 5 },
	/* Faults other than #DE, #UD and #GP: a CPU that steps the guest
	 * clears TF on entering their handlers too (kvm-amd). */
	{ "a_stack_fault_does_not_count",
	  /* 2 movs, mov bp, (the word at ss:0xffff raises #SS), mov, hlt */
	  "  mov word [12*4], handler\n  mov word [12*4+2], 0\n  mov bp, 0xfff0\n  mov ax, [bp+0xf]\n"
	  "handler:\n  mov ax, 0x5353\n  hlt\n", 0, OUTCOME_HLT, 5, 0x5353 },
	{ "a_stack_fault_whose_handler_halts_at_once_counts_the_hlt",
	  /* 2 movs, mov bp, (the word at ss:0xffff raises #SS), hlt: the hlt
	   * is seen as the handler's only when the fault was. (A push with
	   * sp=1 would shut the CPU down, its frame not fitting: SDM, PUSH.) */
	  "  mov word [12*4], handler\n  mov word [12*4+2], 0\n  mov bp, 0xfff0\n  mov ax, [bp+0xf]\nhandler:\n  hlt\n",
	  0, OUTCOME_HLT, 4, -1 },
	{ "into_with_overflow_counts_with_the_handler",
	  /* 2 movs, mov al, add (sets OF), into, mov bx, iret, mov ax, hlt */
	  "  mov word [4*4], handler\n  mov word [4*4+2], 0\n  mov al, 0x7f\n  add al, 1\n  into\n  mov ax, bx\n  hlt\n"
	  "handler:\n  mov bx, 0x44\n  iret\n", 0, OUTCOME_HLT, 9, 0x44 },
	{ "into_without_overflow_counts_once",
	  "  mov word [4*4], handler\n  mov word [4*4+2], 0\n  xor ax, ax\n  into\n  hlt\n"
	  "handler:\n  mov ax, 0x44\n  iret\n", 0, OUTCOME_HLT, 5, 0 },
	{ "a_bound_out_of_range_does_not_count",
	  /* 2 movs, mov ax, (bound raises #BR), mov ax, iret, bound (in range now), hlt */
	  "  mov word [5*4], handler\n  mov word [5*4+2], 0\n  mov ax, 20\n  bound ax, [limits]\n  hlt\n"
	  "handler:\n  mov ax, 5\n  iret\nlimits: dw 0, 10\n", 0, OUTCOME_HLT, 7, 5 },
	{ "a_wait_with_the_task_switched_flag_does_not_count",
	  /* 2 movs, mov eax, or, mov cr0, (wait raises #NM), clts, iret, wait, mov ax, hlt */
	  "  mov word [7*4], handler\n  mov word [7*4+2], 0\n  mov eax, cr0\n  or al, 0xa\n  mov cr0, eax\n"
	  "  wait\n  mov ax, 7\n  hlt\nhandler:\n  clts\n  iret\n", 0, OUTCOME_HLT, 10, 7 },
	/* The same through a protected-mode IDT: the guest switches itself
	 * (cli, lgdt, 3 for cr0, jmp, then 4 to set ds, ss and esp). */
	{ "a_protected_mode_invalid_instruction_does_not_count",
	  /* 10 to switch, 6 for the gate, lidt, (ud2 raises #UD), mov, hlt */
	  PM_SWITCH GATE32("6", "handler") "  lidt [idtr]\n  ud2\nhandler:\n  mov eax, 0x66\n  hlt\n" PM_TABLES,
	  0, OUTCOME_HLT, 19, 0x66 },
	{ "a_protected_mode_general_protection_fault_does_not_count",
	  /* 10 to switch, 6 for the gate, lidt, mov ax, (a selector past the
	   * GDT raises #GP), mov, hlt */
	  PM_SWITCH GATE32("13", "handler") "  lidt [idtr]\n  mov ax, 0x40\n  mov ds, ax\n"
	  "handler:\n  mov eax, 0x13\n  hlt\n" PM_TABLES,
	  0, OUTCOME_HLT, 20, 0x13 },
	{ "a_protected_mode_segment_not_present_does_not_count",
	  /* 10 to switch, 6 for the gate, lidt, mov ax, (a not-present data
	   * segment raises #NP), mov, hlt */
	  PM_SWITCH GATE32("11", "handler") "  lidt [idtr]\n  mov ax, 0x18\n  mov ds, ax\n"
	  "handler:\n  mov eax, 0x0b\n  hlt\n" PM_TABLES_WITH_ABSENT_DATA,
	  0, OUTCOME_HLT, 20, 0x0b },
	{ "a_protected_mode_task_return_that_faults_does_not_count",
	  /* 10 to switch, 6 for the gate, lidt, pushfd, or (NT), popfd, (iret
	   * with NT returns to the task in TR's back link: none, #TS), mov, hlt */
	  PM_SWITCH GATE32("10", "handler") "  lidt [idtr]\n  pushfd\n  or dword [esp], 0x4000\n  popfd\n  iretd\n"
	  "handler:\n  mov eax, 0x0a\n  hlt\n" PM_TABLES,
	  0, OUTCOME_HLT, 22, 0x0a },
	{ "a_protected_mode_fault_whose_handler_halts_at_once_counts_the_hlt",
	  /* 10 to switch, 6 for the gate, lidt, mov ax, (#GP), hlt */
	  PM_SWITCH GATE32("13", "handler") "  lidt [idtr]\n  mov ax, 0x40\n  mov ds, ax\nhandler:\n  hlt\n" PM_TABLES,
	  0, OUTCOME_HLT, 19, -1 },
	{ "a_protected_mode_fault_frame_shows_no_trap_flag_while_counting",
	  /* 10 to switch, 6 for the gate, lidt, (ud2), mov, pushfd, pop, or,
	   * and, hlt: neither the EFLAGS the fault pushed nor pushfd's hold TF */
	  PM_SWITCH GATE32("6", "handler") "  lidt [idtr]\n  ud2\nhandler:\n  mov eax, [esp+8]\n  pushfd\n  pop ebx\n"
	  "  or eax, ebx\n  and eax, 0x100\n  hlt\n" PM_TABLES, 0, OUTCOME_HLT, 23, 0 },
	{ "a_protected_mode_fault_with_an_error_code_shows_no_trap_flag",
	  /* 10 to switch, 6 for the gate, lidt, mov ax, (#GP pushes an error
	   * code below eip, cs and EFLAGS), mov, and, hlt */
	  PM_SWITCH GATE32("13", "handler") "  lidt [idtr]\n  mov ax, 0x40\n  mov ds, ax\nhandler:\n"
	  "  mov eax, [esp+12]\n  and eax, 0x100\n  hlt\n" PM_TABLES, 0, OUTCOME_HLT, 21, 0 },
	{ "a_protected_mode_int_through_an_empty_gate_does_not_count",
	  /* 10 to switch, 6 for the gate of #GP, lidt, (int 0x31 raises #GP:
	   * its gate is all zeros, no valid type), mov, hlt */
	  PM_SWITCH GATE32("13", "handler") "  lidt [idtr]\n  int 0x31\nhandler:\n  mov eax, 0x0d\n  hlt\n" PM_TABLES,
	  0, OUTCOME_HLT, 19, 0x0d },
	{ "a_protected_mode_int_counts_with_the_handler",
	  /* 10 to switch, 6 for the gate, lidt, xor, int, inc, hlt (no iretd:
	   * this host's KVM cannot run one in protected mode) */
	  PM_SWITCH GATE32("0x30", "handler") "  lidt [idtr]\n  xor eax, eax\n  int 0x30\n  hlt\n"
	  "handler:\n  inc eax\n  hlt\n" PM_TABLES,
	  0, OUTCOME_HLT, 21, 1 },
	/* emu runs the wrmsr that sets EFER.LME in a new 64-bit engine: it
	 * counts once (RAM starts zeroed: the page tables need three entries). */
	{ "a_real_mode_guest_switching_to_long_mode_counts_the_wrmsr_once",
	  /* mov, mov es, 3 table entries, mov, mov cr3, 3 for cr4, mov ecx,
	   * rdmsr, or, wrmsr, lgdt, 3 for cr0, jmp, mov, hlt */
	  "  mov ax, 0x1000\n  mov es, ax\n  mov dword [es:0], 0x11003\n  mov dword [es:0x1000], 0x12003\n"
	  "  mov dword [es:0x2000], 0x83\n  mov eax, 0x10000\n  mov cr3, eax\n  mov eax, cr4\n  or eax, 1 << 5\n"
	  "  mov cr4, eax\n  mov ecx, 0xc0000080\n  rdmsr\n  or eax, 1 << 8\n  wrmsr\n  lgdt [gdtr]\n"
	  "  mov eax, cr0\n  or eax, 0x80000001\n  mov cr0, eax\n  jmp 0x18:long64\n"
	  "bits 64\nlong64:\n  mov eax, 0x64\n  hlt\n"
	  "align 8\ngdt: dq 0, 0, 0, 0x00af9a000000ffff\ngdtr: dw 31\n  dd gdt\n",
	  0, OUTCOME_HLT, 21, 0x64 },
	/* While counting, kvm reads each instruction before it runs: a
	 * hypercall stops the run at it wherever it is, the fifth too. */
	{ "a_hypercall_while_counting_ends_the_run_at_it",
	  /* mov, jmp, then the fifth vmcall in memory, not counted */
	  "  mov ax, 1\n  jmp fifth\n  vmcall\n  vmcall\n  vmcall\n  vmcall\nfifth:\n  vmcall\n  hlt\n",
	  0, OUTCOME_ERROR, 2, 1 },
	/* A CPU that steps the guest holds the trap after sti and after an SS
	 * load back until the next instruction has run (kvm-amd). */
	{ "sti_and_the_next_instruction_count_two",
	  "  sti\n  mov ax, 3\n  hlt\n", 0, OUTCOME_HLT, 3, 3 },
	{ "sti_then_hlt_counts_both",
	  "  sti\n  hlt\n", 0, OUTCOME_HLT, 2, -1 },
	{ "an_ss_load_and_the_next_instruction_count_two",
	  /* xor, mov ss, mov sp, push, pop ss, mov sp, mov ax, hlt */
	  "  xor ax, ax\n  mov ss, ax\n  mov sp, 0x7000\n  push ax\n  pop ss\n  mov sp, 0x8000\n  mov ax, 9\n  hlt\n",
	  0, OUTCOME_HLT, 8, 9 },
	{ "an_out_then_the_limit_stops_right_after_it",
	  "  mov dx, 0x3f8\n  mov al, 'A'\n  out dx, al\n  out dx, al\n  out dx, al\n  hlt\n", 3, OUTCOME_MAX_INSTRUCTIONS, 4, -1 },
	{ "an_outsb_and_the_instructions_after_it_count",
	  /* KVM's emulator runs a string OUT: TF must be set again after it */
	  "  cld\n  mov dx, 0x3f8\n  mov si, msg\n  outsb\n  mov ax, 1\n  mov bx, 2\n  hlt\nmsg: db 'h'\n", 0, OUTCOME_HLT, 7, 1 },
	{ "port_io_to_our_devices_counts_once",
	  "  mov dx, 0x3f8\n  mov al, 'A'\n  out dx, al\n  in al, dx\n  hlt\n", 0, OUTCOME_HLT, 5, -1 },
	{ "a_count_within_the_limit_runs_to_the_end",
	  "  mov cx, 10\nagain:\n  dec cx\n  jnz again\n  hlt\n", 22, OUTCOME_HLT, 22, -1 },
	{ "past_the_limit_the_run_stops_one_over_it",
	  "  mov cx, 10\nagain:\n  dec cx\n  jnz again\n  hlt\n", 21, OUTCOME_MAX_INSTRUCTIONS, 22, -1 },
	{ "a_runaway_guest_stops_at_the_limit_not_the_timeout",
	  "  jmp $\n", 1000, OUTCOME_MAX_INSTRUCTIONS, 1001, -1 },
};
#define COUNT_ROWS (sizeof(count_rows) / sizeof(count_rows[0]))

struct count_param {
	size_t row;
	size_t backend;
};

static void count_run(const struct backend_ops *ops, enum x86_mode mode, const char *source, uint64_t limit,
		      struct run_result *r)
{
	size_t len = 0;
	uint8_t *image = tu_nasm(mode == X86_MODE_LONG ? "bits 64\norg 0x1000\n" : "bits 16\norg 0x1000\n", source,
				 COUNT_MEM - COUNT_LOAD, &len);
	struct machine_config cfg = {
		.image = image, .image_len = len, .load_address = COUNT_LOAD, .memory_size = COUNT_MEM,
		.mode = mode, .max_exits = 1000, .timeout_ms = 10000, .output_limit = 1024,
		.count_instructions = true, .instruction_limit = limit ? limit : UINT64_MAX,
	};
	cpu_state_reset(&cfg.initial);
	cfg.initial.rip = COUNT_LOAD;
	cfg.initial.gpr[GPR_ESP] = 0x8000;
	*r = (struct run_result){0};
	machine_run(ops, &cfg, r);
	free(image);
}

static void count_skip_unless_available(const struct backend_ops *ops)
{
	char why[200] = "";
	if (!tu_backend_wanted(ops->name))
		cr_skip_test("%s not in KVMCHECK_TEST_BACKENDS", ops->name);
	if (!ops->available(why, sizeof(why)))
		cr_skip_test("no %s here: %s", ops->name, why);
}

/* Rows whose instruction a host whose KVM runs the guest through its
 * instruction emulator (this machine's) may refuse, saying "cannot
 * execute": the kvm row is then skipped, naming it. */
static const struct {
	const char *row;
	const char *insn;
} kvm_may_refuse[] = {
	{ "a_bound_out_of_range_does_not_count", "bound" },
	{ "a_wait_with_the_task_switched_flag_does_not_count", "wait" },
	{ "a_protected_mode_task_return_that_faults_does_not_count", "iretd" },
};

/* The instruction kvm refused, when the run ended because it refused the
 * one the row names and said so; NULL for anything else, which stays a
 * failure. */
static const char *kvm_refused(const struct backend_ops *ops, const struct count_row *row, const struct run_result *r)
{
	if (strcmp(ops->name, "kvm") != 0 || r->outcome != OUTCOME_ERROR || !r->message)
		return NULL;
	for (size_t i = 0; i < sizeof(kvm_may_refuse) / sizeof(kvm_may_refuse[0]); i++) {
		char expected[80];
		snprintf(expected, sizeof(expected), "this host's KVM cannot execute `%s", kvm_may_refuse[i].insn);
		if (strcmp(row->name, kvm_may_refuse[i].row) == 0 && strncmp(r->message, expected, strlen(expected)) == 0)
			return kvm_may_refuse[i].insn;
	}
	return NULL;
}

ParameterizedTestParameters(instruction_count, guest)
{
	static struct count_param params[COUNT_ROWS * COUNT_BACKENDS];
	size_t n = 0;
	for (size_t r = 0; r < COUNT_ROWS; r++)
		for (size_t b = 0; b < COUNT_BACKENDS; b++)
			params[n++] = (struct count_param){ r, b };
	return cr_make_param_array(struct count_param, params, n);
}

static void check_row(const struct count_row *row, const struct backend_ops *ops, enum x86_mode mode)
{
	count_skip_unless_available(ops);
	tu_skip_row_if_asked(row->name);
	cr_log_info("%s on %s", row->name, ops->name);
	struct run_result r;
	count_run(ops, mode, row->source, row->limit, &r);
	const char *refused = kvm_refused(ops, row, &r);
	if (refused) {
		run_result_free(&r);
		cr_skip_test("%s: this host's KVM cannot execute `%s`", row->name, refused);
	}
	cr_expect_eq(r.outcome, row->outcome, "%s on %s: outcome %s (%s)", row->name, ops->name,
		     outcome_name(r.outcome), r.message ? r.message : "");
	cr_expect(r.instructions_counted, "%s on %s: not counted", row->name, ops->name);
	cr_expect_eq(r.instructions, row->instructions, "%s on %s: %llu instructions, counted by hand %llu",
		     row->name, ops->name, (unsigned long long)r.instructions,
		     (unsigned long long)row->instructions);
	if (row->ax >= 0)
		cr_expect_eq(r.regs.gpr[GPR_EAX] & 0xffff, (uint64_t)row->ax, "%s on %s: ax 0x%llx, expected 0x%llx",
			     row->name, ops->name, (unsigned long long)(r.regs.gpr[GPR_EAX] & 0xffff),
			     (unsigned long long)row->ax);
	run_result_free(&r);
}

ParameterizedTest(struct count_param *p, instruction_count, guest, .timeout = 30)
{
	check_row(&count_rows[p->row], count_backends[p->backend], X86_MODE_REAL);
}

/* A 64-bit interrupt gate at 0x3000 (kvmcheck's long mode has no IDT). */
#define GATE64(vector, handler) \
	"  mov rax, " handler "\n  mov [0x3000 + " vector " * 16], ax\n  mov word [0x3000 + " vector " * 16 + 2], 0x18\n" \
	"  mov word [0x3000 + " vector " * 16 + 4], 0x8e00\n  shr rax, 16\n  mov [0x3000 + " vector " * 16 + 6], ax\n" \
	"  shr rax, 16\n  mov [0x3000 + " vector " * 16 + 8], eax\n  lidt [idtr]\n"
#define IDTR64 "idtr: dw 0xfff\n  dq 0x3000\n"

/* Guests started in long mode, where this machine's KVM runs the guest
 * rather than emulating it. */
static const struct count_row long_mode_rows[] = {
	{ "a_long_mode_fault_whose_handler_halts_at_once_counts_the_hlt",
	  /* 9 for the gate and lidt, (ud2), hlt */
	  GATE64("6", "handler") "  ud2\nhandler:\n  hlt\n" IDTR64, 0, OUTCOME_HLT, 10, -1 },
	{ "a_long_mode_fault_frame_and_pushfq_show_no_trap_flag",
	  /* 9 for the gate and lidt, (ud2), mov, pushfq, pop, or, and, hlt */
	  GATE64("6", "handler") "  ud2\nhandler:\n  mov rax, [rsp + 16]\n  pushfq\n  pop rcx\n  or rax, rcx\n"
	  "  and rax, 0x100\n  hlt\n" IDTR64, 0, OUTCOME_HLT, 15, 0 },
	{ "a_long_mode_int_counts_with_the_handler",
	  /* 9 for the gate and lidt, xor, int, inc, iretq, hlt */
	  GATE64("0x30", "handler") "  xor eax, eax\n  int 0x30\n  hlt\nhandler:\n  inc eax\n  iretq\n" IDTR64,
	  0, OUTCOME_HLT, 14, 1 },
	{ "a_long_mode_alignment_check_does_not_count",
	  /* lgdt, mov, ltr, 9 for the gate and lidt, 3 to set CR0.AM, 5 pushes
	   * of a frame to level 3 with AC, iretq, (a misaligned load: #AC), hlt */
	  "  lgdt [gdtr]\n  mov ax, 0x30\n  ltr ax\n" GATE64("17", "handler")
	  "  mov rax, cr0\n  or eax, 1 << 18\n  mov cr0, rax\n"
	  "  push 0x23\n  push 0x6000\n  push 0x40202\n  push 0x2b\n  push user\n  iretq\n"
	  "user:\n  mov eax, [0x4001]\nhandler:\n  hlt\n" IDTR64
	  "align 8\ngdt: dq 0, 0x00cf9b000000ffff, 0x00cf93000000ffff, 0x00af9b000000ffff\n"
	  "  dq 0x00cff3000000ffff, 0x00affb000000ffff\n  dw 0x67, tss, 0x8900, 0\n  dq 0\n"
	  "gdtr: dw gdtr - gdt - 1\n  dq gdt\n"
	  "align 8\ntss: dd 0\n  dq 0x7000\n  times 0x68 - 12 db 0\n", 0, OUTCOME_HLT, 22, -1 },
	{ "a_long_mode_iretq_and_the_instruction_it_returns_to_count_two",
	  /* xor, mov, 5 pushes of a frame, iretq, inc, hlt */
	  "  xor eax, eax\n  mov rcx, rsp\n  push 0x10\n  push rcx\n  pushfq\n  push 0x18\n  push target\n  iretq\n"
	  "  inc eax\ntarget:\n  inc eax\n  hlt\n", 0, OUTCOME_HLT, 10, 1 },
};
#define LONG_MODE_ROWS (sizeof(long_mode_rows) / sizeof(long_mode_rows[0]))

ParameterizedTestParameters(instruction_count, long_mode_guest)
{
	static struct count_param params[LONG_MODE_ROWS * COUNT_BACKENDS];
	size_t n = 0;
	for (size_t r = 0; r < LONG_MODE_ROWS; r++)
		for (size_t b = 0; b < COUNT_BACKENDS; b++)
			params[n++] = (struct count_param){ r, b };
	return cr_make_param_array(struct count_param, params, n);
}

ParameterizedTest(struct count_param *p, instruction_count, long_mode_guest, .timeout = 30)
{
	check_row(&long_mode_rows[p->row], count_backends[p->backend], X86_MODE_LONG);
}
