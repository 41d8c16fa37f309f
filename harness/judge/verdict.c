#include "judge/verdict.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pattern.h"
#include "judge/hint.h"
#include "judge/memory_check.h"
#include "judge/normalise.h"
#include "x86/flag_names.h"

const char *verdict_status_name(enum verdict_status status)
{
	switch (status) {
	case VERDICT_PASS: return "pass";
	case VERDICT_FAIL: return "fail";
	case VERDICT_SKIP: return "skip";
	default: return "error";
	}
}

bool verdict_status_parse(const char *name, enum verdict_status *out)
{
	static const enum verdict_status all[] = { VERDICT_PASS, VERDICT_FAIL, VERDICT_ERROR, VERDICT_SKIP };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(verdict_status_name(all[i]), name) == 0) {
			*out = all[i];
			return true;
		}
	}
	return false;
}

int verdict_add_check(struct verdict *v, const struct check *check)
{
	struct check *grown = realloc(v->checks, (v->check_count + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	v->checks = grown;
	if (check_copy(&v->checks[v->check_count], check) < 0)
		return -1;
	v->check_count++;
	return 0;
}

const struct check *verdict_find(const struct verdict *v, enum check_kind kind, size_t nth)
{
	for (size_t i = 0; i < v->check_count; i++) {
		if (v->checks[i].kind == kind && nth-- == 0)
			return &v->checks[i];
	}
	return NULL;
}

void verdict_free(struct verdict *v)
{
	for (size_t i = 0; i < v->check_count; i++)
		check_free(&v->checks[i]);
	free(v->checks);
	v->checks = NULL;
	v->check_count = 0;
}

int verdict_add(struct verdict *v, enum check_kind kind, const char *label, const void *expected,
		       size_t expected_len, const void *actual, size_t actual_len, bool actual_known, bool passed,
		       int64_t first_difference)
{
	struct check c;
	if (check_set(&c, kind, label, expected, expected_len, actual, actual_len, actual_known, passed,
		      first_difference) < 0)
		return -1;
	int rc = verdict_add_check(v, &c);
	check_free(&c);
	return rc;
}

static int64_t bytes_first_difference(const struct bytes *a, const struct bytes *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	for (size_t i = 0; i < n; i++)
		if (a->data[i] != b->data[i])
			return (int64_t)i;
	return a->len == b->len ? -1 : (int64_t)n;
}

static int judge_outcome(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	const char *expected = outcome_name(c->expect_exit), *actual = outcome_name(r->outcome);
	return verdict_add(v, CHECK_OUTCOME, "exit", expected, strlen(expected), actual, strlen(actual), true,
			   r->outcome == c->expect_exit, -1);
}

/* Expected and actual as `compare:` reads them; with no option set, as they are. */
static int64_t serial_difference(const struct test_case *c, const struct bytes *expected,
				 const struct bytes *actual, bool *failed)
{
	if (!output_compare_any(&c->compare))
		return bytes_first_difference(expected, actual);
	struct bytes e = {0}, a = {0};
	int64_t diff = -1;
	*failed = output_normalise(expected, &c->compare, &e) < 0 || output_normalise(actual, &c->compare, &a) < 0;
	if (!*failed)
		diff = bytes_first_difference(&e, &a);
	bytes_free(&e);
	bytes_free(&a);
	return diff;
}

static int judge_serial(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	if (!c->expect_serial_set)
		return 0;
	bool failed = false;
	int64_t diff = serial_difference(c, &c->expect_serial, &r->output, &failed);
	if (failed)
		return -1;
	return verdict_add(v, CHECK_SERIAL, "output", c->expect_serial.data, c->expect_serial.len, r->output.data,
			   r->output.len, true, diff < 0, diff);
}

static bool bytes_contain(const struct bytes *haystack, const struct bytes *needle)
{
	if (needle->len == 0)
		return true;
	return haystack->len >= needle->len && memmem(haystack->data, haystack->len, needle->data, needle->len);
}

static int judge_one_substring(const struct test_case *c, const struct bytes *output, size_t i, struct verdict *v)
{
	struct bytes needle = {0};
	const struct bytes *want = &c->expect_contains[i];
	if (output_normalise(want, &c->compare, &needle) < 0)
		return -1;
	char label[32];
	snprintf(label, sizeof(label), "substring_%zu", i + 1);
	bool found = bytes_contain(output, &needle);
	bytes_free(&needle);
	/* The actual value is the whole output, shown beside the checks already. */
	return verdict_add(v, CHECK_SERIAL_CONTAINS, label, want->data, want->len, "", 0, false, found, -1);
}

static int judge_contains(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	if (!c->expect_contains_count)
		return 0;
	struct bytes output = {0};
	int rc = output_normalise(&r->output, &c->compare, &output);
	for (size_t i = 0; rc == 0 && i < c->expect_contains_count; i++)
		rc = judge_one_substring(c, &output, i, v);
	bytes_free(&output);
	return rc;
}

/* Case is left to PCRE2 (caseless), so a pattern's own classes keep their meaning. */
static int judge_matches(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	if (!c->expect_matches_set)
		return 0;
	struct output_compare layout = c->compare;
	layout.case_ignore = false;
	struct bytes output = {0};
	if (output_normalise(&r->output, &layout, &output) < 0)
		return -1;
	char why[200] = "";
	int found = pattern_search((const char *)c->expect_matches.data, c->expect_matches.len,
				   c->compare.case_ignore, output.data, output.len, why, sizeof(why));
	bytes_free(&output);
	return verdict_add(v, CHECK_SERIAL_MATCHES, "pattern", c->expect_matches.data, c->expect_matches.len,
			   found < 0 ? why : "", found < 0 ? strlen(why) : 0, found >= 0, found == 1, -1);
}

/* "0x" and as many digits as the register is wide. */
static int reg_hex(char *buf, size_t len, uint64_t value, int width)
{
	return snprintf(buf, len, "0x%0*" PRIx64, width / 4, value);
}

/* In the base the case wrote: hex alone, or decimal with the hex beside. */
static int reg_text(char *buf, size_t len, uint64_t value, int width, bool decimal)
{
	if (!decimal)
		return reg_hex(buf, len, value, width);
	char hex[24];
	reg_hex(hex, sizeof(hex), value, width);
	return snprintf(buf, len, "%" PRIu64 " (%s)", value, hex);
}

static int judge_register(const struct reg_value *want, bool decimal, const struct run_result *r,
			  struct verdict *v)
{
	char label[sizeof(want->name) + 1] = {0};
	memcpy(label, want->name, sizeof(want->name));
	uint64_t actual = r->regs_valid ? reg_get(&r->regs, want->ref) : 0;
	char expected_text[48], actual_text[48] = "";
	int elen = reg_text(expected_text, sizeof(expected_text), want->value, want->ref.width, decimal);
	int alen = r->regs_valid ? reg_text(actual_text, sizeof(actual_text), actual, want->ref.width, decimal) : 0;
	return verdict_add(v, CHECK_REGISTER, label, expected_text, (size_t)elen, actual_text, (size_t)alen,
			   r->regs_valid, r->regs_valid && actual == want->value, -1);
}

static int judge_registers(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	for (size_t i = 0; i < c->expect_regs.count; i++) {
		if (judge_register(&c->expect_regs.items[i], c->expect_regs_decimal[i], r, v) < 0)
			return -1;
	}
	return 0;
}

static int judge_flag(uint32_t bit, const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	char label[8];
	flag_names_set(bit, label, sizeof(label));
	for (char *p = label; *p; p++)
		*p = (char)(*p - 'A' + 'a');
	const char *expected = c->expect_flags_value & bit ? "1" : "0";
	const char *actual = r->regs_valid ? (r->regs.rflags & bit ? "1" : "0") : "";
	return verdict_add(v, CHECK_FLAG, label, expected, 1, actual, strlen(actual), r->regs_valid,
			   r->regs_valid && strcmp(expected, actual) == 0, -1);
}

static int judge_flags(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	for (int b = 0; b < 32; b++) {
		uint32_t bit = 1u << b;
		if ((c->expect_flags_mask & bit) && judge_flag(bit, c, r, v) < 0)
			return -1;
	}
	return 0;
}

static int judge_exit_code(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	if (!c->expect_exit_code_set)
		return 0;
	char expected[16], actual[16];
	int elen = snprintf(expected, sizeof(expected), "%" PRIu32, c->expect_exit_code);
	int alen = snprintf(actual, sizeof(actual), "%" PRIu32, r->exit_code);
	bool known = r->outcome == OUTCOME_EXIT;
	return verdict_add(v, CHECK_EXIT_CODE, "exit_code", expected, (size_t)elen, actual, known ? (size_t)alen : 0,
			   known, known && r->exit_code == c->expect_exit_code, -1);
}

static int judge_console(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	if (!c->expect_console_set)
		return 0;
	int64_t diff = bytes_first_difference(&c->expect_console, &r->console);
	return verdict_add(v, CHECK_CONSOLE, "console", c->expect_console.data, c->expect_console.len,
			   r->console.data, r->console.len, true, diff < 0, diff);
}

/* Limits the figure must stay within: the check's expected value is the
 * limit, its actual the figure (unknown when nothing was measured). */
static int judge_limit(struct verdict *v, enum check_kind kind, const char *label, uint64_t limit, bool known,
		       uint64_t actual)
{
	char expected[24], got[24];
	int elen = snprintf(expected, sizeof(expected), "%" PRIu64, limit);
	int alen = snprintf(got, sizeof(got), "%" PRIu64, actual);
	return verdict_add(v, kind, label, expected, (size_t)elen, got, known ? (size_t)alen : 0, known,
			   known && actual <= limit, -1);
}

/* A binary only exists once nasm accepted the source; the count exists
 * once a run counted (the run stops one past the limit). */
static int judge_metrics(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	if (c->expect_max_size_set &&
	    judge_limit(v, CHECK_MAX_SIZE, "max_size", c->expect_max_size, r->binary_size > 0, r->binary_size) < 0)
		return -1;
	if (c->expect_max_instructions_set &&
	    judge_limit(v, CHECK_MAX_INSTRUCTIONS, "max_instructions", c->expect_max_instructions,
			r->instructions_counted, r->instructions) < 0)
		return -1;
	return 0;
}

void verdict_screen_row(const struct bytes *screen, int row, char *line)
{
	int len = 0;
	for (int col = 0; col < CASE_SCREEN_COLUMNS; col++) {
		size_t at = 2 * ((size_t)row * CASE_SCREEN_COLUMNS + (size_t)col);
		char ch = at < screen->len ? (char)screen->data[at] : ' ';
		line[col] = ch ? ch : ' ';
		if (line[col] != ' ')
			len = col + 1;
	}
	line[len] = '\0';
}

/* The first `rows` rows of the screen as text, one line each. */
static int screen_text(const struct bytes *screen, int rows, struct bytes *text)
{
	for (int row = 0; row < rows; row++) {
		char line[CASE_SCREEN_COLUMNS + 2];
		verdict_screen_row(screen, row, line);
		strcat(line, "\n");
		if (bytes_append(text, line, strlen(line)) < 0)
			return -1;
	}
	return 0;
}

/* How many rows show everything written or expected: both texts end there,
 * so the first byte where they part is on the row that differs. */
static int screen_rows_used(const struct test_case *c, const struct bytes *screen)
{
	int rows = 0;
	for (int row = 0; row < CASE_SCREEN_ROWS; row++) {
		char line[CASE_SCREEN_COLUMNS + 1];
		verdict_screen_row(screen, row, line);
		if (line[0] || (c->expect_screen.rows[row] && c->expect_screen.rows[row][0]))
			rows = row + 1;
	}
	return rows;
}

/* expect.screen as a block: one check of the whole screen's text. */
static int judge_whole_screen(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	struct bytes want = {0}, got = {0};
	int rows = screen_rows_used(c, &r->screen);
	int rc = screen_text(&r->screen, rows, &got);
	for (int row = 0; row < rows && rc == 0; row++) {
		const char *text = c->expect_screen.rows[row] ? c->expect_screen.rows[row] : "";
		rc = bytes_append(&want, text, strlen(text)) < 0 || bytes_push(&want, '\n') < 0 ? -1 : 0;
	}
	int64_t diff = bytes_first_difference(&want, &got);
	if (rc == 0)
		rc = verdict_add(v, CHECK_SCREEN, "all", want.data, want.len, got.data, got.len, true, diff < 0, diff);
	bytes_free(&want);
	bytes_free(&got);
	return rc;
}

/* expect.screen as a mapping: one check per row it names. */
static int judge_screen_rows(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	for (int row = 0; row < CASE_SCREEN_ROWS; row++) {
		const char *want = c->expect_screen.rows[row];
		if (!want)
			continue;
		char got[CASE_SCREEN_COLUMNS + 1], label[16];
		verdict_screen_row(&r->screen, row, got);
		snprintf(label, sizeof(label), "row_%d", row);
		size_t n = strlen(want) < strlen(got) ? strlen(want) : strlen(got), at = 0;
		while (at < n && want[at] == got[at])
			at++;
		bool same = strcmp(want, got) == 0;
		if (verdict_add(v, CHECK_SCREEN, label, want, strlen(want), got, strlen(got), true, same,
				same ? -1 : (int64_t)at) < 0)
			return -1;
	}
	return 0;
}

static int judge_screen(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	if (!c->expect_screen.set)
		return 0;
	return c->expect_screen.whole ? judge_whole_screen(c, r, v) : judge_screen_rows(c, r, v);
}

/* The row where the screen's text first differs, from a failed screen check. */
static int screen_diff_row(const struct check *k)
{
	if (strncmp(k->label, "row_", 4) == 0)
		return atoi(k->label + 4);
	int row = 0;
	for (int64_t i = 0; i < k->first_difference && (size_t)i < k->expected.len; i++)
		row += k->expected.data[i] == '\n';
	return row;
}

/* Outcomes that mean the host, not the guest, let the case down. */
static bool outcome_is_harness_fault(const struct run_result *r)
{
	return r->outcome == OUTCOME_CASE_ERROR || r->host_fault;
}

/* Up to 60 bytes of outside text for a one-line reason; renderers escape it. */
static void reason_quote(const struct bytes *b, char *out, size_t len)
{
	int shown = (int)(b->len > 60 ? 60 : b->len);
	snprintf(out, len, "%.*s%s", shown, b->len ? (const char *)b->data : "", (size_t)shown < b->len ? "..." : "");
}

/* The checks after the registers: substrings, pattern, flags. */
static bool verdict_explain_more(struct verdict *v)
{
	for (size_t i = 0; i < v->check_count; i++) {
		const struct check *k = &v->checks[i];
		if (k->passed || (k->kind != CHECK_SERIAL_CONTAINS && k->kind != CHECK_SERIAL_MATCHES &&
				  k->kind != CHECK_FLAG))
			continue;
		if (k->kind == CHECK_FLAG) {
			snprintf(v->reason, sizeof(v->reason), "flag %s is %s, expected %s", k->label,
				 k->actual_known ? (const char *)k->actual.data : "unknown", (const char *)k->expected.data);
			return true;
		}
		char quoted[80];
		reason_quote(&k->expected, quoted, sizeof(quoted));
		if (k->kind == CHECK_SERIAL_CONTAINS)
			snprintf(v->reason, sizeof(v->reason), "serial output does not contain '%s'", quoted);
		else if (k->actual_known)
			snprintf(v->reason, sizeof(v->reason), "serial output does not match /%s/", quoted);
		else
			snprintf(v->reason, sizeof(v->reason), "serial_matches: %s", (const char *)k->actual.data);
		return true;
	}
	return false;
}

/* Why the first failing check of the firmware's kinds failed. */
static bool verdict_explain_program(const struct run_result *r, struct verdict *v)
{
	for (size_t i = 0; i < v->check_count; i++) {
		const struct check *k = &v->checks[i];
		if (k->passed)
			continue;
		if (k->kind == CHECK_EXIT_CODE)
			snprintf(v->reason, sizeof(v->reason), "exit code %" PRIu32 ", expected %s", r->exit_code,
				 (const char *)k->expected.data);
		else if (k->kind == CHECK_CONSOLE)
			snprintf(v->reason, sizeof(v->reason), "console output differs at byte %" PRId64,
				 k->first_difference);
		else if (k->kind == CHECK_SCREEN)
			snprintf(v->reason, sizeof(v->reason), "screen row %d differs", screen_diff_row(k));
		else
			continue;
		return true;
	}
	return false;
}

/* Why a limit was not kept: the figure against the limit. */
static bool verdict_explain_metrics(struct verdict *v)
{
	for (size_t i = 0; i < v->check_count; i++) {
		const struct check *k = &v->checks[i];
		if (k->passed || (k->kind != CHECK_MAX_SIZE && k->kind != CHECK_MAX_INSTRUCTIONS))
			continue;
		const char *what = k->kind == CHECK_MAX_SIZE ? "binary of" : "ran";
		const char *unit = k->kind == CHECK_MAX_SIZE ? "bytes" : "instructions";
		if (!k->actual_known)
			snprintf(v->reason, sizeof(v->reason), "%s unknown: nothing was measured (limit %s)", unit,
				 (const char *)k->expected.data);
		else
			snprintf(v->reason, sizeof(v->reason), "%s %s %s, more than the limit of %s", what,
				 (const char *)k->actual.data, unit, (const char *)k->expected.data);
		return true;
	}
	return false;
}

/* Why the first failing check failed, in the order the checks were made. */
static void verdict_explain(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	const struct check *outcome = verdict_find(v, CHECK_OUTCOME, 0);
	const struct check *serial = verdict_find(v, CHECK_SERIAL, 0);
	if (outcome && !outcome->passed) {
		/* The first line says enough; the whole message is reported beside. */
		const char *msg = r->message ? r->message : "";
		int first_line = (int)strcspn(msg, "\n");
		snprintf(v->reason, sizeof(v->reason), "outcome %s, expected %s%s%.*s", outcome_name(r->outcome),
			 outcome_name(c->expect_exit), *msg ? ": " : "", first_line, msg);
		return;
	}
	if (serial && !serial->passed) {
		snprintf(v->reason, sizeof(v->reason), "serial output differs at byte %" PRId64,
			 serial->first_difference);
		return;
	}
	for (size_t i = 0; i < c->expect_regs.count; i++) {
		const struct reg_value *want = &c->expect_regs.items[i];
		const struct check *got = verdict_find(v, CHECK_REGISTER, i);
		if (!got || got->passed)
			continue;
		uint64_t actual = r->regs_valid ? reg_get(&r->regs, want->ref) : 0;
		if (c->expect_regs_decimal[i])
			snprintf(v->reason, sizeof(v->reason), "register %s is %" PRIu64 " (0x%" PRIx64 "), expected %" PRIu64
				 " (0x%" PRIx64 ")", got->label, actual, actual, want->value, want->value);
		else
			snprintf(v->reason, sizeof(v->reason), "register %s is 0x%" PRIx64 ", expected 0x%" PRIx64,
				 got->label, actual, want->value);
		return;
	}
	if (!verdict_explain_more(v) && !verdict_explain_program(r, v) &&
	    !judge_screen_attributes_explain(c, r, v) && !judge_memory_explain(c, r, v))
		verdict_explain_metrics(v);
}

static bool verdict_all_passed(const struct verdict *v)
{
	for (size_t i = 0; i < v->check_count; i++) {
		if (!v->checks[i].passed)
			return false;
	}
	return true;
}

int verdict_judge(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	*v = (struct verdict){0};
	if (c->error) {
		v->status = VERDICT_ERROR;
		snprintf(v->reason, sizeof(v->reason), "%s", c->error);
		return 0;
	}
	if (judge_outcome(c, r, v) < 0 || judge_serial(c, r, v) < 0 || judge_contains(c, r, v) < 0 ||
	    judge_matches(c, r, v) < 0 || judge_registers(c, r, v) < 0 || judge_flags(c, r, v) < 0 ||
	    judge_exit_code(c, r, v) < 0 || judge_console(c, r, v) < 0 || judge_screen(c, r, v) < 0 ||
	    judge_screen_attributes(c, r, v) < 0 || judge_memory(c, r, v) < 0 || judge_metrics(c, r, v) < 0) {
		v->status = VERDICT_ERROR;
		snprintf(v->reason, sizeof(v->reason), "out of memory judging the case");
		return -1;
	}
	if (verdict_all_passed(v)) {
		v->status = VERDICT_PASS;
		return 0;
	}
	v->status = outcome_is_harness_fault(r) ? VERDICT_ERROR : VERDICT_FAIL;
	verdict_explain(c, r, v);
	hint_find(c, r, v, v->hint, sizeof(v->hint));
	return 0;
}
