/* Unit tests for verdict.c: judging a run_result against its case. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge/verdict.h"

/* A valid case expecting hlt and nothing else; no heap memory. */
static void case_init(struct test_case *c)
{
	memset(c, 0, sizeof(*c));
	c->file = "v.yaml";
	c->name = "v";
	c->source = "hlt";
	c->expect_exit = OUTCOME_HLT;
	c->memory_size = CASE_DEFAULT_MEMORY;
	c->max_exits = CASE_DEFAULT_MAX_EXITS;
	c->timeout_ms = CASE_DEFAULT_TIMEOUT_MS;
}

static void case_expect_serial(struct test_case *c, const char *text)
{
	c->expect_serial_set = true;
	c->expect_serial = (struct bytes){ .data = (uint8_t *)text, .len = strlen(text), .cap = strlen(text) };
}

static void case_expect_reg(struct test_case *c, const char *name, uint32_t value)
{
	struct reg_value *r = &c->expect_regs.items[c->expect_regs.count++];
	snprintf(r->name, sizeof(r->name), "%s", name);
	cr_assert(reg_lookup(name, &r->ref));
	r->value = value;
}

static void result_init(struct run_result *r, enum outcome outcome, const char *output)
{
	memset(r, 0, sizeof(*r));
	r->outcome = outcome;
	r->backend = "emu";
	r->output = (struct bytes){ .data = (uint8_t *)output, .len = strlen(output), .cap = strlen(output) };
	r->regs_valid = true;
	cpu_state_reset(&r->regs);
}

Test(verdict_judge, status_names)
{
	cr_assert_str_eq(verdict_status_name(VERDICT_PASS), "pass");
	cr_assert_str_eq(verdict_status_name(VERDICT_FAIL), "fail");
	cr_assert_str_eq(verdict_status_name(VERDICT_ERROR), "error");
}

Test(verdict_judge, everything_as_expected_passes)
{
	struct test_case c;
	struct run_result r;
	struct verdict v;
	case_init(&c);
	case_expect_serial(&c, "hello\n");
	case_expect_reg(&c, "ax", 0x1234);
	case_expect_reg(&c, "ah", 0x12);
	result_init(&r, OUTCOME_HLT, "hello\n");
	r.regs.gpr[GPR_EAX] = 0xffff1234;
	verdict_judge(&c, &r, &v);
	cr_assert_eq(v.status, VERDICT_PASS, "reason: %s", v.reason);
	cr_assert_str_eq(v.reason, "");
	cr_assert(v.outcome_ok && v.output_ok && v.regs_ok);
	cr_assert(v.output_checked);
	cr_assert_eq(v.expected_output, &c.expect_serial);
	cr_assert_eq(v.output_diff_at, -1);
	cr_assert_eq(v.expected_exit, OUTCOME_HLT);
	cr_assert_eq(v.reg_count, 2u);
	cr_assert_eq(v.regs[0].actual, 0x1234u);
	cr_assert(v.regs[0].ok && v.regs[1].ok);
	cr_assert_str_eq(v.regs[1].expected.name, "ah");
}

Test(verdict_judge, output_is_not_checked_unless_expected)
{
	struct test_case c;
	struct run_result r;
	struct verdict v;
	case_init(&c);
	result_init(&r, OUTCOME_HLT, "anything at all");
	verdict_judge(&c, &r, &v);
	cr_assert_eq(v.status, VERDICT_PASS);
	cr_assert_not(v.output_checked);
	cr_assert_null(v.expected_output);
	cr_assert_eq(v.output_diff_at, -1);
}

Test(verdict_judge, expected_empty_output_fails_on_any_output)
{
	struct test_case c;
	struct run_result r;
	struct verdict v;
	case_init(&c);
	case_expect_serial(&c, "");
	result_init(&r, OUTCOME_HLT, "x");
	verdict_judge(&c, &r, &v);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert_eq(v.output_diff_at, 0);
	cr_assert_str_eq(v.reason, "serial output differs at byte 0");
}

Test(verdict_judge, wrong_outcome_names_both)
{
	struct test_case c;
	struct run_result r;
	struct verdict v;
	case_init(&c);
	result_init(&r, OUTCOME_SHUTDOWN, "");
	verdict_judge(&c, &r, &v);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert_not(v.outcome_ok);
	cr_assert_str_eq(v.reason, "outcome shutdown, expected hlt");

	c.expect_exit = OUTCOME_TIMEOUT;
	result_init(&r, OUTCOME_MAX_EXITS, "");
	r.message = "ran 10000 exits";
	verdict_judge(&c, &r, &v);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert_eq(v.expected_exit, OUTCOME_TIMEOUT);
	cr_assert_str_eq(v.reason, "outcome max_exits, expected timeout: ran 10000 exits");
}

Test(verdict_judge, output_differs_at_first_differing_byte)
{
	struct test_case c;
	struct run_result r;
	struct verdict v;
	case_init(&c);
	case_expect_serial(&c, "hello world");
	result_init(&r, OUTCOME_HLT, "hello World");
	verdict_judge(&c, &r, &v);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert(v.outcome_ok);
	cr_assert_not(v.output_ok);
	cr_assert_eq(v.output_diff_at, 6);
	cr_assert_str_eq(v.reason, "serial output differs at byte 6");
}

Test(verdict_judge, output_prefix_differs_at_shorter_length)
{
	struct test_case c;
	struct run_result r;
	struct verdict v;
	case_init(&c);
	case_expect_serial(&c, "abc");
	result_init(&r, OUTCOME_HLT, "abcdef");
	verdict_judge(&c, &r, &v);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert_eq(v.output_diff_at, 3, "guest wrote more than expected");

	case_expect_serial(&c, "abcdef");
	result_init(&r, OUTCOME_HLT, "ab");
	verdict_judge(&c, &r, &v);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert_eq(v.output_diff_at, 2, "guest wrote less than expected");
	cr_assert_str_eq(v.reason, "serial output differs at byte 2");
}

Test(verdict_judge, output_with_nul_bytes_is_compared_in_full)
{
	struct test_case c;
	struct run_result r;
	struct verdict v;
	case_init(&c);
	static uint8_t want[] = { 'a', 0, 'b' }, got[] = { 'a', 0, 'c' };
	c.expect_serial_set = true;
	c.expect_serial = (struct bytes){ want, sizeof(want), sizeof(want) };
	result_init(&r, OUTCOME_HLT, "");
	r.output = (struct bytes){ got, sizeof(got), sizeof(got) };
	verdict_judge(&c, &r, &v);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert_eq(v.output_diff_at, 2);
}

Test(verdict_judge, register_mismatch_names_the_register)
{
	struct test_case c;
	struct run_result r;
	struct verdict v;
	case_init(&c);
	case_expect_reg(&c, "bx", 0x10);
	case_expect_reg(&c, "cl", 0x7);
	case_expect_reg(&c, "ds", 0x1000);
	result_init(&r, OUTCOME_HLT, "");
	r.regs.gpr[GPR_EBX] = 0x10;
	r.regs.gpr[GPR_ECX] = 0x0305;
	r.regs.seg[SEG_DS].selector = 0x2000;
	verdict_judge(&c, &r, &v);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert_not(v.regs_ok);
	cr_assert_eq(v.reg_count, 3u);
	cr_assert(v.regs[0].ok);
	cr_assert_not(v.regs[1].ok);
	cr_assert_eq(v.regs[1].actual, 0x05u);
	cr_assert_not(v.regs[2].ok);
	cr_assert_eq(v.regs[2].actual, 0x2000u);
	cr_assert_str_eq(v.reason, "register cl is 0x5, expected 0x7", "the first wrong register");
}

Test(verdict_judge, registers_fail_when_not_read_back)
{
	struct test_case c;
	struct run_result r;
	struct verdict v;
	case_init(&c);
	case_expect_reg(&c, "ax", 0);
	result_init(&r, OUTCOME_HLT, "");
	r.regs_valid = false;
	verdict_judge(&c, &r, &v);
	cr_assert_eq(v.status, VERDICT_FAIL, "a register 0 must not pass when none were read");
	cr_assert_not(v.regs[0].ok);
}

Test(verdict_judge, outcome_reason_comes_before_output_reason)
{
	struct test_case c;
	struct run_result r;
	struct verdict v;
	case_init(&c);
	case_expect_serial(&c, "ok");
	result_init(&r, OUTCOME_TIMEOUT, "no");
	verdict_judge(&c, &r, &v);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert_not(v.outcome_ok);
	cr_assert_not(v.output_ok);
	cr_assert_eq(v.output_diff_at, 0);
	cr_assert_str_eq(v.reason, "outcome timeout, expected hlt");
}

Test(verdict_judge, case_error_is_an_error_with_its_message)
{
	struct test_case c;
	struct run_result r;
	struct verdict v;
	case_init(&c);
	c.error = "bad.yaml:3:7: unknown key 'x'";
	result_init(&r, OUTCOME_CASE_ERROR, "");
	r.backend = NULL;
	verdict_judge(&c, &r, &v);
	cr_assert_eq(v.status, VERDICT_ERROR);
	cr_assert_str_eq(v.reason, "bad.yaml:3:7: unknown key 'x'");

	/* The case's error decides even when the result looks fine. */
	result_init(&r, OUTCOME_HLT, "");
	verdict_judge(&c, &r, &v);
	cr_assert_eq(v.status, VERDICT_ERROR);
}

Test(verdict_judge, case_error_outcome_without_case_error_is_an_error)
{
	struct test_case c;
	struct run_result r;
	struct verdict v;
	case_init(&c);
	result_init(&r, OUTCOME_CASE_ERROR, "");
	verdict_judge(&c, &r, &v);
	cr_assert_eq(v.status, VERDICT_ERROR);
	cr_assert_str_eq(v.reason, "outcome case_error, expected hlt");
}

Test(verdict_judge, host_fault_is_an_error)
{
	struct test_case c;
	struct run_result r;
	struct verdict v;
	case_init(&c);
	result_init(&r, OUTCOME_ERROR, "");
	r.host_fault = true;
	r.message = "cannot run nasm: No such file or directory";
	verdict_judge(&c, &r, &v);
	cr_assert_eq(v.status, VERDICT_ERROR);
	cr_assert_str_eq(v.reason, "outcome error, expected hlt: cannot run nasm: No such file or directory");
}

Test(verdict_judge, guest_error_without_host_fault_is_a_failure)
{
	struct test_case c;
	struct run_result r;
	struct verdict v;
	case_init(&c);
	result_init(&r, OUTCOME_ERROR, "");
	r.message = "unmapped memory at 0000:1234";
	verdict_judge(&c, &r, &v);
	cr_assert_eq(v.status, VERDICT_FAIL);
}

Test(verdict_judge, assemble_error_is_a_failure)
{
	struct test_case c;
	struct run_result r;
	struct verdict v;
	case_init(&c);
	result_init(&r, OUTCOME_ASSEMBLE_ERROR, "");
	r.regs_valid = false;
	r.message = "x.yaml:4: error: parser: instruction expected";
	verdict_judge(&c, &r, &v);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert_str_eq(v.reason, "outcome assemble_error, expected hlt: x.yaml:4: error: parser: instruction expected");
}

Test(verdict_judge, expected_non_hlt_outcome_passes)
{
	struct test_case c;
	struct run_result r;
	struct verdict v;
	case_init(&c);
	c.expect_exit = OUTCOME_SHUTDOWN;
	case_expect_serial(&c, "bye");
	result_init(&r, OUTCOME_SHUTDOWN, "bye");
	r.regs_valid = false;
	verdict_judge(&c, &r, &v);
	cr_assert_eq(v.status, VERDICT_PASS, "reason: %s", v.reason);
}

Test(verdict_judge, long_message_is_truncated_safely)
{
	struct test_case c;
	struct run_result r;
	struct verdict v;
	case_init(&c);
	char *msg = malloc(2000);
	cr_assert_not_null(msg);
	memset(msg, 'm', 1999);
	msg[1999] = '\0';
	result_init(&r, OUTCOME_SHUTDOWN, "");
	r.message = msg;
	verdict_judge(&c, &r, &v);
	cr_assert_eq(strlen(v.reason), sizeof(v.reason) - 1);
	cr_assert_eq(strncmp(v.reason, "outcome shutdown, expected hlt: mmm", 35), 0);
	free(msg);
}
