#include "judge/verdict.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *verdict_status_name(enum verdict_status status)
{
	switch (status) {
	case VERDICT_PASS: return "pass";
	case VERDICT_FAIL: return "fail";
	default: return "error";
	}
}

bool verdict_status_parse(const char *name, enum verdict_status *out)
{
	static const enum verdict_status all[] = { VERDICT_PASS, VERDICT_FAIL, VERDICT_ERROR };
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

/* Builds a check on the stack and appends it; the copy made is the verdict's. */
static int verdict_add(struct verdict *v, enum check_kind kind, const char *label, const void *expected,
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

static int judge_serial(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	if (!c->expect_serial_set)
		return 0;
	int64_t diff = bytes_first_difference(&c->expect_serial, &r->output);
	return verdict_add(v, CHECK_SERIAL, "output", c->expect_serial.data, c->expect_serial.len, r->output.data,
			   r->output.len, true, diff < 0, diff);
}

/* "0x" and as many digits as the register is wide. */
static int reg_hex(char *buf, size_t len, uint32_t value, int width)
{
	return snprintf(buf, len, "0x%0*" PRIx32, width / 4, value);
}

static int judge_register(const struct reg_value *want, const struct run_result *r, struct verdict *v)
{
	char label[sizeof(want->name) + 1] = {0};
	memcpy(label, want->name, sizeof(want->name));
	uint32_t actual = r->regs_valid ? reg_get(&r->regs, want->ref) : 0;
	char expected_text[16], actual_text[16] = "";
	int elen = reg_hex(expected_text, sizeof(expected_text), want->value, want->ref.width);
	int alen = r->regs_valid ? reg_hex(actual_text, sizeof(actual_text), actual, want->ref.width) : 0;
	return verdict_add(v, CHECK_REGISTER, label, expected_text, (size_t)elen, actual_text, (size_t)alen,
			   r->regs_valid, r->regs_valid && actual == want->value, -1);
}

static int judge_registers(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	for (size_t i = 0; i < c->expect_regs.count; i++) {
		if (judge_register(&c->expect_regs.items[i], r, v) < 0)
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

/* Why the first failing check of the firmware's kinds failed. */
static void verdict_explain_program(const struct run_result *r, struct verdict *v)
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
		return;
	}
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
		uint32_t actual = r->regs_valid ? reg_get(&r->regs, want->ref) : 0;
		snprintf(v->reason, sizeof(v->reason), "register %s is 0x%x, expected 0x%x", got->label, actual,
			 want->value);
		return;
	}
	verdict_explain_program(r, v);
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
	if (judge_outcome(c, r, v) < 0 || judge_serial(c, r, v) < 0 || judge_registers(c, r, v) < 0 ||
	    judge_exit_code(c, r, v) < 0 || judge_console(c, r, v) < 0 || judge_screen(c, r, v) < 0) {
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
	return 0;
}
