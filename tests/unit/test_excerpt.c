/* Unit tests for report/excerpt.c: output windows, line diffs and hex
 * dumps, each bounded however long the output. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "report/excerpt.h"

static struct bytes text_bytes(const char *s)
{
	return (struct bytes){ .data = (uint8_t *)s, .len = strlen(s), .cap = strlen(s) };
}

/* The lines joined by '|', to compare with one string. */
static char *joined(const struct text_lines *l)
{
	size_t len = 1;
	for (size_t i = 0; i < l->count; i++)
		len += strlen(l->items[i]) + 1;
	char *out = calloc(1, len);
	cr_assert_not_null(out);
	for (size_t i = 0; i < l->count; i++) {
		if (i)
			strcat(out, "|");
		strcat(out, l->items[i]);
	}
	return out;
}

static int64_t first_difference(const struct bytes *a, const struct bytes *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	for (size_t i = 0; i < n; i++)
		if (a->data[i] != b->data[i])
			return (int64_t)i;
	return a->len == b->len ? -1 : (int64_t)n;
}

Test(excerpt, diff_table)
{
	static const struct {
		const char *expected, *actual, *diff;
	} rows[] = {
		{ "Hello, World!", "Hello, KVM!", "@@ -1,1 +1,1 @@|-Hello, World!|+Hello, KVM!" },
		{ "a\nb\nc\nd\ne\nf\ng\n", "a\nb\nc\nd\nE\nf\ng\n",
		  "@@ -2,6 +2,6 @@| b| c| d|-e|+E| f| g" },
		{ "one\ntwo\n", "one\r\ntwo\r\n", "@@ -1,2 +1,2 @@|-one|-two|+one\\r|+two\\r" },
		{ "abc", "abc\n", "@@ -1,1 +1,1 @@|-abc|\\ No newline at end of output|+abc" },
		{ "x\n", "", "@@ -1,1 +1,1 @@|-x|+|\\ No newline at end of output" },
		{ "a\n", "a\nb\x1b[0m\n", "@@ -1,1 +1,2 @@| a|+b\\x1b[0m" },
		{ "same", "same", "" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct bytes e = text_bytes(rows[i].expected), a = text_bytes(rows[i].actual);
		struct text_lines l;
		cr_assert_eq(excerpt_diff(&e, &a, first_difference(&e, &a), &l), 0);
		char *got = joined(&l);
		cr_assert_str_eq(got, rows[i].diff, "row %zu: %s", i, got);
		free(got);
		text_lines_free(&l);
	}
}

Test(excerpt, diff_of_many_lines_is_bounded)
{
	char expected[4000] = "", actual[4000] = "";
	for (int i = 0; i < 300; i++) {
		strcat(expected, "line\n");
		strcat(actual, i == 100 ? "LINE\n" : "line\n");
	}
	strcat(actual, "extra\n");
	struct bytes e = text_bytes(expected), a = text_bytes(actual);
	struct text_lines l;
	cr_assert_eq(excerpt_diff(&e, &a, first_difference(&e, &a), &l), 0);
	cr_assert_leq(l.count, 1 + 2 * EXCERPT_CONTEXT + 2 * (EXCERPT_MAX_CHANGED + 1) + 2);
	char *got = joined(&l);
	cr_assert_not_null(strstr(got, "more lines"), "%s", got);
	free(got);
	text_lines_free(&l);
}

Test(excerpt, long_lines_are_cut)
{
	char line[1000];
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	struct bytes e = text_bytes("y"), a = text_bytes(line);
	struct text_lines l;
	cr_assert_eq(excerpt_diff(&e, &a, 0, &l), 0);
	cr_assert_eq(l.count, 3);
	cr_assert_lt(strlen(l.items[2]), EXCERPT_LINE_WIDTH + 40);
	cr_assert_not_null(strstr(l.items[2], " ... 879 more bytes"), "%s", l.items[2]);
	text_lines_free(&l);
}

Test(excerpt, window)
{
	char big[10001];
	for (int i = 0; i < 10000; i++)
		big[i] = (char)('0' + i % 8);
	big[10000] = '\0';
	struct bytes b = text_bytes(big);
	char *w = excerpt_window(&b, 10);
	cr_assert_eq(strncmp(w, "01234567", 8), 0);
	cr_assert_not_null(strstr(w, " ... 9744 more bytes"));
	free(w);
	w = excerpt_window(&b, 5000);
	cr_assert_eq(strncmp(w, "... 4936 bytes before ... ", 26), 0, "%s", w);
	cr_assert_not_null(strstr(w, " ... 4808 more bytes"), "%s", w);
	free(w);
	w = excerpt_window(&b, 9999);
	cr_assert_eq(strncmp(w, "... 9744 bytes before ... ", 26), 0, "%s", w);
	cr_assert_null(strstr(w, "more bytes"));
	free(w);
	struct bytes small = text_bytes("a\r\n\x1b");
	w = excerpt_window(&small, 0);
	cr_assert_str_eq(w, "a\\r\\n\\x1b");
	free(w);
}

Test(excerpt, hex_rows_around_the_difference)
{
	uint8_t data[64];
	for (int i = 0; i < 64; i++)
		data[i] = (uint8_t)i;
	struct bytes b = { .data = data, .len = sizeof(data), .cap = sizeof(data) };
	struct text_lines l;
	cr_assert_eq(excerpt_hex(&b, 40, &l), 0);
	cr_assert_eq(l.count, 3);
	cr_assert_str_eq(l.items[0], "00000010  10 11 12 13 14 15 16 17  18 19 1a 1b 1c 1d 1e 1f  |................|");
	cr_assert_str_eq(l.items[2], "00000030  30 31 32 33 34 35 36 37  38 39 3a 3b 3c 3d 3e 3f  |0123456789:;<=>?|");
	text_lines_free(&l);
}

Test(excerpt, binary_or_text)
{
	struct bytes text = text_bytes("hello\r\n\x1b[0m"), binary = { .data = (uint8_t *)"\0\1\2a", .len = 4 };
	cr_assert(!excerpt_is_binary(&text));
	cr_assert(excerpt_is_binary(&binary));
}

/* ---- output windows for HTML and JUnit ---- */

static size_t spans_total(const struct excerpt_spans *s)
{
	size_t total = 0;
	for (size_t i = 0; i < s->count; i++)
		total += s->span[i].len;
	return total;
}

Test(excerpt, output_spans_whole_when_short)
{
	size_t whole = 2 * EXCERPT_OUTPUT_EDGE + 2 * EXCERPT_OUTPUT_AROUND;
	struct excerpt_spans s = excerpt_output_spans(whole, 5);
	cr_assert_eq(s.count, 1);
	cr_assert_eq(s.span[0].start, 0);
	cr_assert_eq(s.span[0].len, whole);
	s = excerpt_output_spans(0, -1);
	cr_assert_eq(s.count, 1);
	cr_assert_eq(s.span[0].len, 0);
}

Test(excerpt, output_spans_head_and_tail_without_a_difference)
{
	size_t len = (size_t)64 << 20;
	struct excerpt_spans s = excerpt_output_spans(len, -1);
	cr_assert_eq(s.count, 2);
	cr_assert_eq(s.span[0].start, 0);
	cr_assert_eq(s.span[0].len, EXCERPT_OUTPUT_EDGE);
	cr_assert_eq(s.span[1].start, len - EXCERPT_OUTPUT_EDGE);
	cr_assert_eq(s.span[1].len, EXCERPT_OUTPUT_EDGE);
}

Test(excerpt, output_spans_around_a_difference_in_the_middle)
{
	size_t len = (size_t)64 << 20, at = (size_t)32 << 20;
	struct excerpt_spans s = excerpt_output_spans(len, (int64_t)at);
	cr_assert_eq(s.count, 3);
	cr_assert_eq(s.span[1].start, at - EXCERPT_OUTPUT_AROUND);
	cr_assert_eq(s.span[1].len, 2 * EXCERPT_OUTPUT_AROUND);
	cr_assert_eq(spans_total(&s), 2 * EXCERPT_OUTPUT_EDGE + 2 * EXCERPT_OUTPUT_AROUND);
}

/* A difference near either end joins that end's span: spans never overlap. */
Test(excerpt, output_spans_join_where_they_touch)
{
	size_t len = 1 << 20;
	static const struct {
		int64_t at;
		size_t count, first_len, last_start;
	} rows[] = {
		{ 10, 2, EXCERPT_OUTPUT_EDGE, (1 << 20) - EXCERPT_OUTPUT_EDGE },
		{ EXCERPT_OUTPUT_EDGE + 100, 2, EXCERPT_OUTPUT_EDGE + 100 + EXCERPT_OUTPUT_AROUND,
		  (1 << 20) - EXCERPT_OUTPUT_EDGE },
		{ (1 << 20) - EXCERPT_OUTPUT_EDGE - 100, 2, EXCERPT_OUTPUT_EDGE,
		  (1 << 20) - EXCERPT_OUTPUT_EDGE - 100 - EXCERPT_OUTPUT_AROUND },
		{ (1 << 20) - 1, 2, EXCERPT_OUTPUT_EDGE, (1 << 20) - EXCERPT_OUTPUT_EDGE },
		{ 1 << 20, 2, EXCERPT_OUTPUT_EDGE, (1 << 20) - EXCERPT_OUTPUT_EDGE },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct excerpt_spans s = excerpt_output_spans(len, rows[i].at);
		cr_assert_eq(s.count, rows[i].count, "row %zu", i);
		cr_assert_eq(s.span[0].len, rows[i].first_len, "row %zu", i);
		cr_assert_eq(s.span[s.count - 1].start, rows[i].last_start, "row %zu", i);
		cr_assert_eq(s.span[s.count - 1].start + s.span[s.count - 1].len, len, "row %zu", i);
		for (size_t k = 1; k < s.count; k++)
			cr_assert_gt(s.span[k].start, s.span[k - 1].start + s.span[k - 1].len, "row %zu", i);
	}
}

Test(excerpt, gap_note_counts_the_bytes)
{
	char note[64];
	excerpt_gap_note(note, sizeof(note), 67043328);
	cr_assert_str_eq(note, "... 67043328 bytes left out ...");
}
