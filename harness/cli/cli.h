/* cli: kvmcheck's command line. */
#ifndef KVMCHECK_CLI_H
#define KVMCHECK_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/submissions.h"
#include "report/report.h"
#include "run/runner.h"
#include "run/select.h"

#define CLI_MAX_FILTERS 64

#define KVMCHECK_VERSION "0.1.0"
#define CLI_MAX_ALLOW_READ 32

/* --color: colour in the console summary. */
enum cli_color { CLI_COLOR_AUTO, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER };

enum cli_command {
	CLI_RUN,       /* kvmcheck [options] CASE.yaml...: run cases */
	CLI_REPORT,    /* kvmcheck report RESULTS.json...: render saved records */
};

struct cli_options {
	enum cli_command command;
	const char *backend;     /* auto, kvm or emu */
	const char *tap_path;    /* a copy of the TAP stream, or NULL */
	const char *junit_path;  /* or NULL */
	const char *results_path;
	const char *json_path;   /* the results record, or NULL */
	const char *html_path;   /* the HTML report, or NULL */
	const char *gradescope_path; /* Gradescope's results.json, or NULL */
	bool github;             /* GitHub output as if GITHUB_ACTIONS were true */
	struct runner_options run; /* limits for cases that set none */
	const char *allow_read[CLI_MAX_ALLOW_READ + 1]; /* --allow-read folders, NULL-terminated */
	size_t allow_read_count;
	bool in_process;         /* run cases in kvmcheck's own process, not a worker each */
	const char *cache_dir;   /* --cache-dir, or NULL: the default folder */
	bool no_cache;           /* --no-cache: no assembly kept across runs */
	uint64_t cache_max_mb;   /* --cache-max-mb: the cache's size kept; 0 none */
	unsigned jobs;
	struct shard shard;      /* --shard, or GitLab's CI_NODE_*; total 0: the whole suite */
	const char *filters[CLI_MAX_FILTERS]; /* --filter: a case runs when it matches any */
	int filter_count;
	const char *tags[CLI_MAX_FILTERS];      /* --tags: a case runs when it has any of them */
	int tags_count;
	const char *skip_tags[CLI_MAX_FILTERS]; /* --skip-tags: a case with any of them never runs */
	int skip_tags_count;
	bool reveal_hidden;      /* --reveal-hidden: reports show hidden cases whole (for the instructor) */
	bool list;               /* print the cases that would run, run none */
	bool fail_fast;          /* stop at the first case that does not pass */           /* -j: cases at once (default: the CPUs kvmcheck may use) */
	bool verbose;
	bool tap_timing;
	enum cli_color color;
	enum junit_flavor junit_flavor; /* --junit-flavor */
	struct submission_list submissions; /* --submission, --submissions-from: the students' folders */
	const char *name;        /* --name: the run's name, or NULL (then a submission's folder names it) */
	const char *csv_path;    /* --csv: the class CSV, or NULL */
	bool help;
	bool version;
	char **files;            /* case files, or for report the records */
	int file_count;
};

/* Returns 0, or -1 with err saying what is wrong with the command line. */
int cli_parse(int argc, char **argv, struct cli_options *opt, char *err, size_t err_len);

void cli_usage(FILE *out);

/* Frees what cli_parse allocated (the submission list). */
void cli_options_free(struct cli_options *opt);

/* Whether the summary is coloured: always or never as asked; for auto,
 * only on a terminal (is_tty), not when NO_COLOR is set to anything but ""
 * (no-color.org), and not on TERM=dumb. */
bool cli_color_wanted(enum cli_color color, bool is_tty, const char *no_color, const char *term);

#endif
