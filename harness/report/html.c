#include "report/report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/strfmt.h"
#include "core/text_escape.h"
#include "judge/verdict.h"
#include "record/score.h"
#include "report/excerpt.h"
#include "report/redact.h"
#include "x86/flag_names.h"

/* The HTML report: one self-contained file (no script, no network, no
 * external assets) a student opens from CI artifacts. Everything from
 * outside (names, paths, messages, guest output) goes through html_text,
 * which first escapes bytes to printable text (text_escape) and then the
 * five characters HTML gives meaning to, so a guest printing <script> or
 * </pre><img onerror=...> shows those characters and nothing runs. The
 * Content-Security-Policy forbids scripts as a second wall. */

static const char html_head[] =
	"<!DOCTYPE html>\n"
	"<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	"<title>kvmcheck report</title>\n<style>\n"
	"body{font-family:sans-serif;margin:1.5em;color:#222}\n"
	"table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}\n"
	"pre{background:#f6f6f6;padding:6px;white-space:pre-wrap;word-break:break-all;margin:0}\n"
	".pass{color:#176f2c}.fail{color:#b00020}.error{color:#a05a00}.skip{color:#666}\n"
	"section{border-top:1px solid #ddd;margin-top:1em;padding-top:.5em}\n"
	"mark{background:#ffd0d0}.del{color:#b00020}.add{color:#176f2c}\n"
	".side{display:grid;grid-template-columns:1fr 1fr;gap:8px}\n"
	".hint{background:#fff8d8;padding:4px 6px;border-left:4px solid #e0b000}\n"
	"</style>\n</head>\n<body>\n";

/* Text already escaped to printable characters (excerpt windows and diff
 * lines): only &, <, >, " and ' become entities. */
static void html_entities(FILE *out, const char *escaped)
{
	for (const char *p = escaped; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*p, out);
		}
	}
}

/* Bytes from outside as HTML text: escaped to printable text first
 * (keeping valid UTF-8 and line breaks), then the entities. */
static void html_text(FILE *out, const void *data, size_t len)
{
	char *escaped = text_escape(data, len, TEXT_ESCAPE_KEEP_UTF8 | TEXT_ESCAPE_KEEP_NEWLINE);
	if (!escaped) {
		fputs("(out of memory)", out);
		return;
	}
	html_entities(out, escaped);
	free(escaped);
}

static void html_str(FILE *out, const char *s)
{
	html_text(out, s ? s : "", s ? strlen(s) : 0);
}

static const char *status_class(enum verdict_status status)
{
	if (status == VERDICT_SKIP)
		return "skip";
	return status == VERDICT_PASS ? "pass" : status == VERDICT_FAIL ? "fail" : "error";
}

static void html_points(FILE *out, double earned, double max)
{
	char text[64];
	score_format((struct score){ earned, max }, text, sizeof(text));
	html_str(out, text);
}

static void html_summary(FILE *out, const struct record *rec, bool reveal_hidden)
{
	size_t n[4] = {0};
	for (size_t i = 0; i < rec->count; i++) {
		enum verdict_status status = rec->cases[i].status;
		n[status == VERDICT_PASS ? 0 : status == VERDICT_FAIL ? 1 : status == VERDICT_SKIP ? 3 : 2]++;
	}
	fputs("<h1>kvmcheck report</h1>\n<p>kvmcheck ", out);
	html_str(out, rec->version);
	fputs(", backend ", out);
	html_str(out, rec->backend);
	if (rec->name) {
		fputs(", run ", out);
		html_str(out, rec->name);
	}
	fprintf(out, ": %zu cases, <span class=\"pass\">%zu passed</span>, <span class=\"fail\">%zu failed</span>, "
		"<span class=\"error\">%zu errors</span>, <span class=\"skip\">%zu not run</span></p>\n<table>\n"
		"<tr><th>#</th><th>status</th><th>case</th><th>file</th><th>points</th><th>why</th></tr>\n",
		rec->count, n[0], n[1], n[2], n[3]);
	for (size_t i = 0; i < rec->count; i++) {
		const struct record_case *c = &rec->cases[i];
		fprintf(out, "<tr><td><a href=\"#case-%zu\">%zu</a></td><td class=\"%s\">%s</td><td>", i + 1, i + 1,
			status_class(c->status), verdict_status_name(c->status));
		html_str(out, c->name);
		fputs("</td><td>", out);
		html_str(out, c->file);
		fputs("</td><td>", out);
		html_points(out, c->points_earned, c->points_max);
		fputs("</td><td>", out);
		bool redacted = report_case_redacted(c, reveal_hidden);
		html_str(out, redacted && c->status != VERDICT_PASS ? REPORT_REDACTED_REASON : redacted ? "" : c->reason);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n<p>score ", out);
	struct score total = record_score(rec);
	html_points(out, total.earned, total.max);
	fputs("</p>\n", out);
}

/* A window of output with the bytes from the first difference marked. */
static void html_output_window(FILE *out, const struct bytes *b, int64_t at)
{
	fputs("<pre>", out);
	if (b->len <= EXCERPT_WINDOW && at >= 0 && (size_t)at <= b->len) {
		html_text(out, b->data, (size_t)at);
		fputs("<mark>", out);
		html_text(out, b->data + at, b->len - (size_t)at);
		fputs("</mark>", out);
	} else {
		char *window = excerpt_window(b, at);
		html_entities(out, window ? window : "(out of memory)");
		free(window);
	}
	fputs("</pre>", out);
}

static void html_diff(FILE *out, const struct check *k)
{
	struct text_lines lines = {0};
	bool binary = excerpt_is_binary(&k->expected) || excerpt_is_binary(&k->actual);
	if (binary ? excerpt_hex(&k->actual, k->first_difference, &lines) : excerpt_diff(&k->expected, &k->actual,
											   k->first_difference, &lines))
		return;
	fputs(binary ? "<p>actual, in hex:</p><pre>" : "<p>diff (- expected, + actual):</p><pre>", out);
	for (size_t i = 0; i < lines.count; i++) {
		const char *line = lines.items[i];
		const char *cls = binary ? "" : line[0] == '-' ? "del" : line[0] == '+' ? "add" : "";
		fprintf(out, "<span class=\"%s\">", cls);
		html_entities(out, line);
		fputs("</span>\n", out);
	}
	fputs("</pre>\n", out);
	text_lines_free(&lines);
}

static void html_checks(FILE *out, const struct record_case *c)
{
	for (size_t i = 0; i < c->check_count; i++) {
		const struct check *k = &c->checks[i];
		const struct check_kind_info *info = check_kind_info(k->kind);
		if (!info)
			continue;
		if (k->kind == CHECK_SERIAL) {
			fputs("<div class=\"side\"><div><p>expected output</p>", out);
			html_output_window(out, &k->expected, k->first_difference);
			fputs("</div><div><p>actual output</p>", out);
			html_output_window(out, &k->actual, k->first_difference);
			fputs("</div></div>\n", out);
			if (k->first_difference >= 0)
				html_diff(out, k);
			continue;
		}
		fprintf(out, "<p class=\"%s\">", k->passed ? "pass" : "fail");
		html_str(out, info->name);
		fputs(" ", out);
		html_str(out, k->label);
		fputs(": expected ", out);
		html_text(out, k->expected.data, k->expected.len > EXCERPT_WINDOW ? EXCERPT_WINDOW : k->expected.len);
		if (k->actual_known) {
			fputs(", actual ", out);
			html_text(out, k->actual.data, k->actual.len > EXCERPT_WINDOW ? EXCERPT_WINDOW : k->actual.len);
		}
		fputs("</p>\n", out);
	}
}

static void html_registers(FILE *out, const struct record_case *c)
{
	if (!c->regs_valid)
		return;
	fputs("<table><tr>", out);
	for (size_t i = 0; i < c->reg_count; i++) {
		fputs("<th>", out);
		html_str(out, c->regs[i].name);
		fputs("</th>", out);
	}
	fputs("</tr><tr>", out);
	for (size_t i = 0; i < c->reg_count; i++)
		fprintf(out, "<td>%0*" PRIx64 "</td>", c->regs[i].width / 4, c->regs[i].value);
	fputs("</tr></table>\n", out);
	const struct record_reg *flags = record_reg_find(c, "eflags");
	char names[96];
	if (flags) {
		fputs("<p>flags set: ", out);
		html_str(out, flag_names_set((uint32_t)flags->value, names, sizeof(names)));
		fputs("</p>\n", out);
	}
}

/* README "Metrics": the binary's size, the instruction count when made. */
static void html_metrics(FILE *out, const struct record_case *c)
{
	if (c->binary_size)
		fprintf(out, ", %" PRIu64 " bytes", c->binary_size);
	if (c->instructions_counted)
		fprintf(out, ", %" PRIu64 " instructions", c->instructions);
}

/* The source around the stopping line, that line marked: each line of
 * c->stop_listing starts with "> " (the stop) or two blanks. */
static void html_stop_listing(FILE *out, const char *listing)
{
	fputs("<pre class=\"listing\">", out);
	for (const char *line = listing; *line;) {
		size_t len = strcspn(line, "\n");
		bool stop = line[0] == '>';
		const char *text = len >= 2 ? line + 2 : line + len;
		fputs(stop ? "<mark class=\"stop\">" : "", out);
		html_text(out, text, len >= 2 ? len - 2 : 0);
		fputs(stop ? "</mark>\n" : "\n", out);
		line += len + (line[len] == '\n');
	}
	fputs("</pre>\n", out);
}

/* Where a failed run stopped in the source, and the likely bug. */
static void html_feedback(FILE *out, const struct record_case *c)
{
	if (c->status == VERDICT_PASS)
		return;
	if (c->stopped_at) {
		fputs("<p class=\"stopped\">stopped at <code>", out);
		html_str(out, c->stopped_at);
		fputs("</code></p>\n", out);
	}
	if (c->stop_listing)
		html_stop_listing(out, c->stop_listing);
	if (c->last_instructions) {
		fputs("<p>last instructions, oldest first:</p><pre class=\"last\">", out);
		html_str(out, c->last_instructions);
		fputs("</pre>\n", out);
	}
	if (c->hint) {
		fputs("<p class=\"hint\"><b>hint:</b> ", out);
		html_str(out, c->hint);
		fputs("</p>\n", out);
	}
}

static void html_case_head(FILE *out, const struct record_case *c, size_t number)
{
	fprintf(out, "<section id=\"case-%zu\">\n<h2><span class=\"%s\">%s</span> %zu - ", number,
		status_class(c->status), verdict_status_name(c->status), number);
	html_str(out, c->name);
	fputs("</h2>\n<p>points ", out);
	html_points(out, c->points_earned, c->points_max);
	fputs("</p>\n", out);
}

/* A hidden case: its name, status and points, nothing of what it checks. */
static void html_case_redacted(FILE *out, const struct record_case *c, size_t number)
{
	html_case_head(out, c, number);
	fputs("<p>", out);
	html_str(out, c->file);
	fprintf(out, " [%d]</p>\n<p>" REPORT_REDACTED_REASON "</p>\n</section>\n", c->index);
}

/* The output, folded away: the windows above are what a person reads
 * first. A long one only in part (report/excerpt.h), so the page stays
 * bounded; the whole of it is in the results record. */
static void html_output(FILE *out, const struct record_case *c)
{
	struct excerpt_spans spans = excerpt_output_spans(c->output.len, record_case_output_difference(c));
	if (spans.count == 1)
		fprintf(out, "<details><summary>the whole output (%zu bytes)</summary><pre>", c->output.len);
	else
		fprintf(out, "<details><summary>the output (%zu bytes), in part: the whole of it is in the results "
			"record</summary><pre>", c->output.len);
	size_t shown_to = 0;
	for (size_t i = 0; i < spans.count; i++) {
		const struct excerpt_span *span = &spans.span[i];
		if (span->start > shown_to) {
			char note[64];
			excerpt_gap_note(note, sizeof(note), span->start - shown_to);
			fputs("\n<mark>", out);
			html_entities(out, note);
			fputs("</mark>\n", out);
		}
		html_text(out, c->output.data + span->start, span->len);
		shown_to = span->start + span->len;
	}
	fputs("</pre></details>\n", out);
}

#define HTML_SCREEN_ROWS 25

/* The text screen as the run left it, for a case that did not pass: what
 * a student would have seen on the monitor. Rows below the last written
 * one are left out, and a blank screen altogether. */
static void html_screen(FILE *out, const struct record_case *c)
{
	if (c->screen.len == 0 || c->status == VERDICT_PASS)
		return;
	char rows[HTML_SCREEN_ROWS][81];
	int last = -1;
	for (int r = 0; r < HTML_SCREEN_ROWS; r++) {
		verdict_screen_row(&c->screen, r, rows[r]);
		if (rows[r][0])
			last = r;
	}
	if (last < 0)
		return; /* a blank screen says nothing */
	fputs("<details open><summary>the final screen (80x25 text)</summary><pre class=\"screen\">", out);
	for (int r = 0; r <= last; r++) {
		html_str(out, rows[r]);
		fputc('\n', out);
	}
	fputs("</pre></details>\n", out);
}

static void html_case(FILE *out, const struct record_case *c, size_t number)
{
	html_case_head(out, c, number);
	fputs("<p>", out);
	html_str(out, c->file);
	fprintf(out, " [%d], outcome %s, %" PRIu64 " exits", c->index, outcome_name(c->outcome), c->exits);
	html_metrics(out, c);
	const struct stage_times *t = &c->times;
	uint64_t us = (t->assemble_ns + t->create_ns + t->run_ns + t->teardown_ns) / 1000;
	fprintf(out, ", %" PRIu64 ".%03" PRIu64 " ms</p>\n", us / 1000, us % 1000);
	if (c->reason && c->reason[0]) {
		fputs("<p><b>", out);
		html_str(out, c->reason);
		fputs("</b></p>\n", out);
	}
	html_feedback(out, c);
	if (c->message) {
		fputs("<pre>", out);
		html_str(out, c->message);
		fputs("</pre>\n", out);
	}
	html_checks(out, c);
	if (c->output.len > EXCERPT_WINDOW)
		html_output(out, c);
	html_screen(out, c);
	html_registers(out, c);
	fputs("</section>\n", out);
}

int report_html_render(const struct record *rec, FILE *out, const struct render_options *opt, char *err,
		       size_t err_len)
{
	bool reveal_hidden = opt && opt->reveal_hidden;
	fputs(html_head, out);
	html_summary(out, rec, reveal_hidden);
	for (size_t i = 0; i < rec->count; i++) {
		if (report_case_redacted(&rec->cases[i], reveal_hidden))
			html_case_redacted(out, &rec->cases[i], i + 1);
		else
			html_case(out, &rec->cases[i], i + 1);
	}
	fputs("</body>\n</html>\n", out);
	if (fflush(out) == 0 && !ferror(out))
		return 0;
	strfmt_err(err, err_len, "HTML report: %s", strerror(errno));
	return -1;
}
