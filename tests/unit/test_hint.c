/* Unit tests for hint.c: each detector on a made-up run it should
 * recognise, and a run it should leave alone. The real guests behind each
 * hint run in tests/e2e/feedback.sh. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "judge/hint.h"

struct hint_row {
	const char *what;
	const char *detector;   /* NULL: no hint */
	const char *says;       /* a part of the hint */
	void (*setup)(struct test_case *c, struct run_result *r);
};

static void no_firmware_bios_call(struct test_case *c, struct run_result *r)
{
	c->expect_serial_set = true;
	c->expect_serial = (struct bytes){ .data = (uint8_t *)"A", .len = 1 };
	r->stop.firmware_call = 0x10;
	r->stop.firmware_call_ah_known = true;
	r->stop.firmware_call_ah = 0x0e;
}

static void dos_call(struct test_case *c, struct run_result *r)
{
	(void)c;
	r->outcome = OUTCOME_ERROR;
	r->stop.firmware_call = 0x21;
	r->stop.firmware_call_ah_known = true;
	r->stop.firmware_call_ah = 0x09;
}

static void bios_call_under_bios(struct test_case *c, struct run_result *r)
{
	c->firmware = CASE_FIRMWARE_BIOS;
	c->expect_serial_set = true;
	c->expect_serial = (struct bytes){ .data = (uint8_t *)"A", .len = 1 };
	r->stop.firmware_call = 0x10;
}

static void unmapped_read(struct test_case *c, struct run_result *r)
{
	(void)c;
	r->outcome = OUTCOME_ERROR;
	r->message = "unmapped memory read at 0x00100000 (guest at 0000:0005)";
	cpu_state_set_real_segment(&r->regs, SEG_DS, 0xffff);
}

static void serial_poll(struct test_case *c, struct run_result *r)
{
	(void)c;
	r->outcome = OUTCOME_MAX_EXITS;
	r->regs.gpr[GPR_EDX] = 0x3fd;
}

static void serial_port_but_halted(struct test_case *c, struct run_result *r)
{
	(void)c;
	r->regs.gpr[GPR_EDX] = 0x3fd;
}

static void past_the_end(struct test_case *c, struct run_result *r)
{
	(void)c;
	r->outcome = OUTCOME_ERROR;
	r->stop.place = STOP_PAST_END;
	r->stop.offset = 0x2f;
}

static void no_hlt_anywhere(struct test_case *c, struct run_result *r)
{
	(void)c;
	r->outcome = OUTCOME_TIMEOUT;
	r->stop.place = STOP_OUTSIDE;
	r->stop.program_has_hlt = false;
}

/* The walk through zeros moved sp as well, by however far it went when
 * the timeout came. */
static void no_hlt_with_the_stack_moved(struct test_case *c, struct run_result *r)
{
	no_hlt_anywhere(c, r);
	c->load_address = 0x100;
	r->stop.program_known = true;
	r->regs.gpr[GPR_ESP] = 0x1a;
}

static void into_data(struct test_case *c, struct run_result *r)
{
	(void)c;
	r->outcome = OUTCOME_SHUTDOWN;
	r->stop.place = STOP_IN_DATA;
	r->stopped_at = "hello.asm:20 `msg: db \"Hello\"`, in data";
}

static void stack_in_program(struct test_case *c, struct run_result *r)
{
	(void)c;
	r->outcome = OUTCOME_SHUTDOWN;
	r->regs.gpr[GPR_ESP] = 0x10;
}

static void popped_past_the_top(struct test_case *c, struct run_result *r)
{
	c->load_address = 0x100;
	r->outcome = OUTCOME_TIMEOUT;
	r->stop.place = STOP_IN_CODE;
	r->stop.program_has_hlt = true;
	r->regs.gpr[GPR_ESP] = 0x2;
	r->regs.gpr[GPR_EDX] = 0;
}

static void output_short(struct test_case *c, struct run_result *r)
{
	c->expect_serial_set = true;
	c->expect_serial = (struct bytes){ .data = (uint8_t *)"Hello", .len = 5 };
	r->output = (struct bytes){ .data = (uint8_t *)"He", .len = 2 };
}

static void output_wrong(struct test_case *c, struct run_result *r)
{
	c->expect_serial_set = true;
	c->expect_serial = (struct bytes){ .data = (uint8_t *)"Hello", .len = 5 };
	r->output = (struct bytes){ .data = (uint8_t *)"Hx", .len = 2 };
}

static void hlt_woken_then_past_the_end(struct test_case *c, struct run_result *r)
{
	past_the_end(c, r);
	r->hlt_woke = (struct hlt_wake){ .woke = true, .cs = 0, .ip = 0x7c1d };
}

static void stuck_in_a_loop(struct test_case *c, struct run_result *r)
{
	(void)c;
	r->outcome = OUTCOME_TIMEOUT;
	r->stop.place = STOP_IN_CODE;
	r->stop.program_has_hlt = true;
	r->stopped_at = "spin.asm:4 `jmp $`";
}

static const struct hint_row rows[] = {
	{ "int 10h without firmware", "firmware_call", "int 0x10 with AH=0x0e (teletype output)",
	  no_firmware_bios_call },
	{ "the BIOS preset is named", "firmware_call", "`preset: boot`", no_firmware_bios_call },
	{ "int 21h names DOS", "firmware_call", "`preset: com`", dos_call },
	{ "int 10h under the BIOS is no bug", NULL, NULL, bios_call_under_bios },
	{ "an unmapped read names the address and ds", "unmapped", "a read at 0x100000 (ds=ffff", unmapped_read },
	{ "polling the line status", "serial_poll", "port 0x3fd", serial_poll },
	{ "the poll hint names the missing input", "serial_poll", "this case has no `input:`", serial_poll },
	{ "dx=3fd at a clean hlt is no poll", NULL, NULL, serial_port_but_halted },
	{ "past the end of the program", "no_hlt", "ran past the end of the program (offset 0x2f", past_the_end },
	{ "no hlt in the program", "no_hlt", "the program has no `hlt`", no_hlt_anywhere },
	{ "no hlt, and sp moved by the walk", "no_hlt", "the program has no `hlt`", no_hlt_with_the_stack_moved },
	{ "into the data", "no_hlt", "reached the program's data, at hello.asm:20", into_data },
	{ "the stack inside the program", "stack", "ss:sp = 0000:0010 lies inside the program", stack_in_program },
	{ "popped more than pushed", "stack", "2 bytes above where the run started it", popped_past_the_top },
	{ "output stopped early", "output_short", "stopped after 2 of the 5 bytes expected", output_short },
	{ "wrong output is not short", NULL, NULL, output_wrong },
	{ "a loop at the timeout", "stuck", "at spin.asm:4 `jmp $`", stuck_in_a_loop },
	{ "a hlt the timer woke, then past the end", "hlt_woke", "halted at 0000:7c1d with interrupts enabled",
	  hlt_woken_then_past_the_end },
};

/* A flat case of a 0x20-byte program at 0 expecting hlt, and a run that
 * halted in it with every register 0, except what setup changes. */
static void hint_check(const struct hint_row *row)
{
	struct test_case c;
	memset(&c, 0, sizeof(c));
	c.file = "h.yaml";
	c.source = "hlt";
	c.expect_exit = OUTCOME_HLT;
	c.memory_size = CASE_DEFAULT_MEMORY;
	c.max_exits = CASE_DEFAULT_MAX_EXITS;
	c.timeout_ms = CASE_DEFAULT_TIMEOUT_MS;
	struct run_result r = { .outcome = OUTCOME_HLT, .regs_valid = true, .backend = "emu" };
	cpu_state_reset(&r.regs);
	r.regs.rip = 0x10;
	r.stop = (struct stop_info){ .place = STOP_IN_CODE, .offset = 0xf, .program_size = 0x20,
				     .program_known = true, .program_has_hlt = true };
	row->setup(&c, &r);
	struct verdict v;
	cr_assert_eq(verdict_judge(&c, &r, &v), 0, "%s", row->what);
	if (!row->detector) {
		cr_expect_str_eq(v.hint, "", "%s: %s", row->what, v.hint);
	} else {
		char hint[sizeof(v.hint)];
		const char *name = hint_find(&c, &r, &v, hint, sizeof(hint));
		cr_expect_str_eq(name ? name : "(none)", row->detector, "%s: %s", row->what, hint);
		cr_expect_str_eq(v.hint, hint, "%s: the verdict carries the hint", row->what);
		cr_expect_not_null(strstr(hint, row->says), "%s: %s", row->what, hint);
		cr_expect_not_null(strstr(hint, "Observed: "), "%s", row->what);
		cr_expect_not_null(strstr(hint, "Likely cause: "), "%s", row->what);
	}
	verdict_free(&v);
}

Test(hint, each_detector_recognises_its_bug)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++)
		hint_check(&rows[i]);
}

Test(hint, a_passing_run_gets_none)
{
	struct test_case c;
	memset(&c, 0, sizeof(c));
	c.file = "h.yaml";
	c.expect_exit = OUTCOME_HLT;
	struct run_result r = { .outcome = OUTCOME_HLT, .stop = { .place = STOP_PAST_END, .firmware_call = 0x10 } };
	struct verdict v;
	cr_assert_eq(verdict_judge(&c, &r, &v), 0);
	cr_assert_eq(v.status, VERDICT_PASS);
	cr_expect_str_eq(v.hint, "");
	verdict_free(&v);
}
