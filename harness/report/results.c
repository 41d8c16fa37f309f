#include "report/report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/strfmt.h"
#include "core/text_escape.h"
#include "report/redact.h"

/* The parity record: every field is something two backends must agree on,
 * and nothing (times, backend name) that may differ between runs. */

static void results_hex(FILE *out, const struct bytes *b)
{
	static const char hex[] = "0123456789abcdef";
	if (b->len == 0) {
		fputc('-', out);
		return;
	}
	for (size_t i = 0; i < b->len; i++) {
		fputc(hex[b->data[i] >> 4], out);
		fputc(hex[b->data[i] & 0xf], out);
	}
}

/* Every register the record holds, in its order, as name=hex of its width. */
static void results_regs(FILE *out, const struct record_case *c)
{
	if (!c->regs_valid) {
		fputc('-', out);
		return;
	}
	for (size_t i = 0; i < c->reg_count; i++) {
		const struct record_reg *r = &c->regs[i];
		fprintf(out, "%s%s=%0*" PRIx64, i ? " " : "", r->name, r->width / 4, r->value);
	}
}

/* FNV-1a of the final screen: the whole screen in a few characters. */
static uint32_t results_screen_hash(const struct bytes *screen)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < screen->len; i++)
		h = (h ^ screen->data[i]) * 16777619u;
	return h;
}

/* The file name is escaped so that a tab or newline in it cannot add fields
 * or lines to the record. */
static int results_line(FILE *out, const struct record_case *c, bool reveal_hidden)
{
	char *file = text_escape_str(c->file, 0);
	if (!file)
		return -1;
	/* A hidden case's line holds nothing it did, only that it is there. */
	if (report_case_redacted(c, reveal_hidden)) {
		fprintf(out, "%s:%d\thidden\n", file, c->index);
		free(file);
		return 0;
	}
	fprintf(out, "%s:%d\t%s", file, c->index, outcome_name(c->outcome));
	if (c->outcome == OUTCOME_EXIT)
		fprintf(out, "=%" PRIu32, c->exit_code);
	fprintf(out, "\t%" PRIu64 "\t", c->exits);
	free(file);
	results_hex(out, &c->output);
	fputc('\t', out);
	results_regs(out, c);
	/* Only runs with firmware or a screen to check have these two fields. */
	if (c->console.len || c->screen.len) {
		fputc('\t', out);
		results_hex(out, &c->console);
		fprintf(out, "\t%08" PRIx32, results_screen_hash(&c->screen));
	}
	fputc('\n', out);
	return 0;
}

int report_results_render(const struct record *rec, FILE *out, const struct render_options *opt, char *err,
			  size_t err_len)
{
	fputs("# kvmcheck results 1\n", out);
	for (size_t i = 0; i < rec->count; i++) {
		if (results_line(out, &rec->cases[i], opt && opt->reveal_hidden) < 0) {
			strfmt_err(err, err_len, "parity record: out of memory");
			return -1;
		}
	}
	if (fflush(out) == 0 && !ferror(out))
		return 0;
	strfmt_err(err, err_len, "parity record: %s", strerror(errno));
	return -1;
}
