#include "report/report.h"

#include <inttypes.h>
#include <stdlib.h>

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

static void results_regs(FILE *out, bool valid, const struct cpu_state *s)
{
	if (!valid) {
		fputc('-', out);
		return;
	}
	fprintf(out, "eax=%08x ecx=%08x edx=%08x ebx=%08x esp=%08x ebp=%08x esi=%08x edi=%08x "
		"eip=%08x eflags=%08x es=%04x cs=%04x ss=%04x ds=%04x fs=%04x gs=%04x",
		(unsigned)s->gpr[GPR_EAX], (unsigned)s->gpr[GPR_ECX], (unsigned)s->gpr[GPR_EDX],
		(unsigned)s->gpr[GPR_EBX], (unsigned)s->gpr[GPR_ESP], (unsigned)s->gpr[GPR_EBP],
		(unsigned)s->gpr[GPR_ESI], (unsigned)s->gpr[GPR_EDI], (unsigned)s->eip, (unsigned)s->eflags,
		(unsigned)s->seg[SEG_ES], (unsigned)s->seg[SEG_CS], (unsigned)s->seg[SEG_SS],
		(unsigned)s->seg[SEG_DS], (unsigned)s->seg[SEG_FS], (unsigned)s->seg[SEG_GS]);
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
static int results_line(FILE *out, const struct case_report *c)
{
	const struct run_result *r = c->result;
	char *file = text_escape_str(c->file, 0);
	if (!file)
		return -1;
	fprintf(out, "%s:%d\t%s", file, c->index, outcome_name(r->outcome));
	if (r->outcome == OUTCOME_EXIT)
		fprintf(out, "=%" PRIu32, r->exit_code);
	fprintf(out, "\t%" PRIu64 "\t", r->exits);
	free(file);
	results_hex(out, &r->output);
	fputc('\t', out);
	results_regs(out, r->regs_valid, &r->regs);
	/* Only runs with firmware or a screen to check have these two fields. */
	if (r->console.len || r->screen.len) {
		fputc('\t', out);
		results_hex(out, &r->console);
		fprintf(out, "\t%08" PRIx32, results_screen_hash(&r->screen));
	}
	fputc('\n', out);
	return 0;
}

int report_results_write(FILE *out, const struct run_report *rep)
{
	for (size_t i = 0; i < rep->count; i++) {
		if (!rep->cases[i].result)
			return -1;
	}
	fputs("# kvmcheck results 1\n", out);
	for (size_t i = 0; i < rep->count; i++) {
		if (results_line(out, &rep->cases[i]) < 0)
			return -1;
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
