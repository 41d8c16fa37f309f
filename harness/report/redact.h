/* redact: what a student may see of a case. A hidden case shows its name,
 * pass/fail and points only: never its input, expected or actual output,
 * diff, registers, messages or the values its checks compared. Every
 * renderer asks report_case_redacted before writing a case's details;
 * --reveal-hidden (for the instructor) shows everything. */
#ifndef KVMCHECK_REDACT_H
#define KVMCHECK_REDACT_H

#include <stdbool.h>

#include "record/record.h"

bool report_case_redacted(const struct record_case *c, bool reveal_hidden);

/* What reports are rendered from: shown borrows the head of rec (version,
 * backend and whatever else a run records) and owns copies of its cases,
 * where every case report_case_redacted keeps back holds only its
 * identity, name, status, outcome, times and grading: so a saved record,
 * and whatever is later rendered from it, cannot reveal it. 0, or -1 when
 * memory runs out (shown then holds no cases). Free it with
 * report_record_shown_free, never record_free. */
int report_record_shown(const struct record *rec, bool reveal_hidden, struct record *shown);

void report_record_shown_free(struct record *shown);

/* The same as a record of its own, for record_free: its head holds copies
 * of the version, backend and elapsed time only. 0, or -1 when memory runs
 * out (dst is then empty). */
int report_record_redact(const struct record *src, bool reveal_hidden, struct record *dst);

/* The one line shown for a redacted case instead of its reason. */
#define REPORT_REDACTED_REASON "hidden case: details are not shown"

#endif
