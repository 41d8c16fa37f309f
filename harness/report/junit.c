#include "report/report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "core/key_map.h"
#include "core/strfmt.h"
#include "core/text_escape.h"
#include "record/score.h"
#include "report/excerpt.h"
#include "report/redact.h"

/* What a testcase is called in the report. CI tools key results by
 * classname + name, so the pair must be unique across the report. */
struct junit_name {
	char *classname;
	char *base;   /* the case's name, escaped */
	char *unique; /* base with a suffix when base alone is taken; NULL when not */
};

struct junit {
	xmlTextWriterPtr w;
	const struct record *rep;
	struct junit_name *names;
	bool reveal_hidden;     /* render_options: hidden cases shown whole */
	enum junit_flavor flavor;
};

struct junit_counts {
	size_t tests, failures, errors;
	uint64_t ns;
};

static const char *file_of(const struct record_case *c)
{
	return c->file ? c->file : "";
}

static uint64_t case_ns(const struct record_case *c)
{
	const struct stage_times *t = &c->times;
	return t->assemble_ns + t->create_ns + t->run_ns + t->teardown_ns;
}

/* ---- names ---- */

static bool has_suffix(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len > n && memcmp(s + len - n, suffix, n) == 0;
}

/* "cases/foo.yaml" becomes "cases.foo": the dotted form JUnit viewers group
 * into packages. */
static char *classname_of(const char *file)
{
	while (strncmp(file, "./", 2) == 0 || file[0] == '/')
		file += file[0] == '/' ? 1 : 2;
	size_t len = strlen(file);
	if (has_suffix(file, len, ".yaml"))
		len -= 5;
	else if (has_suffix(file, len, ".yml"))
		len -= 4;
	if (len == 0)
		return text_escape_str("kvmcheck", 0);
	char *dotted = malloc(len);
	if (!dotted)
		return NULL;
	for (size_t i = 0; i < len; i++)
		dotted[i] = file[i] == '/' ? '.' : file[i];
	char *escaped = text_escape(dotted, len, TEXT_ESCAPE_KEEP_UTF8);
	free(dotted);
	return escaped;
}

static const char *junit_name_of(const struct junit_name *n)
{
	return n->unique ? n->unique : n->base;
}

/* How many cases hold each (classname, name): a name is taken when two do. */
static size_t *name_count(struct key_map *counts, const char *classname, const char *name)
{
	size_t a = strlen(classname), b = strlen(name);
	char *key = malloc(a + b + 2);
	if (!key)
		return NULL;
	memcpy(key, classname, a + 1); /* the NUL separates the two */
	memcpy(key + a + 1, name, b + 1);
	size_t *n = key_map_get(counts, key, a + b + 1);
	free(key);
	return n;
}

static int names_count(struct key_map *counts, const struct junit_name *names, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		size_t *n = name_count(counts, names[i].classname, junit_name_of(&names[i]));
		if (!n)
			return -1;
		++*n;
	}
	return 0;
}

/* Gives case i the name unique (taken over), keeping the counts. */
static int name_change(struct key_map *counts, struct junit_name *names, size_t i, char *unique)
{
	size_t *old = unique ? name_count(counts, names[i].classname, junit_name_of(&names[i])) : NULL;
	if (!old) {
		free(unique);
		return -1;
	}
	--*old;
	free(names[i].unique);
	names[i].unique = unique;
	size_t *now = name_count(counts, names[i].classname, unique);
	if (!now)
		return -1;
	++*now;
	return 0;
}

/* Whether case i's name is held by another case too. */
static int name_taken(struct key_map *counts, const struct junit_name *names, size_t i)
{
	size_t *n = name_count(counts, names[i].classname, junit_name_of(&names[i]));
	return n ? *n > 1 : -1;
}

/* Suffixes every name that is not unique. The first round adds the index,
 * which settles cases of one file; the second adds the file too, for files
 * whose classnames collide ("a/b.yaml" and "a.b.yml"). */
static int names_make_unique(struct key_map *counts, struct junit_name *names, const struct record *rep,
			     bool with_file)
{
	bool *taken = calloc(rep->count ? rep->count : 1, sizeof(*taken));
	if (!taken)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < rep->count && rc == 0; i++) {
		int t = name_taken(counts, names, i);
		taken[i] = t == 1;
		rc = t < 0 ? -1 : 0;
	}
	for (size_t i = 0; i < rep->count && rc == 0; i++) {
		if (!taken[i])
			continue;
		const struct record_case *c = &rep->cases[i];
		char *file = with_file ? text_escape_str(file_of(c), TEXT_ESCAPE_KEEP_UTF8) : NULL;
		char *unique = !with_file ? strfmt_alloc("%s [%d]", names[i].base, c->index)
			     : file ? strfmt_alloc("%s [%s:%d]", names[i].base, file, c->index) : NULL;
		free(file);
		rc = name_change(counts, names, i, unique);
	}
	free(taken);
	return rc;
}

static void names_free(struct junit_name *names, size_t count)
{
	for (size_t i = 0; names && i < count; i++) {
		free(names[i].classname);
		free(names[i].base);
		free(names[i].unique);
	}
	free(names);
}

/* The same file named twice, or a name that spells out another's suffix,
 * can still clash: number what is left, the first of a clash keeping its name. */
static int names_settle(struct key_map *counts, struct junit_name *names, size_t count)
{
	for (size_t i = count; i-- > 0;) {
		int t = name_taken(counts, names, i);
		if (t <= 0) {
			if (t < 0)
				return -1;
			continue;
		}
		char *stem = strdup(junit_name_of(&names[i]));
		for (size_t k = 2; stem && t == 1; k++) {
			if (name_change(counts, names, i, strfmt_alloc("%s #%zu", stem, k)) < 0)
				break;
			t = name_taken(counts, names, i);
		}
		free(stem);
		if (t != 0)
			return -1;
	}
	return 0;
}

static struct junit_name *names_build(const struct record *rep)
{
	struct junit_name *names = calloc(rep->count ? rep->count : 1, sizeof(*names));
	if (!names)
		return NULL;
	for (size_t i = 0; i < rep->count; i++) {
		const struct record_case *c = &rep->cases[i];
		names[i].classname = classname_of(file_of(c));
		names[i].base = text_escape_str(c->name && c->name[0] ? c->name : "(unnamed)",
						TEXT_ESCAPE_KEEP_UTF8);
		if (!names[i].classname || !names[i].base) {
			names_free(names, rep->count);
			return NULL;
		}
	}
	struct key_map counts = {0};
	int rc = names_count(&counts, names, rep->count);
	if (rc == 0)
		rc = names_make_unique(&counts, names, rep, false);
	if (rc == 0)
		rc = names_make_unique(&counts, names, rep, true);
	if (rc == 0)
		rc = names_settle(&counts, names, rep->count);
	key_map_free(&counts);
	if (rc < 0) {
		names_free(names, rep->count);
		return NULL;
	}
	return names;
}

/* ---- counting ---- */

static void counts_add(struct junit_counts *n, const struct record_case *c)
{
	n->tests++;
	n->failures += c->status == VERDICT_FAIL;
	n->errors += c->status == VERDICT_ERROR;
	n->ns += case_ns(c);
}

/* Counts the cases of file, or of the whole run when file is NULL. */
static struct junit_counts counts_of(const struct record *rep, const char *file)
{
	struct junit_counts n = {0};
	for (size_t i = 0; i < rep->count; i++) {
		if (!file || strcmp(file_of(&rep->cases[i]), file) == 0)
			counts_add(&n, &rep->cases[i]);
	}
	return n;
}

/* ---- writing ---- */

/* Seconds with six decimals, by integer arithmetic so that the locale cannot
 * turn the point into a comma. */
static void seconds_format(char *buf, size_t len, uint64_t ns)
{
	uint64_t us = ns / 1000 + (ns % 1000 >= 500);
	snprintf(buf, len, "%" PRIu64 ".%06" PRIu64, us / 1000000, us % 1000000);
}

static int xml_ok(int rc)
{
	return rc < 0 ? -1 : 0;
}

static int attr(struct junit *j, const char *name, const char *value)
{
	return xml_ok(xmlTextWriterWriteAttribute(j->w, BAD_CAST name, BAD_CAST value));
}

/* An attribute whose value came from outside: names, paths, reasons. */
static int attr_text(struct junit *j, const char *name, const char *value)
{
	char *escaped = text_escape_str(value, TEXT_ESCAPE_KEEP_UTF8);
	if (!escaped)
		return -1;
	int rc = attr(j, name, escaped);
	free(escaped);
	return rc;
}

static int attr_size(struct junit *j, const char *name, size_t value)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%zu", value);
	return attr(j, name, buf);
}

static int attr_seconds(struct junit *j, const char *name, uint64_t ns)
{
	char buf[32];
	seconds_format(buf, sizeof(buf), ns);
	return attr(j, name, buf);
}

static int attr_counts(struct junit *j, const struct junit_counts *n)
{
	if (attr_size(j, "tests", n->tests) < 0 || attr_size(j, "failures", n->failures) < 0 ||
	    attr_size(j, "errors", n->errors) < 0)
		return -1;
	return 0;
}

static int start(struct junit *j, const char *element)
{
	return xml_ok(xmlTextWriterStartElement(j->w, BAD_CAST element));
}

static int end(struct junit *j)
{
	return xml_ok(xmlTextWriterEndElement(j->w));
}

static int property(struct junit *j, const char *name, const char *value)
{
	if (start(j, "property") < 0 || attr(j, "name", name) < 0 || attr_text(j, "value", value) < 0)
		return -1;
	return end(j);
}

/* Text in pieces: libxml2's formatted writes grow their buffer by a fixed
 * step, which is quadratic in the size of guest output, and one piece per
 * call keeps the escaping buffer small. A piece never ends inside a UTF-8
 * sequence. */
static int text_len(struct junit *j, const char *s, size_t len)
{
	enum { PIECE = 64 * 1024 };
	char piece[PIECE + 1];
	while (len > 0) {
		size_t n = len < PIECE ? len : PIECE;
		while (n < len && n > 1 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		memcpy(piece, s, n);
		piece[n] = '\0';
		if (xml_ok(xmlTextWriterWriteString(j->w, BAD_CAST piece)) < 0)
			return -1;
		s += n;
		len -= n;
	}
	return 0;
}

static int text(struct junit *j, const char *s)
{
	return text_len(j, s, strlen(s));
}

/* Pieces of text, NULL-terminated, one after another. */
static int texts(struct junit *j, ...)
{
	va_list ap;
	va_start(ap, j);
	int rc = 0;
	for (const char *s; rc == 0 && (s = va_arg(ap, const char *));)
		rc = text(j, s);
	va_end(ap);
	return rc;
}

/* A word of ours held as bytes (a check's value), escaped all the same. */
static char *word_of(const struct bytes *value)
{
	return text_escape(value->data, value->len, TEXT_ESCAPE_KEEP_UTF8);
}

/* Lines already escaped, one after another. */
static int detail_lines(struct junit *j, const char *heading, const struct text_lines *lines)
{
	if (lines->count && texts(j, heading, "\n", (char *)NULL) < 0)
		return -1;
	for (size_t i = 0; i < lines->count; i++) {
		if (texts(j, "  ", lines->items[i], "\n", (char *)NULL) < 0)
			return -1;
	}
	return 0;
}

/* Where the output parted from what was expected: a diff of lines, or hex
 * rows of both for binary output. */
static int detail_difference(struct junit *j, const struct check *k)
{
	struct excerpt_difference x;
	int rc = excerpt_difference(&k->expected, &k->actual, k->first_difference, &x);
	if (rc == 0 && x.binary)
		rc = detail_lines(j, "expected (hex):", &x.first) < 0 || detail_lines(j, "actual (hex):", &x.second) < 0
			     ? -1 : 0;
	else if (rc == 0)
		rc = detail_lines(j, "diff (- expected, + actual):", &x.first);
	excerpt_difference_free(&x);
	return rc;
}

/* A window of outside bytes around at: the whole output is in <system-out>. */
static int detail_window(struct junit *j, const char *label, const struct bytes *value, int64_t at)
{
	char *window = excerpt_window(value, at);
	int rc = window ? texts(j, label, ": \"", window, "\"\n", (char *)NULL) : -1;
	free(window);
	return rc;
}

/* A check of a field: "outcome: shutdown, expected hlt" for words; for
 * outside bytes each value on a line of its own, and where they part. */
static int detail_field_check(struct junit *j, const struct check *k, const struct check_kind_info *info)
{
	if (info->bytes) {
		char *expected_label = strfmt_alloc("expected %s", k->label);
		int rc = expected_label && detail_window(j, info->field, &k->actual, k->first_difference) == 0 &&
			 detail_window(j, expected_label, &k->expected, k->first_difference) == 0 ? 0 : -1;
		free(expected_label);
		if (rc < 0)
			return -1;
		if (k->first_difference < 0)
			return 0;
		char at[64];
		snprintf(at, sizeof(at), "first difference at byte %" PRId64 "\n", k->first_difference);
		return text(j, at) == 0 ? detail_difference(j, k) : -1;
	}
	char *actual = word_of(&k->actual), *expected = word_of(&k->expected);
	int rc = actual && expected ? texts(j, info->field, ": ", actual, ", expected ", expected, "\n", (char *)NULL) : -1;
	free(actual);
	free(expected);
	return rc;
}

/* A check with its own actual value: "register ax: expected 0x1, actual 0x2 (mismatch)". */
static int detail_group_check(struct junit *j, const struct check *k, const struct check_kind_info *info)
{
	char *label = text_escape_str(k->label, 0);
	char *expected = info->bytes ? excerpt_window(&k->expected, -1) : word_of(&k->expected);
	char *actual = word_of(&k->actual);
	char *none = strfmt_alloc(", no %s read back\n", info->group);
	int rc = -1;
	if (label && expected && actual && none)
		rc = k->actual_known
			? texts(j, info->noun ? info->noun : info->group, " ", label, ": expected ", expected, ", actual ",
				actual, k->passed ? "\n" : " (mismatch)\n", (char *)NULL)
			: texts(j, info->noun ? info->noun : info->group, " ", label, ": expected ", expected, none,
				(char *)NULL);
	free(label);
	free(expected);
	free(actual);
	free(none);
	return rc;
}

static int detail_checks(struct junit *j, const struct record_case *c)
{
	for (size_t i = 0; i < c->check_count; i++) {
		const struct check *k = &c->checks[i];
		const struct check_kind_info *info = check_kind_info(k->kind);
		if (!info)
			continue;
		int rc = info->field ? detail_field_check(j, k, info) : detail_group_check(j, k, info);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Messages (nasm's, above all) run over several lines and read best as such. */
static int detail_message(struct junit *j, const char *label, const char *message)
{
	char *escaped = text_escape_str(message, TEXT_ESCAPE_KEEP_NEWLINE | TEXT_ESCAPE_KEEP_UTF8);
	if (!escaped)
		return -1;
	int rc = texts(j, label, escaped, "\n", (char *)NULL);
	free(escaped);
	return rc;
}

static int detail_cs_ip(struct junit *j, const struct record_case *c)
{
	const struct record_reg *cs = record_reg_find(c, "cs"), *ip = record_reg_find(c, "eip");
	if (!cs || !ip)
		return 0;
	char line[64];
	snprintf(line, sizeof(line), "cs:ip: %04" PRIx64 ":%04" PRIx64 "\n", cs->value, ip->value);
	return text(j, line);
}

static int detail_metrics(struct junit *j, const struct record_case *c)
{
	char line[96];
	if (c->binary_size) {
		snprintf(line, sizeof(line), "binary_size: %" PRIu64 "\n", c->binary_size);
		if (text(j, line) < 0)
			return -1;
	}
	if (c->instructions_counted) {
		snprintf(line, sizeof(line), "instructions: %" PRIu64 "\n", c->instructions);
		if (text(j, line) < 0)
			return -1;
	}
	return 0;
}

/* Where the run stopped in the source and the likely bug, first: what a
 * student reads before the numbers. */
static int detail_feedback(struct junit *j, const struct record_case *c)
{
	if (c->stopped_at && detail_message(j, "stopped at ", c->stopped_at) < 0)
		return -1;
	return c->hint ? detail_message(j, "hint: ", c->hint) : 0;
}

/* The text of <failure> or <error>: what was expected against what happened. */
static int details(struct junit *j, const struct record_case *c)
{
	if (c->outcome == OUTCOME_CASE_ERROR)
		return detail_message(j, "", c->message ? c->message : c->reason);
	if (detail_feedback(j, c) < 0 || detail_checks(j, c) < 0)
		return -1;
	if (c->regs_valid && detail_cs_ip(j, c) < 0)
		return -1;
	char line[96];
	snprintf(line, sizeof(line), "exits: %" PRIu64 "\n", c->exits);
	if (text(j, line) < 0 || (c->backend && detail_message(j, "backend: ", c->backend) < 0) ||
	    detail_metrics(j, c) < 0)
		return -1;
	return c->message ? detail_message(j, "message: ", c->message) : 0;
}

/* What failed, as a word a CI page can show: the first failing check's
 * kind ("serial", "register") or "exit" for the way the guest stopped; for
 * a case that could not be judged (invalid, a host failure), the outcome. */
static const char *problem_type(const struct record_case *c)
{
	if (c->status == VERDICT_ERROR)
		return outcome_name(c->outcome);
	for (size_t i = 0; i < c->check_count; i++) {
		const struct check *k = &c->checks[i];
		const struct check_kind_info *info = check_kind_info(k->kind);
		if (!k->passed && info)
			return k->kind == CHECK_OUTCOME ? "exit" : info->name;
	}
	return outcome_name(c->outcome);
}

/* "points: 1.5/3" in a failure's text, where a case is worth other than one point. */
static int detail_points(struct junit *j, const struct record_case *c)
{
	if (c->points_max == 1 && !c->hidden)
		return 0;
	char score[64], line[96];
	score_format((struct score){ c->points_earned, c->points_max }, score, sizeof(score));
	snprintf(line, sizeof(line), "points: %s\n", score);
	return text(j, line);
}

/* A hidden case fails without saying which check or why. */
static int testcase_problem_redacted(struct junit *j, const struct record_case *c)
{
	if (start(j, c->status == VERDICT_FAIL ? "failure" : "error") < 0 ||
	    attr_text(j, "message", REPORT_REDACTED_REASON) < 0 || attr(j, "type", "hidden") < 0 ||
	    detail_points(j, c) < 0)
		return -1;
	return end(j);
}

static int testcase_problem(struct junit *j, const struct record_case *c)
{
	if (c->status == VERDICT_PASS)
		return 0;
	if (c->status == VERDICT_SKIP)
		return start(j, "skipped") < 0 || attr_text(j, "message", c->reason ? c->reason : "") < 0 ? -1 : end(j);
	if (report_case_redacted(c, j->reveal_hidden))
		return testcase_problem_redacted(j, c);
	const char *message = c->reason && c->reason[0] ? c->reason : c->status == VERDICT_FAIL ? "failed" : "error";
	if (start(j, c->status == VERDICT_FAIL ? "failure" : "error") < 0 || attr_text(j, "message", message) < 0 ||
	    attr(j, "type", problem_type(c)) < 0 || details(j, c) < 0 || detail_points(j, c) < 0)
		return -1;
	return end(j);
}

/* XML 1.0 cannot carry NUL or most control characters even as character
 * references, so the guest's bytes go in escaped; line breaks stay so the
 * output reads as it would on a terminal. */
static int output_span(struct junit *j, const struct bytes *output, const struct excerpt_span *span)
{
	char *escaped = text_escape(output->data + span->start, span->len, TEXT_ESCAPE_KEEP_NEWLINE);
	if (!escaped)
		return -1;
	int rc = text(j, escaped);
	free(escaped);
	return rc;
}

/* Only a bounded window of a long output (report/excerpt.h): the whole of
 * it is in the results record. */
static int testcase_output(struct junit *j, const struct record_case *c)
{
	const struct bytes *output = &c->output;
	if (output->len == 0)
		return 0;
	struct excerpt_spans spans = excerpt_output_spans(output->len, record_case_output_difference(c));
	if (start(j, "system-out") < 0)
		return -1;
	size_t shown_to = 0;
	for (size_t i = 0; i < spans.count; i++) {
		if (spans.span[i].start > shown_to) {
			char note[64];
			excerpt_gap_note(note, sizeof(note), spans.span[i].start - shown_to);
			if (texts(j, "\n", note, "\n", (char *)NULL) < 0)
				return -1;
		}
		if (output_span(j, output, &spans.span[i]) < 0)
			return -1;
		shown_to = spans.span[i].start + spans.span[i].len;
	}
	return end(j);
}

/* How the guest stopped; a hidden case tells only its verdict. */
static const char *shown_outcome(const struct junit *j, const struct record_case *c)
{
	return report_case_redacted(c, j->reveal_hidden) ? verdict_status_name(c->status) : outcome_name(c->outcome);
}

/* GitLab's attributes, which junit-10.xsd rejects: the case file, which
 * GitLab links a failure to, and the outcome. */
static int gitlab_attributes(struct junit *j, const struct record_case *c)
{
	if (j->flavor != JUNIT_FLAVOR_GITLAB)
		return 0;
	if (attr_text(j, "file", file_of(c)) < 0 || attr(j, "status", shown_outcome(j, c)) < 0)
		return -1;
	return 0;
}

static int testcase(struct junit *j, size_t i)
{
	const struct record_case *c = &j->rep->cases[i];
	/* junit-10.xsd allows no <properties> in a testcase: how the guest
	 * stopped is a property of its suite, the exits and backend are in
	 * the details. */
	if (start(j, "testcase") < 0 || attr(j, "classname", j->names[i].classname) < 0 ||
	    attr(j, "name", junit_name_of(&j->names[i])) < 0 || attr_seconds(j, "time", case_ns(c)) < 0 ||
	    gitlab_attributes(j, c) < 0)
		return -1;
	if (testcase_problem(j, c) < 0)
		return -1;
	if (!report_case_redacted(c, j->reveal_hidden) && testcase_output(j, c) < 0)
		return -1;
	return end(j);
}

static int property_points(struct junit *j, const char *name, double points)
{
	char text[32];
	points_format(points, text, sizeof(text));
	return property(j, name, text);
}

/* One case's figure as a property "<testcase name>: <figure>": a testcase
 * may hold no properties of its own (junit-10.xsd). */
static int case_property(struct junit *j, size_t i, const char *figure, const char *value)
{
	char *name = strfmt_alloc("%s: %s", junit_name_of(&j->names[i]), figure);
	int rc = name ? property(j, name, value) : -1;
	free(name);
	return rc;
}

static int metric_property(struct junit *j, size_t i, const char *figure, uint64_t value)
{
	char number[24];
	snprintf(number, sizeof(number), "%" PRIu64, value);
	return case_property(j, i, figure, number);
}

/* Every case's outcome ("<testcase name>: outcome" = "hlt"), which the
 * schema lets no testcase attribute carry. */
static int outcome_properties(struct junit *j, const char *file)
{
	for (size_t i = 0; i < j->rep->count; i++) {
		const struct record_case *c = &j->rep->cases[i];
		if (strcmp(file_of(c), file) == 0 && case_property(j, i, "outcome", shown_outcome(j, c)) < 0)
			return -1;
	}
	return 0;
}

/* The size of every case's binary in the suite, and its instruction count
 * when one was made (README "Metrics"). */
static int metric_properties(struct junit *j, const char *file)
{
	for (size_t i = 0; i < j->rep->count; i++) {
		const struct record_case *c = &j->rep->cases[i];
		if (strcmp(file_of(c), file) != 0 || report_case_redacted(c, j->reveal_hidden))
			continue;
		if (c->binary_size && metric_property(j, i, "binary_size", c->binary_size) < 0)
			return -1;
		if (c->instructions_counted && metric_property(j, i, "instructions", c->instructions) < 0)
			return -1;
	}
	return 0;
}

/* junit-10.xsd allows properties in a testsuite, not in testsuites: each
 * suite names the backend and version of the run, its file's score and
 * the run's (total_score, total_max_score), then its cases' metrics and
 * outcomes. */
static int run_properties(struct junit *j, const char *file)
{
	const struct record *rep = j->rep;
	struct score mine = record_file_score(rep, file), all = record_score(rep);
	if (start(j, "properties") < 0 || property(j, "backend", rep->backend ? rep->backend : "unknown") < 0 ||
	    property(j, "version", rep->version ? rep->version : "unknown") < 0 ||
	    property_points(j, "score", mine.earned) < 0 || property_points(j, "max_score", mine.max) < 0 ||
	    property_points(j, "total_score", all.earned) < 0 || property_points(j, "total_max_score", all.max) < 0 ||
	    metric_properties(j, file) < 0 || outcome_properties(j, file) < 0 ||
	    (rep->name && property(j, "name", rep->name) < 0))
		return -1;
	return end(j);
}

/* One suite per case file, holding that file's cases wherever they appear. */
static int testsuite(struct junit *j, size_t first)
{
	const char *file = file_of(&j->rep->cases[first]);
	struct junit_counts n = counts_of(j->rep, file);
	if (start(j, "testsuite") < 0 || attr_text(j, "name", file) < 0 || attr_counts(j, &n) < 0 ||
	    attr_seconds(j, "time", n.ns) < 0 || run_properties(j, file) < 0)
		return -1;
	for (size_t i = first; i < j->rep->count; i++) {
		if (strcmp(file_of(&j->rep->cases[i]), file) == 0 && testcase(j, i) < 0)
			return -1;
	}
	return end(j);
}

static int testsuite_at(const struct record *rep, size_t first, void *ctx)
{
	(void)rep;
	return testsuite(ctx, first);
}

static int document(struct junit *j)
{
	struct junit_counts n = counts_of(j->rep, NULL);
	if (xml_ok(xmlTextWriterStartDocument(j->w, NULL, "UTF-8", NULL)) < 0 || start(j, "testsuites") < 0 ||
	    attr_text(j, "name", j->rep->name ? j->rep->name : "kvmcheck") < 0 || attr_counts(j, &n) < 0 ||
	    attr_seconds(j, "time", j->rep->elapsed_ns) < 0)
		return -1;
	/* A suite per file, where the file's first case is. */
	if (record_each_file(j->rep, testsuite_at, j) < 0)
		return -1;
	if (end(j) < 0 || xml_ok(xmlTextWriterEndDocument(j->w)) < 0)
		return -1;
	return xml_ok(xmlTextWriterFlush(j->w));
}

static int file_sink(void *context, const char *buffer, int len)
{
	return fwrite(buffer, 1, (size_t)len, context) == (size_t)len ? len : -1;
}

/* The stream belongs to the caller: closing the writer must not close it. */
static int file_sink_close(void *context)
{
	(void)context;
	return 0;
}

/* libxml2 writes through its own buffer into out; it reports nothing itself. */
static int render(const struct record *rep, struct junit_name *names, const struct render_options *opt, FILE *out)
{
	struct junit j = { .rep = rep, .names = names, .reveal_hidden = opt && opt->reveal_hidden,
			   .flavor = opt ? opt->junit_flavor : JUNIT_FLAVOR_JENKINS };
	xmlOutputBufferPtr sink = xmlOutputBufferCreateIO(file_sink, file_sink_close, out, NULL);
	j.w = sink ? xmlNewTextWriter(sink) : NULL;
	if (!j.w) {
		if (sink)
			xmlOutputBufferClose(sink);
		return -1;
	}
	int rc = xml_ok(xmlTextWriterSetIndent(j.w, 1));
	if (rc == 0)
		rc = xml_ok(xmlTextWriterSetIndentString(j.w, BAD_CAST "  "));
	if (rc == 0)
		rc = document(&j);
	xmlFreeTextWriter(j.w);
	return rc;
}

int report_junit_render(const struct record *rep, FILE *out, const struct render_options *opt, char *err,
			size_t err_len)
{
	struct junit_name *names = names_build(rep);
	int rc = names ? render(rep, names, opt, out) : -1;
	names_free(names, rep->count);
	if (rc == 0 && fflush(out) == 0 && !ferror(out))
		return 0;
	strfmt_err(err, err_len, "JUnit report: %s", ferror(out) ? strerror(errno) : "cannot build the XML (out of memory?)");
	return -1;
}
