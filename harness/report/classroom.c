/* GitHub Classroom: the test results that
 * classroom-resources/autograding-grading-reporter reads from a step's
 * output `result` (base64 of this JSON), in the shape its own graders
 * write, with one test per case so per-case points reach Classroom. */
#include "report/platforms.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/strfmt.h"
#include "core/text_escape.h"
#include "report/class.h"
#include "report/grading.h"
#include "report/workflow.h"

static const char *classroom_status(enum verdict_status s)
{
	return s == VERDICT_PASS ? "pass" : s == VERDICT_FAIL ? "fail" : "error";
}

/* The run's status: fail when a case failed, else error when one could not
 * be judged, else pass. */
static const char *classroom_run_status(const struct record *rec)
{
	bool failed = false, errored = false;
	for (size_t i = 0; i < rec->count; i++) {
		failed |= rec->cases[i].status == VERDICT_FAIL;
		errored |= rec->cases[i].status != VERDICT_PASS && rec->cases[i].status != VERDICT_FAIL;
	}
	return failed ? "fail" : errored ? "error" : "pass";
}

static const char *classroom_message(const struct record_case *c, bool reveal_hidden)
{
	if (c->status == VERDICT_PASS || report_case_details_hidden(c, reveal_hidden))
		return "";
	return c->reason && c->reason[0] ? c->reason : c->message ? c->message : "";
}

static json_t *classroom_test(const struct record_case *c, bool reveal_hidden)
{
	bool hidden = report_case_details_hidden(c, reveal_hidden);
	struct case_points p = report_case_points(c);
	char *code = hidden ? strdup("") : strfmt_alloc("%s:%d", c->file, c->index);
	uint64_t ns = c->times.assemble_ns + c->times.create_ns + c->times.run_ns + c->times.teardown_ns;
	json_t *test = code ? json_pack("{s:s?, s:s, s:o, s:s, s:s, s:s, s:i, s:I}", "name",
					c->name && c->name[0] ? c->name : "(unnamed)", "status",
					classroom_status(c->status), "score", report_json_points(p.earned), "message",
					classroom_message(c, reveal_hidden), "test_code", code, "filename", hidden ? "" : c->file,
					"line_no", hidden ? 0 : c->line, "duration", (json_int_t)(ns / 1000000))
			    : NULL;
	free(code);
	return test;
}

/* Strings from outside that are not UTF-8 make jansson refuse them; such a
 * case still gets a test, named by its place. */
static json_t *classroom_test_or_place(const struct record_case *c, bool reveal_hidden)
{
	json_t *test = classroom_test(c, reveal_hidden);
	if (test)
		return test;
	struct record_case plain = *c;
	plain.name = NULL;
	plain.reason = "";
	plain.message = NULL;
	return classroom_test(&plain, reveal_hidden);
}

int report_classroom_render(const struct record *rec, FILE *out, const struct render_options *opt, char *err,
			    size_t err_len)
{
	bool reveal_hidden = opt && opt->reveal_hidden;
	struct case_points total = report_total_points(rec);
	json_t *tests = json_array();
	json_t *root = json_pack("{s:i, s:s, s:o}", "version", 1, "status", classroom_run_status(rec), "max_score",
				 report_json_points(total.max));
	bool ok = tests && root && json_object_set(root, "tests", tests) == 0;
	for (size_t i = 0; i < rec->count && ok; i++)
		ok = json_array_append_new(tests, classroom_test_or_place(&rec->cases[i], reveal_hidden)) == 0;
	ok = ok && json_dumpf(root, out, JSON_COMPACT) == 0 && fflush(out) == 0;
	json_decref(tests);
	json_decref(root);
	if (!ok)
		strfmt_err(err, err_len, "GitHub Classroom results: could not be written");
	return ok ? 0 : -1;
}

int github_output_write(FILE *out, const char *name, const char *value)
{
	char token[WORKFLOW_TOKEN_SIZE];
	if (workflow_token_new(token) < 0)
		return -1;
	if (fprintf(out, "%s<<ghadelimiter_%s\n%s\nghadelimiter_%s\n", name, token, value, token) < 0)
		return -1;
	return fflush(out) == 0 ? 0 : -1;
}

/* ---- a class run: one output per student ---- */

static bool output_name_taken(char *const *names, size_t count, const char *name)
{
	for (size_t i = 0; i < count; i++)
		if (strcasecmp(names[i], name) == 0)
			return true;
	return false;
}

/* "result_" and the student's name, every byte but an ASCII letter or
 * digit made '_'. */
static char *output_name_base(const char *student)
{
	char *name = strfmt_alloc("result_%s", student);
	for (char *p = name ? name + strlen("result_") : NULL; p && *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9'))
			*p = '_';
	return name;
}

static char *output_name_free_of(char *const *taken, size_t count, const char *student)
{
	char *base = output_name_base(student);
	char *name = base ? strdup(base) : NULL;
	for (unsigned n = 2; name && output_name_taken(taken, count, name); n++) {
		free(name);
		name = strfmt_alloc("%s_%u", base, n);
	}
	free(base);
	return name;
}

char **classroom_output_names(const struct class_student *students, size_t count)
{
	char **names = calloc(count ? count : 1, sizeof(*names));
	for (size_t i = 0; names && i < count; i++) {
		names[i] = output_name_free_of(names, i, students[i].name);
		if (!names[i]) {
			classroom_output_names_free(names, i);
			return NULL;
		}
	}
	return names;
}

void classroom_output_names_free(char **names, size_t count)
{
	for (size_t i = 0; names && i < count; i++)
		free(names[i]);
	free(names);
}

static json_t *classroom_index_entry(const struct class_student *s, const char *output)
{
	/* A folder's name need not be UTF-8, which JSON must be. */
	char *name = text_escape_str(s->name, TEXT_ESCAPE_KEEP_UTF8);
	struct case_points total = s->rec ? report_total_points(s->rec) : (struct case_points){0};
	json_t *entry = name ? json_pack("{s:s, s:s, s:o, s:o, s:s}", "student", name, "output", output, "score",
					 report_json_points(total.earned), "max_score", report_json_points(total.max),
					 "status", s->rec ? classroom_run_status(s->rec) : "error")
			     : NULL;
	free(name);
	return entry;
}

int report_classroom_index(const struct class_student *students, char *const *outputs, size_t count, FILE *out)
{
	json_t *index = json_array();
	bool ok = index != NULL;
	for (size_t i = 0; i < count && ok; i++)
		ok = json_array_append_new(index, classroom_index_entry(&students[i], outputs[i])) == 0;
	ok = ok && json_dumpf(index, out, JSON_COMPACT) == 0 && fflush(out) == 0;
	json_decref(index);
	return ok ? 0 : -1;
}
