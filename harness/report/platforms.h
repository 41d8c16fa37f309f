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

/* Failing cases of each student the class job summary shows in detail. */
#define STEP_SUMMARY_CLASS_FAILURES 3

struct class_student;

/* The job summary of a class run, at most limit bytes: one table of the
 * students (name, points, max, the cases they did not pass), then under a
 * heading per student the first STEP_SUMMARY_CLASS_FAILURES failures as
 * step_summary_write shows them; what does not fit is left out whole, in
 * student order, with the same closing note. 0, or -1 as there. */
int step_summary_class_write(const struct class_student *students, size_t count, FILE *out, size_t limit,
			     bool reveal_hidden);

/* Gradescope's autograder results.json. */
render_fn report_gradescope_render;

/* GitHub Classroom's test results (the JSON that the step output `result`
 * carries, base64-encoded, for classroom-resources/autograding-grading-reporter). */
render_fn report_classroom_render;

/* The job summary (step_summary_write with STEP_SUMMARY_LIMIT). */
render_fn report_step_summary_render;

/* The step outputs of a class run's students, one per student in order:
 * "result_" and the student's name with every byte but an ASCII letter or
 * digit made '_' ("result_alice", "result_o_brien" for o'brien); a name
 * that GitHub would take for an earlier one (it compares output names
 * without regard to case) gets "_2", "_3", ... Each is to carry what
 * `result` carries for a single run. NULL when memory runs out; free with
 * classroom_output_names_free. */
char **classroom_output_names(const struct class_student *students, size_t count);
void classroom_output_names_free(char **names, size_t count);

/* The class's index, the value of the step output `students`: a JSON array
 * of {"student", "output" (its step output's name), "score", "max_score",
 * "status" (as the Classroom result's)}, names escaped as text_escape does
 * where they are not UTF-8. 0, or -1 when memory runs out or out fails. */
int report_classroom_index(const struct class_student *students, char *const *outputs, size_t count, FILE *out);

/* Appends `name<<DELIMITER`, value and the delimiter, each on its own line,
 * to out: the form GITHUB_OUTPUT takes for any value. The delimiter is
 * random, so no value can end the entry early. 0, or -1 when out fails or
 * no random delimiter could be had. */
int github_output_write(FILE *out, const char *name, const char *value);

#endif
