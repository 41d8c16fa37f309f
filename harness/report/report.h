/* report: every report is a renderer of the results record
 * (record/record.h) behind one interface; the renderers are tap.c, junit.c,
 * summary.c, results.c and json.c beside this header, listed in
 * renderers.c. */
#ifndef KVMCHECK_REPORT_H
#define KVMCHECK_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "record/record.h"

/* Which JUnit readers the file is for (README "Reports"). Jenkins' schema
 * (junit-10.xsd) allows no attribute on <testcase> beyond name, time,
 * classname and group; GitLab links a failure to its file by a `file`
 * attribute there, which that schema rejects. */
enum junit_flavor {
	JUNIT_FLAVOR_JENKINS, /* valid against junit-10.xsd: the default */
	JUNIT_FLAVOR_GITLAB,  /* testcases carry `file` (the case file) and `status` (the outcome) */
};

struct render_options {
	bool tap_timing;         /* put durations into TAP (off: TAP is byte-identical run to run) */
	bool verbose;            /* diagnostics for passing cases too */
	bool color;              /* the console summary may use ANSI colours */
	bool reveal_hidden;      /* hidden cases shown whole (report/redact.h): for the instructor */
	enum junit_flavor junit_flavor;
};

/* Writes rec to out in the renderer's format. 0, or -1 with err filled in. */
typedef int render_fn(const struct record *rec, FILE *out, const struct render_options *opt, char *err,
		      size_t err_len);

struct renderer {
	const char *name;
	render_fn *render;
};

/* The renderer called name (tap, junit, summary, results, json), or NULL. */
const struct renderer *renderer_find(const char *name);

/* Renders into the file at path, atomically: readers see the old file or
 * the whole new one, never a part (report/atomic_file.h). Folders above
 * path are made as needed. 0, or -1 with err naming path and the cause. */
int report_file_render(const char *path, const struct renderer *r, const struct record *rec,
		       const struct render_options *opt, char *err, size_t err_len);

/* TAP version 13: plan, one test point per case, a YAML block per failure. */
render_fn report_tap_render;

/* report_tap_render in parts, for a run that prints each test point as
 * soon as its case is judged: the head (version, backend, and the plan:
 * rec->count), each case's point with its diagnostics (number from 1),
 * then the tail. Together byte for byte report_tap_render's text. 0, or -1
 * when memory runs out. */
int report_tap_head(const struct record *rec, FILE *out);
int report_tap_point(const struct record_case *c, size_t number, FILE *out, const struct render_options *opt);
int report_tap_tail(const struct record *rec, FILE *out, const struct render_options *opt);

/* JUnit XML: a testsuite per case file, a testcase per case. */
render_fn report_junit_render;

/* The human summary for stderr: counts, failing cases with reasons, backend, time. */
render_fn report_summary_render;

/* One line per case with everything two backends must agree on, for parity
 * checks: see README "Parity". */
render_fn report_results_render;

/* One self-contained HTML page: a summary, then per case its status,
 * expected and actual output side by side, the diff, the registers. */
render_fn report_html_render;

/* The record itself, as JSON (record_json_write). */
render_fn report_json_render;

#endif
