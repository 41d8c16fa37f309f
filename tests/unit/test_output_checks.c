/* Unit tests for the flexible output checks (expect.serial_contains,
 * serial_matches, compare) and flags by name: loading them from YAML,
 * normalising output, and judging runs against them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case/case.h"
#include "core/pattern.h"
#include "judge/normalise.h"
#include "judge/verdict.h"
#include "testutil.h"
#include "x86/flag_names.h"

static struct case_list list;
static struct verdict v;

static void fini(void)
{
	case_list_free(&list);
	verdict_free(&v);
}

TestSuite(output_checks, .fini = fini);

static const struct test_case *load(const char *text)
{
	return tu_case_load_one(&list, "t.yaml", text);
}

static void assert_rejected(const char *text, const char *error)
{
	const struct test_case *c = load(text);
	cr_assert_not_null(c->error, "accepted, but should fail with: %s", error);
	cr_assert_str_eq(c->error, error);
}

/* Judges the case in text against a run that halted with output and flags. */
static void judge_text(const char *text, const char *output, size_t output_len, uint64_t rflags)
{
	const struct test_case *c = load(text);
	cr_assert_null(c->error, "unexpected error: %s", c->error);
	struct run_result r = { .outcome = OUTCOME_HLT, .backend = "emu", .regs_valid = true };
	cpu_state_reset(&r.regs);
	r.regs.rflags = rflags;
	r.output = (struct bytes){ .data = (uint8_t *)output, .len = output_len, .cap = output_len };
	verdict_free(&v);
	cr_assert_eq(verdict_judge(c, &r, &v), 0);
}

static const char *normalised(const char *in, struct output_compare cmp)
{
	static char buf[256];
	struct bytes from = { .data = (uint8_t *)in, .len = strlen(in), .cap = strlen(in) }, to = {0};
	cr_assert_eq(output_normalise(&from, &cmp, &to), 0);
	snprintf(buf, sizeof(buf), "%.*s", (int)to.len, to.len ? (const char *)to.data : "");
	bytes_free(&to);
	return buf;
}

Test(output_checks, normalise_table)
{
	static const struct {
		const char *in;
		struct output_compare cmp;
		const char *out;
	} rows[] = {
		{ "a\r\nb\rc\n", { .newlines_any = true }, "a\nb\nc\n" },
		{ "a\r\nb", {0}, "a\r\nb" },
		{ "a  \nb\t\n c ", { .trailing_space_ignore = true }, "a\nb\n c" },
		{ "a \r\n", { .trailing_space_ignore = true }, "a \r\n" },
		{ "a \r\n", { .trailing_space_ignore = true, .newlines_any = true }, "a\n" },
		{ "Hello, KVM!", { .case_ignore = true }, "hello, kvm!" },
		{ "", { .newlines_any = true, .trailing_space_ignore = true, .case_ignore = true }, "" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		cr_assert_str_eq(normalised(rows[i].in, rows[i].cmp), rows[i].out, "row %zu", i);
}

Test(output_checks, loads_every_key)
{
	const struct test_case *c = load("source: hlt\n"
					 "expect:\n"
					 "  serial_contains: [\"ab\", [\"c\", 0]]\n"
					 "  serial_matches: '^x\\d+$'\n"
					 "  compare: {newlines: any, trailing_space: ignore, case: exact}\n"
					 "  flags: {cf: 1, ZF: 0}\n"
					 "  registers: {ax: 120, bx: 0x78}\n");
	cr_assert_null(c->error, "%s", c->error);
	cr_assert_eq(c->expect_contains_count, 2);
	cr_assert_eq(c->expect_contains[1].len, 2);
	cr_assert_eq(c->expect_contains[1].data[1], 0);
	cr_assert(c->expect_matches_set);
	cr_assert(c->compare.newlines_any && c->compare.trailing_space_ignore && !c->compare.case_ignore);
	cr_assert_eq(c->expect_flags_mask, 0x41);
	cr_assert_eq(c->expect_flags_value, 0x01);
	cr_assert(c->expect_regs_decimal[0]);
	cr_assert(!c->expect_regs_decimal[1]);
}

Test(output_checks, one_substring_may_be_a_scalar)
{
	const struct test_case *c = load("source: hlt\nexpect: {serial_contains: abc}\n");
	cr_assert_null(c->error, "%s", c->error);
	cr_assert_eq(c->expect_contains_count, 1);
}

Test(output_checks, bad_keys_are_refused)
{
	assert_rejected("source: hlt\nexpect: {serial_matches: '(a'}\n",
			"t.yaml:2:26: 'serial_matches': invalid regular expression at offset 2: missing closing parenthesis");
	assert_rejected("source: hlt\nexpect: {compare: {newlines: some}}\n",
			"t.yaml:2:30: 'newlines' must be any or exact, not 'some'");
	assert_rejected("source: hlt\nexpect: {compare: {spaces: ignore}}\n",
			"t.yaml:2:20: unknown key 'spaces' in 'compare' (known: newlines, trailing_space, case)");
	assert_rejected("source: hlt\nexpect: {flags: {xf: 1}}\n",
			"t.yaml:2:18: unknown flag 'xf' (known: cf, pf, af, zf, sf, tf, if, df, of, nt, rf, vm, ac, vif, vip, id)");
	assert_rejected("source: hlt\nexpect: {flags: {cf: 2}}\n", "t.yaml:2:22: 'cf' is 2, more than its maximum 1");
	assert_rejected("source: hlt\nexpect: {exit: timeout, flags: {cf: 1}}\n",
			"t.yaml:2:32: flags cannot be checked when the guest ends by timeout: only after hlt are they the guest's own");
	assert_rejected("source: hlt\nexpect: {serial_contains: {a: 1}}\n",
			"t.yaml:2:27: 'serial_contains' must be a string or a list of strings, not a mapping");
}

static const struct {
	const char *yaml;
	const char *output;
	bool passes;
	const char *reason;
} judged[] = {
	{ "expect: {serial: \"hi\\n\", compare: {newlines: any}}", "hi\r\n", true, "" },
	{ "expect: {serial: \"hi\\n\"}", "hi\r\n", false, "serial output differs at byte 2" },
	{ "expect: {serial: \"a\\nb\", compare: {trailing_space: ignore}}", "a  \nb \t", true, "" },
	{ "expect: {serial: \"HELLO\", compare: {case: ignore}}", "hello", true, "" },
	{ "expect: {serial: \"HELLO\"}", "hello", false, "serial output differs at byte 0" },
	{ "expect: {serial_contains: [\"KVM\", \"Hello\"]}", "Hello, KVM!", true, "" },
	{ "expect: {serial_contains: [\"KVM\", \"World\"]}", "Hello, KVM!", false,
	  "serial output does not contain 'World'" },
	{ "expect: {serial_contains: [\"kvm\"], compare: {case: ignore}}", "Hello, KVM!", true, "" },
	{ "expect: {serial_matches: '^count: \\d+$'}", "start\ncount: 42\nend\n", true, "" },
	{ "expect: {serial_matches: '\\Acount'}", "start\ncount: 42\n", false,
	  "serial output does not match /\\Acount/" },
	{ "expect: {serial_matches: 'hello', compare: {case: ignore}}", "HELLO", true, "" },
	{ "expect: {serial_matches: 'x$', compare: {trailing_space: ignore, newlines: any}}", "x  \r\n", true, "" },
	{ "expect: {flags: {cf: 1, zf: 0}}", "", true, "" },
	{ "expect: {flags: {zf: 1}}", "", false, "flag zf is 0, expected 1" },
};

Test(output_checks, judging_table)
{
	for (size_t i = 0; i < sizeof(judged) / sizeof(judged[0]); i++) {
		char text[300];
		snprintf(text, sizeof(text), "source: hlt\n%s\n", judged[i].yaml);
		judge_text(text, judged[i].output, strlen(judged[i].output), 0x3);
		cr_assert_eq(v.status == VERDICT_PASS, judged[i].passes, "row %zu: %s", i, v.reason);
		cr_assert_str_eq(v.reason, judged[i].reason, "row %zu", i);
	}
}

Test(output_checks, substring_with_a_nul_byte)
{
	judge_text("source: hlt\nexpect: {serial_contains: [[\"a\", 0, \"b\"]]}\n", "xa\0b", 4, 0x2);
	cr_assert_eq(v.status, VERDICT_PASS, "%s", v.reason);
	judge_text("source: hlt\nexpect: {serial_contains: [[\"a\", 0, \"b\"]]}\n", "xab", 3, 0x2);
	cr_assert_eq(v.status, VERDICT_FAIL);
}

Test(output_checks, pattern_reads_bytes_not_utf8)
{
	char err[200];
	cr_assert_eq(pattern_search("\\xff", 4, false, "a\xff", 2, err, sizeof(err)), 1, "%s", err);
	cr_assert_eq(pattern_search("^b", 2, false, "a\nb", 3, err, sizeof(err)), 1);
	cr_assert_eq(pattern_search("(", 1, false, "a", 1, err, sizeof(err)), -1);
	cr_assert_eq(pattern_validate("a{2}", 4, err, sizeof(err)), 0);
}

Test(output_checks, decimal_registers_answer_in_decimal)
{
	judge_text("source: hlt\nexpect: {registers: {ax: 120}}\n", "", 0, 0x2);
	cr_assert_str_eq(v.reason, "register ax is 0 (0x0), expected 120 (0x78)");
	const struct check *k = verdict_find(&v, CHECK_REGISTER, 0);
	cr_assert_str_eq((const char *)k->expected.data, "120 (0x0078)");
	cr_assert_str_eq((const char *)k->actual.data, "0 (0x0000)");
	judge_text("source: hlt\nexpect: {registers: {ax: 0x78}}\n", "", 0, 0x2);
	cr_assert_str_eq(v.reason, "register ax is 0x0, expected 0x78");
}

Test(output_checks, flag_names)
{
	char buf[64];
	cr_assert_str_eq(flag_names_set(0x241, buf, sizeof(buf)), "CF ZF IF");
	cr_assert_str_eq(flag_names_set(0x2, buf, sizeof(buf)), "");
	uint32_t bit;
	cr_assert(flag_lookup("OF", &bit) && bit == 0x800);
	cr_assert(!flag_lookup("xf", &bit));
}
