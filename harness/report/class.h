/* class: the reports over many students' runs of the same cases (one
 * results record per student): the class CSV and the class summary. */
#ifndef KVMCHECK_CLASS_H
#define KVMCHECK_CLASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "record/record.h"
#include "report/report.h"

struct class_student {
	const char *name;
	const struct record *rec;  /* NULL: the run could not be made (counts as no points) */
};

/* One CSV field per RFC 4180: quoted when it holds a comma, quote, CR or
 * LF (quotes doubled), and a field starting with = + - @ (or a tab or CR)
 * gets a leading ' so that no spreadsheet reads it as a formula. */
int class_csv_field(FILE *out, const char *text);

/* The CSV: `student,points,max`, then a column per case of the first
 * student's record (its name, or FILE:INDEX where names repeat); a row per
 * student with its score (record/score.h) and the points each case earned
 * ("pass"/"fail" for an ungraded one, worth 0). */
int report_class_csv(const struct class_student *students, size_t count, FILE *out, char *err, size_t err_len);

/* For the console: students, mean, median, min and max score, a
 * distribution by tenths of the maximum, the cases most failed and a line
 * per student. */
int report_class_summary(const struct class_student *students, size_t count, FILE *out,
			 const struct render_options *opt, char *err, size_t err_len);

#endif
