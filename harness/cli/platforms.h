/* platforms: what a run writes for GitHub Actions and GitHub Classroom,
 * decided from the environment the run finds (GITHUB_ACTIONS, GITHUB_OUTPUT,
 * GITHUB_STEP_SUMMARY) and --github. Everything kvmcheck prints between
 * platforms_begin and platforms_finish on stdout (the TAP stream with guest
 * bytes, and there the summary too) is inside a stop-commands region with a
 * random token, so no guest can issue workflow commands; the annotations
 * come after it. */
#ifndef KVMCHECK_CLI_PLATFORMS_H
#define KVMCHECK_CLI_PLATFORMS_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/cli.h"
#include "record/record.h"
#include "report/class.h"
#include "report/workflow.h"

struct platform_env {
	bool actions;               /* write annotations, the fence and the summary */
	const char *output_path;    /* GITHUB_OUTPUT, or NULL */
	const char *summary_path;   /* GITHUB_STEP_SUMMARY, or NULL */
};

struct platform_session {
	struct platform_env env;
	bool fenced;                /* the stop-commands region is open */
	char token[WORKFLOW_TOKEN_SIZE];
};

/* What the environment and the options ask for. */
struct platform_env platform_env_read(const struct cli_options *opt);

/* Where the console summary goes: stderr, but stdout under GitHub Actions.
 * The runner reads the two streams apart, in no promised order, so a region
 * opened on one cannot be relied on to cover lines of the other: everything
 * that may hold a student's or a guest's bytes goes to the fenced stream. */
FILE *platform_summary_stream(const struct cli_options *opt);

/* Opens the stop-commands region on stdout when annotating. */
void platforms_begin(struct platform_session *s, const struct cli_options *opt);

/* Closes the stop-commands region, if open. */
void platforms_fence_close(struct platform_session *s);

/* Closes the region, writes the annotations, appends the job summary and
 * the Classroom step output. false when one of them could not be written
 * (said on stderr). Hidden cases show no details unless reveal_hidden. */
bool platforms_finish(struct platform_session *s, const struct record *rec, bool reveal_hidden);

/* The same for a class run (several submissions): one stop-commands region
 * over the whole run, annotations of every student under one cap, each
 * title starting with the student's name; one job summary for the class
 * (step_summary_class_write); and instead of `result`, one Classroom output
 * per student (classroom_output_names) and the index `students`. A student
 * whose rec is NULL (not run) gets no output of its own. */
bool platforms_finish_class(struct platform_session *s, const struct class_student *students, size_t count,
			    bool reveal_hidden);

#endif
