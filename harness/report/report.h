/* report: what the report writers read: per case its identity, result and
 * verdict, plus what holds for the whole run. The writers themselves are
 * tap.c, junit.c, summary.c and results.c beside this header. */
#ifndef KVMCHECK_REPORT_H
#define KVMCHECK_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "machine/result.h"
#include "judge/verdict.h"

struct case_report {
	const char *file;       /* the case file as named on the command line */
	int index;              /* document index inside it */
	const char *name;
	const struct run_result *result;
	const struct verdict *verdict;
};

struct run_report {
	const char *version;
	const char *backend;     /* the backend chosen for the run */
	const struct case_report *cases;
	size_t count;
	uint64_t elapsed_ns;
};

struct report_options {
	bool tap_timing;         /* put durations into TAP (off: TAP is byte-identical run to run) */
	bool verbose;            /* diagnostics for passing cases too */
};

/* TAP version 13: plan, one test point per case, a YAML block per failure. */
int report_tap_write(FILE *out, const struct run_report *rep, const struct report_options *opt);

/* JUnit XML: a testsuite per case file, a testcase per case. Returns 0, or
 * -1 with err filled in. */
int report_junit_write(const char *path, const struct run_report *rep, char *err, size_t err_len);

/* The human summary for stderr: counts, failing cases with reasons, backend, time. */
void report_summary_write(FILE *out, const struct run_report *rep);

/* One line per case with everything two backends must agree on, for parity
 * checks: see README "Parity". */
int report_results_write(FILE *out, const struct run_report *rep);

#endif
