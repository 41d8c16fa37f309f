#include "report/platforms.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/strfmt.h"
#include "report/class.h"
#include "report/grading.h"
#include "report/markdown.h"

/* Room kept for the closing note whatever else is left out. */
#define STEP_SUMMARY_NOTE_ROOM 256

/* The summary so far; a part that would not fit under the limit is left
 * out whole and counted. */
struct summary_budget {
	struct bytes text;
	size_t limit;
	size_t left_out;
	bool failed;     /* memory ran out */
	bool reveal_hidden; /* the instructor asked to see hidden cases whole */
};

/* Adds part when it fits, keeping room for the note. */
static void budget_add(struct summary_budget *b, const struct bytes *part)
{
	if (b->text.len + part->len + STEP_SUMMARY_NOTE_ROOM > b->limit) {
		b->left_out++;
		return;
	}
	b->failed |= bytes_append(&b->text, part->data, part->len) < 0;
}

static const char *status_word(enum verdict_status s)
{
	switch (s) {
	case VERDICT_PASS: return "✅ pass";
	case VERDICT_FAIL: return "❌ fail";
	case VERDICT_ERROR: return "⚠️ error";
	default: return "⏭️ not run";
	}
}

static int summary_head(struct bytes *out, const struct record *rec)
{
	size_t passed = 0;
	for (size_t i = 0; i < rec->count; i++)
		passed += rec->cases[i].status == VERDICT_PASS;
	struct case_points total = report_total_points(rec);
	char *backend = markdown_escape_inline(rec->backend ? rec->backend : "unknown");
	char *head = backend ? strfmt_alloc("## kvmcheck\n\n**Score: %g / %g** · %zu of %zu cases passed · backend %s\n\n"
					    "| Result | Case | File | Points |\n| --- | --- | --- | ---: |\n",
					    total.earned, total.max, passed, rec->count, backend)
			     : NULL;
	int rc = head ? markdown_append(out, head) : -1;
	free(backend);
	free(head);
	return rc;
}

/* "file:line" of c, escaped. */
static char *case_place(const struct record_case *c)
{
	char *place = c->line > 0 ? strfmt_alloc("%s:%d", c->file, c->line) : strdup(c->file);
	char *escaped = place ? markdown_escape_inline(place) : NULL;
	free(place);
	return escaped;
}

static int summary_row(struct bytes *out, const struct record_case *c, bool reveal_hidden)
{
	(void)reveal_hidden; /* a row holds nothing a hidden case keeps back */
	char *name = markdown_escape_inline(c->name && c->name[0] ? c->name : "(unnamed)");
	char *place = case_place(c);
	struct case_points p = report_case_points(c);
	char *row = name && place ? strfmt_alloc("| %s | %s | %s | %g / %g |\n", status_word(c->status), name, place,
						 p.earned, p.max)
				  : NULL;
	int rc = row ? markdown_append(out, row) : -1;
	free(name);
	free(place);
	free(row);
	return rc;
}

/* A failed case under a heading of the given level ("###"). */
static int failure_section(struct bytes *out, const struct record_case *c, bool reveal_hidden, const char *level)
{
	char *name = markdown_escape_inline(c->name && c->name[0] ? c->name : "(unnamed)");
	char *place = case_place(c);
	char *head = name && place ? strfmt_alloc("\n%s %s (%s)\n\n", level, name, place) : NULL;
	int rc = head ? markdown_append(out, head) : -1;
	if (rc == 0)
		rc = report_case_details_hidden(c, reveal_hidden) ? markdown_append(out, "Hidden case: its details are not shown.\n")
						   : markdown_case_details(out, c);
	free(name);
	free(place);
	free(head);
	return rc;
}

static int summary_failure(struct bytes *out, const struct record_case *c, bool reveal_hidden)
{
	return failure_section(out, c, reveal_hidden, "###");
}

typedef int part_fn(struct bytes *out, const struct record_case *c, bool reveal_hidden);

/* Adds a part just rendered (rc: how its rendering went), then frees it. */
static void budget_take(struct summary_budget *b, struct bytes *text, int rc)
{
	if (rc < 0)
		b->failed = true;
	else
		budget_add(b, text);
	bytes_free(text);
}

static void budget_add_case(struct summary_budget *b, part_fn *part, const struct record_case *c)
{
	struct bytes text = {0};
	budget_take(b, &text, part(&text, c, b->reveal_hidden));
}

static void summary_failures(struct summary_budget *b, const struct record *rec)
{
	size_t shown = 0;
	for (size_t i = 0; i < rec->count; i++) {
		const struct record_case *c = &rec->cases[i];
		if (c->status != VERDICT_FAIL && c->status != VERDICT_ERROR)
			continue;
		if (shown++ == 0) {
			struct bytes title = { (uint8_t *)"\n## First failures\n", strlen("\n## First failures\n"), 0 };
			budget_add(b, &title);
		}
		if (shown > STEP_SUMMARY_FAILURES)
			return;
		budget_add_case(b, summary_failure, c);
	}
}

/* Closes with the note on what was left out, and writes it all. */
static int budget_finish(struct summary_budget *b, FILE *out)
{
	if (!b->failed && b->left_out) {
		char note[STEP_SUMMARY_NOTE_ROOM];
		snprintf(note, sizeof(note), "\n*%zu part%s left out to stay under GitHub's %zu-byte summary limit: "
			 "see the reports.*\n", b->left_out, b->left_out == 1 ? "" : "s", b->limit);
		b->failed = markdown_append(&b->text, note) < 0;
	}
	int rc = !b->failed && fwrite(b->text.data, 1, b->text.len, out) == b->text.len && fflush(out) == 0 ? 0 : -1;
	bytes_free(&b->text);
	return rc;
}

int step_summary_write(const struct record *rec, FILE *out, size_t limit, bool reveal_hidden)
{
	struct summary_budget b = { .limit = limit, .reveal_hidden = reveal_hidden };
	b.failed = summary_head(&b.text, rec) < 0;
	for (size_t i = 0; i < rec->count && !b.failed; i++)
		budget_add_case(&b, summary_row, &rec->cases[i]);
	if (!b.failed)
		summary_failures(&b, rec);
	return budget_finish(&b, out);
}

int report_step_summary_render(const struct record *rec, FILE *out, const struct render_options *opt, char *err,
			       size_t err_len)
{
	if (step_summary_write(rec, out, STEP_SUMMARY_LIMIT, opt && opt->reveal_hidden) == 0)
		return 0;
	strfmt_err(err, err_len, "job summary: %s", errno ? strerror(errno) : "out of memory");
	return -1;
}

/* ---- a class run: one table of students, then each one's first failures ---- */

/* Failed case names a student's row lists before counting the rest. */
#define CLASS_ROW_FAILED_NAMES 5

static size_t record_failed_count(const struct record *rec)
{
	size_t failed = 0;
	for (size_t i = 0; rec && i < rec->count; i++)
		failed += rec->cases[i].status == VERDICT_FAIL || rec->cases[i].status == VERDICT_ERROR;
	return failed;
}

static int class_head(struct bytes *out, const struct class_student *students, size_t count)
{
	size_t full = 0;
	const char *backend = NULL;
	for (size_t i = 0; i < count; i++) {
		const struct record *rec = students[i].rec;
		size_t passed = 0;
		for (size_t c = 0; rec && c < rec->count; c++)
			passed += rec->cases[c].status == VERDICT_PASS;
		full += rec && passed == rec->count;
		backend = backend ? backend : rec ? rec->backend : NULL;
	}
	char *shown_backend = markdown_escape_inline(backend ? backend : "unknown");
	char *head = shown_backend ? strfmt_alloc("## kvmcheck: class of %zu student%s\n\n%zu of %zu passed every case · "
						  "backend %s\n\n| Student | Points | Max | Failed cases |\n"
						  "| --- | ---: | ---: | --- |\n", count, count == 1 ? "" : "s",
						  full, count, shown_backend)
				   : NULL;
	int rc = head ? markdown_append(out, head) : -1;
	free(shown_backend);
	free(head);
	return rc;
}

/* The names of the cases the student did not pass, the first few, escaped. */
static int class_failed_names(struct bytes *out, const struct record *rec)
{
	size_t failed = record_failed_count(rec), listed = 0;
	int rc = failed ? 0 : markdown_append(out, "none");
	for (size_t i = 0; rec && i < rec->count && rc == 0 && listed < CLASS_ROW_FAILED_NAMES; i++) {
		const struct record_case *c = &rec->cases[i];
		if (c->status != VERDICT_FAIL && c->status != VERDICT_ERROR)
			continue;
		char *name = markdown_escape_inline(c->name && c->name[0] ? c->name : "(unnamed)");
		rc = name && (listed == 0 || markdown_append(out, ", ") == 0) ? markdown_append(out, name) : -1;
		free(name);
		listed++;
	}
	if (rc == 0 && failed > listed) {
		char more[64];
		snprintf(more, sizeof(more), " and %zu more", failed - listed);
		rc = markdown_append(out, more);
	}
	return rc;
}

static int class_row(struct bytes *out, const struct class_student *s)
{
	char *name = markdown_escape_inline(s->name);
	struct case_points p = s->rec ? report_total_points(s->rec) : (struct case_points){0};
	char *head = name ? strfmt_alloc("| %s | %g | %g | ", name, p.earned, p.max) : NULL;
	int rc = head ? markdown_append(out, head) : -1;
	if (rc == 0)
		rc = s->rec ? class_failed_names(out, s->rec) : markdown_append(out, "not run");
	if (rc == 0)
		rc = markdown_append(out, " |\n");
	free(name);
	free(head);
	return rc;
}

static void budget_add_student(struct summary_budget *b, int (*part)(struct bytes *, const struct class_student *),
			       const struct class_student *s)
{
	struct bytes text = {0};
	budget_take(b, &text, part(&text, s));
}

static int class_student_heading(struct bytes *out, const struct class_student *s)
{
	char *name = markdown_escape_inline(s->name);
	struct case_points p = report_total_points(s->rec);
	char *head = name ? strfmt_alloc("\n### %s: %g / %g\n", name, p.earned, p.max) : NULL;
	int rc = head ? markdown_append(out, head) : -1;
	free(name);
	free(head);
	return rc;
}

/* A student's first failures, each as the single run's summary shows one,
 * one level down under the student's heading. */
static void class_student_failures(struct summary_budget *b, const struct class_student *s)
{
	if (!s->rec || record_failed_count(s->rec) == 0)
		return;
	size_t left_out = b->left_out, failed = record_failed_count(s->rec);
	budget_add_student(b, class_student_heading, s);
	if (b->left_out != left_out) {
		/* no failures under another student's heading: they are left out too */
		b->left_out += failed < STEP_SUMMARY_CLASS_FAILURES ? failed : STEP_SUMMARY_CLASS_FAILURES;
		return;
	}
	size_t shown = 0;
	for (size_t i = 0; i < s->rec->count && shown < STEP_SUMMARY_CLASS_FAILURES; i++) {
		const struct record_case *c = &s->rec->cases[i];
		if (c->status != VERDICT_FAIL && c->status != VERDICT_ERROR)
			continue;
		shown++;
		struct bytes text = {0};
		budget_take(b, &text, failure_section(&text, c, b->reveal_hidden, "####"));
	}
}

int step_summary_class_write(const struct class_student *students, size_t count, FILE *out, size_t limit,
			     bool reveal_hidden)
{
	struct summary_budget b = { .limit = limit, .reveal_hidden = reveal_hidden };
	b.failed = class_head(&b.text, students, count) < 0;
	for (size_t i = 0; i < count && !b.failed; i++)
		budget_add_student(&b, class_row, &students[i]);
	size_t failed = 0;
	for (size_t i = 0; i < count; i++)
		failed += record_failed_count(students[i].rec);
	if (!b.failed && failed) {
		struct bytes title = { (uint8_t *)"\n## First failures by student\n",
				       strlen("\n## First failures by student\n"), 0 };
		budget_add(&b, &title);
	}
	for (size_t i = 0; i < count && !b.failed; i++)
		class_student_failures(&b, &students[i]);
	return budget_finish(&b, out);
}
