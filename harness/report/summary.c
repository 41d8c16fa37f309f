#include "report/report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/strfmt.h"
#include "core/text_escape.h"
#include "record/score.h"
#include "report/grading.h"
#include "report/redact.h"

/* SGR sequences, written only when the options allow colour. */
#define SGR_RED "\033[1;31m"
#define SGR_YELLOW "\033[1;33m"
#define SGR_GREEN "\033[1;32m"
#define SGR_RESET "\033[0m"

static const char *sgr(const struct render_options *opt, const char *code)
{
	return opt && opt->color ? code : "";
}

struct summary_counts {
	size_t passed, failed, errors, skipped;
};

static struct summary_counts summary_count(const struct record *rec)
{
	struct summary_counts n = {0};
	for (size_t i = 0; i < rec->count; i++) {
		enum verdict_status status = rec->cases[i].status;
		n.passed += status == VERDICT_PASS;
		n.failed += status == VERDICT_FAIL;
		n.errors += status == VERDICT_ERROR;
		n.skipped += status == VERDICT_SKIP;
	}
	return n;
}

/* Why cases did not run (all for the same cause: the run stopped). */
static const char *summary_skip_reason(const struct record *rec)
{
	for (size_t i = 0; i < rec->count; i++)
		if (rec->cases[i].status == VERDICT_SKIP && rec->cases[i].reason && rec->cases[i].reason[0])
			return strcmp(rec->cases[i].reason, "interrupted") == 0 ? "interrupted" : "fail-fast";
	return "stopped";
}

/* Why a case did not pass, for one line: the verdict's reason, else the
 * first line of the result's message. */
static const char *summary_reason(const struct record_case *c, size_t *len)
{
	const char *reason = c->reason && c->reason[0] ? c->reason : c->message ? c->message : "no verdict";
	*len = strcspn(reason, "\n");
	return reason;
}

/* Names, paths and reasons go to a terminal: escaping keeps a hostile name
 * from moving the cursor or recolouring the screen. */
static void summary_case(FILE *out, const struct record_case *c, const struct render_options *opt)
{
	size_t reason_len;
	const char *reason = summary_reason(c, &reason_len);
	if (report_case_redacted(c, opt && opt->reveal_hidden)) {
		reason = REPORT_REDACTED_REASON;
		reason_len = strlen(reason);
	}
	char *file = text_escape_str(c->file, TEXT_ESCAPE_KEEP_UTF8);
	char *name = text_escape_str(c->name && c->name[0] ? c->name : "(unnamed)", TEXT_ESCAPE_KEEP_UTF8);
	char *why = text_escape(reason, reason_len, TEXT_ESCAPE_KEEP_UTF8);
	bool failed = c->status == VERDICT_FAIL;
	if (file && name && why)
		fprintf(out, "  %s%s%s %s: %s - %s\n", sgr(opt, failed ? SGR_RED : SGR_YELLOW), failed ? "FAIL" : "ERROR",
			sgr(opt, SGR_RESET), file, name, why);
	else
		fprintf(out, "  %s (out of memory describing the case)\n", failed ? "FAIL" : "ERROR");
	free(file);
	free(name);
	free(why);
}

/* Whose run it was, when it is a student's. */
static void summary_name(FILE *out, const struct record *rec)
{
	char *name = rec->name ? text_escape_str(rec->name, TEXT_ESCAPE_KEEP_UTF8) : NULL;
	if (name)
		fprintf(out, "  run: %s\n", name);
	free(name);
}

/* The score of each case file when there are several, then the total. */
static void summary_score(FILE *out, const struct record *rec)
{
	char text[64];
	/* Out of memory, a file's line is left out; the total still shows. */
	(void)report_file_scores_write(out, rec, "  score ");
	score_format(record_score(rec), text, sizeof(text));
	fprintf(out, "score: %s\n", text);
}

/* The case's metrics (README "Metrics") on a line of their own: the size
 * of its binary, and its instruction count when it was counted. */
static void summary_metrics(FILE *out, const struct record_case *c)
{
	if (!c->binary_size && !c->instructions_counted)
		return;
	fprintf(out, "    %" PRIu64 " byte%s", c->binary_size, c->binary_size == 1 ? "" : "s");
	if (c->instructions_counted)
		fprintf(out, ", %" PRIu64 " instruction%s", c->instructions, c->instructions == 1 ? "" : "s");
	fputc('\n', out);
}

/* With -v, a passing case too, with its metrics. */
static void summary_passed_case(FILE *out, const struct record_case *c, const struct render_options *opt)
{
	char *file = text_escape_str(c->file, TEXT_ESCAPE_KEEP_UTF8);
	char *name = text_escape_str(c->name && c->name[0] ? c->name : "(unnamed)", TEXT_ESCAPE_KEEP_UTF8);
	if (file && name)
		fprintf(out, "  %sPASS%s %s: %s\n", sgr(opt, SGR_GREEN), sgr(opt, SGR_RESET), file, name);
	free(file);
	free(name);
	if (!report_case_redacted(c, opt && opt->reveal_hidden))
		summary_metrics(out, c);
}

/* Indented lines under a failure: where it stopped, and the likely bug. */
static void summary_feedback(FILE *out, const struct record_case *c)
{
	char *stopped = c->stopped_at ? text_escape_str(c->stopped_at, TEXT_ESCAPE_KEEP_UTF8) : NULL;
	char *hint = c->hint ? text_escape_str(c->hint, TEXT_ESCAPE_KEEP_UTF8) : NULL;
	if (stopped)
		fprintf(out, "      stopped at %s\n", stopped);
	if (hint)
		fprintf(out, "      hint: %s\n", hint);
	free(stopped);
	free(hint);
}

int report_summary_render(const struct record *rec, FILE *out, const struct render_options *opt, char *err,
			  size_t err_len)
{
	struct summary_counts n = summary_count(rec);
	char *backend = text_escape_str(rec->backend ? rec->backend : "unknown", TEXT_ESCAPE_KEEP_UTF8);
	/* Hundredths, by integer arithmetic: the locale cannot change the point. */
	uint64_t cs = (rec->elapsed_ns + 5000000) / 10000000;
	fprintf(out, "kvmcheck: %zu case%s, %zu passed, %zu failed, %zu error%s (backend %s, %" PRIu64 ".%02" PRIu64 " s)\n",
		rec->count, rec->count == 1 ? "" : "s", n.passed, n.failed, n.errors, n.errors == 1 ? "" : "s",
		backend ? backend : "?", cs / 100, cs % 100);
	free(backend);
	summary_name(out, rec);
	if (n.skipped)
		fprintf(out, "  %zu case%s not run (%s)\n", n.skipped, n.skipped == 1 ? "" : "s", summary_skip_reason(rec));
	for (size_t i = 0; i < rec->count; i++) {
		const struct record_case *c = &rec->cases[i];
		if (c->status != VERDICT_PASS && c->status != VERDICT_SKIP) {
			summary_case(out, c, opt);
			if (!report_case_redacted(c, opt && opt->reveal_hidden)) {
				summary_feedback(out, c);
				summary_metrics(out, c);
			}
		} else if (c->status == VERDICT_PASS && opt && opt->verbose) {
			summary_passed_case(out, c, opt);
		}
	}
	/* The totals again below a long list of failures, as kselftest ends:
	 * the last line is the one a person sees. Errors count as failed. */
	size_t failed = n.failed + n.errors;
	summary_score(out, rec);
	fprintf(out, "%s%zu passed, %zu failed%s\n", sgr(opt, failed ? SGR_RED : SGR_GREEN), n.passed, failed,
		sgr(opt, SGR_RESET));
	if (fflush(out) == 0 && !ferror(out))
		return 0;
	strfmt_err(err, err_len, "summary: %s", strerror(errno));
	return -1;
}
