/* kvmcheck: reads the case files, runs every case, judges it and writes the
 * reports. The stages themselves live in their own modules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "machine/backend.h"
#include "case/case.h"
#include "cli/cli.h"
#include "core/clock.h"
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
	bool io_error;
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
		verdict_judge(c, &run->results[i], &run->verdicts[i]);
		run->reports[i] = (struct case_report){
			.file = c->file, .index = c->index, .name = c->name,
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
	free(run->results);
	free(run->verdicts);
	free(run->reports);
	case_list_free(&run->cases);
}

/* Makes the folders above path, as `mkdir -p $(dirname path)` would. */
static void parents_create(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0777);
		*p = '/';
	}
}

static FILE *report_file_open(const char *path)
{
	parents_create(path);
	FILE *f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "kvmcheck: cannot write %s: %s\n", path, strerror(errno));
	return f;
}

static bool report_file_close(FILE *f, const char *path)
{
	bool ok = !ferror(f);
	ok &= fclose(f) == 0;
	if (!ok)
		fprintf(stderr, "kvmcheck: cannot write %s\n", path);
	return ok;
}

/* The TAP goes to stdout and, byte for byte the same, to the --tap file. */
static bool reports_write_tap(const struct run *run, const struct cli_options *opt)
{
	struct report_options ropt = { .tap_timing = opt->tap_timing, .verbose = opt->verbose };
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (!mem)
		return false;
	bool ok = report_tap_write(mem, &run->report, &ropt) == 0;
	ok &= fclose(mem) == 0;
	ok &= fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0;
	if (opt->tap_path) {
		FILE *f = report_file_open(opt->tap_path);
		ok &= f && fwrite(text, 1, len, f) == len;
		ok &= f && report_file_close(f, opt->tap_path);
	}
	free(text);
	return ok;
}

static bool reports_write(const struct run *run, const struct cli_options *opt)
{
	bool ok = reports_write_tap(run, opt);
	if (opt->junit_path) {
		char err[300];
		parents_create(opt->junit_path);
		if (report_junit_write(opt->junit_path, &run->report, err, sizeof(err)) < 0) {
			fprintf(stderr, "kvmcheck: %s\n", err);
			ok = false;
		}
	}
	if (opt->results_path) {
		FILE *f = report_file_open(opt->results_path);
		ok &= f && report_results_write(f, &run->report) == 0;
		ok &= f && report_file_close(f, opt->results_path);
	}
	report_summary_write(stderr, &run->report);
	return ok;
}

static int run_exit_status(const struct run *run, bool reports_ok)
{
	if (!reports_ok || run->io_error)
		return EXIT_USAGE_OR_IO;
	for (size_t i = 0; i < run->report.count; i++)
		if (run->verdicts[i].status != VERDICT_PASS)
			return EXIT_SOME_FAILED;
	return EXIT_ALL_PASSED;
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
	char why[300] = "";
	const struct backend_ops *backend = backend_choose(opt.backend, why, sizeof(why));
	if (!backend) {
		fprintf(stderr, "kvmcheck: backend %s cannot run here: %s\n", opt.backend, why);
		return EXIT_USAGE_OR_IO;
	}
	if (why[0] && opt.verbose)
		fprintf(stderr, "kvmcheck: %s\n", why);

	struct run run = { .report = { .version = KVMCHECK_VERSION, .backend = backend->name } };
	int status = EXIT_USAGE_OR_IO;
	if (run_load_cases(&run, opt.files, opt.file_count) < 0 || run_all(&run, backend, &opt) < 0)
		fprintf(stderr, "kvmcheck: out of memory\n");
	else
		status = run_exit_status(&run, reports_write(&run, &opt));
	run_free(&run);
	return status;
}
