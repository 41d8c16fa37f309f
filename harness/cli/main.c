/* kvmcheck: reads the case files, runs every case, judges it and writes the
 * reports. The stages themselves live in their own modules. */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "machine/backend.h"
#include "machine/machine.h"
#include "case/case.h"
#include "cli/cli.h"
#include "cli/platforms.h"
#include "core/clock.h"
#include "record/record.h"
#include "report/atomic_file.h"
#include "report/class.h"
#include "report/redact.h"
#include "report/report.h"
#include "run/runner.h"
#include "run/scheduler.h"
#include "run/select.h"
#include "assemble/assembler.h"
#include "assemble/cache_prune.h"
#include "assemble/disk_cache.h"
#include "assemble/sandbox/zygote.h"
#include "core/text_escape.h"
#include "judge/grade.h"
#include "judge/verdict.h"

enum { EXIT_ALL_PASSED = 0, EXIT_SOME_FAILED = 1, EXIT_USAGE_OR_IO = 2 };

#define PROGRESS_AFTER_NS 1000000000ull
#define PROGRESS_EVERY_NS 100000000ull

/* ---- interrupts: SIGINT, SIGTERM, SIGHUP ---- */

/* The first signal's number; the scheduler stops starting cases and kills
 * the running ones, and the reports of the finished ones are written. */
static volatile sig_atomic_t interrupted;
/* Set on an interrupt, or by --fail-fast at the first case that fails. */
static volatile sig_atomic_t stop_run;
/* Wakes the scheduler's poll() (a signal between its look at `interrupted`
 * and its sleep would otherwise wait for the next child's event). */
static int wake_pipe[2] = { -1, -1 };

static void on_interrupt(int sig)
{
	/* A second one means now: the children die with kvmcheck (PDEATHSIG). */
	if (interrupted)
		_exit(128 + sig);
	interrupted = sig;
	stop_run = 1;
	int saved = errno;
	if (write(wake_pipe[1], "!", 1) < 0) {
		/* Full: a wake-up is pending already. */
	}
	errno = saved;
}

static const int interrupt_signals[] = { SIGINT, SIGTERM, SIGHUP };

static void interrupts_catch(void)
{
	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		wake_pipe[0] = wake_pipe[1] = -1;
	/* Orphans of our children (a worker whose case runner was killed)
	 * become ours, so they are reaped here and none is left behind. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	struct sigaction sa = { .sa_handler = on_interrupt };
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(interrupt_signals) / sizeof(interrupt_signals[0]); i++)
		sigaction(interrupt_signals[i], &sa, NULL);
}

/* Reaps orphaned descendants: after an interrupt they are dying (killed
 * with their parents), so waiting for them ends. */
static void orphans_reap(bool wait_for_them)
{
	while (waitpid(-1, NULL, wait_for_them ? 0 : WNOHANG) > 0 || (errno == EINTR && wait_for_them))
		;
}

/* The progress line on a terminal: one per kvmcheck run, which a class's
 * students share. */
struct progress {
	bool on;                  /* stderr is a terminal */
	bool shown;               /* the line is on the screen, to be cleared */
	size_t total, finished, failures;
	uint64_t start_ns, shown_ns;
};

struct run {
	struct case_list cases;
	struct run_result *results;
	struct verdict *verdicts;
	struct case_report *reports;
	bool *done;               /* done[i]: case i has its result and verdict */
	size_t printed;           /* test points on stdout so far: every case before it is done */
	struct run_report report;
	const struct render_options *ropt;
	bool stdout_failed;       /* the TAP stream could not be written */
	bool fail_fast;           /* stop at the first case that does not pass */
	bool failed_fast;         /* ... and one did not: failed_at */
	size_t failed_at;         /* the first in suite order; the cases after it count as not run */
	struct progress *progress; /* while the cases run; else NULL */
	bool io_error;            /* a case file could not be read, or memory ran out judging */
	FILE *console;            /* where TAP streams and the summary goes: stdout, or NULL in a class run */
	const struct runner *runner; /* while the cases run: where a failure's stop is found */
};

static int run_load_cases(struct run *run, const struct cli_options *opt)
{
	struct case_load_options load = { .allow_read = opt->allow_read };
	for (int i = 0; i < opt->file_count; i++) {
		int rc = case_file_load_with(opt->files[i], &load, &run->cases);
		if (rc < 0)
			return -1;
		/* An unreadable file is still a failing test point, and an I/O error. */
		run->io_error |= rc == 1;
	}
	for (size_t i = 0; i < run->cases.count; i++) {
		if (grade_case_validate(&run->cases.items[i]) < 0)
			return -1;
	}
	return 0;
}

static struct progress progress_start(size_t total)
{
	return (struct progress){ .on = isatty(STDERR_FILENO), .total = total, .start_ns = clock_ns() };
}

/* Cases done/total, failures, elapsed: on a terminal only, for runs
 * longer than a second, at most ten times a second. */
static void progress_update(struct progress *p, bool passed)
{
	p->finished++;
	p->failures += !passed;
	uint64_t now = clock_ns();
	if (!p->on || now - p->start_ns < PROGRESS_AFTER_NS || now - p->shown_ns < PROGRESS_EVERY_NS)
		return;
	p->shown_ns = now;
	p->shown = true;
	uint64_t ds = (now - p->start_ns) / 100000000;
	fprintf(stderr, "\r\033[K%zu/%zu cases, %zu failed, %" PRIu64 ".%" PRIu64 " s", p->finished, p->total,
		p->failures, ds / 10, ds % 10);
	fflush(stderr);
}

static void progress_clear(struct progress *p)
{
	if (p && p->shown)
		fputs("\r\033[K", stderr);
	if (p)
		p->shown = false;
}

/* The TAP test point of case i, alone, on stdout. */
static void run_print_point(struct run *run, size_t i)
{
	struct run_report one = run->report;
	one.cases = &run->reports[i];
	one.count = 1;
	struct record rec = {0};
	if (!run->console)
		return;
	progress_clear(run->progress); /* stdout may be the same terminal */
	bool ok = record_build(&one, &rec) == 0 && report_tap_point(&rec.cases[0], i + 1, stdout, run->ropt) == 0;
	run->stdout_failed |= !ok || fflush(stdout) != 0;
	record_free(&rec);
}

/* Judges a case's result. One that did not pass is told where it stopped
 * (runner_locate_stop) and judged again: its hint may name the place, and
 * a passing case's reports never show it. */
static int case_judge(const struct runner *rn, const struct test_case *c, struct run_result *r, struct verdict *v)
{
	int rc = verdict_judge(c, r, v);
	if (rc < 0 || v->status == VERDICT_PASS || !rn)
		return rc;
	runner_locate_stop(rn, c, r);
	verdict_free(v);
	return verdict_judge(c, r, v);
}

/* Case i did not pass and the run stops at it: the cases after it in
 * suite order count as not run, also those that ended already (a pool
 * process may have had one sent ahead, and finished it first), so that
 * the reports do not depend on -j or on which process was quicker. */
static void run_fail_fast_at(struct run *run, size_t i)
{
	if (run->failed_fast && run->failed_at < i)
		return;
	run->failed_fast = true;
	run->failed_at = i;
	for (size_t j = i + 1; j < run->cases.count; j++) {
		if (!run->done[j])
			continue;
		run_result_free(&run->results[j]);
		verdict_free(&run->verdicts[j]);
		run->done[j] = false;
	}
}

/* Judges case i's result; prints every test point now in order. */
static void run_case_done(void *ctx, size_t i, struct run_result *result)
{
	struct run *run = ctx;
	const struct test_case *c = &run->cases.items[i];
	if (run->failed_fast && i > run->failed_at) {
		run_result_free(result); /* not run, as far as the reports go */
		return;
	}
	run->results[i] = *result;
	*result = (struct run_result){0};
	if (case_judge(run->runner, c, &run->results[i], &run->verdicts[i]) < 0)
		run->io_error = true;
	run->reports[i] = (struct case_report){
		.file = c->file, .index = c->index, .name = c->name, .line = c->line,
		.result = &run->results[i], .verdict = &run->verdicts[i],
		.test = c,
	};
	run->done[i] = true;
	if (run->fail_fast && run->verdicts[i].status != VERDICT_PASS) {
		stop_run = 1;
		run_fail_fast_at(run, i);
	}
	while (run->printed < run->cases.count && run->done[run->printed])
		run_print_point(run, run->printed++);
	if (run->progress)
		progress_update(run->progress, run->verdicts[i].status == VERDICT_PASS);
}

/* Every case an interrupt kept from ending: a skipped test point. */
static void run_mark_not_run(struct run *run)
{
	for (size_t i = 0; i < run->cases.count; i++) {
		if (run->done[i])
			continue;
		const struct test_case *c = &run->cases.items[i];
		run->results[i] = (struct run_result){ .outcome = OUTCOME_NOT_RUN };
		run->verdicts[i] = (struct verdict){ .status = VERDICT_SKIP };
		snprintf(run->verdicts[i].reason, sizeof(run->verdicts[i].reason), "%s",
			 interrupted ? "interrupted" : "fail-fast");
		run->reports[i] = (struct case_report){
			.file = c->file, .index = c->index, .name = c->name, .line = c->line,
			.result = &run->results[i], .verdict = &run->verdicts[i],
			.test = c,
		};
		run->done[i] = true;
	}
	while (run->printed < run->cases.count && run->done[run->printed])
		run_print_point(run, run->printed++);
}

static int run_alloc(struct run *run)
{
	size_t n = run->cases.count ? run->cases.count : 1;
	run->results = calloc(n, sizeof(*run->results));
	run->verdicts = calloc(n, sizeof(*run->verdicts));
	run->reports = calloc(n, sizeof(*run->reports));
	run->done = calloc(n, sizeof(*run->done));
	return run->results && run->verdicts && run->reports && run->done ? 0 : -1;
}

/* The head of the TAP stream: the plan is known once the cases are read. */
static void run_print_head(struct run *run)
{
	struct record head = { .version = (char *)run->report.version, .backend = (char *)run->report.backend,
			       .name = (char *)run->report.name, .count = run->cases.count };
	if (!run->console)
		return;
	run->stdout_failed |= report_tap_head(&head, stdout) < 0 || fflush(stdout) != 0;
}

/* The cache of assemblies across runs, or NULL with --no-cache or when it
 * cannot be used: then the run goes on without it, saying why once. */
static const struct disk_cache *run_disk_cache(const struct cli_options *opt, struct disk_cache *dc)
{
	if (opt->no_cache)
		return NULL;
	char dir[PATH_MAX], err[PATH_MAX + 200];
	if (opt->cache_dir)
		snprintf(dir, sizeof(dir), "%s", opt->cache_dir);
	if ((opt->cache_dir || disk_cache_default_dir(dir, sizeof(dir), err, sizeof(err)) == 0) &&
	    disk_cache_open(dc, dir, err, sizeof(err)) == 0) {
		/* Before the run: what it stores stays, so a run never loses
		 * its own entries, and the cache exceeds the limit by at most
		 * one run's worth. */
		if (opt->cache_max_mb)
			cache_prune(dc->dir, opt->cache_max_mb << 20);
		return dc;
	}
	fprintf(stderr, "kvmcheck: assembling without the cache: %s\n", err);
	return NULL;
}

/* The runner of a run's cases, with the caches; 0, or -1 out of memory.
 * Its assembly cache is the caller's to free. */
static int runner_make(const struct cli_options *opt, const struct backend_ops *backend, struct disk_cache *dc,
		       struct runner *rn)
{
	*rn = (struct runner){ .opt = opt->run, .backend = backend, .cache = assembly_cache_new(),
			       .disk_cache = run_disk_cache(opt, dc), .in_process = opt->in_process };
	return rn->cache ? 0 : -1;
}

/* Runs cases[0..n) but those skip names (NULL: none), handing each result
 * to done, until all ran or stop_run is set; 0, or -1 out of memory. */
static int cases_run(struct runner *rn, const struct cli_options *opt, const struct test_case *cases, size_t n,
		     const bool *skip, scheduler_done_fn *done, void *ctx)
{
	if (!opt->in_process) {
		struct scheduler sched = { .runner = rn, .jobs = opt->jobs, .stop = &stop_run, .wake_fd = wake_pipe[0],
					   .skip = skip };
		return scheduler_run(&sched, cases, n, done, ctx) < 0 ? -1 : 0;
	}
	for (size_t i = 0; i < n && !stop_run; i++) {
		if (skip && skip[i])
			continue;
		struct run_result r;
		runner_run_case(rn, &cases[i], &r);
		done(ctx, i, &r);
	}
	return 0;
}

/* Once the cases ran: those that did not are skipped, and the report holds
 * every case. */
static void run_finish(struct run *run, uint64_t elapsed_ns)
{
	run_mark_not_run(run);
	run->report.cases = run->reports;
	run->report.count = run->cases.count;
	run->report.elapsed_ns = elapsed_ns;
}

static int run_all(struct run *run, const struct backend_ops *backend, const struct cli_options *opt)
{
	size_t n = run->cases.count;
	struct disk_cache disk_cache;
	struct runner rn;
	if (run_alloc(run) < 0 || runner_make(opt, backend, &disk_cache, &rn) < 0)
		return -1;
	run_print_head(run);
	struct progress progress = progress_start(n);
	run->progress = &progress;
	run->runner = &rn;
	int rc = cases_run(&rn, opt, run->cases.items, n, NULL, run_case_done, run);
	progress_clear(&progress);
	run->progress = NULL;
	run->runner = NULL;
	run_finish(run, clock_ns() - progress.start_ns);
	assembly_cache_free(rn.cache);
	return rc;
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
	free(run->done);
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

/* The TAP goes to stdout (unless a run has streamed it already) and, byte
 * for byte the same, to the --tap file. */
static bool reports_write_tap(const struct record *rec, const struct cli_options *opt,
			      const struct render_options *ropt, bool streamed, bool console)
{
	char err[600] = "";
	char *text = NULL;
	size_t len = 0;
	/* Streamed to the console and no file: only the tail is left to write. */
	if (!opt->tap_path && (!console || streamed))
		return !console || (report_tap_tail(rec, stdout, ropt) == 0 && fflush(stdout) == 0);
	FILE *mem = open_memstream(&text, &len);
	if (!mem)
		return report_failed("out of memory");
	bool ok = report_tap_render(rec, mem, ropt, err, sizeof(err)) == 0;
	ok &= fclose(mem) == 0;
	if (!ok) {
		free(text);
		return report_failed(err[0] ? err : "TAP report: out of memory");
	}
	if (!console)
		; /* a class run: each student's TAP goes to its file only */
	else if (streamed)
		ok &= report_tap_tail(rec, stdout, ropt) == 0 && fflush(stdout) == 0;
	else
		ok &= fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0;
	struct bytes tap = { .data = (uint8_t *)text, .len = len };
	if (opt->tap_path && atomic_file_write(opt->tap_path, bytes_fill, &tap, err, sizeof(err)) < 0)
		ok = report_failed(err);
	free(text);
	return ok;
}

/* Every report file asked for, each whole or not at all, then the summary
 * (console: TAP and summary on the console, not in a class run). */
static bool reports_write_all(const struct record *rec, const struct cli_options *opt, bool streamed, bool console)
{
	struct render_options ropt = { .tap_timing = opt->tap_timing, .verbose = opt->verbose,
				       .reveal_hidden = opt->reveal_hidden, .junit_flavor = opt->junit_flavor };
	/* Only the summary is coloured, and it goes to stderr. */
	ropt.color = cli_color_wanted(opt->color, isatty(STDERR_FILENO), getenv("NO_COLOR"), getenv("TERM"));
	const struct { const char *path; const char *renderer; } files[] = {
		{ opt->junit_path, "junit" },
		{ opt->results_path, "results" },
		{ opt->json_path, "json" },
		{ opt->html_path, "html" },
		{ opt->gradescope_path, "gradescope" },
	};
	bool ok = reports_write_tap(rec, opt, &ropt, streamed, console);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char err[600] = "";
		if (files[i].path && report_file_render(files[i].path, renderer_find(files[i].renderer), rec, &ropt, err,
							sizeof(err)) < 0)
			ok = report_failed(err);
	}
	char err[600] = "";
	if (console)
		report_summary_render(rec, platform_summary_stream(opt), &ropt, err, sizeof(err));
	return ok;
}

/* Renders from a record that no longer holds what hidden cases would
 * reveal, so no renderer and no saved record can show it, whatever each
 * renderer asks report_case_redacted. */
static bool reports_write(const struct record *rec, const struct cli_options *opt, bool streamed, bool console)
{
	struct record shown;
	if (report_record_shown(rec, opt->reveal_hidden, &shown) < 0)
		return report_failed("out of memory");
	bool ok = reports_write_all(&shown, opt, streamed, console);
	report_record_shown_free(&shown);
	return ok;
}

struct class_reports {
	const struct class_student *students;
	size_t count;
};

static int exit_status(const struct record *rec, bool ok)
{
	if (!ok)
		return EXIT_USAGE_OR_IO;
	return record_any_failed(rec) ? EXIT_SOME_FAILED : EXIT_ALL_PASSED;
}

/* The cases of the run's shard that its filters name. */
static void run_select(struct run *run, const struct cli_options *opt)
{
	size_t n = run->cases.count;
	bool *keep = calloc(n ? n : 1, sizeof(*keep));
	if (!keep)
		return; /* out of memory: the run reports it when it allocates next */
	for (size_t i = 0; i < n; i++) {
		const struct test_case *c = &run->cases.items[i];
		keep[i] = shard_has(&opt->shard, c->file, c->index) && opt->filter_count == 0;
		for (int f = 0; f < opt->filter_count && !keep[i]; f++)
			keep[i] = shard_has(&opt->shard, c->file, c->index) && filter_matches(opt->filters[f], c);
		keep[i] = keep[i] && tags_select(opt->tags, opt->tags_count, opt->skip_tags, opt->skip_tags_count, c);
	}
	case_list_keep(&run->cases, keep);
	free(keep);
}

/* --list: FILE:INDEX and the name, escaped, of every case that would run. */
static int run_list(const struct run *run)
{
	for (size_t i = 0; i < run->cases.count; i++) {
		const struct test_case *c = &run->cases.items[i];
		char *file = text_escape_str(c->file, TEXT_ESCAPE_KEEP_UTF8);
		char *name = text_escape_str(c->name ? c->name : "", TEXT_ESCAPE_KEEP_UTF8);
		if (file && name)
			printf("%s:%d\t%s\n", file, c->index, name);
		free(file);
		free(name);
	}
	return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_ALL_PASSED : EXIT_USAGE_OR_IO;
}

/* Every report file can be written: found out before the first case, not
 * after the last. */
static bool report_paths_writable(const struct cli_options *opt)
{
	const char *paths[] = { opt->tap_path, opt->junit_path, opt->results_path, opt->json_path, opt->csv_path,
				opt->gradescope_path };
	bool ok = true;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char err[600] = "";
		if (paths[i] && atomic_file_check(paths[i], err, sizeof(err)) < 0)
			ok = report_failed(err);
	}
	return ok;
}

/* Runs the selected cases, writes every report; the exit status. The
 * record stays in rec (empty when there is none) for the caller to free. */
static int run_and_report(struct run *run, const struct backend_ops *backend, const struct cli_options *opt,
			  struct record *rec)
{
	*rec = (struct record){0};
	int status = EXIT_USAGE_OR_IO;
	/* A class run's students have no console: the platforms' output
	 * (GitHub's fence, annotations and step files) is written once for
	 * the whole class (command_class). */
	bool platforms_on = run->console != NULL;
	struct platform_session platforms;
	assembler_clean_stale();
	if (platforms_on)
		platforms_begin(&platforms, opt);
	if (run_all(run, backend, opt) < 0 || record_build(&run->report, rec) < 0) {
		fprintf(stderr, "kvmcheck: out of memory\n");
		if (platforms_on)
			platforms_fence_close(&platforms);
	} else {
		bool ok = reports_write(rec, opt, true, run->console != NULL) && !run->io_error && !run->stdout_failed;
		if (platforms_on)
			ok = platforms_finish(&platforms, rec, opt->reveal_hidden) && ok;
		status = exit_status(rec, ok);
	}
	orphans_reap(interrupted != 0);
	if (interrupted)
		assembler_clean_stale(); /* the folders of the runners just killed */
	return interrupted ? 128 + interrupted : status;
}

/* Starts the programs a run waits for before its first case (`nasm -v`
 * for the cache's key, ldd for nasm's sandbox), so that they run while
 * the cases are loaded, not alone after it. */
static void prelude_start(const struct cli_options *opt)
{
	if (!opt->no_cache)
		disk_cache_identify_start();
	assembler_warm_start();
}

/* Ends what prelude_start began and the run never asked for. */
static void prelude_abandon(void)
{
	disk_cache_identify_abandon();
	assembler_warm_abandon();
}

/* One run of the cases, named name (NULL: unnamed), with its TAP and
 * summary on console (NULL: none). The record is left in rec to free. */
static int run_one(const struct cli_options *opt, const struct backend_ops *backend, const char *name,
		   FILE *console, struct record *rec)
{
	struct render_options ropt = { .tap_timing = opt->tap_timing, .verbose = opt->verbose,
				       .reveal_hidden = opt->reveal_hidden, .junit_flavor = opt->junit_flavor };
	struct run run = { .report = { .version = KVMCHECK_VERSION, .backend = backend->name, .name = name },
			   .ropt = &ropt, .fail_fast = opt->fail_fast, .console = console };
	int status = EXIT_USAGE_OR_IO;
	*rec = (struct record){0};
	if (!opt->list)
		prelude_start(opt);
	if (run_load_cases(&run, opt) < 0)
		fprintf(stderr, "kvmcheck: out of memory\n");
	else {
		run_select(&run, opt);
		status = opt->list ? run_list(&run) : run_and_report(&run, backend, opt, rec);
	}
	prelude_abandon();
	run_free(&run);
	return status;
}

static int csv_fill(FILE *out, void *ctx, char *err, size_t err_len)
{
	const struct class_reports *class = ctx;
	return report_class_csv(class->students, class->count, out, err, err_len);
}

/* The class CSV, and with several students the class summary on stdout. */
static bool class_reports_write(const struct class_student *students, size_t count, const struct cli_options *opt,
				bool summary)
{
	char err[600] = "";
	bool ok = true;
	struct class_reports class = { students, count };
	if (opt->csv_path && atomic_file_write(opt->csv_path, csv_fill, &class, err, sizeof(err)) < 0)
		ok = report_failed(err);
	struct render_options ropt = { .verbose = opt->verbose };
	ropt.color = cli_color_wanted(opt->color, isatty(STDOUT_FILENO), getenv("NO_COLOR"), getenv("TERM"));
	if (summary && report_class_summary(students, count, stdout, &ropt, err, sizeof(err)) < 0)
		ok = report_failed(err);
	return ok;
}

/* The options of one student's run in a class: its folder, and every
 * report file in a folder of its name. */
static bool student_options(const struct cli_options *opt, const struct submission *s, struct cli_options *one)
{
	bool failed = false;
	*one = *opt;
	one->run.submission_dir = s->dir;
	one->tap_path = submission_report_path(opt->tap_path, s->name, &failed);
	one->junit_path = submission_report_path(opt->junit_path, s->name, &failed);
	one->results_path = submission_report_path(opt->results_path, s->name, &failed);
	one->json_path = submission_report_path(opt->json_path, s->name, &failed);
	one->html_path = submission_report_path(opt->html_path, s->name, &failed);
	one->gradescope_path = submission_report_path(opt->gradescope_path, s->name, &failed);
	return !failed;
}

static void student_options_free(struct cli_options *one)
{
	free((char *)one->tap_path);
	free((char *)one->junit_path);
	free((char *)one->results_path);
	free((char *)one->json_path);
	free((char *)one->html_path);
	free((char *)one->gradescope_path);
}

/* Worst first: an I/O error over failures over all passed. */
static int status_merge(int a, int b)
{
	return a == EXIT_USAGE_OR_IO || b == EXIT_USAGE_OR_IO ? EXIT_USAGE_OR_IO : a > b ? a : b;
}

/* One student of a class run: its cases and report files, and where its
 * cases sit among the class's. */
struct student_run {
	struct run run;
	struct cli_options opt;   /* the class's, with this student's folder and report paths */
	bool ready;               /* its options made and its cases loaded */
	bool stopped;             /* --fail-fast: a case failed; no later case of it counts */
	size_t first;             /* its first case's index in the class's list */
};

/* Every student's cases side by side in one list, so that -j runs cases
 * of different students at once. */
struct class_run {
	struct student_run *students;
	size_t count;
	struct test_case *cases;  /* shallow copies: the students' lists own what they point to */
	size_t *owner;            /* owner[i]: the student of case i */
	bool *skip;               /* skip[i]: not to be started, its student having stopped */
	size_t total;
	bool fail_fast;
	struct render_options ropt;
};

/* Loads student i's cases, each to run against its folder. */
static bool student_load(struct class_run *class, size_t i, const struct cli_options *opt,
			 const struct backend_ops *backend)
{
	const struct submission *s = &opt->submissions.items[i];
	struct student_run *st = &class->students[i];
	st->run = (struct run){ .report = { .version = KVMCHECK_VERSION, .backend = backend->name, .name = s->name },
				.ropt = &class->ropt };
	if (!student_options(opt, s, &st->opt) || run_load_cases(&st->run, &st->opt) < 0)
		return false;
	run_select(&st->run, &st->opt);
	if (run_alloc(&st->run) < 0)
		return false;
	for (size_t c = 0; c < st->run.cases.count; c++)
		st->run.cases.items[c].submission_dir = s->dir;
	st->ready = true;
	return true;
}

/* The class's list of cases: every ready student's, in student order. */
static int class_join(struct class_run *class)
{
	class->total = 0;
	for (size_t i = 0; i < class->count; i++)
		class->total += class->students[i].ready ? class->students[i].run.cases.count : 0;
	size_t n = class->total ? class->total : 1;
	class->cases = calloc(n, sizeof(*class->cases));
	class->owner = calloc(n, sizeof(*class->owner));
	class->skip = calloc(n, sizeof(*class->skip));
	if (!class->cases || !class->owner || !class->skip)
		return -1;
	size_t at = 0;
	for (size_t i = 0; i < class->count; i++) {
		struct student_run *st = &class->students[i];
		st->first = at;
		for (size_t c = 0; st->ready && c < st->run.cases.count; c++, at++) {
			class->cases[at] = st->run.cases.items[c];
			class->owner[at] = i;
		}
	}
	return 0;
}

/* Hands case i's result to its student's run. With --fail-fast a failure
 * stops its student alone: its later cases are not started, and those
 * already running when it failed count as not run, as they would have
 * been killed had the student run alone. */
static void class_case_done(void *ctx, size_t i, struct run_result *result)
{
	struct class_run *class = ctx;
	struct student_run *st = &class->students[class->owner[i]];
	if (st->stopped) {
		run_result_free(result);
		return;
	}
	size_t local = i - st->first;
	run_case_done(&st->run, local, result);
	if (!class->fail_fast || st->run.verdicts[local].status == VERDICT_PASS)
		return;
	run_fail_fast_at(&st->run, local);
	st->stopped = true;
	for (size_t c = 0; c < st->run.cases.count; c++)
		class->skip[st->first + c] = true;
}

/* Student i's record and report files, once the cases ran; its status. */
static int student_report(struct class_run *class, size_t i, uint64_t elapsed_ns, struct record *rec)
{
	struct student_run *st = &class->students[i];
	*rec = (struct record){0};
	if (!st->ready) {
		fprintf(stderr, "kvmcheck: out of memory\n");
		return EXIT_USAGE_OR_IO;
	}
	run_finish(&st->run, elapsed_ns);
	if (record_build(&st->run.report, rec) < 0) {
		fprintf(stderr, "kvmcheck: out of memory\n");
		return EXIT_USAGE_OR_IO;
	}
	bool ok = reports_write(rec, &st->opt, true, false) && !st->run.io_error;
	return exit_status(rec, ok);
}

static void class_free(struct class_run *class)
{
	for (size_t i = 0; class->students && i < class->count; i++) {
		run_free(&class->students[i].run);
		student_options_free(&class->students[i].opt);
	}
	free(class->students);
	free(class->cases);
	free(class->owner);
	free(class->skip);
}

/* Runs every student's cases in one go, cases of different students side
 * by side (-j), into one report set per student; -1 out of memory. */
static int class_run_cases(struct class_run *class, const struct cli_options *opt, const struct backend_ops *backend)
{
	struct disk_cache disk_cache;
	struct runner rn;
	if (class_join(class) < 0 || runner_make(opt, backend, &disk_cache, &rn) < 0)
		return -1;
	struct progress progress = progress_start(class->total);
	for (size_t i = 0; i < class->count; i++) {
		class->students[i].run.progress = &progress;
		class->students[i].run.runner = &rn;
	}
	int rc = cases_run(&rn, opt, class->cases, class->total, class->skip, class_case_done, class);
	progress_clear(&progress);
	for (size_t i = 0; i < class->count; i++) {
		class->students[i].run.progress = NULL;
		class->students[i].run.runner = NULL;
	}
	assembly_cache_free(rn.cache);
	return rc;
}

/* The class: every student's cases run together, then each student's
 * reports, then the class reports. */
static int command_class(const struct cli_options *opt, const struct backend_ops *backend)
{
	size_t n = opt->submissions.count;
	struct class_run class = { .students = calloc(n, sizeof(*class.students)), .count = n,
				   .fail_fast = opt->fail_fast,
				   .ropt = { .tap_timing = opt->tap_timing, .verbose = opt->verbose,
					     .reveal_hidden = opt->reveal_hidden } };
	struct record *recs = calloc(n, sizeof(*recs));
	struct class_student *students = calloc(n, sizeof(*students));
	int status = EXIT_USAGE_OR_IO;
	/* The class summary on stdout names students: it goes inside the
	 * region too. */
	struct platform_session platforms;
	assembler_clean_stale();
	platforms_begin(&platforms, opt);
	if (class.students && recs && students) {
		status = EXIT_ALL_PASSED;
		prelude_start(opt);
		for (size_t i = 0; i < n; i++)
			student_load(&class, i, opt, backend);
		uint64_t start = clock_ns();
		bool ran = class_run_cases(&class, opt, backend) == 0;
		uint64_t elapsed_ns = clock_ns() - start;
		prelude_abandon();
		if (!ran)
			fprintf(stderr, "kvmcheck: out of memory\n");
		for (size_t i = 0; i < n; i++) {
			int rc = ran ? student_report(&class, i, elapsed_ns, &recs[i]) : EXIT_USAGE_OR_IO;
			status = status_merge(status, rc);
			students[i] = (struct class_student){ opt->submissions.items[i].name,
							       recs[i].version ? &recs[i] : NULL };
		}
		if (!class_reports_write(students, n, opt, true))
			status = EXIT_USAGE_OR_IO;
		if (!platforms_finish_class(&platforms, students, n, opt->reveal_hidden))
			status = EXIT_USAGE_OR_IO;
	} else {
		platforms_fence_close(&platforms);
		fprintf(stderr, "kvmcheck: out of memory\n");
	}
	orphans_reap(interrupted != 0);
	if (interrupted)
		assembler_clean_stale(); /* the folders of the runners just killed */
	for (size_t i = 0; recs && i < n; i++)
		record_free(&recs[i]);
	free(recs);
	free(students);
	class_free(&class);
	return interrupted ? 128 + interrupted : status;
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
	if (!opt->list && !report_paths_writable(opt))
		return EXIT_USAGE_OR_IO;

	if (!opt->list) {
		interrupts_catch();
		machine_process_setup();
	}
	if (opt->submissions.count > 1 && !opt->list)
		return command_class(opt, backend);
	struct cli_options one = *opt;
	const char *name = opt->name;
	if (opt->submissions.count == 1) {
		one.run.submission_dir = opt->submissions.items[0].dir;
		name = name ? name : opt->submissions.items[0].name;
	}
	struct record rec;
	int status = run_one(&one, backend, name, stdout, &rec);
	if (status != EXIT_USAGE_OR_IO && opt->csv_path && rec.version) {
		struct class_student student = { name, &rec };
		if (!class_reports_write(&student, 1, opt, false))
			status = EXIT_USAGE_OR_IO;
	}
	record_free(&rec);
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
	struct platform_session platforms;
	platforms_begin(&platforms, opt);
	bool ok = reports_write(&rec, opt, false, true);
	int status = exit_status(&rec, platforms_finish(&platforms, &rec, opt->reveal_hidden) && ok);
	record_free(&rec);
	return status;
}

/* The version, and how nasm starts: where the zygote's library was found
 * (an installation missing it still works, only slower). */
static void version_print(void)
{
	const char *lib = sandbox_zygote_library();
	printf("kvmcheck %s\n", KVMCHECK_VERSION);
	if (lib)
		printf("nasm: forked after its start-up (%s)\n", lib);
	else
		printf("nasm: exec'd for each assembly (no kvmcheck-zygote.so beside kvmcheck or in ../lib/kvmcheck)\n");
}

int main(int argc, char **argv)
{
	struct cli_options opt;
	char err[800];
	int status;
	if (cli_parse(argc, argv, &opt, err, sizeof(err)) < 0) {
		fprintf(stderr, "kvmcheck: %s\n", err);
		cli_usage(stderr);
		status = EXIT_USAGE_OR_IO;
	} else if (opt.help || opt.version) {
		opt.help ? cli_usage(stdout) : version_print();
		status = EXIT_ALL_PASSED;
	} else {
		status = opt.command == CLI_REPORT ? command_report(&opt) : command_run(&opt);
	}
	cli_options_free(&opt);
	return status;
}
