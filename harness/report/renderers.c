#include "report/report.h"

#include <string.h>

#include "report/atomic_file.h"
#include "report/platforms.h"

static const struct renderer renderers[] = {
	{ "tap", report_tap_render },
	{ "junit", report_junit_render },
	{ "summary", report_summary_render },
	{ "results", report_results_render },
	{ "json", report_json_render },
	{ "html", report_html_render },
	{ "gradescope", report_gradescope_render },
	{ "classroom", report_classroom_render },
	{ "github-summary", report_step_summary_render },
};

const struct renderer *renderer_find(const char *name)
{
	for (size_t i = 0; i < sizeof(renderers) / sizeof(renderers[0]); i++) {
		if (strcmp(renderers[i].name, name) == 0)
			return &renderers[i];
	}
	return NULL;
}

int report_json_render(const struct record *rec, FILE *out, const struct render_options *opt, char *err,
		       size_t err_len)
{
	(void)opt;
	return record_json_write(rec, out, err, err_len);
}

struct render_job {
	const struct renderer *r;
	const struct record *rec;
	const struct render_options *opt;
};

static int render_fill(FILE *out, void *ctx, char *err, size_t err_len)
{
	const struct render_job *job = ctx;
	return job->r->render(job->rec, out, job->opt, err, err_len);
}

int report_file_render(const char *path, const struct renderer *r, const struct record *rec,
		       const struct render_options *opt, char *err, size_t err_len)
{
	struct render_job job = { r, rec, opt };
	return atomic_file_write(path, render_fill, &job, err, err_len);
}
