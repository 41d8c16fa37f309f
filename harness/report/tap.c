#include "report/report.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/strfmt.h"
#include "record/score.h"
#include "report/grading.h"
#include "report/redact.h"
#include "core/text_escape.h"
#include "report/excerpt.h"
#include "x86/flag_names.h"

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

/* A word of ours held as bytes (a check's value): plain. */
static int diag_bytes_plain(struct diag *d, const char *key, const struct bytes *value)
{
	char *word = strndup(value->len ? (const char *)value->data : "", value->len);
	if (!word)
		return -1;
	int rc = diag_word(d, key, word);
	free(word);
	return rc;
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

/* A value in a check: outside bytes escaped and quoted, our own words plain. */
static int diag_check_value(struct diag *d, const char *key, const struct check *c, const struct bytes *value)
{
	const struct check_kind_info *info = check_kind_info(c->kind);
	if (info && info->bytes)
		return diag_bytes(d, key, value->data, value->len);
	return diag_bytes_plain(d, key, value);
}

/* Outside bytes cut to a window around the check's first difference. */
static int diag_window(struct diag *d, const char *key, const struct bytes *value, int64_t at)
{
	char *window = excerpt_window(value, at);
	if (!window)
		return -1;
	int rc = diag_scalar(d, key, YAML_PLAIN_SCALAR_STYLE);
	if (rc == 0)
		rc = diag_scalar(d, window, YAML_SINGLE_QUOTED_SCALAR_STYLE);
	free(window);
	return rc;
}

static int diag_check_window(struct diag *d, const char *key, const struct check *c, const struct bytes *value)
{
	const struct check_kind_info *info = check_kind_info(c->kind);
	if (info && info->bytes)
		return diag_window(d, key, value, c->first_difference);
	return diag_bytes_plain(d, key, value);
}

/* Lines already escaped to printable ASCII, as a mapping from line
 * number (1, 2, ...) to quoted string: TAP::Parser's YAMLish reader (prove)
 * reads a list item holding ": " as a mapping and fails on it. */
static int diag_lines(struct diag *d, const char *key, const struct text_lines *lines)
{
	if (diag_scalar(d, key, YAML_PLAIN_SCALAR_STYLE) < 0 || diag_mapping_start(d) < 0)
		return -1;
	for (size_t i = 0; i < lines->count; i++) {
		char number[24];
		snprintf(number, sizeof(number), "%zu", i + 1);
		if (diag_scalar(d, number, YAML_PLAIN_SCALAR_STYLE) < 0 ||
		    diag_scalar(d, lines->items[i], YAML_SINGLE_QUOTED_SCALAR_STYLE) < 0)
			return -1;
	}
	return diag_mapping_end(d);
}

/* Where expected and actual output part: a diff of lines for text, hex
 * rows of both for binary output. */
static int diag_difference(struct diag *d, const struct check *k)
{
	struct excerpt_difference x;
	int rc = excerpt_difference(&k->expected, &k->actual, k->first_difference, &x);
	if (rc == 0 && x.binary)
		rc = diag_lines(d, "expected_hex", &x.first) < 0 || diag_lines(d, "actual_hex", &x.second) < 0 ? -1 : 0;
	else if (rc == 0)
		rc = diag_lines(d, "diff", &x.first);
	excerpt_difference_free(&x);
	return rc;
}

/* Checks that compare a field of the case come right after that field:
 * "expected_<label>", and where the values part. */
static int diag_field_checks(struct diag *d, const struct record_case *c, const char *field)
{
	for (size_t i = 0; i < c->check_count; i++) {
		const struct check *k = &c->checks[i];
		const struct check_kind_info *info = check_kind_info(k->kind);
		if (!info || !info->field || strcmp(info->field, field) != 0)
			continue;
		char *label = text_escape_str(k->label, 0);
		char *key = label ? strfmt_alloc("expected_%s", label) : NULL;
		int rc = key ? diag_check_window(d, key, k, &k->expected) : -1;
		free(label);
		free(key);
		if (rc < 0)
			return -1;
		if (k->first_difference >= 0 && diag_u64(d, "first_difference", (uint64_t)k->first_difference) < 0)
			return -1;
		if (k->first_difference >= 0 && info->bytes && diag_difference(d, k) < 0)
			return -1;
	}
	return 0;
}

static const char *group_of(const struct check *k)
{
	const struct check_kind_info *info = check_kind_info(k->kind);
	return info ? info->group : NULL;
}

static bool in_group(const struct check *k, const char *group)
{
	const char *g = group_of(k);
	return g && strcmp(g, group) == 0;
}

/* A repeated label gets a suffix, since YAML keys must be unique. */
static int diag_check_key(struct diag *d, const struct record_case *c, size_t i)
{
	const char *label = c->checks[i].label, *group = group_of(&c->checks[i]);
	size_t repeats = 0;
	for (size_t j = 0; j < i; j++)
		repeats += in_group(&c->checks[j], group) && strcmp(c->checks[j].label, label) == 0;
	char *escaped = text_escape_str(label, 0);
	if (!escaped)
		return -1;
	char *key = repeats ? strfmt_alloc("%s_%zu", escaped, repeats + 1) : strfmt_alloc("%s", escaped);
	free(escaped);
	int rc = key ? diag_scalar(d, key, YAML_PLAIN_SCALAR_STYLE) : -1;
	free(key);
	return rc;
}

static int diag_group_check(struct diag *d, const struct record_case *c, size_t i)
{
	const struct check *k = &c->checks[i];
	if (diag_check_key(d, c, i) < 0 || diag_mapping_start(d) < 0 ||
	    diag_check_value(d, "expected", k, &k->expected) < 0)
		return -1;
	/* Nothing came back to compare with: no actual value to show. */
	if (k->actual_known && diag_check_value(d, "actual", k, &k->actual) < 0)
		return -1;
	if (diag_word(d, "match", k->passed ? "true" : "false") < 0)
		return -1;
	return diag_mapping_end(d);
}

static bool group_seen_before(const struct record_case *c, size_t i)
{
	for (size_t j = 0; j < i; j++) {
		if (in_group(&c->checks[j], group_of(&c->checks[i])))
			return true;
	}
	return false;
}

/* Checks with actual values of their own, a mapping per group, in the order
 * the groups first appear. */
static int diag_groups(struct diag *d, const struct record_case *c)
{
	for (size_t i = 0; i < c->check_count; i++) {
		const char *group = group_of(&c->checks[i]);
		if (!group || group_seen_before(c, i))
			continue;
		if (diag_scalar(d, group, YAML_PLAIN_SCALAR_STYLE) < 0 || diag_mapping_start(d) < 0)
			return -1;
		for (size_t j = i; j < c->check_count; j++) {
			if (in_group(&c->checks[j], group) && diag_group_check(d, c, j) < 0)
				return -1;
		}
		if (diag_mapping_end(d) < 0)
			return -1;
	}
	return 0;
}

/* A window of the output: the whole of it is in the results record. */
static int diag_output(struct diag *d, const struct record_case *c)
{
	if (diag_window(d, "output", &c->output, record_case_output_difference(c)) < 0)
		return -1;
	if (c->output.len > EXCERPT_WINDOW && diag_u64(d, "output_length", c->output.len) < 0)
		return -1;
	return diag_field_checks(d, c, "output");
}

/* Every register read back, and the flags set by name: a failure is often
 * explained by a register the case did not check. */
static int diag_cpu(struct diag *d, const struct record_case *c)
{
	if (diag_scalar(d, "cpu", YAML_PLAIN_SCALAR_STYLE) < 0 || diag_mapping_start(d) < 0)
		return -1;
	for (size_t i = 0; i < c->reg_count; i++) {
		const struct record_reg *r = &c->regs[i];
		char value[24];
		snprintf(value, sizeof(value), "0x%0*" PRIx64, r->width / 4, r->value);
		if (diag_word(d, r->name, value) < 0)
			return -1;
	}
	if (diag_mapping_end(d) < 0)
		return -1;
	const struct record_reg *flags = record_reg_find(c, "eflags");
	char names[96];
	return flags ? diag_text(d, "flags_set", flag_names_set((uint32_t)flags->value, names, sizeof(names))) : 0;
}

static const struct check *first_failed_check(const struct record_case *c)
{
	for (size_t i = 0; i < c->check_count; i++) {
		if (!c->checks[i].passed)
			return &c->checks[i];
	}
	return NULL;
}

/* TAP 13's conventional `data: {got, expect}` (tap-junit and others read
 * it), for the first check that failed. */
static int diag_data(struct diag *d, const struct record_case *c)
{
	const struct check *k = first_failed_check(c);
	if (!k)
		return 0;
	const struct check_kind_info *info = check_kind_info(k->kind);
	bool about_output = info && info->field && strcmp(info->field, "output") == 0;
	if (diag_scalar(d, "data", YAML_PLAIN_SCALAR_STYLE) < 0 || diag_mapping_start(d) < 0)
		return -1;
	int rc;
	if (about_output || k->kind == CHECK_SERIAL_CONTAINS)
		rc = diag_window(d, "got", &c->output, k->first_difference);
	else
		rc = k->actual_known ? diag_check_value(d, "got", k, &k->actual) : diag_word(d, "got", "~");
	if (rc == 0)
		rc = diag_check_window(d, "expect", k, &k->expected);
	return rc == 0 ? diag_mapping_end(d) : -1;
}

static int diag_severity(struct diag *d, const struct record_case *c)
{
	return diag_word(d, "severity", c->status == VERDICT_FAIL ? "fail" : "error");
}

/* What a program under the firmware left: its exit code and the console
 * output, each followed by its check. Nothing for cases that have neither. */
static int diag_program(struct diag *d, const struct record_case *c)
{
	if (c->outcome == OUTCOME_EXIT &&
	    (diag_u64(d, "exit_code", c->exit_code) < 0 || diag_field_checks(d, c, "exit_code") < 0))
		return -1;
	bool console_checked = false;
	for (size_t i = 0; i < c->check_count; i++)
		console_checked |= c->checks[i].kind == CHECK_CONSOLE;
	if (!c->console.len && !console_checked)
		return 0;
	if (diag_bytes(d, "console", c->console.data, c->console.len) < 0)
		return -1;
	return diag_field_checks(d, c, "console");
}

static int diag_cs_ip(struct diag *d, const struct record_case *c)
{
	const struct record_reg *cs = record_reg_find(c, "cs"), *ip = record_reg_find(c, "eip");
	if (!cs || !ip)
		return 0;
	char buf[48];
	snprintf(buf, sizeof(buf), "%04" PRIx64 ":%04" PRIx64, cs->value, ip->value);
	if (diag_scalar(d, "cs_ip", YAML_PLAIN_SCALAR_STYLE) < 0)
		return -1;
	/* Quoted: YAML 1.1 would read 0000:0100 as a base-60 number. */
	return diag_scalar(d, buf, YAML_SINGLE_QUOTED_SCALAR_STYLE);
}

static int diag_identity(struct diag *d, const struct record_case *c)
{
	if (diag_text(d, "file", c->file ? c->file : "") < 0 ||
	    diag_u64(d, "index", (uint64_t)(c->index < 0 ? 0 : c->index)) < 0 ||
	    diag_word(d, "outcome", outcome_name(c->outcome)) < 0 || diag_field_checks(d, c, "outcome") < 0)
		return -1;
	/* TAP 13's `message` is the one-line why; the run's own message follows as `details`. */
	if (c->reason && c->reason[0] && diag_text(d, "message", c->reason) < 0)
		return -1;
	if (c->status != VERDICT_PASS && (diag_severity(d, c) < 0 || diag_data(d, c) < 0))
		return -1;
	if (c->message && diag_text(d, "details", c->message) < 0)
		return -1;
	return 0;
}

/* `points: 1.5/3` where a case is worth other than the default one point. */
static int diag_points(struct diag *d, const struct record_case *c)
{
	if (c->points_max == 1 && !c->hidden)
		return 0;
	char text[64];
	score_format((struct score){ c->points_earned, c->points_max }, text, sizeof(text));
	return diag_text(d, "points", text);
}

/* A hidden case: its identity, why in general terms, and its points. */
static int diag_redacted(struct diag *d, const struct record_case *c)
{
	if (diag_text(d, "file", c->file ? c->file : "") < 0 ||
	    diag_u64(d, "index", (uint64_t)(c->index < 0 ? 0 : c->index)) < 0 ||
	    diag_text(d, "message", REPORT_REDACTED_REASON) < 0)
		return -1;
	if (c->status != VERDICT_PASS && diag_severity(d, c) < 0)
		return -1;
	return diag_points(d, c);
}

/* The binary's size whenever there is a binary, the instruction count when
 * one was made, each followed by the limit the case set. */
static int diag_metrics(struct diag *d, const struct record_case *c)
{
	if (c->binary_size &&
	    (diag_u64(d, "binary_size", c->binary_size) < 0 || diag_field_checks(d, c, "binary_size") < 0))
		return -1;
	if (c->instructions_counted &&
	    (diag_u64(d, "instructions", c->instructions) < 0 || diag_field_checks(d, c, "instructions") < 0))
		return -1;
	return 0;
}

/* The instructions before a fault, oldest first, a numbered line each. */
static int diag_last_instructions(struct diag *d, const char *text)
{
	struct text_lines lines = {0};
	int rc = 0;
	for (const char *line = text; *line && rc == 0;) {
		size_t len = strcspn(line, "\n");
		char *escaped = text_escape(line, len, 0);
		char **grown = escaped ? realloc(lines.items, (lines.count + 1) * sizeof(*grown)) : NULL;
		if (!grown) {
			free(escaped);
			rc = -1;
			break;
		}
		lines.items = grown;
		lines.items[lines.count++] = escaped;
		line += len + (line[len] == '\n');
	}
	if (rc == 0)
		rc = diag_lines(d, "last_instructions", &lines);
	text_lines_free(&lines);
	return rc;
}

/* Where a failed run stopped in the source, and the likely bug. */
static int diag_feedback(struct diag *d, const struct record_case *c)
{
	if (c->status == VERDICT_PASS)
		return 0;
	if (c->stopped_at && diag_text(d, "stopped_at", c->stopped_at) < 0)
		return -1;
	if (c->last_instructions && diag_last_instructions(d, c->last_instructions) < 0)
		return -1;
	if (c->hint && diag_text(d, "hint", c->hint) < 0)
		return -1;
	return 0;
}

static int diag_case(struct diag *d, const struct record_case *c, const struct render_options *opt)
{
	if (report_case_redacted(c, opt->reveal_hidden))
		return diag_redacted(d, c);
	/* Nothing ran: the message (file:line:col: cause) is all there is to say. */
	if (c->outcome == OUTCOME_CASE_ERROR)
		return diag_text(d, "message", c->message ? c->message : c->reason ? c->reason : "") < 0 ||
		       diag_severity(d, c) < 0 ? -1 : diag_points(d, c);
	if (diag_identity(d, c) < 0 || diag_feedback(d, c) < 0 || diag_u64(d, "exits", c->exits) < 0)
		return -1;
	if (c->backend && diag_word(d, "backend", c->backend) < 0)
		return -1;
	if (diag_metrics(d, c) < 0)
		return -1;
	if (diag_output(d, c) < 0 || diag_program(d, c) < 0 || diag_groups(d, c) < 0)
		return -1;
	if (c->regs_valid && (diag_cpu(d, c) < 0 || diag_cs_ip(d, c) < 0))
		return -1;
	if (opt->tap_timing && diag_times(d, &c->times) < 0)
		return -1;
	return diag_points(d, c);
}

static int diag_document(struct diag *d, const struct record_case *c, const struct render_options *opt)
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
static int diag_render(const struct record_case *c, const struct render_options *opt, struct bytes *yaml)
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

static int tap_diagnostics(FILE *out, const struct record_case *c, const struct render_options *opt)
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

static int tap_point_write(FILE *out, size_t number, const struct record_case *c)
{
	bool ok = c->status == VERDICT_PASS || c->status == VERDICT_SKIP;
	fprintf(out, "%s %zu", ok ? "ok" : "not ok", number);
	if (tap_description_write(out, c->name) < 0)
		return -1;
	/* The reason is kvmcheck's own word ("interrupted"), never a guest's. */
	if (c->status == VERDICT_SKIP)
		fprintf(out, " # SKIP %s", c->reason && c->reason[0] ? c->reason : "not run");
	fputc('\n', out);
	return 0;
}

/* A named run (a student's) says whose it is; unnamed runs keep the
 * header they always had. */
static int tap_name_write(FILE *out, const struct record *rec)
{
	if (!rec->name)
		return 0;
	char *name = text_escape_str(rec->name, TEXT_ESCAPE_KEEP_UTF8);
	if (name)
		fprintf(out, "# run %s\n", name);
	free(name);
	return name ? 0 : -1;
}

static int tap_header_write(FILE *out, const struct record *rec)
{
	char *version = text_escape_str(rec->version ? rec->version : "unknown", TEXT_ESCAPE_KEEP_UTF8);
	char *backend = text_escape_str(rec->backend ? rec->backend : "unknown", TEXT_ESCAPE_KEEP_UTF8);
	int rc = version && backend ? 0 : -1;
	if (rc == 0)
		fprintf(out, "TAP version 13\n# kvmcheck %s, backend %s\n1..%zu\n", version, backend, rec->count);
	free(version);
	free(backend);
	return rc == 0 ? tap_name_write(out, rec) : rc;
}

int report_tap_head(const struct record *rec, FILE *out)
{
	return tap_header_write(out, rec);
}

int report_tap_point(const struct record_case *c, size_t number, FILE *out, const struct render_options *opt)
{
	if (tap_point_write(out, number, c) < 0)
		return -1;
	if (c->status == VERDICT_SKIP)
		return 0;
	if ((c->status != VERDICT_PASS || opt->verbose) && tap_diagnostics(out, c, opt) < 0)
		return -1;
	return 0;
}

int report_tap_tail(const struct record *rec, FILE *out, const struct render_options *opt)
{
	char score[64];
	if (report_file_scores_write(out, rec, "# score ") < 0)
		return -1;
	score_format(record_score(rec), score, sizeof(score));
	fprintf(out, "# score %s\n", score);
	if (opt->tap_timing) {
		uint64_t ms = (rec->elapsed_ns + 500000) / 1000000;
		fprintf(out, "# elapsed %" PRIu64 ".%03" PRIu64 " s\n", ms / 1000, ms % 1000);
	}
	return 0;
}

static int tap_write(const struct record *rec, FILE *out, const struct render_options *opt)
{
	if (report_tap_head(rec, out) < 0)
		return -1;
	for (size_t i = 0; i < rec->count; i++)
		if (report_tap_point(&rec->cases[i], i + 1, out, opt) < 0)
			return -1;
	report_tap_tail(rec, out, opt);
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

int report_tap_render(const struct record *rec, FILE *out, const struct render_options *opt, char *err,
		      size_t err_len)
{
	static const struct render_options defaults = {0};
	if (tap_write(rec, out, opt ? opt : &defaults) == 0)
		return 0;
	strfmt_err(err, err_len, "TAP report: %s", ferror(out) ? strerror(errno) : "cannot build it (out of memory?)");
	return -1;
}
