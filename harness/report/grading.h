/* grading: what the platform reports (Gradescope, GitHub) ask of a case
 * besides its result: its points, its tags, its Gradescope visibility and
 * whether a student may see its details (report/redact.h). One place, so
 * the platform renderers read no grading field directly. */
#ifndef KVMCHECK_REPORT_GRADING_H
#define KVMCHECK_REPORT_GRADING_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "record/record.h"

struct case_points {
	double earned, max;
};

/* The points case c earned and could have earned. */
struct case_points report_case_points(const struct record_case *c);

/* The points of every case together. */
struct case_points report_total_points(const struct record *rec);

/* Whether a student-facing report must leave out c's details (input,
 * expected and actual output, messages): only its name, status and points
 * may show. reveal_hidden: the instructor asked to see everything. */
bool report_case_details_hidden(const struct record_case *c, bool reveal_hidden);

/* Gradescope's visibility of c: the case's own, else after_published for
 * a hidden case, else visible. */
const char *report_case_visibility(const struct record_case *c);

/* c's tags (count in *count), or NULL when it has none. */
char *const *report_case_tags(const struct record_case *c, size_t *count);

/* When the run holds several case files, one line per file, in the order
 * the files first appear: prefix, the file's name (escaped as TAP and the
 * summary escape text), ": " and its score ("7.5/10"). Nothing for a run
 * of one file. 0, or -1 when memory runs out. */
int report_file_scores_write(FILE *out, const struct record *rec, const char *prefix);

/* Points as JSON: whole numbers without a fraction (the platforms add
 * them up in JavaScript and show them as they are). */
json_t *report_json_points(double value);

#endif
