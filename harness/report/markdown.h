/* markdown: the pieces of GitHub-flavoured Markdown that the job summary
 * and Gradescope's test output share. Names, paths and guest output are
 * untrusted: they are escaped so that they can neither format the page nor
 * leave the code block they are shown in. */
#ifndef KVMCHECK_REPORT_MARKDOWN_H
#define KVMCHECK_REPORT_MARKDOWN_H

#include <stddef.h>

#include "core/bytes.h"
#include "record/record.h"

/* Guest output shown in one block at most; the reports have all of it. */
#define MARKDOWN_OUTPUT_SHOWN 2048

/* The backticks of a fence around text that text cannot close: one more
 * than its longest run of backticks, and at least three. */
size_t markdown_fence_length(const char *text, size_t len);

/* s as inline text (a table cell, a heading): control bytes escaped, every
 * ASCII punctuation character Markdown or HTML could read backslash-escaped,
 * line breaks gone. To free(); NULL when memory runs out. */
char *markdown_escape_inline(const char *s);

/* Appends a fenced code block of data (at most MARKDOWN_OUTPUT_SHOWN bytes,
 * each line escaped, with a note when cut). 0, or -1 when memory runs out. */
int markdown_code_block(struct bytes *out, const void *data, size_t len);

/* Appends why c did not pass and its guest output, as Markdown. 0, or -1
 * when memory runs out. */
int markdown_case_details(struct bytes *out, const struct record_case *c);

/* Appends the C string s. 0, or -1 when memory runs out. */
int markdown_append(struct bytes *out, const char *s);

#endif
