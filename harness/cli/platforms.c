#include "cli/platforms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "report/platforms.h"
#include "report/redact.h"

struct platform_env platform_env_read(const struct cli_options *opt)
{
	const char *actions = getenv("GITHUB_ACTIONS");
	const char *output = getenv("GITHUB_OUTPUT");
	const char *summary = getenv("GITHUB_STEP_SUMMARY");
	struct platform_env env = { .actions = opt->github || (actions && strcmp(actions, "true") == 0) };
	env.output_path = output && output[0] ? output : NULL;
	env.summary_path = env.actions && summary && summary[0] ? summary : NULL;
	return env;
}

FILE *platform_summary_stream(const struct cli_options *opt)
{
	return platform_env_read(opt).actions ? stdout : stderr;
}

void platforms_begin(struct platform_session *s, const struct cli_options *opt)
{
	*s = (struct platform_session){ .env = platform_env_read(opt) };
	if (!s->env.actions)
		return;
	if (workflow_token_new(s->token) < 0) {
		fprintf(stderr, "kvmcheck: no random token for ::stop-commands::; guest output is not fenced\n");
		return;
	}
	fflush(stderr);
	printf("::stop-commands::%s\n", s->token);
	fflush(stdout);
	s->fenced = true;
}

static bool platform_failed(const char *what, const char *path)
{
	fprintf(stderr, "kvmcheck: %s: cannot write to '%s'\n", what, path);
	return false;
}

static bool platform_summary_append(const char *path, const struct record *rec, bool reveal_hidden)
{
	FILE *f = fopen(path, "a");
	bool ok = f && step_summary_write(rec, f, STEP_SUMMARY_LIMIT, reveal_hidden) == 0;
	ok &= f && fclose(f) == 0;
	return ok ? true : platform_failed("GITHUB_STEP_SUMMARY", path);
}

/* The Classroom results, base64-encoded as the reporter decodes them. */
static char *platform_classroom_payload(const struct record *rec, bool reveal_hidden)
{
	char *json = NULL, err[200];
	size_t len = 0;
	FILE *mem = open_memstream(&json, &len);
	if (!mem)
		return NULL;
	struct render_options ropt = { .reveal_hidden = reveal_hidden };
	int rc = report_classroom_render(rec, mem, &ropt, err, sizeof(err));
	if (fclose(mem) != 0)
		rc = -1;
	char *encoded = rc == 0 ? base64_encode((const uint8_t *)json, len) : NULL;
	free(json);
	return encoded;
}

static bool platform_output_append(const char *path, const struct record *rec, bool reveal_hidden)
{
	char *payload = platform_classroom_payload(rec, reveal_hidden);
	FILE *f = payload ? fopen(path, "a") : NULL;
	bool ok = f && github_output_write(f, "result", payload) == 0;
	ok &= f && fclose(f) == 0;
	free(payload);
	return ok ? true : platform_failed("GITHUB_OUTPUT", path);
}

void platforms_fence_close(struct platform_session *s)
{
	if (!s->fenced)
		return;
	printf("::%s::\n", s->token);
	fflush(stdout);
	s->fenced = false;
}

/* Everything a student may see, from a record that no longer holds what
 * hidden cases keep back (report/redact.h). */
static bool platforms_write(const struct platform_session *s, const struct record *rec, bool reveal_hidden)
{
	bool ok = true;
	if (s->env.actions && workflow_annotations_write(rec, stdout, WORKFLOW_MAX_ERRORS, reveal_hidden) < 0)
		ok = platform_failed("annotations", "stdout");
	if (s->env.summary_path)
		ok &= platform_summary_append(s->env.summary_path, rec, reveal_hidden);
	if (s->env.output_path)
		ok &= platform_output_append(s->env.output_path, rec, reveal_hidden);
	return ok;
}

bool platforms_finish(struct platform_session *s, const struct record *rec, bool reveal_hidden)
{
	platforms_fence_close(s);
	if (!s->env.actions && !s->env.output_path)
		return true;
	struct record shown;
	if (report_record_redact(rec, reveal_hidden, &shown) < 0)
		return platform_failed("GitHub output", "memory");
	bool ok = platforms_write(s, &shown, reveal_hidden);
	record_free(&shown);
	return ok;
}

/* ---- a class run ---- */

/* The students as they may be shown: each record without what its hidden
 * cases keep back. -1 when memory runs out (then none is left to free). */
static int class_redact(const struct class_student *students, size_t count, bool reveal_hidden,
			struct record *shown, struct class_student *out)
{
	for (size_t i = 0; i < count; i++) {
		out[i] = (struct class_student){ students[i].name, NULL };
		if (!students[i].rec)
			continue;
		if (report_record_redact(students[i].rec, reveal_hidden, &shown[i]) < 0) {
			for (size_t j = 0; j < i; j++)
				record_free(&shown[j]);
			return -1;
		}
		out[i].rec = &shown[i];
	}
	return 0;
}

static int class_annotations_write(const struct class_student *students, size_t count, bool reveal_hidden)
{
	struct workflow_annotations sink;
	workflow_annotations_begin(&sink, stdout, WORKFLOW_MAX_ERRORS, reveal_hidden);
	for (size_t i = 0; i < count; i++)
		if (students[i].rec)
			workflow_annotations_add(&sink, students[i].rec, students[i].name);
	return workflow_annotations_end(&sink);
}

static bool class_summary_append(const char *path, const struct class_student *students, size_t count,
				 bool reveal_hidden)
{
	FILE *f = fopen(path, "a");
	bool ok = f && step_summary_class_write(students, count, f, STEP_SUMMARY_LIMIT, reveal_hidden) == 0;
	ok &= f && fclose(f) == 0;
	return ok ? true : platform_failed("GITHUB_STEP_SUMMARY", path);
}

static char *class_index_text(const struct class_student *students, char *const *outputs, size_t count)
{
	char *json = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&json, &len);
	if (!mem)
		return NULL;
	int rc = report_classroom_index(students, outputs, count, mem);
	if (fclose(mem) != 0 || rc < 0) {
		free(json);
		return NULL;
	}
	return json;
}

/* One output per student that ran, then the index `students`; no `result`,
 * which one Classroom reporter would read as one student's grade. */
static bool class_outputs_write(FILE *f, const struct class_student *students, char *const *outputs, size_t count,
				bool reveal_hidden)
{
	bool ok = true;
	for (size_t i = 0; i < count && ok; i++) {
		if (!students[i].rec)
			continue;
		char *payload = platform_classroom_payload(students[i].rec, reveal_hidden);
		ok = payload && github_output_write(f, outputs[i], payload) == 0;
		free(payload);
	}
	char *index = ok ? class_index_text(students, outputs, count) : NULL;
	ok = index && github_output_write(f, "students", index) == 0;
	free(index);
	return ok;
}

static bool class_output_append(const char *path, const struct class_student *students, size_t count,
				bool reveal_hidden)
{
	char **outputs = classroom_output_names(students, count);
	FILE *f = outputs ? fopen(path, "a") : NULL;
	bool ok = f && class_outputs_write(f, students, outputs, count, reveal_hidden);
	ok &= f && fclose(f) == 0;
	classroom_output_names_free(outputs, count);
	return ok ? true : platform_failed("GITHUB_OUTPUT", path);
}

static bool class_platforms_write(const struct platform_session *s, const struct class_student *students,
				  size_t count, bool reveal_hidden)
{
	bool ok = true;
	if (s->env.actions && class_annotations_write(students, count, reveal_hidden) < 0)
		ok = platform_failed("annotations", "stdout");
	if (s->env.summary_path)
		ok &= class_summary_append(s->env.summary_path, students, count, reveal_hidden);
	if (s->env.output_path)
		ok &= class_output_append(s->env.output_path, students, count, reveal_hidden);
	return ok;
}

bool platforms_finish_class(struct platform_session *s, const struct class_student *students, size_t count,
			    bool reveal_hidden)
{
	platforms_fence_close(s);
	if (!s->env.actions && !s->env.output_path)
		return true;
	struct record *shown = calloc(count ? count : 1, sizeof(*shown));
	struct class_student *shown_students = calloc(count ? count : 1, sizeof(*shown_students));
	bool redacted = shown && shown_students &&
			class_redact(students, count, reveal_hidden, shown, shown_students) == 0;
	bool ok = redacted ? class_platforms_write(s, shown_students, count, reveal_hidden)
			   : platform_failed("GitHub output", "memory");
	for (size_t i = 0; redacted && i < count; i++)
		record_free(&shown[i]);
	free(shown);
	free(shown_students);
	return ok;
}
