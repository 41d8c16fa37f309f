#include "judge/verdict.h"

#include <stdio.h>
#include <string.h>

const char *verdict_status_name(enum verdict_status status)
{
	switch (status) {
	case VERDICT_PASS: return "pass";
	case VERDICT_FAIL: return "fail";
	default: return "error";
	}
}

static long bytes_first_difference(const struct bytes *a, const struct bytes *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	for (size_t i = 0; i < n; i++)
		if (a->data[i] != b->data[i])
			return (long)i;
	return a->len == b->len ? -1 : (long)n;
}

static void verdict_check_output(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	v->output_ok = true;
	v->output_diff_at = -1;
	if (!c->expect_serial_set)
		return;
	v->output_checked = true;
	v->expected_output = &c->expect_serial;
	v->output_diff_at = bytes_first_difference(&c->expect_serial, &r->output);
	v->output_ok = v->output_diff_at < 0;
}

static void verdict_check_console(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	v->console_ok = true;
	v->console_diff_at = -1;
	if (!c->expect_console_set)
		return;
	v->console_checked = true;
	v->console_diff_at = bytes_first_difference(&c->expect_console, &r->console);
	v->console_ok = v->console_diff_at < 0;
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

static void verdict_check_screen(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	v->screen_ok = true;
	v->screen_diff_row = -1;
	if (!c->expect_screen.set)
		return;
	v->screen_checked = true;
	for (int row = 0; row < CASE_SCREEN_ROWS && v->screen_ok; row++) {
		const char *want = c->expect_screen.rows[row];
		if (!want && !c->expect_screen.whole)
			continue;
		char line[CASE_SCREEN_COLUMNS + 1];
		verdict_screen_row(&r->screen, row, line);
		if (strcmp(line, want ? want : "") != 0) {
			v->screen_ok = false;
			v->screen_diff_row = row;
		}
	}
}

static void verdict_check_exit_code(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	v->exit_code_ok = true;
	if (!c->expect_exit_code_set)
		return;
	v->exit_code_checked = true;
	v->exit_code_ok = r->outcome == OUTCOME_EXIT && r->exit_code == c->expect_exit_code;
}

static void verdict_check_registers(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	v->regs_ok = true;
	v->reg_count = c->expect_regs.count;
	for (size_t i = 0; i < c->expect_regs.count; i++) {
		struct reg_check *check = &v->regs[i];
		check->expected = c->expect_regs.items[i];
		check->actual = r->regs_valid ? reg_get(&r->regs, check->expected.ref) : 0;
		check->ok = r->regs_valid && check->actual == check->expected.value;
		v->regs_ok &= check->ok;
	}
}

/* Outcomes that mean the host, not the guest, let the case down. */
static bool outcome_is_harness_fault(const struct run_result *r)
{
	return r->outcome == OUTCOME_CASE_ERROR || r->host_fault;
}

static void verdict_explain(const struct run_result *r, uint32_t expected_code, struct verdict *v)
{
	if (!v->outcome_ok) {
		/* The first line says enough; the whole message is reported beside. */
		const char *msg = r->message ? r->message : "";
		int first_line = (int)strcspn(msg, "\n");
		snprintf(v->reason, sizeof(v->reason), "outcome %s, expected %s%s%.*s", outcome_name(r->outcome),
			 outcome_name(v->expected_exit), *msg ? ": " : "", first_line, msg);
	}
	else if (!v->exit_code_ok)
		snprintf(v->reason, sizeof(v->reason), "exit code %u, expected %u", r->exit_code, expected_code);
	else if (!v->output_ok)
		snprintf(v->reason, sizeof(v->reason), "serial output differs at byte %ld", v->output_diff_at);
	else if (!v->console_ok)
		snprintf(v->reason, sizeof(v->reason), "console output differs at byte %ld", v->console_diff_at);
	else if (!v->screen_ok)
		snprintf(v->reason, sizeof(v->reason), "screen row %d differs", v->screen_diff_row);
	else if (!v->regs_ok)
		for (size_t i = 0; i < v->reg_count; i++) {
			const struct reg_check *check = &v->regs[i];
			if (check->ok)
				continue;
			snprintf(v->reason, sizeof(v->reason), "register %s is 0x%x, expected 0x%x",
				 check->expected.name, check->actual, check->expected.value);
			break;
		}
}

void verdict_judge(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->expected_exit = c->expect_exit;
	if (c->error) {
		v->status = VERDICT_ERROR;
		snprintf(v->reason, sizeof(v->reason), "%s", c->error);
		return;
	}
	v->outcome_ok = r->outcome == c->expect_exit;
	verdict_check_output(c, r, v);
	verdict_check_registers(c, r, v);
	verdict_check_exit_code(c, r, v);
	verdict_check_console(c, r, v);
	verdict_check_screen(c, r, v);
	if (v->outcome_ok && v->output_ok && v->regs_ok && v->exit_code_ok && v->console_ok && v->screen_ok) {
		v->status = VERDICT_PASS;
		return;
	}
	v->status = outcome_is_harness_fault(r) ? VERDICT_ERROR : VERDICT_FAIL;
	verdict_explain(r, c->expect_exit_code, v);
}
