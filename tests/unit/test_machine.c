/* Unit tests of the shared run loop (machine.c) on the emu backend: the exit
 * budget, the output limit, string I/O counting and the timeout, which must
 * hold the same on every backend. Guests are machine code. */
#include <criterion/criterion.h>
#include <string.h>

#include "machine/machine.h"

static struct run_result result;

static void machine_fini(void)
{
	run_result_free(&result);
}

static void run_guest(const uint8_t *code, size_t len, uint64_t max_exits, uint32_t output_limit)
{
	struct machine_config cfg = {
		.image = code,
		.image_len = len,
		.memory_size = 1u << 20,
		.max_exits = max_exits,
		.timeout_ms = 5000,
		.output_limit = output_limit,
	};
	cpu_state_reset(&cfg.initial);
	memset(&result, 0, sizeof(result));
	machine_run(&backend_emu, &cfg, &result);
}

/* mov dx,0x3f8; mov al,'A'; out dx,al; out dx,al; out dx,al; hlt */
static const uint8_t three_outs[] = { 0xba, 0xf8, 0x03, 0xb0, 'A', 0xee, 0xee, 0xee, 0xf4 };

TestSuite(machine, .fini = machine_fini);

Test(machine, every_exit_counts_and_hlt_is_one)
{
	run_guest(three_outs, sizeof(three_outs), 4, 1024);
	cr_assert_eq(result.outcome, OUTCOME_HLT);
	cr_assert_eq(result.exits, 4);
	cr_assert_eq(result.output.len, 3);
	cr_assert_str_eq(result.backend, "emu");
}

Test(machine, the_exit_beyond_the_budget_is_not_served)
{
	run_guest(three_outs, sizeof(three_outs), 2, 1024);
	cr_assert_eq(result.outcome, OUTCOME_MAX_EXITS);
	cr_assert_eq(result.exits, 2);
	cr_assert_eq(result.output.len, 2, "the third out was not served");
	cr_assert_str_eq(result.message, "exit budget of 2 spent");
}

Test(machine, output_beyond_the_limit_ends_the_run_keeping_the_limit)
{
	run_guest(three_outs, sizeof(three_outs), 100, 2);
	cr_assert_eq(result.outcome, OUTCOME_OUTPUT_LIMIT);
	cr_assert_eq(result.output.len, 2);
	cr_assert_eq(result.exits, 3, "the write that crossed the limit was an exit");
}

Test(machine, output_up_to_the_limit_is_fine)
{
	run_guest(three_outs, sizeof(three_outs), 100, 3);
	cr_assert_eq(result.outcome, OUTCOME_HLT);
	cr_assert_eq(result.output.len, 3);
}

Test(machine, rep_outsb_counts_one_exit_per_byte)
{
	/* cld; mov dx,0x3f8; mov si,0x100; mov cx,5; rep outsb; hlt */
	uint8_t code[0x106] = { 0xfc, 0xba, 0xf8, 0x03, 0xbe, 0x00, 0x01, 0xb9, 0x05, 0x00, 0xf3, 0x6e, 0xf4 };
	memcpy(code + 0x100, "hello", 5);
	run_guest(code, sizeof(code), 100, 1024);
	cr_assert_eq(result.outcome, OUTCOME_HLT);
	cr_assert_eq(result.exits, 6);
	cr_assert_eq(result.output.len, 5);
	cr_assert_eq(memcmp(result.output.data, "hello", 5), 0);
}

Test(machine, unserved_ports_read_all_ones)
{
	/* mov dx,0x80; in al,dx; hlt */
	static const uint8_t code[] = { 0xba, 0x80, 0x00, 0xec, 0xf4 };
	run_guest(code, sizeof(code), 100, 1024);
	cr_assert_eq(result.outcome, OUTCOME_HLT);
	cr_assert_eq(result.regs.gpr[GPR_EAX] & 0xff, 0xff);
}

Test(machine, a_wide_out_reaches_the_serial_port_from_the_port_below)
{
	/* mov dx,0x3f7; mov ax,0x4142; out dx,ax; hlt: 0x42 is dropped at 0x3f7, 0x41 reaches 0x3f8 */
	static const uint8_t code[] = { 0xba, 0xf7, 0x03, 0xb8, 0x42, 0x41, 0xef, 0xf4 };
	run_guest(code, sizeof(code), 100, 1024);
	cr_assert_eq(result.outcome, OUTCOME_HLT);
	cr_assert_eq(result.exits, 2);
	cr_assert_eq(result.firmware_exits, 0);
	cr_assert_eq(result.output.len, 1);
	cr_assert_eq(result.output.data[0], 'A');
}

Test(machine, a_spinning_guest_times_out)
{
	static const uint8_t code[] = { 0xeb, 0xfe }; /* jmp $ */
	struct machine_config cfg = {
		.image = code, .image_len = sizeof(code), .memory_size = 1u << 20,
		.max_exits = 100, .timeout_ms = 50, .output_limit = 1024,
	};
	cpu_state_reset(&cfg.initial);
	machine_run(&backend_emu, &cfg, &result);
	cr_assert_eq(result.outcome, OUTCOME_TIMEOUT);
	cr_assert_eq(result.exits, 0);
}

Test(machine, an_image_larger_than_ram_is_a_host_fault)
{
	static uint8_t big[8192];
	struct machine_config cfg = {
		.image = big, .image_len = sizeof(big), .memory_size = 4096,
		.max_exits = 100, .timeout_ms = 50, .output_limit = 1024,
	};
	cpu_state_reset(&cfg.initial);
	machine_run(&backend_emu, &cfg, &result);
	cr_assert_eq(result.outcome, OUTCOME_ERROR);
	cr_assert(result.host_fault);
	cr_assert_not_null(strstr(result.message, "does not fit"));
}

/* A fault on emu is run again to keep its last instructions, the faulting
 * one last; a rep outsb that repeats is kept once. */
Test(machine, a_fault_keeps_its_last_instructions)
{
	/* 0: mov dx,0x3f8; 3: mov cx,2; 6: mov si,0x20; 9: rep outsb;
	 * 11: mov ax,0xffff; 14: mov ds,ax; 16: mov al,[0x10]; 19: hlt */
	static const uint8_t code[] = { 0xba, 0xf8, 0x03, 0xb9, 0x02, 0x00, 0xbe, 0x20, 0x00, 0xf3, 0x6e,
					0xb8, 0xff, 0xff, 0x8e, 0xd8, 0xa0, 0x10, 0x00, 0xf4 };
	run_guest(code, sizeof(code), 100, 1024);
	cr_assert_eq(result.outcome, OUTCOME_ERROR);
	cr_assert_not(result.host_fault);
	cr_assert_eq(result.last_count, 4);
	static const uint64_t expected[] = { 9, 11, 14, 16 };
	for (size_t i = 0; i < 4; i++)
		cr_expect_eq(result.last_linear[i], expected[i], "%zu: %llu", i,
			     (unsigned long long)result.last_linear[i]);
	cr_assert_eq(result.output.len, 2, "the first run's output is kept, not the second's added");
}

/* Runs that end without a fault are not run again: nothing is kept. */
Test(machine, a_halt_keeps_no_instructions)
{
	run_guest(three_outs, sizeof(three_outs), 100, 1024);
	cr_assert_eq(result.outcome, OUTCOME_HLT);
	cr_assert_eq(result.last_count, 0);
}
