/* excerpt: the part of long output a person reads. Windows of escaped text
 * around the first difference, a unified diff of expected and actual lines,
 * and a hex dump for binary output, each of bounded size however much the
 * guest wrote, so reports stay readable; the whole output stays in the
 * results record. */
#ifndef KVMCHECK_EXCERPT_H
#define KVMCHECK_EXCERPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"

/* How much of an output a window shows, and how much of it before the difference. */
#define EXCERPT_WINDOW 256
#define EXCERPT_BEFORE 64
/* Lines of context around a difference, and lines shown on each side at most. */
#define EXCERPT_CONTEXT 3
#define EXCERPT_MAX_CHANGED 6
/* Characters of one diff line at most, once escaped. */
#define EXCERPT_LINE_WIDTH 120

struct text_lines {
	char **items;
	size_t count;
};

void text_lines_free(struct text_lines *l);

/* The output is mostly bytes that are not text: show it as hex. */
bool excerpt_is_binary(const struct bytes *b);

/* b escaped, whole when short, else EXCERPT_WINDOW bytes around at (-1: the
 * start) with what was left out said in words: "... 512 bytes before ...",
 * "... 9232 more bytes". A string to free(), or NULL when memory runs out. */
char *excerpt_window(const struct bytes *b, int64_t at);

/* A unified diff of expected against actual by lines, around the first
 * difference at byte `at`: "@@ -3,4 +3,4 @@" then lines marked ' ', '-'
 * and '+', each escaped (a "\r" or "\x1b" shows) and cut to
 * EXCERPT_LINE_WIDTH. 0, or -1 when memory runs out. */
int excerpt_diff(const struct bytes *expected, const struct bytes *actual, int64_t at, struct text_lines *out);

/* Hex dump lines ("00000010  48 65 6c 6c ...  |Hell...|") of b, the 16-byte
 * row holding `at` and a row either side. 0, or -1 when memory runs out. */
int excerpt_hex(const struct bytes *b, int64_t at, struct text_lines *out);

/* How two outputs that differ at byte `at` are shown: a line diff of text,
 * or when either is binary the hex rows of each around `at`. */
struct excerpt_difference {
	bool binary;
	struct text_lines first;  /* the diff, or the expected output's hex rows */
	struct text_lines second; /* binary only: the actual output's hex rows */
};

/* 0, or -1 when memory runs out; out is to be freed either way. */
int excerpt_difference(const struct bytes *expected, const struct bytes *actual, int64_t at,
		       struct excerpt_difference *out);
void excerpt_difference_free(struct excerpt_difference *d);

/* How much of a guest's whole output HTML and JUnit <system-out> carry: the
 * first and last EXCERPT_OUTPUT_EDGE bytes, and EXCERPT_OUTPUT_AROUND bytes
 * either side of the first difference. Escaping a 64 MiB output whole made
 * files of 268 MB; this keeps them bounded whatever the guest writes, and
 * the results record (JSON) still holds every byte. */
#define EXCERPT_OUTPUT_EDGE (16 * 1024)
#define EXCERPT_OUTPUT_AROUND (4 * 1024)
#define EXCERPT_OUTPUT_SPANS 3

struct excerpt_span {
	size_t start, len;
};

struct excerpt_spans {
	struct excerpt_span span[EXCERPT_OUTPUT_SPANS];
	size_t count;
};

/* The parts of an output of len bytes that a report shows, in order and
 * apart from each other: one span of the whole output when it is short;
 * else its head, the bytes around at (when at >= 0 falls outside head and
 * tail) and its tail. Spans that touch or overlap are joined. */
struct excerpt_spans excerpt_output_spans(size_t len, int64_t at);

/* The words standing for bytes left out between two spans, without line
 * breaks: "... 1234 bytes left out ...". Written into buf of size bytes. */
void excerpt_gap_note(char *buf, size_t size, size_t left_out);

#endif
