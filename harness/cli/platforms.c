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
