/* verdict: compares a run_result with what its case expects. The verdict
 * carries the expectations it checked, so reports need nothing but it and
 * the result. */
#ifndef KVMCHECK_VERDICT_H
#define KVMCHECK_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "case/case.h"
#include "machine/result.h"

enum verdict_status {
	VERDICT_PASS,
	VERDICT_FAIL,   /* the guest did not do what the case expects */
	VERDICT_ERROR,  /* the case could not be judged: invalid case, harness or host failure */
};

struct reg_check {
	struct reg_value expected;
	uint32_t actual;
	bool ok;
};

struct verdict {
	enum verdict_status status;
	char reason[256];             /* one line, e.g. "serial output differs at byte 5" */

	enum outcome expected_exit;
	bool outcome_ok;

	bool output_checked;
	const struct bytes *expected_output; /* the case's, when output_checked */
	long output_diff_at;          /* first differing byte offset, -1 when equal */
	bool output_ok;

	bool exit_code_checked;       /* expect.exit_code */
	bool exit_code_ok;

	bool console_checked;         /* expect.console: the firmware's character output */
	long console_diff_at;
	bool console_ok;

	bool screen_checked;          /* expect.screen */
	int screen_diff_row;          /* first row that differs, -1 when none */
	bool screen_ok;

	struct reg_check regs[CASE_MAX_REGS];
	size_t reg_count;
	bool regs_ok;
};

/* The verdict on result for case c; c->error makes it VERDICT_ERROR. The
 * verdict points into c, which must outlive it. */
void verdict_judge(const struct test_case *c, const struct run_result *result, struct verdict *v);

const char *verdict_status_name(enum verdict_status status);

/* Row `row` of a screen (80x25 character and attribute bytes) as text into
 * line (at least 81 bytes): NUL characters as blanks, trailing blanks cut.
 * An empty or short screen reads as blank. */
void verdict_screen_row(const struct bytes *screen, int row, char *line);

#endif
