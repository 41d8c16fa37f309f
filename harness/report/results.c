#include "report/report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/strfmt.h"
#include "core/text_escape.h"

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

/* The file name is escaped so that a tab or newline in it cannot add fields
 * or lines to the record. */
static int results_line(FILE *out, const struct record_case *c)
{
	char *file = text_escape_str(c->file, 0);
	if (!file)
		return -1;
	fprintf(out, "%s:%d\t%s\t%" PRIu64 "\t", file, c->index, outcome_name(c->outcome), c->exits);
	free(file);
	results_hex(out, &c->output);
	fputc('\t', out);
	results_regs(out, c);
	fputc('\n', out);
	return 0;
}

int report_results_render(const struct record *rec, FILE *out, const struct render_options *opt, char *err,
			  size_t err_len)
{
	(void)opt;
	fputs("# kvmcheck results 1\n", out);
	for (size_t i = 0; i < rec->count; i++) {
		if (results_line(out, &rec->cases[i]) < 0) {
			strfmt_err(err, err_len, "parity record: out of memory");
			return -1;
		}
	}
	if (fflush(out) == 0 && !ferror(out))
		return 0;
	strfmt_err(err, err_len, "parity record: %s", strerror(errno));
	return -1;
}
