/* Unit tests for verdict.c: judging a run_result against its case, and
 * the checks (judge/check.h) the verdict is made of. */
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

/* The verdict of the test: a test process judges, reads and leaves; the
 * suite's fini frees what the last judging allocated. */
static struct verdict v;

static void verdict_fini(void)
{
	verdict_free(&v);
}

TestSuite(verdict_judge, .fini = verdict_fini);
TestSuite(verdict_checks, .fini = verdict_fini);

static void judge(const struct test_case *c, const struct run_result *r)
{
	verdict_free(&v);
	cr_assert_eq(verdict_judge(c, r, &v), 0);
}

static const struct check *outcome_check(void)
{
	const struct check *k = verdict_find(&v, CHECK_OUTCOME, 0);
	cr_assert_not_null(k, "every judged case has an outcome check");
	return k;
}

static const struct check *serial_check(void)
{
	return verdict_find(&v, CHECK_SERIAL, 0);
}

static bool output_ok(void)
{
	return !serial_check() || serial_check()->passed;
}

static long output_diff_at(void)
{
	return serial_check() ? (long)serial_check()->first_difference : -1;
}

static size_t reg_count(void)
{
	size_t n = 0;
	while (verdict_find(&v, CHECK_REGISTER, n))
		n++;
	return n;
}

static const struct check *reg_check(size_t i)
{
	const struct check *k = verdict_find(&v, CHECK_REGISTER, i);
	cr_assert_not_null(k, "register check %zu", i);
	return k;
}

static bool regs_ok(void)
{
	for (size_t i = 0; i < reg_count(); i++) {
		if (!reg_check(i)->passed)
			return false;
	}
	return true;
}

static void assert_text(const struct bytes *b, const char *text)
{
	cr_assert_eq(b->len, strlen(text), "%.*s vs %s", (int)b->len, (const char *)b->data, text);
	cr_assert_eq(memcmp(b->data, text, b->len), 0, "%.*s vs %s", (int)b->len, (const char *)b->data, text);
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
	case_init(&c);
	case_expect_serial(&c, "hello\n");
	case_expect_reg(&c, "ax", 0x1234);
	case_expect_reg(&c, "ah", 0x12);
	result_init(&r, OUTCOME_HLT, "hello\n");
	r.regs.gpr[GPR_EAX] = 0xffff1234;
	judge(&c, &r);
	cr_assert_eq(v.status, VERDICT_PASS, "reason: %s", v.reason);
	cr_assert_str_eq(v.reason, "");
	cr_assert(outcome_check()->passed && output_ok() && regs_ok());
	cr_assert_not_null(serial_check());
	assert_text(&serial_check()->expected, "hello\n");
	cr_assert_eq(output_diff_at(), -1);
	assert_text(&outcome_check()->expected, "hlt");
	cr_assert_eq(reg_count(), 2u);
	assert_text(&reg_check(0)->actual, "0x1234");
	cr_assert(reg_check(0)->passed && reg_check(1)->passed);
	cr_assert_str_eq(reg_check(1)->label, "ah");
}

Test(verdict_judge, output_is_not_checked_unless_expected)
{
	struct test_case c;
	struct run_result r;
	case_init(&c);
	result_init(&r, OUTCOME_HLT, "anything at all");
	judge(&c, &r);
	cr_assert_eq(v.status, VERDICT_PASS);
	cr_assert_null(serial_check());
	cr_assert_eq(v.check_count, 1u, "the outcome only");
	cr_assert_eq(output_diff_at(), -1);
}

Test(verdict_judge, expected_empty_output_fails_on_any_output)
{
	struct test_case c;
	struct run_result r;
	case_init(&c);
	case_expect_serial(&c, "");
	result_init(&r, OUTCOME_HLT, "x");
	judge(&c, &r);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert_eq(output_diff_at(), 0);
	cr_assert_str_eq(v.reason, "serial output differs at byte 0");
}

Test(verdict_judge, wrong_outcome_names_both)
{
	struct test_case c;
	struct run_result r;
	case_init(&c);
	result_init(&r, OUTCOME_SHUTDOWN, "");
	judge(&c, &r);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert_not(outcome_check()->passed);
	cr_assert_str_eq(v.reason, "outcome shutdown, expected hlt");

	c.expect_exit = OUTCOME_TIMEOUT;
	result_init(&r, OUTCOME_MAX_EXITS, "");
	r.message = "ran 10000 exits";
	judge(&c, &r);
	cr_assert_eq(v.status, VERDICT_FAIL);
	assert_text(&outcome_check()->expected, "timeout");
	cr_assert_str_eq(v.reason, "outcome max_exits, expected timeout: ran 10000 exits");
}

Test(verdict_judge, output_differs_at_first_differing_byte)
{
	struct test_case c;
	struct run_result r;
	case_init(&c);
	case_expect_serial(&c, "hello world");
	result_init(&r, OUTCOME_HLT, "hello World");
	judge(&c, &r);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert(outcome_check()->passed);
	cr_assert_not(output_ok());
	cr_assert_eq(output_diff_at(), 6);
	cr_assert_str_eq(v.reason, "serial output differs at byte 6");
}

Test(verdict_judge, output_prefix_differs_at_shorter_length)
{
	struct test_case c;
	struct run_result r;
	case_init(&c);
	case_expect_serial(&c, "abc");
	result_init(&r, OUTCOME_HLT, "abcdef");
	judge(&c, &r);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert_eq(output_diff_at(), 3, "guest wrote more than expected");

	case_expect_serial(&c, "abcdef");
	result_init(&r, OUTCOME_HLT, "ab");
	judge(&c, &r);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert_eq(output_diff_at(), 2, "guest wrote less than expected");
	cr_assert_str_eq(v.reason, "serial output differs at byte 2");
}

Test(verdict_judge, output_with_nul_bytes_is_compared_in_full)
{
	struct test_case c;
	struct run_result r;
	case_init(&c);
	static uint8_t want[] = { 'a', 0, 'b' }, got[] = { 'a', 0, 'c' };
	c.expect_serial_set = true;
	c.expect_serial = (struct bytes){ want, sizeof(want), sizeof(want) };
	result_init(&r, OUTCOME_HLT, "");
	r.output = (struct bytes){ got, sizeof(got), sizeof(got) };
	judge(&c, &r);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert_eq(output_diff_at(), 2);
}

Test(verdict_judge, register_mismatch_names_the_register)
{
	struct test_case c;
	struct run_result r;
	case_init(&c);
	case_expect_reg(&c, "bx", 0x10);
	case_expect_reg(&c, "cl", 0x7);
	case_expect_reg(&c, "ds", 0x1000);
	result_init(&r, OUTCOME_HLT, "");
	r.regs.gpr[GPR_EBX] = 0x10;
	r.regs.gpr[GPR_ECX] = 0x0305;
	cpu_state_set_real_segment(&r.regs, SEG_DS, 0x2000);
	judge(&c, &r);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert_not(regs_ok());
	cr_assert_eq(reg_count(), 3u);
	cr_assert(reg_check(0)->passed);
	cr_assert_not(reg_check(1)->passed);
	assert_text(&reg_check(1)->actual, "0x05");
	cr_assert_not(reg_check(2)->passed);
	assert_text(&reg_check(2)->actual, "0x2000");
	cr_assert_str_eq(v.reason, "register cl is 0x5, expected 0x7", "the first wrong register");
}

Test(verdict_judge, registers_fail_when_not_read_back)
{
	struct test_case c;
	struct run_result r;
	case_init(&c);
	case_expect_reg(&c, "ax", 0);
	result_init(&r, OUTCOME_HLT, "");
	r.regs_valid = false;
	judge(&c, &r);
	cr_assert_eq(v.status, VERDICT_FAIL, "a register 0 must not pass when none were read");
	cr_assert_not(reg_check(0)->passed);
	cr_assert_not(reg_check(0)->actual_known);
}

Test(verdict_judge, outcome_reason_comes_before_output_reason)
{
	struct test_case c;
	struct run_result r;
	case_init(&c);
	case_expect_serial(&c, "ok");
	result_init(&r, OUTCOME_TIMEOUT, "no");
	judge(&c, &r);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert_not(outcome_check()->passed);
	cr_assert_not(output_ok());
	cr_assert_eq(output_diff_at(), 0);
	cr_assert_str_eq(v.reason, "outcome timeout, expected hlt");
}

Test(verdict_judge, case_error_is_an_error_with_its_message)
{
	struct test_case c;
	struct run_result r;
	case_init(&c);
	c.error = "bad.yaml:3:7: unknown key 'x'";
	result_init(&r, OUTCOME_CASE_ERROR, "");
	r.backend = NULL;
	judge(&c, &r);
	cr_assert_eq(v.status, VERDICT_ERROR);
	cr_assert_str_eq(v.reason, "bad.yaml:3:7: unknown key 'x'");

	/* The case's error decides even when the result looks fine. */
	result_init(&r, OUTCOME_HLT, "");
	judge(&c, &r);
	cr_assert_eq(v.status, VERDICT_ERROR);
}

Test(verdict_judge, case_error_outcome_without_case_error_is_an_error)
{
	struct test_case c;
	struct run_result r;
	case_init(&c);
	result_init(&r, OUTCOME_CASE_ERROR, "");
	judge(&c, &r);
	cr_assert_eq(v.status, VERDICT_ERROR);
	cr_assert_str_eq(v.reason, "outcome case_error, expected hlt");
}

Test(verdict_judge, host_fault_is_an_error)
{
	struct test_case c;
	struct run_result r;
	case_init(&c);
	result_init(&r, OUTCOME_ERROR, "");
	r.host_fault = true;
	r.message = "cannot run nasm: No such file or directory";
	judge(&c, &r);
	cr_assert_eq(v.status, VERDICT_ERROR);
	cr_assert_str_eq(v.reason, "outcome error, expected hlt: cannot run nasm: No such file or directory");
}

Test(verdict_judge, guest_error_without_host_fault_is_a_failure)
{
	struct test_case c;
	struct run_result r;
	case_init(&c);
	result_init(&r, OUTCOME_ERROR, "");
	r.message = "unmapped memory at 0000:1234";
	judge(&c, &r);
	cr_assert_eq(v.status, VERDICT_FAIL);
}

Test(verdict_judge, assemble_error_is_a_failure)
{
	struct test_case c;
	struct run_result r;
	case_init(&c);
	result_init(&r, OUTCOME_ASSEMBLE_ERROR, "");
	r.regs_valid = false;
	r.message = "x.yaml:4: error: parser: instruction expected";
	judge(&c, &r);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert_str_eq(v.reason, "outcome assemble_error, expected hlt: x.yaml:4: error: parser: instruction expected");
}

Test(verdict_judge, expected_non_hlt_outcome_passes)
{
	struct test_case c;
	struct run_result r;
	case_init(&c);
	c.expect_exit = OUTCOME_SHUTDOWN;
	case_expect_serial(&c, "bye");
	result_init(&r, OUTCOME_SHUTDOWN, "bye");
	r.regs_valid = false;
	judge(&c, &r);
	cr_assert_eq(v.status, VERDICT_PASS, "reason: %s", v.reason);
}

Test(verdict_judge, long_message_is_truncated_safely)
{
	struct test_case c;
	struct run_result r;
	case_init(&c);
	char *msg = malloc(2000);
	cr_assert_not_null(msg);
	memset(msg, 'm', 1999);
	msg[1999] = '\0';
	result_init(&r, OUTCOME_SHUTDOWN, "");
	r.message = msg;
	judge(&c, &r);
	cr_assert_eq(strlen(v.reason), sizeof(v.reason) - 1);
	cr_assert_eq(strncmp(v.reason, "outcome shutdown, expected hlt: mmm", 35), 0);
	free(msg);
}

/* ---- the checks a verdict is made of ---- */

struct want_check {
	enum check_kind kind;
	const char *label, *expected, *actual;
	bool known, passed;
	int64_t first_difference;
};

struct judge_row {
	const char *what;
	enum outcome expect_exit, outcome;
	const char *expect_serial;   /* NULL: no `serial:` expectation */
	const char *output;
	const char *reg_names[3];    /* expected registers, NULL-terminated */
	uint32_t reg_values[3];
	bool regs_valid;
	uint32_t eax, ebx;
	const char *error;           /* the case is invalid */
	struct want_check want[5];
	size_t want_count;
};

#define OUTCOME_OK(name) { CHECK_OUTCOME, "exit", name, name, true, true, -1 }

static const struct judge_row judge_rows[] = {
	{ "outcome only", OUTCOME_HLT, OUTCOME_HLT, NULL, "ignored", {0}, {0}, true, 0, 0, NULL,
	  { OUTCOME_OK("hlt") }, 1 },
	{ "wrong outcome", OUTCOME_SHUTDOWN, OUTCOME_HLT, NULL, "", {0}, {0}, true, 0, 0, NULL,
	  { { CHECK_OUTCOME, "exit", "shutdown", "hlt", true, false, -1 } }, 1 },
	{ "serial differs", OUTCOME_HLT, OUTCOME_HLT, "abc", "abd", {0}, {0}, true, 0, 0, NULL,
	  { OUTCOME_OK("hlt"), { CHECK_SERIAL, "output", "abc", "abd", true, false, 2 } }, 2 },
	{ "serial equal", OUTCOME_HLT, OUTCOME_HLT, "abc", "abc", {0}, {0}, true, 0, 0, NULL,
	  { OUTCOME_OK("hlt"), { CHECK_SERIAL, "output", "abc", "abc", true, true, -1 } }, 2 },
	{ "registers, each at its width", OUTCOME_HLT, OUTCOME_HLT, NULL, "", { "ax", "bl", "eax" },
	  { 0x1234, 5, 0x1234 }, true, 0x1234, 0x06, NULL,
	  { OUTCOME_OK("hlt"), { CHECK_REGISTER, "ax", "0x1234", "0x1234", true, true, -1 },
	    { CHECK_REGISTER, "bl", "0x05", "0x06", true, false, -1 },
	    { CHECK_REGISTER, "eax", "0x00001234", "0x00001234", true, true, -1 } }, 4 },
	{ "registers not read back", OUTCOME_SHUTDOWN, OUTCOME_SHUTDOWN, "x", "x", { "ax" }, { 0 }, false, 0, 0, NULL,
	  { OUTCOME_OK("shutdown"), { CHECK_SERIAL, "output", "x", "x", true, true, -1 },
	    { CHECK_REGISTER, "ax", "0x0000", "", false, false, -1 } }, 3 },
	{ "invalid case: no checks", OUTCOME_HLT, OUTCOME_CASE_ERROR, "x", "", { "ax" }, { 0 }, false, 0, 0,
	  "bad.yaml:1:1: no", {{0}}, 0 },
};

static void row_case(const struct judge_row *row, struct test_case *c)
{
	case_init(c);
	c->expect_exit = row->expect_exit;
	c->error = (char *)row->error;
	if (row->expect_serial)
		case_expect_serial(c, row->expect_serial);
	for (size_t i = 0; i < 3 && row->reg_names[i]; i++)
		case_expect_reg(c, row->reg_names[i], row->reg_values[i]);
}

static void assert_check(const struct check *got, const struct want_check *want, const char *what, size_t i)
{
	cr_assert_eq(got->kind, want->kind, "%s: check %zu kind", what, i);
	cr_assert_str_eq(got->label, want->label, "%s: check %zu label", what, i);
	assert_text(&got->expected, want->expected);
	assert_text(&got->actual, want->actual);
	cr_assert_eq(got->actual_known, want->known, "%s: check %zu actual_known", what, i);
	cr_assert_eq(got->passed, want->passed, "%s: check %zu passed", what, i);
	cr_assert_eq(got->first_difference, want->first_difference, "%s: check %zu first_difference", what, i);
}

Test(verdict_checks, judge_builds_the_checks_the_case_asks_for)
{
	for (size_t t = 0; t < sizeof(judge_rows) / sizeof(judge_rows[0]); t++) {
		const struct judge_row *row = &judge_rows[t];
		struct test_case c;
		struct run_result r;
		row_case(row, &c);
		result_init(&r, row->outcome, row->output);
		r.regs_valid = row->regs_valid;
		r.regs.gpr[GPR_EAX] = row->eax;
		r.regs.gpr[GPR_EBX] = row->ebx;
		judge(&c, &r);
		cr_assert_eq(v.check_count, row->want_count, "%s: %zu checks", row->what, v.check_count);
		for (size_t i = 0; i < row->want_count; i++)
			assert_check(&v.checks[i], &row->want[i], row->what, i);
	}
}

Test(verdict_checks, kinds_have_names_and_a_place_in_reports)
{
	for (int k = 0; k < CHECK_KIND_COUNT; k++) {
		const struct check_kind_info *info = check_kind_info((enum check_kind)k);
		cr_assert_not_null(info);
		enum check_kind back;
		cr_assert(check_kind_parse(info->name, &back));
		cr_assert_eq(back, (enum check_kind)k);
		cr_assert((info->field != NULL) != (info->group != NULL), "%s: a field or a group, not both", info->name);
	}
	enum check_kind none;
	cr_assert_not(check_kind_parse("pixels", &none));
	cr_assert_null(check_kind_info(CHECK_KIND_COUNT));
}

Test(verdict_checks, copies_are_deep_and_equal)
{
	struct check a, b;
	cr_assert_eq(check_set(&a, CHECK_SERIAL, "output", "a\0b", 3, "\xff", 1, true, false, 0), 0);
	cr_assert_eq(check_copy(&b, &a), 0);
	cr_assert(check_equal(&a, &b));
	cr_assert_neq(a.expected.data, b.expected.data);
	b.actual.data[0] = 'x';
	cr_assert_not(check_equal(&a, &b));
	check_free(&a);
	check_free(&b);
}
