#include "report/workflow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/bytes.h"
#include "core/strfmt.h"
#include "core/text_escape.h"
#include "report/grading.h"

static char *workflow_escape(const char *s, const char *also)
{
	struct bytes out = {0};
	int rc = 0;
	for (const char *p = s ? s : ""; *p && rc == 0; p++) {
		char code[4];
		if (*p == '%' || *p == '\r' || *p == '\n' || strchr(also, *p)) {
			snprintf(code, sizeof(code), "%%%02X", (unsigned char)*p);
			rc = bytes_append(&out, code, 3);
		} else
			rc = bytes_push(&out, (uint8_t)*p);
	}
	if (rc == 0)
		rc = bytes_push(&out, 0);
	if (rc < 0) {
		bytes_free(&out);
		return NULL;
	}
	return (char *)out.data;
}

char *workflow_escape_data(const char *s)
{
	return workflow_escape(s, "");
}

char *workflow_escape_property(const char *s)
{
	return workflow_escape(s, ":,");
}

int workflow_token_new(char token[WORKFLOW_TOKEN_SIZE])
{
	unsigned char random[WORKFLOW_TOKEN_HEX / 2];
	size_t got = 0;
	while (got < sizeof(random)) {
		ssize_t n = getrandom(random + got, sizeof(random) - got, 0);
		if (n < 0 && errno != EINTR)
			return -1;
		got += n > 0 ? (size_t)n : 0;
	}
	for (size_t i = 0; i < sizeof(random); i++)
		snprintf(token + 2 * i, 3, "%02x", random[i]);
	return 0;
}

/* One annotation; everything in it is escaped here. Control bytes other
 * than line breaks are made visible first: the log is a terminal too. */
struct annotation {
	const char *file;
	long line;
	const char *title;
	const char *message;
};

static int annotation_write(FILE *out, const char *command, const struct annotation *a)
{
	char *visible = text_escape_str(a->message, TEXT_ESCAPE_KEEP_UTF8 | TEXT_ESCAPE_KEEP_NEWLINE);
	char *file = workflow_escape_property(a->file);
	char *title = workflow_escape_property(a->title);
	char *message = visible ? workflow_escape_data(visible) : NULL;
	int rc = -1;
	if (file && title && message) {
		rc = fprintf(out, "::%s file=%s", command, file) < 0 ? -1 : 0;
		if (rc == 0 && a->line > 0)
			rc = fprintf(out, ",line=%ld", a->line) < 0 ? -1 : 0;
		if (rc == 0)
			rc = fprintf(out, ",title=%s::%s\n", title, message) < 0 ? -1 : 0;
	}
	free(visible);
	free(file);
	free(title);
	free(message);
	return rc;
}

/* The title: the student's name when there is one, what failed and the
 * case's name, escaped for the log. */
static char *annotation_title(const char *student, const char *prefix, const struct record_case *c)
{
	char *who = student ? text_escape_str(student, TEXT_ESCAPE_KEEP_UTF8) : NULL;
	char *name = text_escape_str(c->name && c->name[0] ? c->name : "(unnamed)", TEXT_ESCAPE_KEEP_UTF8);
	char *title = NULL;
	if (name && (who || !student))
		title = strfmt_alloc("%s%s%s%s", who ? who : "", who ? ": " : "", prefix, name);
	free(who);
	free(name);
	return title;
}

static void annotation_emit(struct workflow_annotations *sink, const struct annotation *a)
{
	if (sink->written >= sink->max) {
		sink->left_out++;
		return;
	}
	sink->written++;
	if (sink->rc == 0)
		sink->rc = annotation_write(sink->out, "error", a);
}

/* "PATH:LINE: error: TEXT" as nasm says it; false for any other line. */
static bool nasm_error_parse(char *line, struct annotation *a)
{
	static const char *const kinds[] = { ": error: ", ": fatal: " };
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		char *kind = strstr(line, kinds[k]);
		if (!kind)
			continue;
		*kind = '\0';
		char *colon = strrchr(line, ':');
		char *end;
		long number = colon ? strtol(colon + 1, &end, 10) : 0;
		if (!colon || colon == line || end == colon + 1 || *end || number <= 0)
			return false;
		*colon = '\0';
		a->file = line;
		a->line = number;
		a->message = kind + strlen(kinds[k]);
		return true;
	}
	return false;
}

/* Annotations at the places nasm named; how many it wrote (0: none parsed). */
static size_t nasm_errors_emit(struct workflow_annotations *sink, const struct record_case *c, const char *title)
{
	char *copy = strdup(c->message ? c->message : "");
	if (!copy) {
		sink->rc = -1;
		return 0;
	}
	size_t found = 0;
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct annotation a = { .title = title };
		if (nasm_error_parse(line, &a)) {
			annotation_emit(sink, &a);
			found++;
		}
	}
	free(copy);
	return found;
}

static const char *case_reason(const struct record_case *c, bool reveal_hidden)
{
	if (report_case_details_hidden(c, reveal_hidden))
		return "hidden case did not pass";
	return c->reason && c->reason[0] ? c->reason : c->message ? c->message : "did not pass";
}

static void case_annotate(struct workflow_annotations *sink, const struct record_case *c, const char *student)
{
	bool assembler = c->outcome == OUTCOME_ASSEMBLE_ERROR && !report_case_details_hidden(c, sink->reveal_hidden);
	char *title = annotation_title(student, assembler ? "nasm: " : "kvmcheck: ", c);
	if (!title) {
		sink->rc = -1;
		return;
	}
	if (!assembler || nasm_errors_emit(sink, c, title) == 0) {
		struct annotation a = { .file = c->file, .line = c->line, .title = title, .message = case_reason(c, sink->reveal_hidden) };
		annotation_emit(sink, &a);
	}
	free(title);
}

void workflow_annotations_begin(struct workflow_annotations *sink, FILE *out, size_t max_errors, bool reveal_hidden)
{
	*sink = (struct workflow_annotations){ .out = out, .max = max_errors, .reveal_hidden = reveal_hidden };
}

void workflow_annotations_add(struct workflow_annotations *sink, const struct record *rec, const char *student)
{
	for (size_t i = 0; i < rec->count && sink->rc == 0; i++) {
		const struct record_case *c = &rec->cases[i];
		if (c->status == VERDICT_FAIL || c->status == VERDICT_ERROR)
			case_annotate(sink, c, student);
	}
}

int workflow_annotations_end(struct workflow_annotations *sink)
{
	if (sink->rc == 0 && sink->left_out)
		sink->rc = fprintf(sink->out, "::notice title=kvmcheck::%zu more error%s not annotated (GitHub shows %zu per step): "
				   "see the job summary and the reports\n", sink->left_out, sink->left_out == 1 ? "" : "s",
				   sink->max) < 0 ? -1 : 0;
	return sink->rc == 0 && fflush(sink->out) == 0 ? 0 : -1;
}

int workflow_annotations_write(const struct record *rec, FILE *out, size_t max_errors, bool reveal_hidden)
{
	struct workflow_annotations sink;
	workflow_annotations_begin(&sink, out, max_errors, reveal_hidden);
	workflow_annotations_add(&sink, rec, NULL);
	return workflow_annotations_end(&sink);
}
