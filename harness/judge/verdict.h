/* verdict: compares a run_result with what its case expects. A verdict is a
 * list of checks (judge/check.h), one per expectation, so reports need
 * nothing but it and the result, and know no kind of check by name. */
#ifndef KVMCHECK_VERDICT_H
#define KVMCHECK_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "case/case.h"
#include "judge/check.h"
#include "machine/result.h"

enum verdict_status {
	VERDICT_PASS,
	VERDICT_FAIL,   /* the guest did not do what the case expects */
	VERDICT_ERROR,  /* the case could not be judged: invalid case, harness or host failure */
	VERDICT_SKIP,   /* the case did not run: the run was interrupted first */
};

struct verdict {
	enum verdict_status status;
	char reason[256];             /* one line, e.g. "serial output differs at byte 5" */
	char hint[640];               /* judge/hint.h: the likely bug, "" when none is recognised */
	struct check *checks;         /* in this order: outcome, serial, each register, exit code, console, screen, screen attributes, memory */
	size_t check_count;
};

/* The verdict on result for case c; c->error makes it VERDICT_ERROR with no
 * checks. Returns 0, or -1 when memory runs out (the verdict is then an
 * error saying so). verdict_free it either way. */
int verdict_judge(const struct test_case *c, const struct run_result *result, struct verdict *v);

/* Appends a copy of check. 0, or -1 when memory runs out. */
int verdict_add_check(struct verdict *v, const struct check *check);

/* Builds a check (check_set's fields) and appends it; 0, or -1 out of memory. */
int verdict_add(struct verdict *v, enum check_kind kind, const char *label, const void *expected, size_t expected_len,
		const void *actual, size_t actual_len, bool actual_known, bool passed, int64_t first_difference);

/* The nth check of kind (0 for the first), or NULL. */
const struct check *verdict_find(const struct verdict *v, enum check_kind kind, size_t nth);

void verdict_free(struct verdict *v);

const char *verdict_status_name(enum verdict_status status);

/* Row `row` of a screen (80x25 character and attribute bytes) as text into
 * line (at least 81 bytes): NUL characters as blanks, trailing blanks cut.
 * An empty or short screen reads as blank. */
void verdict_screen_row(const struct bytes *screen, int row, char *line);

/* The status named name ("pass", "fail", "error"); false when there is none. */
bool verdict_status_parse(const char *name, enum verdict_status *out);

#endif
