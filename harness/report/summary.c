#include "report/report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/text_escape.h"

struct summary_counts {
	size_t passed, failed, errors;
};

static struct summary_counts summary_count(const struct run_report *rep)
{
	struct summary_counts n = {0};
	for (size_t i = 0; i < rep->count; i++) {
		const struct verdict *v = rep->cases[i].verdict;
		enum verdict_status status = v ? v->status : VERDICT_ERROR;
		n.passed += status == VERDICT_PASS;
		n.failed += status == VERDICT_FAIL;
		n.errors += status == VERDICT_ERROR;
	}
	return n;
}

/* Why a case did not pass, for one line: the verdict's reason, else the
 * first line of the result's message. */
static const char *summary_reason(const struct case_report *c, size_t *len)
{
	const char *reason = c->verdict && c->verdict->reason[0] ? c->verdict->reason
			     : c->result && c->result->message ? c->result->message : "no verdict";
	*len = strcspn(reason, "\n");
	return reason;
}

/* Names, paths and reasons go to a terminal: escaping keeps a hostile name
 * from moving the cursor or recolouring the screen. */
static void summary_case(FILE *out, const struct case_report *c)
{
	size_t reason_len;
	const char *reason = summary_reason(c, &reason_len);
	char *file = text_escape_str(c->file, TEXT_ESCAPE_KEEP_UTF8);
	char *name = text_escape_str(c->name && c->name[0] ? c->name : "(unnamed)", TEXT_ESCAPE_KEEP_UTF8);
	char *why = text_escape(reason, reason_len, TEXT_ESCAPE_KEEP_UTF8);
	bool failed = c->verdict && c->verdict->status == VERDICT_FAIL;
	if (file && name && why)
		fprintf(out, "  %s %s: %s - %s\n", failed ? "FAIL" : "ERROR", file, name, why);
	else
		fprintf(out, "  %s (out of memory describing the case)\n", failed ? "FAIL" : "ERROR");
	free(file);
	free(name);
	free(why);
}

void report_summary_write(FILE *out, const struct run_report *rep)
{
	struct summary_counts n = summary_count(rep);
	char *backend = text_escape_str(rep->backend ? rep->backend : "unknown", TEXT_ESCAPE_KEEP_UTF8);
	/* Hundredths, by integer arithmetic: the locale cannot change the point. */
	uint64_t cs = (rep->elapsed_ns + 5000000) / 10000000;
	fprintf(out, "kvmcheck: %zu case%s, %zu passed, %zu failed, %zu error%s (backend %s, %" PRIu64 ".%02" PRIu64 " s)\n",
		rep->count, rep->count == 1 ? "" : "s", n.passed, n.failed, n.errors, n.errors == 1 ? "" : "s",
		backend ? backend : "?", cs / 100, cs % 100);
	free(backend);
	for (size_t i = 0; i < rep->count; i++) {
		const struct case_report *c = &rep->cases[i];
		if (!c->verdict || c->verdict->status != VERDICT_PASS)
			summary_case(out, c);
	}
}
