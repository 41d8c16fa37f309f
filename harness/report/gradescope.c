/* Gradescope: the autograder's results.json, as its specification
 * (gradescope-autograders.readthedocs.io/en/latest/specs/) lays it out:
 * the score, a test per case with its points, status, Markdown output,
 * tags and visibility. The run's stdout (TAP, with every guest's output)
 * is shown to instructors only: stdout_visibility hidden. */
#include "report/platforms.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/bytes.h"
#include "core/strfmt.h"
#include "core/text_escape.h"
#include "report/grading.h"
#include "report/markdown.h"

/* What a student reads under a test: nothing for a hidden case, why it
 * failed and the guest's output for a failing one. */
static char *gradescope_output(const struct record_case *c, bool reveal_hidden)
{
	struct bytes text = {0};
	int rc = 0;
	if (!report_case_details_hidden(c, reveal_hidden) && c->status != VERDICT_PASS)
		rc = markdown_case_details(&text, c);
	if (rc == 0)
		rc = bytes_push(&text, 0);
	if (rc < 0) {
		bytes_free(&text);
		return NULL;
	}
	return (char *)text.data;
}

static json_t *gradescope_tags(const struct record_case *c)
{
	size_t count;
	char *const *tags = report_case_tags(c, &count);
	json_t *list = json_array();
	for (size_t i = 0; list && i < count; i++) {
		if (json_array_append_new(list, json_string(tags[i])) < 0) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

static json_t *gradescope_test(const struct record_case *c, size_t number, bool reveal_hidden)
{
	struct case_points p = report_case_points(c);
	char *output = gradescope_output(c, reveal_hidden);
	char num[24];
	snprintf(num, sizeof(num), "%zu", number);
	json_t *test = output ? json_pack("{s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:o*, s:s}", "name",
					  c->name && c->name[0] ? c->name : "(unnamed)", "number", num, "score",
					  report_json_points(p.earned), "max_score", report_json_points(p.max), "status",
					  c->status == VERDICT_PASS ? "passed" : "failed", "output", output,
					  "output_format", "md", "tags", gradescope_tags(c), "visibility",
					  report_case_visibility(c))
			      : NULL;
	free(output);
	return test;
}

/* A name or output that is not UTF-8 makes jansson refuse it: such a case
 * keeps its test, under its place, without output. */
static json_t *gradescope_test_or_place(const struct record_case *c, size_t number, bool reveal_hidden)
{
	json_t *test = gradescope_test(c, number, reveal_hidden);
	if (test)
		return test;
	struct record_case plain = *c;
	char *place = strfmt_alloc("%s:%d", c->file, c->index);
	plain.name = place;
	plain.reason = "";
	plain.message = NULL;
	plain.output = (struct bytes){0};
	test = place ? gradescope_test(&plain, number, reveal_hidden) : NULL;
	free(place);
	return test;
}

/* One leaderboard column: lower is better. */
static int leaderboard_add(json_t *board, const char *name, const char *metric, uint64_t value)
{
	char *column = strfmt_alloc("%s: %s", name, metric);
	json_t *entry = column ? json_pack("{s:s, s:I, s:s}", "name", column, "value", (json_int_t)value, "order", "asc")
			       : NULL;
	free(column);
	return json_array_append_new(board, entry);
}

/* The size and instruction count of every passing case that asks for the
 * leaderboard (`leaderboard: true`); a failing solution ranks nowhere. */
static json_t *gradescope_leaderboard(const struct record *rec)
{
	json_t *board = json_array();
	for (size_t i = 0; board && i < rec->count; i++) {
		const struct record_case *c = &rec->cases[i];
		if (!c->leaderboard || c->status != VERDICT_PASS)
			continue;
		const char *name = c->name && c->name[0] ? c->name : c->file;
		int rc = c->binary_size ? leaderboard_add(board, name, "size (bytes)", c->binary_size) : 0;
		if (rc == 0 && c->instructions_counted)
			rc = leaderboard_add(board, name, "instructions", c->instructions);
		if (rc < 0) {
			json_decref(board);
			return NULL;
		}
	}
	return board;
}

static char *gradescope_run_output(const struct record *rec)
{
	size_t passed = 0;
	for (size_t i = 0; i < rec->count; i++)
		passed += rec->cases[i].status == VERDICT_PASS;
	struct case_points total = report_total_points(rec);
	/* A run's name is a folder's, which need not be UTF-8 as JSON must be. */
	char *name = rec->name ? text_escape_str(rec->name, TEXT_ESCAPE_KEEP_UTF8) : NULL;
	if (rec->name && !name)
		return NULL;
	char *output = strfmt_alloc("kvmcheck %s (backend %s)%s%s: %zu of %zu cases passed, %g of %g points.",
				    rec->version ? rec->version : "?", rec->backend ? rec->backend : "unknown",
				    name ? ", run " : "", name ? name : "", passed, rec->count, total.earned, total.max);
	free(name);
	return output;
}

static json_t *gradescope_root(const struct record *rec)
{
	struct case_points total = report_total_points(rec);
	char *output = gradescope_run_output(rec);
	/* Whole seconds, rounded up: a run never took 0 s. */
	json_int_t seconds = (json_int_t)((rec->elapsed_ns + 999999999) / 1000000000);
	json_t *root = output ? json_pack("{s:o, s:I, s:s, s:s, s:s, s:s}", "score", report_json_points(total.earned),
					  "execution_time", seconds, "output", output, "output_format", "text",
					  "visibility", "visible", "stdout_visibility", "hidden")
			      : NULL;
	free(output);
	return root;
}

int report_gradescope_render(const struct record *rec, FILE *out, const struct render_options *opt, char *err,
			     size_t err_len)
{
	bool reveal_hidden = opt && opt->reveal_hidden;
	json_t *root = gradescope_root(rec);
	json_t *tests = json_array();
	bool ok = root && tests && json_object_set(root, "tests", tests) == 0;
	for (size_t i = 0; i < rec->count && ok; i++)
		ok = json_array_append_new(tests, gradescope_test_or_place(&rec->cases[i], i + 1, reveal_hidden)) == 0;
	json_t *board = ok ? gradescope_leaderboard(rec) : NULL;
	ok = ok && board && (json_array_size(board) == 0 || json_object_set(root, "leaderboard", board) == 0);
	json_decref(board);
	ok = ok && json_dumpf(root, out, JSON_INDENT(2)) == 0 && fputc('\n', out) != EOF && fflush(out) == 0;
	json_decref(tests);
	json_decref(root);
	if (!ok)
		strfmt_err(err, err_len, "Gradescope results: could not be written");
	return ok ? 0 : -1;
}
