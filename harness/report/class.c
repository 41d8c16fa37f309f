#include "report/class.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/strfmt.h"
#include "core/text_escape.h"
#include "record/score.h"

#define CLASS_MOST_FAILED 5
#define CLASS_BINS 5

int class_csv_field(FILE *out, const char *text)
{
	bool formula = strchr("=+-@\t\r", text[0]) && text[0];
	bool quote = formula || strpbrk(text, ",\"\r\n") != NULL;
	if (quote && fputc('"', out) == EOF)
		return -1;
	if (formula && fputc('\'', out) == EOF)
		return -1;
	for (const char *p = text; *p; p++) {
		if ((*p == '"' && fputc('"', out) == EOF) || fputc(*p, out) == EOF)
			return -1;
	}
	return quote && fputc('"', out) == EOF ? -1 : 0;
}

static struct score student_score(const struct class_student *s)
{
	return s->rec ? record_score(s->rec) : (struct score){0};
}

/* The record with the cases that define the columns: the first there is. */
static const struct record *class_columns(const struct class_student *students, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (students[i].rec)
			return students[i].rec;
	return NULL;
}

static const struct record_case *case_find(const struct record *rec, const struct record_case *like)
{
	for (size_t i = 0; rec && i < rec->count; i++)
		if (rec->cases[i].index == like->index && strcmp(rec->cases[i].file, like->file) == 0)
			return &rec->cases[i];
	return NULL;
}

static bool name_unique(const struct record *rec, size_t at)
{
	const char *name = rec->cases[at].name;
	if (!name || !name[0])
		return false;
	for (size_t i = 0; i < rec->count; i++)
		if (i != at && rec->cases[i].name && strcmp(rec->cases[i].name, name) == 0)
			return false;
	return true;
}

/* A case's column heading, to free. */
static char *case_label(const struct record *rec, size_t i)
{
	if (name_unique(rec, i))
		return strdup(rec->cases[i].name);
	char *label = NULL;
	return asprintf(&label, "%s:%d", rec->cases[i].file, rec->cases[i].index) < 0 ? NULL : label;
}

static int csv_header(const struct record *columns, FILE *out)
{
	int rc = fputs("student,points,max", out) == EOF ? -1 : 0;
	for (size_t i = 0; rc == 0 && columns && i < columns->count; i++) {
		char *label = case_label(columns, i);
		rc = label && fputc(',', out) != EOF ? class_csv_field(out, label) : -1;
		free(label);
	}
	return rc == 0 && fputs("\r\n", out) != EOF ? 0 : -1;
}

static const char *case_cell(const struct record_case *c, char *buf, size_t len)
{
	if (!c)
		return "";
	if (c->points_max == 0)
		return c->status == VERDICT_PASS ? "pass" : "fail";
	points_format(c->points_earned, buf, len);
	return buf;
}

static int csv_row(const struct class_student *s, const struct record *columns, FILE *out)
{
	struct score score = student_score(s);
	char earned[64], max[64];
	points_format(score.earned, earned, sizeof(earned));
	points_format(score.max, max, sizeof(max));
	int rc = class_csv_field(out, s->name);
	if (rc == 0 && fprintf(out, ",%s,%s", earned, max) < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && columns && i < columns->count; i++) {
		char buf[64];
		const char *cell = case_cell(case_find(s->rec, &columns->cases[i]), buf, sizeof(buf));
		rc = fputc(',', out) == EOF ? -1 : class_csv_field(out, cell);
	}
	return rc == 0 && fputs("\r\n", out) != EOF ? 0 : -1;
}

int report_class_csv(const struct class_student *students, size_t count, FILE *out, char *err, size_t err_len)
{
	const struct record *columns = class_columns(students, count);
	int rc = csv_header(columns, out);
	for (size_t i = 0; rc == 0 && i < count; i++)
		rc = csv_row(&students[i], columns, out);
	if (rc == 0 && fflush(out) == 0 && !ferror(out))
		return 0;
	strfmt_err(err, err_len, "class CSV: %s", ferror(out) ? strerror(errno) : "out of memory");
	return -1;
}

/* ---- the class summary ---- */

static int double_order(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Each student's share of the maximum, 0..1, sorted. */
static double *class_shares(const struct class_student *students, size_t count)
{
	double *shares = calloc(count ? count : 1, sizeof(*shares));
	for (size_t i = 0; shares && i < count; i++) {
		struct score s = student_score(&students[i]);
		shares[i] = s.max > 0 ? s.earned / s.max : 0;
	}
	if (shares)
		qsort(shares, count, sizeof(*shares), double_order);
	return shares;
}

static double median_of(const double *sorted, size_t count)
{
	if (count == 0)
		return 0;
	return count % 2 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2;
}

static void summary_scores(const double *shares, size_t count, FILE *out)
{
	double sum = 0;
	for (size_t i = 0; i < count; i++)
		sum += shares[i];
	fprintf(out, "  score: mean %.1f%%, median %.1f%%, min %.1f%%, max %.1f%%\n",
		count ? 100 * sum / (double)count : 0, 100 * median_of(shares, count),
		count ? 100 * shares[0] : 0, count ? 100 * shares[count - 1] : 0);
}

/* Fifths of the maximum; a full score falls in the last. */
static void summary_distribution(const double *shares, size_t count, FILE *out)
{
	size_t bins[CLASS_BINS] = {0};
	for (size_t i = 0; i < count; i++) {
		size_t bin = (size_t)(shares[i] * CLASS_BINS);
		bins[bin < CLASS_BINS ? bin : CLASS_BINS - 1]++;
	}
	for (size_t b = 0; b < CLASS_BINS; b++) {
		unsigned lo = (unsigned)(b * 100 / CLASS_BINS), hi = (unsigned)((b + 1) * 100 / CLASS_BINS);
		fprintf(out, "  %3u-%3u%%%c %3zu%s", lo, hi, b + 1 == CLASS_BINS ? ']' : ')', bins[b], bins[b] ? " " : "");
		for (size_t i = 0; i < bins[b] && i < 50; i++)
			fputc('#', out);
		fputc('\n', out);
	}
}

/* How many students did not pass each case of the columns. */
static size_t *failures_count(const struct class_student *students, size_t count, const struct record *columns)
{
	size_t *failed = calloc(columns->count ? columns->count : 1, sizeof(*failed));
	for (size_t i = 0; failed && i < columns->count; i++)
		for (size_t s = 0; s < count; s++) {
			const struct record_case *c = case_find(students[s].rec, &columns->cases[i]);
			failed[i] += !c || c->status != VERDICT_PASS;
		}
	return failed;
}

static void summary_most_failed(const struct class_student *students, size_t count, const struct record *columns,
				FILE *out)
{
	size_t *failed = columns ? failures_count(students, count, columns) : NULL;
	if (!failed)
		return;
	fputs("  most failed cases:\n", out);
	for (size_t shown = 0; shown < CLASS_MOST_FAILED; shown++) {
		size_t worst = columns->count;
		for (size_t i = 0; i < columns->count; i++)
			if (failed[i] && (worst == columns->count || failed[i] > failed[worst]))
				worst = i;
		if (worst == columns->count)
			break;
		char *label = case_label(columns, worst);
		char *shown_label = label ? text_escape_str(label, TEXT_ESCAPE_KEEP_UTF8) : NULL;
		fprintf(out, "    %s: failed by %zu of %zu\n", shown_label ? shown_label : "?", failed[worst], count);
		free(label);
		free(shown_label);
		failed[worst] = 0;
	}
	free(failed);
}

static void summary_students(const struct class_student *students, size_t count, FILE *out,
			     const struct render_options *opt)
{
	for (size_t i = 0; i < count; i++) {
		struct score s = student_score(&students[i]);
		char earned[64], max[64];
		points_format(s.earned, earned, sizeof(earned));
		points_format(s.max, max, sizeof(max));
		char *name = text_escape_str(students[i].name, TEXT_ESCAPE_KEEP_UTF8);
		bool full = s.max > 0 && s.earned >= s.max;
		fprintf(out, "  %s%s/%s%s %s%s\n", opt && opt->color ? (full ? "\033[1;32m" : "\033[1;31m") : "", earned,
			max, opt && opt->color ? "\033[0m" : "", name ? name : "?", students[i].rec ? "" : " (not run)");
		free(name);
	}
}

int report_class_summary(const struct class_student *students, size_t count, FILE *out,
			 const struct render_options *opt, char *err, size_t err_len)
{
	const struct record *columns = class_columns(students, count);
	double *shares = class_shares(students, count);
	if (!shares) {
		strfmt_err(err, err_len, "class summary: out of memory");
		return -1;
	}
	fprintf(out, "kvmcheck: class of %zu student%s, %zu case%s each\n", count, count == 1 ? "" : "s",
		columns ? columns->count : 0, columns && columns->count == 1 ? "" : "s");
	summary_scores(shares, count, out);
	summary_distribution(shares, count, out);
	summary_most_failed(students, count, columns, out);
	summary_students(students, count, out, opt);
	free(shares);
	if (fflush(out) == 0 && !ferror(out))
		return 0;
	strfmt_err(err, err_len, "class summary: %s", strerror(errno));
	return -1;
}
