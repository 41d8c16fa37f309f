/* kvmcheck: reads the case files, runs every case, judges it and writes the
 * reports. The stages themselves live in their own modules. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "machine/backend.h"
#include "case/case.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "record/record.h"
#include "report/atomic_file.h"
#include "report/report.h"
#include "run/runner.h"
#include "judge/verdict.h"

enum { EXIT_ALL_PASSED = 0, EXIT_SOME_FAILED = 1, EXIT_USAGE_OR_IO = 2 };

struct run {
	struct case_list cases;
	struct run_result *results;
	struct verdict *verdicts;
	struct case_report *reports;
	struct run_report report;
	bool io_error;            /* a case file could not be read, or memory ran out judging */
};

static int run_load_cases(struct run *run, char **files, int count)
{
	for (int i = 0; i < count; i++) {
		int rc = case_file_load(files[i], &run->cases);
		if (rc < 0)
			return -1;
		/* An unreadable file is still a failing test point, and an I/O error. */
		run->io_error |= rc == 1;
	}
	return 0;
}

static int run_all(struct run *run, const struct backend_ops *backend, const struct cli_options *opt)
{
	size_t n = run->cases.count;
	run->results = calloc(n ? n : 1, sizeof(*run->results));
	run->verdicts = calloc(n ? n : 1, sizeof(*run->verdicts));
	run->reports = calloc(n ? n : 1, sizeof(*run->reports));
	if (!run->results || !run->verdicts || !run->reports)
		return -1;
	struct runner rn = { .opt = opt->run, .backend = backend, .cache = assembly_cache_new(),
			     .in_process = opt->in_process };
	if (!rn.cache)
		return -1;
	uint64_t start = clock_ns();
	for (size_t i = 0; i < n; i++) {
		const struct test_case *c = &run->cases.items[i];
		runner_run_case(&rn, c, &run->results[i]);
		if (verdict_judge(c, &run->results[i], &run->verdicts[i]) < 0)
			run->io_error = true;
		run->reports[i] = (struct case_report){
			.file = c->file, .index = c->index, .name = c->name, .line = c->line,
			.result = &run->results[i], .verdict = &run->verdicts[i],
		};
	}
	run->report.cases = run->reports;
	run->report.count = n;
	run->report.elapsed_ns = clock_ns() - start;
	assembly_cache_free(rn.cache);
	return 0;
}

static void run_free(struct run *run)
{
	for (size_t i = 0; run->results && i < run->cases.count; i++)
		run_result_free(&run->results[i]);
	for (size_t i = 0; run->verdicts && i < run->cases.count; i++)
		verdict_free(&run->verdicts[i]);
	free(run->results);
	free(run->verdicts);
	free(run->reports);
	case_list_free(&run->cases);
}

static int bytes_fill(FILE *out, void *ctx, char *err, size_t err_len)
{
	(void)err, (void)err_len;
	const struct bytes *text = ctx;
	return fwrite(text->data, 1, text->len, out) == text->len ? 0 : -1;
}

static bool report_failed(const char *err)
{
	fprintf(stderr, "kvmcheck: %s\n", err);
	return false;
}

/* The TAP goes to stdout and, byte for byte the same, to the --tap file. */
static bool reports_write_tap(const struct record *rec, const struct cli_options *opt,
			      const struct render_options *ropt)
{
	char err[600] = "";
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (!mem)
		return report_failed("out of memory");
	bool ok = report_tap_render(rec, mem, ropt, err, sizeof(err)) == 0;
	ok &= fclose(mem) == 0;
	if (!ok) {
		free(text);
		return report_failed(err[0] ? err : "TAP report: out of memory");
	}
	ok &= fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0;
	struct bytes tap = { .data = (uint8_t *)text, .len = len };
	if (opt->tap_path && atomic_file_write(opt->tap_path, bytes_fill, &tap, err, sizeof(err)) < 0)
		ok = report_failed(err);
	free(text);
	return ok;
}

/* Every report file asked for, each whole or not at all, then the summary. */
static bool reports_write(const struct record *rec, const struct cli_options *opt)
{
	struct render_options ropt = { .tap_timing = opt->tap_timing, .verbose = opt->verbose };
	/* Only the summary is coloured, and it goes to stderr. */
	ropt.color = cli_color_wanted(opt->color, isatty(STDERR_FILENO), getenv("NO_COLOR"), getenv("TERM"));
	const struct { const char *path; const char *renderer; } files[] = {
		{ opt->junit_path, "junit" },
		{ opt->results_path, "results" },
		{ opt->json_path, "json" },
		{ opt->html_path, "html" },
	};
	bool ok = reports_write_tap(rec, opt, &ropt);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char err[600] = "";
		if (files[i].path && report_file_render(files[i].path, renderer_find(files[i].renderer), rec, &ropt, err,
							sizeof(err)) < 0)
			ok = report_failed(err);
	}
	char err[600] = "";
	report_summary_render(rec, stderr, &ropt, err, sizeof(err));
	return ok;
}

static int exit_status(const struct record *rec, bool ok)
{
	if (!ok)
		return EXIT_USAGE_OR_IO;
	return record_any_failed(rec) ? EXIT_SOME_FAILED : EXIT_ALL_PASSED;
}

static int command_run(const struct cli_options *opt)
{
	char why[300] = "";
	const struct backend_ops *backend = backend_choose(opt->backend, why, sizeof(why));
	if (!backend) {
		fprintf(stderr, "kvmcheck: backend %s cannot run here: %s\n", opt->backend, why);
		return EXIT_USAGE_OR_IO;
	}
	if (why[0] && opt->verbose)
		fprintf(stderr, "kvmcheck: %s\n", why);

	struct run run = { .report = { .version = KVMCHECK_VERSION, .backend = backend->name } };
	struct record rec = {0};
	int status = EXIT_USAGE_OR_IO;
	if (run_load_cases(&run, opt->files, opt->file_count) < 0 || run_all(&run, backend, opt) < 0 ||
	    record_build(&run.report, &rec) < 0)
		fprintf(stderr, "kvmcheck: out of memory\n");
	else
		status = exit_status(&rec, reports_write(&rec, opt) && !run.io_error);
	record_free(&rec);
	run_free(&run);
	return status;
}

/* One record, or the merge of several (shards of one suite). */
static int records_load(const struct cli_options *opt, struct record *rec)
{
	size_t n = (size_t)opt->file_count;
	struct record *parts = calloc(n, sizeof(*parts));
	if (!parts) {
		fprintf(stderr, "kvmcheck: out of memory\n");
		return -1;
	}
	char err[600] = "";
	size_t loaded = 0;
	int rc = 0;
	for (; loaded < n && rc == 0; loaded++)
		rc = record_json_load(opt->files[loaded], &parts[loaded], err, sizeof(err));
	if (rc == 0 && n == 1) {
		*rec = parts[0];
		parts[0] = (struct record){0};
	}
	else if (rc == 0)
		rc = record_merge(parts, n, rec, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "kvmcheck: %s\n", err);
	for (size_t i = 0; i < loaded; i++)
		record_free(&parts[i]);
	free(parts);
	return rc;
}

static int command_report(const struct cli_options *opt)
{
	struct record rec = {0};
	if (records_load(opt, &rec) < 0)
		return EXIT_USAGE_OR_IO;
	int status = exit_status(&rec, reports_write(&rec, opt));
	record_free(&rec);
	return status;
}

int main(int argc, char **argv)
{
	struct cli_options opt;
	char err[300];
	if (cli_parse(argc, argv, &opt, err, sizeof(err)) < 0) {
		fprintf(stderr, "kvmcheck: %s\n", err);
		cli_usage(stderr);
		return EXIT_USAGE_OR_IO;
	}
	if (opt.help || opt.version) {
		opt.help ? cli_usage(stdout) : (void)printf("kvmcheck %s\n", KVMCHECK_VERSION);
		return EXIT_ALL_PASSED;
	}
	return opt.command == CLI_REPORT ? command_report(&opt) : command_run(&opt);
}
