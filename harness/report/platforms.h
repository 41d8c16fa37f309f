/* platforms: the reports the grading platforms read: Gradescope's
 * results.json, GitHub Classroom's step output and the GitHub job summary.
 * Every one is student-facing, so hidden cases show only their name,
 * status and points (report/grading.h). */
#ifndef KVMCHECK_REPORT_PLATFORMS_H
#define KVMCHECK_REPORT_PLATFORMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "report/report.h"

/* GitHub refuses a job summary of a step above 1 MiB. */
#define STEP_SUMMARY_LIMIT (1024 * 1024)

/* Failing cases the job summary shows in detail; the rest are in the table. */
#define STEP_SUMMARY_FAILURES 5

/* The job summary as Markdown, at most limit bytes: the score, a table of
 * the cases, then the first failures; rows and failures that do not fit
 * are left out with a note saying so. Hidden cases show no details unless
 * reveal_hidden. 0, or -1 when memory runs out or out fails. */
int step_summary_write(const struct record *rec, FILE *out, size_t limit, bool reveal_hidden);

/* Gradescope's autograder results.json. */
render_fn report_gradescope_render;

/* GitHub Classroom's test results (the JSON that the step output `result`
 * carries, base64-encoded, for classroom-resources/autograding-grading-reporter). */
render_fn report_classroom_render;

/* The job summary (step_summary_write with STEP_SUMMARY_LIMIT). */
render_fn report_step_summary_render;

/* Appends `name<<DELIMITER`, value and the delimiter, each on its own line,
 * to out: the form GITHUB_OUTPUT takes for any value. The delimiter is
 * random, so no value can end the entry early. 0, or -1 when out fails or
 * no random delimiter could be had. */
int github_output_write(FILE *out, const char *name, const char *value);

#endif
