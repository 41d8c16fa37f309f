#include "report/report.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/text_escape.h"

/* The diagnostics block is built by libyaml's emitter rather than by hand so
 * that quoting is always right; every scalar handed to it is printable ASCII
 * (escaped first), so it stays on one line and libyaml never sees invalid
 * UTF-8. */
struct diag {
	yaml_emitter_t emitter;
	struct bytes text;
};

static int diag_sink(void *data, unsigned char *buffer, size_t size)
{
	return bytes_append(data, buffer, size) == 0;
}

/* The emitter owns the event from here on, whether it succeeds or not. */
static int diag_emit(struct diag *d, yaml_event_t *event)
{
	return yaml_emitter_emit(&d->emitter, event) ? 0 : -1;
}

static int diag_scalar(struct diag *d, const char *value, yaml_scalar_style_t style)
{
	size_t len = strlen(value);
	yaml_event_t event;
	if (len > INT_MAX ||
	    !yaml_scalar_event_initialize(&event, NULL, NULL, (const yaml_char_t *)value,
					  (int)len, 1, 1, style))
		return -1;
	return diag_emit(d, &event);
}

/* A value from our own vocabulary (outcome names, numbers): plain, so YAML
 * readers see numbers as numbers. */
static int diag_word(struct diag *d, const char *key, const char *value)
{
	if (diag_scalar(d, key, YAML_PLAIN_SCALAR_STYLE) < 0)
		return -1;
	return diag_scalar(d, value, YAML_PLAIN_SCALAR_STYLE);
}

/* Text from outside (paths, messages, guest output), escaped, then single
 * quoted: it stays a string even when it reads like a number or a boolean,
 * and the backslashes of the escapes are not escaped a second time. */
static int diag_bytes(struct diag *d, const char *key, const void *data, size_t len)
{
	char *escaped = text_escape(data, len, 0);
	if (!escaped)
		return -1;
	int rc = diag_scalar(d, key, YAML_PLAIN_SCALAR_STYLE);
	if (rc == 0)
		rc = diag_scalar(d, escaped, YAML_SINGLE_QUOTED_SCALAR_STYLE);
	free(escaped);
	return rc;
}

static int diag_text(struct diag *d, const char *key, const char *value)
{
	return diag_bytes(d, key, value, strlen(value));
}

static int diag_u64(struct diag *d, const char *key, uint64_t value)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRIu64, value);
	return diag_word(d, key, buf);
}

static int diag_mapping_start(struct diag *d)
{
	yaml_event_t event;
	if (!yaml_mapping_start_event_initialize(&event, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE))
		return -1;
	return diag_emit(d, &event);
}

static int diag_mapping_end(struct diag *d)
{
	yaml_event_t event;
	if (!yaml_mapping_end_event_initialize(&event))
		return -1;
	return diag_emit(d, &event);
}

/* Milliseconds with microsecond precision, by integer arithmetic so that the
 * locale cannot turn the point into a comma. */
static int diag_ms(struct diag *d, const char *key, uint64_t ns)
{
	uint64_t us = ns / 1000 + (ns % 1000 >= 500);
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRIu64 ".%03" PRIu64, us / 1000, us % 1000);
	return diag_word(d, key, buf);
}

static int diag_times(struct diag *d, const struct stage_times *t)
{
	uint64_t total = t->assemble_ns + t->create_ns + t->run_ns + t->teardown_ns;
	if (diag_ms(d, "duration_ms", total) < 0 ||
	    diag_scalar(d, "times_ms", YAML_PLAIN_SCALAR_STYLE) < 0 || diag_mapping_start(d) < 0)
		return -1;
	if (diag_ms(d, "assemble", t->assemble_ns) < 0 || diag_ms(d, "create", t->create_ns) < 0 ||
	    diag_ms(d, "run", t->run_ns) < 0 || diag_ms(d, "teardown", t->teardown_ns) < 0)
		return -1;
	return diag_mapping_end(d);
}

static int diag_hex(struct diag *d, const char *key, uint32_t value, int width)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "0x%0*" PRIx32, width / 4, value);
	return diag_word(d, key, buf);
}

/* The name array is fixed-size and need not be terminated. */
static size_t reg_name_len(const struct reg_value *r)
{
	const char *nul = memchr(r->name, '\0', sizeof(r->name));
	return nul ? (size_t)(nul - r->name) : sizeof(r->name);
}

/* A repeated name gets a suffix, since YAML keys must be unique. */
static int diag_reg_key(struct diag *d, const struct verdict *v, size_t i)
{
	const char *name = v->regs[i].expected.name;
	size_t len = reg_name_len(&v->regs[i].expected);
	size_t repeats = 0;
	for (size_t j = 0; j < i; j++) {
		if (reg_name_len(&v->regs[j].expected) == len && memcmp(v->regs[j].expected.name, name, len) == 0)
			repeats++;
	}
	char *escaped = text_escape(name, len, 0);
	if (!escaped)
		return -1;
	char key[64];
	if (repeats)
		snprintf(key, sizeof(key), "%s_%zu", escaped, repeats + 1);
	else
		snprintf(key, sizeof(key), "%s", escaped);
	free(escaped);
	return diag_scalar(d, key, YAML_PLAIN_SCALAR_STYLE);
}

static int diag_reg(struct diag *d, const struct verdict *v, size_t i, bool regs_valid)
{
	const struct reg_check *rc = &v->regs[i];
	int width = rc->expected.ref.width;
	if (diag_reg_key(d, v, i) < 0 || diag_mapping_start(d) < 0 ||
	    diag_hex(d, "expected", rc->expected.value, width) < 0)
		return -1;
	/* Registers the guest never handed back have no actual value to show. */
	if (regs_valid && diag_hex(d, "actual", rc->actual, width) < 0)
		return -1;
	if (diag_word(d, "match", rc->ok ? "true" : "false") < 0)
		return -1;
	return diag_mapping_end(d);
}

static int diag_regs(struct diag *d, const struct verdict *v, bool regs_valid)
{
	if (v->reg_count == 0)
		return 0;
	if (diag_scalar(d, "registers", YAML_PLAIN_SCALAR_STYLE) < 0 || diag_mapping_start(d) < 0)
		return -1;
	for (size_t i = 0; i < v->reg_count && i < CASE_MAX_REGS; i++) {
		if (diag_reg(d, v, i, regs_valid) < 0)
			return -1;
	}
	return diag_mapping_end(d);
}

static int diag_output(struct diag *d, const struct run_result *r, const struct verdict *v)
{
	if (diag_bytes(d, "output", r->output.data, r->output.len) < 0)
		return -1;
	if (!v->output_checked)
		return 0;
	if (v->expected_output &&
	    diag_bytes(d, "expected_output", v->expected_output->data, v->expected_output->len) < 0)
		return -1;
	if (v->output_diff_at >= 0 && diag_u64(d, "first_difference", (uint64_t)v->output_diff_at) < 0)
		return -1;
	return 0;
}

/* What the firmware leaves: the exit code, the console output, and the
 * screen when a check of it failed. Nothing for cases without firmware. */
static int diag_firmware(struct diag *d, const struct case_report *c)
{
	const struct run_result *r = c->result;
	const struct verdict *v = c->verdict;
	if (r->outcome == OUTCOME_EXIT && diag_u64(d, "exit_code", r->exit_code) < 0)
		return -1;
	if ((r->console.len || v->console_checked) && diag_bytes(d, "console", r->console.data, r->console.len) < 0)
		return -1;
	if (v->console_checked && v->console_diff_at >= 0 &&
	    diag_u64(d, "console_first_difference", (uint64_t)v->console_diff_at) < 0)
		return -1;
	if (!v->screen_checked || v->screen_ok)
		return 0;
	struct bytes text = {0};
	size_t used = 0; /* up to the last row with text on it */
	int rc = 0;
	for (int row = 0; row < CASE_SCREEN_ROWS && rc == 0; row++) {
		char line[CASE_SCREEN_COLUMNS + 2];
		verdict_screen_row(&r->screen, row, line);
		strcat(line, "\n");
		rc = bytes_append(&text, line, strlen(line));
		if (line[1] || line[0] != '\n')
			used = text.len;
	}
	text.len = used;
	if (rc == 0)
		rc = diag_bytes(d, "screen", text.data, text.len);
	bytes_free(&text);
	return rc;
}

static int diag_cs_ip(struct diag *d, const struct cpu_state *regs)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%04" PRIx16 ":%04" PRIx32, regs->seg[SEG_CS], regs->eip);
	if (diag_scalar(d, "cs_ip", YAML_PLAIN_SCALAR_STYLE) < 0)
		return -1;
	/* Quoted: YAML 1.1 would read 0000:0100 as a base-60 number. */
	return diag_scalar(d, buf, YAML_SINGLE_QUOTED_SCALAR_STYLE);
}

static int diag_identity(struct diag *d, const struct case_report *c)
{
	const struct run_result *r = c->result;
	const struct verdict *v = c->verdict;
	if (diag_text(d, "file", c->file ? c->file : "") < 0 ||
	    diag_u64(d, "index", (uint64_t)(c->index < 0 ? 0 : c->index)) < 0 ||
	    diag_word(d, "outcome", outcome_name(r->outcome)) < 0 ||
	    diag_word(d, "expected_exit", outcome_name(v->expected_exit)) < 0)
		return -1;
	if (v->reason[0] && diag_text(d, "reason", v->reason) < 0)
		return -1;
	if (r->message && diag_text(d, "message", r->message) < 0)
		return -1;
	return 0;
}

static int diag_case(struct diag *d, const struct case_report *c, const struct report_options *opt)
{
	const struct run_result *r = c->result;
	/* Nothing ran: the message (file:line:col: cause) is all there is to say. */
	if (r->outcome == OUTCOME_CASE_ERROR)
		return diag_text(d, "message", r->message ? r->message : c->verdict->reason);
	if (diag_identity(d, c) < 0 || diag_u64(d, "exits", r->exits) < 0)
		return -1;
	if (r->backend && diag_word(d, "backend", r->backend) < 0)
		return -1;
	if (diag_output(d, r, c->verdict) < 0 || diag_firmware(d, c) < 0 ||
	    diag_regs(d, c->verdict, r->regs_valid) < 0)
		return -1;
	if (r->regs_valid && diag_cs_ip(d, &r->regs) < 0)
		return -1;
	if (opt->tap_timing && diag_times(d, &r->times) < 0)
		return -1;
	return 0;
}

static int diag_document(struct diag *d, const struct case_report *c, const struct report_options *opt)
{
	yaml_event_t event;
	if (!yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING) || diag_emit(d, &event) < 0)
		return -1;
	/* Implicit start and end: the "---" and "..." markers are TAP's, written around the block. */
	if (!yaml_document_start_event_initialize(&event, NULL, NULL, NULL, 1) || diag_emit(d, &event) < 0)
		return -1;
	if (diag_mapping_start(d) < 0 || diag_case(d, c, opt) < 0 || diag_mapping_end(d) < 0)
		return -1;
	if (!yaml_document_end_event_initialize(&event, 1) || diag_emit(d, &event) < 0)
		return -1;
	if (!yaml_stream_end_event_initialize(&event) || diag_emit(d, &event) < 0)
		return -1;
	return 0;
}

/* The block as YAML text, unindented, into yaml (to bytes_free). */
static int diag_render(const struct case_report *c, const struct report_options *opt, struct bytes *yaml)
{
	struct diag d = { .text = {0} };
	if (!yaml_emitter_initialize(&d.emitter))
		return -1;
	yaml_emitter_set_output(&d.emitter, diag_sink, &d.text);
	yaml_emitter_set_unicode(&d.emitter, 0);
	yaml_emitter_set_indent(&d.emitter, 2);
	yaml_emitter_set_width(&d.emitter, -1);
	yaml_emitter_set_break(&d.emitter, YAML_LN_BREAK);
	int rc = diag_document(&d, c, opt);
	yaml_emitter_delete(&d.emitter);
	if (rc < 0) {
		bytes_free(&d.text);
		return -1;
	}
	*yaml = d.text;
	return 0;
}

/* Indents every line by two spaces, which is what ties the block to the test
 * point before it. */
static void tap_block_write(FILE *out, const struct bytes *yaml)
{
	fputs("  ---\n", out);
	size_t start = 0;
	while (start < yaml->len) {
		const uint8_t *nl = memchr(yaml->data + start, '\n', yaml->len - start);
		size_t end = nl ? (size_t)(nl - yaml->data) : yaml->len;
		fputs("  ", out);
		fwrite(yaml->data + start, 1, end - start, out);
		fputc('\n', out);
		start = end + 1;
	}
	fputs("  ...\n", out);
}

static int tap_diagnostics(FILE *out, const struct case_report *c, const struct report_options *opt)
{
	struct bytes yaml = {0};
	if (diag_render(c, opt, &yaml) < 0)
		return -1;
	tap_block_write(out, &yaml);
	bytes_free(&yaml);
	return 0;
}

/* A description may not hold a line break, and an unescaped '#' would start
 * a directive (SKIP, TODO) that changes what the point means. */
static int tap_description_write(FILE *out, const char *name)
{
	char *escaped = text_escape_str(name, TEXT_ESCAPE_KEEP_UTF8);
	if (!escaped)
		return -1;
	if (escaped[0])
		fputs(" - ", out);
	for (const char *p = escaped; *p; p++) {
		if (*p == '#')
			fputc('\\', out);
		fputc(*p, out);
	}
	free(escaped);
	return 0;
}

static int tap_point_write(FILE *out, size_t number, const struct case_report *c)
{
	fprintf(out, "%s %zu", c->verdict->status == VERDICT_PASS ? "ok" : "not ok", number);
	if (tap_description_write(out, c->name) < 0)
		return -1;
	fputc('\n', out);
	return 0;
}

static int tap_header_write(FILE *out, const struct run_report *rep)
{
	char *version = text_escape_str(rep->version ? rep->version : "unknown", TEXT_ESCAPE_KEEP_UTF8);
	char *backend = text_escape_str(rep->backend ? rep->backend : "unknown", TEXT_ESCAPE_KEEP_UTF8);
	int rc = version && backend ? 0 : -1;
	if (rc == 0)
		fprintf(out, "TAP version 13\n# kvmcheck %s, backend %s\n1..%zu\n", version, backend, rep->count);
	free(version);
	free(backend);
	return rc;
}

static bool cases_complete(const struct run_report *rep)
{
	for (size_t i = 0; i < rep->count; i++) {
		if (!rep->cases[i].result || !rep->cases[i].verdict)
			return false;
	}
	return true;
}

int report_tap_write(FILE *out, const struct run_report *rep, const struct report_options *opt)
{
	static const struct report_options defaults = {0};
	if (!opt)
		opt = &defaults;
	if (!cases_complete(rep) || tap_header_write(out, rep) < 0)
		return -1;
	for (size_t i = 0; i < rep->count; i++) {
		const struct case_report *c = &rep->cases[i];
		if (tap_point_write(out, i + 1, c) < 0)
			return -1;
		if ((c->verdict->status != VERDICT_PASS || opt->verbose) && tap_diagnostics(out, c, opt) < 0)
			return -1;
	}
	if (opt->tap_timing) {
		uint64_t ms = (rep->elapsed_ns + 500000) / 1000000;
		fprintf(out, "# elapsed %" PRIu64 ".%03" PRIu64 " s\n", ms / 1000, ms % 1000);
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
