#include "report/excerpt.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strfmt.h"
#include "core/text_escape.h"

void text_lines_free(struct text_lines *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i]);
	free(l->items);
	*l = (struct text_lines){0};
}

/* Takes ownership of line (NULL: out of memory). */
static int lines_take(struct text_lines *l, char *line)
{
	char **grown = line ? realloc(l->items, (l->count + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(line);
		return -1;
	}
	l->items = grown;
	l->items[l->count++] = line;
	return 0;
}

static bool is_text_byte(uint8_t b)
{
	return (b >= 0x20 && b < 0x7f) || b == '\n' || b == '\r' || b == '\t' || b >= 0x80;
}

/* A quarter of the bytes not text: a person reads it better as hex. */
bool excerpt_is_binary(const struct bytes *b)
{
	size_t odd = 0;
	for (size_t i = 0; i < b->len; i++)
		odd += !is_text_byte(b->data[i]);
	return b->len && odd * 4 >= b->len;
}

char *excerpt_window(const struct bytes *b, int64_t at)
{
	if (b->len <= EXCERPT_WINDOW)
		return text_escape(b->data, b->len, 0);
	size_t start = at > EXCERPT_BEFORE ? (size_t)at - EXCERPT_BEFORE : 0;
	if (start > b->len - EXCERPT_WINDOW)
		start = b->len - EXCERPT_WINDOW;
	size_t after = b->len - start - EXCERPT_WINDOW;
	char *text = text_escape(b->data + start, EXCERPT_WINDOW, 0);
	if (!text)
		return NULL;
	char before[48] = "", more[48] = "";
	if (start)
		snprintf(before, sizeof(before), "... %zu bytes before ... ", start);
	if (after)
		snprintf(more, sizeof(more), " ... %zu more bytes", after);
	char *window = strfmt_alloc("%s%s%s", before, text, more);
	free(text);
	return window;
}

/* ---- lines ---- */

struct line_span {
	size_t start, len; /* without the '\n' */
	bool ended;        /* a '\n' follows */
};

struct line_index {
	struct line_span *spans;
	size_t count, cap;
};

static int line_index_build(const struct bytes *b, struct line_index *out)
{
	*out = (struct line_index){0};
	size_t start = 0;
	for (size_t i = 0; i <= b->len; i++) {
		if (i < b->len && b->data[i] != '\n')
			continue;
		/* Output ending in '\n' has no empty line after it. */
		if (i == b->len && start == b->len && b->len)
			break;
		/* Doubling: output of a million lines must not cost a million copies. */
		if (out->count == out->cap) {
			size_t cap = out->cap ? 2 * out->cap : 64;
			struct line_span *grown = realloc(out->spans, cap * sizeof(*grown));
			if (!grown) {
				free(out->spans);
				return -1;
			}
			out->spans = grown;
			out->cap = cap;
		}
		out->spans[out->count++] = (struct line_span){ start, i - start, i < b->len };
		start = i + 1;
	}
	return 0;
}

static size_t line_of_byte(const struct line_index *x, size_t at)
{
	for (size_t i = 0; i < x->count; i++) {
		if (at <= x->spans[i].start + x->spans[i].len)
			return i;
	}
	/* Beyond the last line: a line that one output has and the other not. */
	return x->count && !x->spans[x->count - 1].ended ? x->count - 1 : x->count;
}

static bool lines_equal(const struct bytes *a, const struct line_span *x, const struct bytes *b,
			const struct line_span *y)
{
	return x->len == y->len && x->ended == y->ended &&
	       (x->len == 0 || memcmp(a->data + x->start, b->data + y->start, x->len) == 0);
}

/* One diff line: its mark, then the line escaped and cut. */
static int diff_line(struct text_lines *out, char mark, const struct bytes *b, const struct line_span *s,
		     bool note_end)
{
	size_t len = s->len > EXCERPT_LINE_WIDTH ? EXCERPT_LINE_WIDTH : s->len;
	char *text = text_escape(b->data + s->start, len, 0);
	if (!text)
		return -1;
	char *line = len < s->len ? strfmt_alloc("%c%.*s ... %zu more bytes", mark, EXCERPT_LINE_WIDTH, text, s->len - len)
				  : strfmt_alloc("%c%.*s", mark, EXCERPT_LINE_WIDTH, text);
	free(text);
	if (lines_take(out, line) < 0)
		return -1;
	/* As diff says it: otherwise "abc" and "abc\n" would look alike. */
	return s->ended || !note_end ? 0 : lines_take(out, strfmt_alloc("\\ No newline at end of output"));
}

static int diff_lines(struct text_lines *out, char mark, const struct bytes *b, const struct line_index *x,
		      size_t from, size_t to, size_t most, bool note_end)
{
	size_t shown = to - from > most ? most : to - from;
	for (size_t i = from; i < from + shown; i++) {
		if (diff_line(out, mark, b, &x->spans[i], note_end) < 0)
			return -1;
	}
	if (shown < to - from)
		return lines_take(out, strfmt_alloc("%c... %zu more lines", mark, to - from - shown));
	return 0;
}

struct hunk {
	size_t context_from;         /* first context line (same in both) */
	size_t first;                /* first differing line (same in both) */
	size_t expected_end, actual_end; /* end of the differing lines */
	size_t expected_after, actual_after; /* end of the context after */
};

/* The lines from the first difference to where both outputs end alike. */
static struct hunk hunk_find(const struct bytes *e, const struct line_index *ex, const struct bytes *a,
			     const struct line_index *ax, size_t first)
{
	struct hunk h = { .first = first, .expected_end = ex->count, .actual_end = ax->count };
	h.context_from = first > EXCERPT_CONTEXT ? first - EXCERPT_CONTEXT : 0;
	while (h.expected_end > first && h.actual_end > first &&
	       lines_equal(e, &ex->spans[h.expected_end - 1], a, &ax->spans[h.actual_end - 1])) {
		h.expected_end--;
		h.actual_end--;
	}
	size_t tail = ex->count - h.expected_end;
	tail = tail > EXCERPT_CONTEXT ? EXCERPT_CONTEXT : tail;
	h.expected_after = h.expected_end + tail;
	h.actual_after = h.actual_end + tail;
	return h;
}

int excerpt_diff(const struct bytes *expected, const struct bytes *actual, int64_t at, struct text_lines *out)
{
	*out = (struct text_lines){0};
	if (at < 0)
		return 0;
	struct line_index ex, ax;
	if (line_index_build(expected, &ex) < 0)
		return -1;
	if (line_index_build(actual, &ax) < 0) {
		free(ex.spans);
		return -1;
	}
	/* Bytes before `at` agree, so the line holding it has one number in both. */
	size_t first = line_of_byte(&ex, (size_t)at);
	size_t first_actual = line_of_byte(&ax, (size_t)at);
	first = first < first_actual ? first : first_actual;
	struct hunk h = hunk_find(expected, &ex, actual, &ax, first);
	/* Said only where it is a difference: one output ends its last line, the other not. */
	bool note_end = ex.spans[ex.count - 1].ended != ax.spans[ax.count - 1].ended;
	int rc = lines_take(out, strfmt_alloc("@@ -%zu,%zu +%zu,%zu @@", h.context_from + 1,
					      h.expected_after - h.context_from, h.context_from + 1,
					      h.actual_after - h.context_from));
	if (rc == 0)
		rc = diff_lines(out, ' ', expected, &ex, h.context_from, h.first, EXCERPT_CONTEXT, false);
	if (rc == 0)
		rc = diff_lines(out, '-', expected, &ex, h.first, h.expected_end, EXCERPT_MAX_CHANGED, note_end);
	if (rc == 0)
		rc = diff_lines(out, '+', actual, &ax, h.first, h.actual_end, EXCERPT_MAX_CHANGED, note_end);
	if (rc == 0)
		rc = diff_lines(out, ' ', expected, &ex, h.expected_end, h.expected_after, EXCERPT_CONTEXT, false);
	free(ex.spans);
	free(ax.spans);
	if (rc < 0)
		text_lines_free(out);
	return rc;
}

/* ---- hex ---- */

static char *hex_row(const struct bytes *b, size_t offset)
{
	char hex[16 * 3 + 2] = "", ascii[17] = "";
	size_t used = 0;
	for (size_t i = 0; i < 16; i++) {
		if (offset + i < b->len) {
			uint8_t byte = b->data[offset + i];
			used += (size_t)snprintf(hex + used, sizeof(hex) - used, "%s%02x", i == 8 ? "  " : i ? " " : "", byte);
			ascii[i] = byte >= 0x20 && byte < 0x7f ? (char)byte : '.';
		} else {
			used += (size_t)snprintf(hex + used, sizeof(hex) - used, "%s  ", i == 8 ? "  " : i ? " " : "");
			ascii[i] = '\0';
		}
	}
	return strfmt_alloc("%08zx  %s  |%s|", offset, hex, ascii);
}

int excerpt_hex(const struct bytes *b, int64_t at, struct text_lines *out)
{
	*out = (struct text_lines){0};
	size_t row = at > 0 ? (size_t)at / 16 : 0;
	size_t from = row ? row - 1 : 0;
	for (size_t r = from; r <= row + 1 && r * 16 < b->len; r++) {
		if (lines_take(out, hex_row(b, r * 16)) < 0) {
			text_lines_free(out);
			return -1;
		}
	}
	return 0;
}

int excerpt_difference(const struct bytes *expected, const struct bytes *actual, int64_t at,
		       struct excerpt_difference *out)
{
	*out = (struct excerpt_difference){ .binary = excerpt_is_binary(expected) || excerpt_is_binary(actual) };
	if (!out->binary)
		return excerpt_diff(expected, actual, at, &out->first);
	return excerpt_hex(expected, at, &out->first) < 0 || excerpt_hex(actual, at, &out->second) < 0 ? -1 : 0;
}

void excerpt_difference_free(struct excerpt_difference *d)
{
	text_lines_free(&d->first);
	text_lines_free(&d->second);
}

/* ---- output windows ---- */

static void spans_add(struct excerpt_spans *s, size_t start, size_t end)
{
	struct excerpt_span *last = s->count ? &s->span[s->count - 1] : NULL;
	/* Added in order of start except the tail, which may begin before the
	 * bytes around a difference near the end: then it swallows them. */
	if (last && start <= last->start + last->len) {
		size_t last_end = last->start + last->len;
		if (start < last->start)
			last->start = start;
		last->len = (end > last_end ? end : last_end) - last->start;
		return;
	}
	s->span[s->count++] = (struct excerpt_span){ start, end - start };
}

struct excerpt_spans excerpt_output_spans(size_t len, int64_t at)
{
	struct excerpt_spans s = {0};
	if (len <= 2 * (size_t)EXCERPT_OUTPUT_EDGE + 2 * (size_t)EXCERPT_OUTPUT_AROUND) {
		s.span[s.count++] = (struct excerpt_span){ 0, len };
		return s;
	}
	spans_add(&s, 0, EXCERPT_OUTPUT_EDGE);
	if (at >= 0 && (uint64_t)at < len) {
		size_t from = (size_t)at > EXCERPT_OUTPUT_AROUND ? (size_t)at - EXCERPT_OUTPUT_AROUND : 0;
		size_t to = (size_t)at + EXCERPT_OUTPUT_AROUND;
		spans_add(&s, from, to < len ? to : len);
	}
	spans_add(&s, len - EXCERPT_OUTPUT_EDGE, len);
	return s;
}

void excerpt_gap_note(char *buf, size_t size, size_t left_out)
{
	snprintf(buf, size, "... %zu bytes left out ...", left_out);
}
