#include "cli/cli.h"

#include <errno.h>
#include <sched.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "assemble/cache_prune.h"
#include "core/defaults.h"
#include "machine/backend.h"

/* More jobs than this gains nothing and only risks running out of processes. */
#define CLI_MAX_JOBS 1024

enum {
	OPT_TAP = 256, OPT_JUNIT, OPT_RESULTS, OPT_JSON, OPT_BACKEND, OPT_TIMING, OPT_NO_REPORTS, OPT_VERSION,
	OPT_OUTPUT_LIMIT, OPT_ASM_TIMEOUT, OPT_ASM_CPU, OPT_ASM_MEMORY, OPT_UNSAFE_ASM, OPT_IN_PROCESS,
	OPT_SHARD, OPT_FILTER, OPT_LIST, OPT_FAIL_FAST, OPT_ALLOW_READ, OPT_COLOR, OPT_HTML,
	OPT_CACHE_DIR, OPT_NO_CACHE, OPT_CACHE_MAX_MB,
	OPT_SUBMISSION, OPT_SUBMISSIONS_FROM, OPT_NAME, OPT_CSV,
	OPT_GRADESCOPE, OPT_GITHUB,
	OPT_TAGS, OPT_SKIP_TAGS, OPT_REVEAL_HIDDEN,
	OPT_JUNIT_FLAVOR,
};

static const struct option cli_long_options[] = {
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "tap", required_argument, NULL, OPT_TAP },
	{ "junit", required_argument, NULL, OPT_JUNIT },
	{ "junit-flavor", required_argument, NULL, OPT_JUNIT_FLAVOR },
	{ "results", required_argument, NULL, OPT_RESULTS },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "html", required_argument, NULL, OPT_HTML },
	{ "gradescope", required_argument, NULL, OPT_GRADESCOPE },
	{ "github", no_argument, NULL, OPT_GITHUB },
	{ "no-reports", no_argument, NULL, OPT_NO_REPORTS },
	{ "timing", no_argument, NULL, OPT_TIMING },
	{ "output-limit", required_argument, NULL, OPT_OUTPUT_LIMIT },
	{ "assembler-timeout-ms", required_argument, NULL, OPT_ASM_TIMEOUT },
	{ "assembler-cpu-seconds", required_argument, NULL, OPT_ASM_CPU },
	{ "assembler-memory", required_argument, NULL, OPT_ASM_MEMORY },
	{ "unsafe-assembler", no_argument, NULL, OPT_UNSAFE_ASM },
	{ "in-process", no_argument, NULL, OPT_IN_PROCESS },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "jobs", required_argument, NULL, 'j' },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "filter", required_argument, NULL, OPT_FILTER },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "fail-fast", no_argument, NULL, OPT_FAIL_FAST },
	{ "allow-read", required_argument, NULL, OPT_ALLOW_READ },
	{ "cache-dir", required_argument, NULL, OPT_CACHE_DIR },
	{ "cache-max-mb", required_argument, NULL, OPT_CACHE_MAX_MB },
	{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
	{ "submission", required_argument, NULL, OPT_SUBMISSION },
	{ "submissions-from", required_argument, NULL, OPT_SUBMISSIONS_FROM },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "csv", required_argument, NULL, OPT_CSV },
	{ "tags", required_argument, NULL, OPT_TAGS },
	{ "skip-tags", required_argument, NULL, OPT_SKIP_TAGS },
	{ "reveal-hidden", no_argument, NULL, OPT_REVEAL_HIDDEN },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ 0 },
};

void cli_usage(FILE *out)
{
	char backends[64]; /* padded below to the column of the options' meanings */
	backend_names_join(backends, sizeof(backends), "|", "|");
	fprintf(out,
	      "usage: kvmcheck [options] CASE.yaml...\n"
	      "       kvmcheck report [--tap F] [--junit F] [--results F] [--json F] RESULTS.json...\n"
	      "Runs each case's guest in a fresh VM and reports TAP on stdout. `report` renders\n"
	      "the reports of saved results records instead, merging several into one.\n"
	      "\n"
	      "  --backend %-13s how guests run (auto: kvm when /dev/kvm works, else emu)\n"
	      "  --tap FILE              also write the TAP stream to FILE (default reports/kvmcheck.tap; -: stdout only)\n"
	      "  --junit FILE            write JUnit XML to FILE (default reports/junit.xml)\n"
	      "  --junit-flavor jenkins|gitlab  jenkins (default): valid against junit-10.xsd; gitlab: testcases\n"
	      "                          also carry `file` and `status`, which that schema rejects\n"
	      "  --json FILE             write the results record to FILE (default reports/results.json)\n"
	      "  --html FILE             write the HTML report to FILE (default reports/kvmcheck.html)\n"
	      "  --gradescope FILE       write Gradescope's results.json to FILE\n"
	      "  --github                GitHub output (annotations, job summary, Classroom result) even\n"
	      "                          where GITHUB_ACTIONS is not true\n"
	      "  --no-reports            write none of the default report files\n"
	      "  --results FILE          write one line per case for backend parity checks\n"
	      "  --timing                put durations into TAP (it is then no longer repeatable)\n"
	      "  --output-limit BYTES    serial output a case may write (default %u)\n"
	      "  --assembler-timeout-ms N, --assembler-cpu-seconds N, --assembler-memory BYTES\n"
	      "                          nasm's limits (defaults %u, %u, %llu)\n"
	      "  --unsafe-assembler      where nasm's own world (user namespaces) cannot be built, run it\n"
	      "                          with what the host has (Landlock alone, or nothing)\n"
	      "  --color auto|always|never  colour in the summary (auto: on a terminal, unless NO_COLOR)\n"
	      "  -j, --jobs N            cases assembled and run at once (default: the number of CPUs)\n"
	      "  --shard K/N             run the K-th of N disjoint parts of the suite (default: GitLab's\n"
	      "                          CI_NODE_INDEX/CI_NODE_TOTAL when set)\n"
	      "  --filter PATTERN        only the cases whose name or FILE:INDEX matches the glob (repeatable)\n"
	      "  --list                  print the cases that would run, one per line, and run none\n"
	      "  --fail-fast             stop at the first case that does not pass (the rest: not run)\n"
	      "  --allow-read DIR        case files may name files in DIR too (repeatable)\n"
	      "  --cache-dir DIR         keep assemblies across runs in DIR (default $XDG_CACHE_HOME/kvmcheck,\n"
	      "                          else ~/.cache/kvmcheck)\n"
	      "  --no-cache              assemble every guest afresh, and keep nothing across runs\n"
	      "  --cache-max-mb N        keep the cache within N MiB, the least recently used going first\n"
	      "                          (default 512; 0: no limit)\n"
	      "  --submission DIR        grade the student's folder DIR: cases with 'submission:' assemble\n"
	      "                          its files (repeatable: one report set per student in reports/NAME/)\n"
	      "  --submissions-from FILE one student's folder per line (-: standard input; # comments)\n"
	      "  --name NAME             the run's name in every report (default: the submission's folder name)\n"
	      "  --csv FILE              with submissions: the class CSV, a row of points per student\n"
	      "  --tags A,B              only the cases with any of these tags (repeatable)\n"
	      "  --skip-tags A,B         never the cases with any of these tags (repeatable)\n"
	      "  --reveal-hidden         for the instructor: reports show hidden cases whole\n"
	      "  --in-process            debugging: run cases inside kvmcheck, not in a worker each\n"
	      "                          (implies -j 1; with --no-reports only: a crash there ends kvmcheck)\n"
	      "  -v, --verbose           diagnostics for passing cases too\n"
	      "  -h, --help              this help\n"
	      "      --version           the version, and how nasm starts\n"
	      "\n"
	      "Exit status: 0 all cases passed, 1 some failed, 2 usage or I/O error.\n",
	      backends, DEFAULT_OUTPUT_LIMIT, DEFAULT_ASM_TIMEOUT_MS, DEFAULT_ASM_CPU_SECONDS,
	      (unsigned long long)DEFAULT_ASM_MEMORY);
}

/* A whole number from 1 to max; 0 when the text is not one. */
static uint64_t cli_number(const char *text, uint64_t max)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 0);
	return errno || *end || !*text || *text == '-' || v > max ? 0 : v;
}

static int cli_set_limit(int opt, const char *name, const char *text, struct runner_options *run, char *err,
			 size_t err_len)
{
	uint64_t v;
	switch (opt) {
	case OPT_OUTPUT_LIMIT: v = run->output_limit = (uint32_t)cli_number(text, CASE_MAX_OUTPUT_LIMIT); break;
	case OPT_ASM_TIMEOUT: v = run->asm_timeout_ms = (uint32_t)cli_number(text, CASE_MAX_TIMEOUT_MS); break;
	case OPT_ASM_CPU: v = run->asm_cpu_seconds = (uint32_t)cli_number(text, CASE_MAX_ASM_CPU_SECONDS); break;
	default: v = run->asm_memory = cli_number(text, CASE_MAX_ASM_MEMORY); break;
	}
	if (v == 0) {
		snprintf(err, err_len, "option '--%s' needs a positive whole number within its range, not '%s'", name,
			 text);
		return -1;
	}
	return 0;
}

/* --cache-max-mb: a whole number of MiB, 0 for no limit. */
static int cli_cache_max_mb(struct cli_options *opt, const char *text, char *err, size_t err_len)
{
	if (strcmp(text, "0") == 0) {
		opt->cache_max_mb = 0;
		return 0;
	}
	if (!(opt->cache_max_mb = cli_number(text, CACHE_MAX_MAX_MB))) {
		snprintf(err, err_len, "option '--cache-max-mb' needs a whole number of MiB from 0 to %u, not '%s'",
			 CACHE_MAX_MAX_MB, text);
		return -1;
	}
	return 0;
}

/* The CPUs this process may run on: the default of -j. */
static unsigned cli_cpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

/* A folder case files may reach besides their own (case.h). */
static int cli_allow_read(struct cli_options *opt, const char *dir, char *err, size_t err_len)
{
	struct stat st;
	if (opt->allow_read_count >= CLI_MAX_ALLOW_READ) {
		snprintf(err, err_len, "option '--allow-read' given more than %d times", CLI_MAX_ALLOW_READ);
		return -1;
	}
	errno = 0;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, err_len, "option '--allow-read': '%s' is not a folder%s%s", dir, errno ? ": " : "",
			 errno ? strerror(errno) : "");
		return -1;
	}
	opt->allow_read[opt->allow_read_count++] = dir;
	opt->allow_read[opt->allow_read_count] = NULL;
	return 0;
}

static int cli_submission(struct cli_options *opt, const char *dir, char *err, size_t err_len)
{
	char why[600];
	if (submission_list_add(&opt->submissions, dir, why, sizeof(why)) == 0)
		return 0;
	snprintf(err, err_len, "option '--submission': %s", why);
	return -1;
}

static int cli_submissions_from(struct cli_options *opt, const char *path, char *err, size_t err_len)
{
	bool from_stdin = strcmp(path, "-") == 0;
	FILE *in = from_stdin ? stdin : fopen(path, "r");
	if (!in) {
		snprintf(err, err_len, "option '--submissions-from': cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	int rc = submission_list_read(&opt->submissions, in, from_stdin ? "standard input" : path, err, err_len);
	if (!from_stdin)
		fclose(in);
	return rc;
}

/* Submissions, their names and the CSV hang together: say so at once, not
 * after the run. */
static int cli_submissions_check(const struct cli_options *opt, char *err, size_t err_len)
{
	if (opt->name && opt->submissions.count > 1) {
		snprintf(err, err_len, "option '--name' names one run, but %zu submissions are graded (each run is "
			 "named after its folder)", opt->submissions.count);
		return -1;
	}
	if (opt->name && !opt->name[0]) {
		snprintf(err, err_len, "option '--name' needs a name, not an empty one");
		return -1;
	}
	if (opt->csv_path && opt->submissions.count == 0) {
		snprintf(err, err_len, "option '--csv' writes a row per student: give --submission or --submissions-from");
		return -1;
	}
	if (opt->in_process && opt->submissions.count > 1) {
		snprintf(err, err_len, "option '--in-process' runs one submission at most");
		return -1;
	}
	return 0;
}

void cli_options_free(struct cli_options *opt)
{
	submission_list_free(&opt->submissions);
}

/* What `report` accepts besides the report files: nothing that runs a case. */
static bool cli_report_option(int opt)
{
	return opt == OPT_TAP || opt == OPT_JUNIT || opt == OPT_RESULTS || opt == OPT_JSON || opt == OPT_HTML || opt == OPT_TIMING ||
	       opt == OPT_GRADESCOPE || opt == OPT_GITHUB || opt == OPT_JUNIT_FLAVOR ||
	       opt == OPT_VERSION || opt == OPT_COLOR || opt == OPT_REVEAL_HIDDEN || opt == 'v' || opt == 'h';
}

static int cli_color_parse(const char *word, enum cli_color *out, char *err, size_t err_len)
{
	static const char *const names[] = { [CLI_COLOR_AUTO] = "auto", [CLI_COLOR_ALWAYS] = "always",
					     [CLI_COLOR_NEVER] = "never" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(word, names[i]) == 0) {
			*out = (enum cli_color)i;
			return 0;
		}
	}
	snprintf(err, err_len, "--color must be auto, always or never, not '%.40s'", word);
	return -1;
}

static int cli_junit_flavor_parse(const char *word, enum junit_flavor *out, char *err, size_t err_len)
{
	static const char *const names[] = { [JUNIT_FLAVOR_JENKINS] = "jenkins", [JUNIT_FLAVOR_GITLAB] = "gitlab" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(word, names[i]) == 0) {
			*out = (enum junit_flavor)i;
			return 0;
		}
	}
	snprintf(err, err_len, "--junit-flavor must be jenkins or gitlab, not '%.40s'", word);
	return -1;
}

bool cli_color_wanted(enum cli_color color, bool is_tty, const char *no_color, const char *term)
{
	if (color != CLI_COLOR_AUTO)
		return color == CLI_COLOR_ALWAYS;
	if (no_color && no_color[0])
		return false;
	return is_tty && !(term && strcmp(term, "dumb") == 0);
}

/* One --tags or --skip-tags list. */
static int cli_tag_list(struct cli_options *opt, bool skip, const char *list, char *err, size_t err_len)
{
	int *count = skip ? &opt->skip_tags_count : &opt->tags_count;
	if (*count == CLI_MAX_FILTERS) {
		snprintf(err, err_len, "at most %d --%s options", CLI_MAX_FILTERS, skip ? "skip-tags" : "tags");
		return -1;
	}
	if (strspn(list, ",") == strlen(list)) {
		snprintf(err, err_len, "option '--%s' needs tags (A,B), not '%s'", skip ? "skip-tags" : "tags", list);
		return -1;
	}
	(skip ? opt->skip_tags : opt->tags)[(*count)++] = list;
	return 0;
}

/* The defaults of a run; `report` writes only the files it is asked for. */
static void cli_defaults(struct cli_options *opt, enum cli_command command)
{
	*opt = (struct cli_options){ .command = command, .backend = "auto", .cache_max_mb = CACHE_DEFAULT_MAX_MB };
	if (command == CLI_RUN) {
		opt->tap_path = "reports/kvmcheck.tap";
		opt->junit_path = "reports/junit.xml";
		opt->json_path = "reports/results.json";
		opt->html_path = "reports/kvmcheck.html";
	}
	runner_options_default(&opt->run);
	opt->jobs = cli_cpus();
}

int cli_parse(int argc, char **argv, struct cli_options *opt, char *err, size_t err_len)
{
	enum cli_command command = argc > 1 && strcmp(argv[1], "report") == 0 ? CLI_REPORT : CLI_RUN;
	cli_defaults(opt, command);
	bool no_reports = false, tap_set = false, junit_set = false, json_set = false, html_set = false;
	/* For report, getopt sees the word "report" where it expects the program name. */
	argc -= command == CLI_REPORT;
	argv += command == CLI_REPORT;
	opterr = 0;
	optind = 0; /* 0, not 1: glibc then forgets any earlier parse entirely */
	int c, long_index = 0;
	while ((c = getopt_long(argc, argv, "vhj:", cli_long_options, &long_index)) != -1) {
		if (command == CLI_REPORT && c != '?' && c != ':' && !cli_report_option(c)) {
			/* Only long options are refused; the index names the one given. */
			snprintf(err, err_len, "option '--%s' does not apply to report", cli_long_options[long_index].name);
			return -1;
		}
		switch (c) {
		case OPT_BACKEND: opt->backend = optarg; break;
		case OPT_TAP: opt->tap_path = strcmp(optarg, "-") ? optarg : NULL; tap_set = true; break;
		case OPT_JUNIT: opt->junit_path = optarg; junit_set = true; break;
		case OPT_RESULTS: opt->results_path = optarg; break;
		case OPT_JSON: opt->json_path = optarg; json_set = true; break;
		case OPT_HTML: opt->html_path = optarg; html_set = true; break;
		case OPT_GRADESCOPE: opt->gradescope_path = optarg; break;
		case OPT_GITHUB: opt->github = true; break;
		case OPT_NO_REPORTS: no_reports = true; break;
		case OPT_TIMING: opt->tap_timing = true; break;
		case OPT_OUTPUT_LIMIT:
		case OPT_ASM_TIMEOUT:
		case OPT_ASM_CPU:
		case OPT_ASM_MEMORY:
			if (cli_set_limit(c, cli_long_options[long_index].name, optarg, &opt->run, err, err_len) < 0)
				return -1;
			break;
		case OPT_COLOR:
			if (cli_color_parse(optarg, &opt->color, err, err_len) < 0)
				return -1;
			break;
		case OPT_JUNIT_FLAVOR:
			if (cli_junit_flavor_parse(optarg, &opt->junit_flavor, err, err_len) < 0)
				return -1;
			break;
		case OPT_UNSAFE_ASM: opt->run.unsafe_assembler = true; break;
		case OPT_IN_PROCESS: opt->in_process = true; break;
		case OPT_SHARD:
			if (shard_parse(optarg, &opt->shard, err, err_len) < 0)
				return -1;
			break;
		case OPT_FILTER:
			if (opt->filter_count == CLI_MAX_FILTERS) {
				snprintf(err, err_len, "at most %d --filter options", CLI_MAX_FILTERS);
				return -1;
			}
			opt->filters[opt->filter_count++] = optarg;
			break;
		case OPT_TAGS:
		case OPT_SKIP_TAGS:
			if (cli_tag_list(opt, c == OPT_SKIP_TAGS, optarg, err, err_len) < 0)
				return -1;
			break;
		case OPT_REVEAL_HIDDEN: opt->reveal_hidden = true; break;
		case OPT_LIST: opt->list = true; break;
		case OPT_FAIL_FAST: opt->fail_fast = true; break;
		case 'j':
			if (!(opt->jobs = (unsigned)cli_number(optarg, CLI_MAX_JOBS))) {
				snprintf(err, err_len, "option -j needs a number of jobs from 1 to %d, not '%s'", CLI_MAX_JOBS, optarg);
				return -1;
			}
			break;
		case OPT_ALLOW_READ:
			if (cli_allow_read(opt, optarg, err, err_len) < 0)
				return -1;
			break;
		case OPT_CACHE_DIR: opt->cache_dir = optarg; break;
		case OPT_NO_CACHE: opt->no_cache = true; break;
		case OPT_CACHE_MAX_MB:
			if (cli_cache_max_mb(opt, optarg, err, err_len) < 0)
				return -1;
			break;
		case OPT_SUBMISSION:
			if (cli_submission(opt, optarg, err, err_len) < 0)
				return -1;
			break;
		case OPT_SUBMISSIONS_FROM:
			if (cli_submissions_from(opt, optarg, err, err_len) < 0)
				return -1;
			break;
		case OPT_NAME: opt->name = optarg; break;
		case OPT_CSV: opt->csv_path = optarg; break;
		case OPT_VERSION: opt->version = true; break;
		case 'v': opt->verbose = true; break;
		case 'h': opt->help = true; break;
		default:
			snprintf(err, err_len, "unknown or incomplete option '%s'", argv[optind - 1]);
			return -1;
		}
	}
	if (no_reports) {
		opt->tap_path = tap_set ? opt->tap_path : NULL;
		opt->junit_path = junit_set ? opt->junit_path : NULL;
		opt->json_path = json_set ? opt->json_path : NULL;
		opt->html_path = html_set ? opt->html_path : NULL;
	}
	/* A crash inside the engine (Unicorn's exit(1)) ends kvmcheck itself:
	 * no report could be promised, so none may be asked for. */
	if (opt->in_process &&
	    (opt->tap_path || opt->junit_path || opt->json_path || opt->results_path || opt->html_path ||
	     opt->gradescope_path)) {
		snprintf(err, err_len, "option '--in-process' is a debugging aid that cannot promise reports (a crash of "
			 "the engine ends kvmcheck): give it with --no-reports and no report file");
		return -1;
	}
	if (backend_name_check(opt->backend, err, err_len) < 0 || cli_submissions_check(opt, err, err_len) < 0)
		return -1;
	if (command == CLI_RUN && opt->shard.total == 0 && shard_from_env(&opt->shard, err, err_len) < 0)
		return -1;
	opt->files = argv + optind;
	opt->file_count = argc - optind;
	if (opt->file_count == 0 && !opt->help && !opt->version) {
		snprintf(err, err_len, command == CLI_REPORT ? "no results records given" : "no case files given");
		return -1;
	}
	return 0;
}
