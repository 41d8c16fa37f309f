#include "report/platforms.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/strfmt.h"
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

static int summary_failure(struct bytes *out, const struct record_case *c, bool reveal_hidden)
{
	char *name = markdown_escape_inline(c->name && c->name[0] ? c->name : "(unnamed)");
	char *place = case_place(c);
	char *head = name && place ? strfmt_alloc("\n### %s (%s)\n\n", name, place) : NULL;
	int rc = head ? markdown_append(out, head) : -1;
	if (rc == 0)
		rc = report_case_details_hidden(c, reveal_hidden) ? markdown_append(out, "Hidden case: its details are not shown.\n")
						   : markdown_case_details(out, c);
	free(name);
	free(place);
	free(head);
	return rc;
}

typedef int part_fn(struct bytes *out, const struct record_case *c, bool reveal_hidden);

static void budget_add_case(struct summary_budget *b, part_fn *part, const struct record_case *c)
{
	struct bytes text = {0};
	if (part(&text, c, b->reveal_hidden) < 0)
		b->failed = true;
	else
		budget_add(b, &text);
	bytes_free(&text);
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

int step_summary_write(const struct record *rec, FILE *out, size_t limit, bool reveal_hidden)
{
	struct summary_budget b = { .limit = limit, .reveal_hidden = reveal_hidden };
	b.failed = summary_head(&b.text, rec) < 0;
	for (size_t i = 0; i < rec->count && !b.failed; i++)
		budget_add_case(&b, summary_row, &rec->cases[i]);
	if (!b.failed)
		summary_failures(&b, rec);
	if (!b.failed && b.left_out) {
		char note[STEP_SUMMARY_NOTE_ROOM];
		snprintf(note, sizeof(note), "\n*%zu part%s left out to stay under GitHub's %zu-byte summary limit: "
			 "see the reports.*\n", b.left_out, b.left_out == 1 ? "" : "s", limit);
		b.failed = markdown_append(&b.text, note) < 0;
	}
	int rc = !b.failed && fwrite(b.text.data, 1, b.text.len, out) == b.text.len && fflush(out) == 0 ? 0 : -1;
	bytes_free(&b.text);
	return rc;
}

int report_step_summary_render(const struct record *rec, FILE *out, const struct render_options *opt, char *err,
			       size_t err_len)
{
	if (step_summary_write(rec, out, STEP_SUMMARY_LIMIT, opt && opt->reveal_hidden) == 0)
		return 0;
	strfmt_err(err, err_len, "job summary: %s", errno ? strerror(errno) : "out of memory");
	return -1;
}
