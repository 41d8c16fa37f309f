#include "report/markdown.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/text_escape.h"

size_t markdown_fence_length(const char *text, size_t len)
{
	size_t longest = 0, run = 0;
	for (size_t i = 0; i < len; i++) {
		run = text[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	return longest + 1 > 3 ? longest + 1 : 3;
}

/* The characters CommonMark lets a backslash escape, all of them: any one
 * could start emphasis, a link, a table cell, an HTML tag or an entity. */
static bool markdown_special(char c)
{
	return c && strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", c) != NULL;
}

char *markdown_escape_inline(const char *s)
{
	char *plain = text_escape_str(s, TEXT_ESCAPE_KEEP_UTF8);
	if (!plain)
		return NULL;
	char *out = malloc(strlen(plain) * 2 + 1);
	if (out) {
		char *p = out;
		for (const char *q = plain; *q; q++) {
			if (markdown_special(*q))
				*p++ = '\\';
			*p++ = *q;
		}
		*p = '\0';
	}
	free(plain);
	return out;
}

int markdown_append(struct bytes *out, const char *s)
{
	return bytes_append(out, s, strlen(s));
}

/* data line by line, each escaped: the block holds no control bytes. */
static int markdown_escaped_lines(struct bytes *text, const char *data, size_t len)
{
	size_t start = 0;
	while (start < len) {
		const char *nl = memchr(data + start, '\n', len - start);
		size_t line_len = nl ? (size_t)(nl - (data + start)) : len - start;
		char *line = text_escape(data + start, line_len, TEXT_ESCAPE_KEEP_UTF8);
		int rc = line && markdown_append(text, line) == 0 && bytes_push(text, '\n') == 0 ? 0 : -1;
		free(line);
		if (rc < 0)
			return -1;
		start += line_len + 1;
	}
	return 0;
}

static int markdown_fence(struct bytes *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (bytes_push(out, '`') < 0)
			return -1;
	return bytes_push(out, '\n');
}

int markdown_code_block(struct bytes *out, const void *data, size_t len)
{
	size_t shown = len > MARKDOWN_OUTPUT_SHOWN ? MARKDOWN_OUTPUT_SHOWN : len;
	struct bytes text = {0};
	int rc = markdown_escaped_lines(&text, data, shown);
	size_t fence = markdown_fence_length(text.len ? (const char *)text.data : "", text.len);
	if (rc == 0)
		rc = markdown_fence(out, fence) < 0 || bytes_append(out, text.data, text.len) < 0 ||
		     markdown_fence(out, fence) < 0 ? -1 : 0;
	bytes_free(&text);
	if (rc == 0 && shown < len) {
		char note[96];
		snprintf(note, sizeof(note), "\n*(first %zu of %zu bytes)*\n", shown, len);
		rc = markdown_append(out, note);
	}
	return rc;
}

/* The first line of why c did not pass. */
static char *markdown_reason(const struct record_case *c)
{
	const char *reason = c->reason && c->reason[0] ? c->reason : c->message ? c->message : "";
	char *line = strndup(reason, strcspn(reason, "\n"));
	char *escaped = line ? markdown_escape_inline(line) : NULL;
	free(line);
	return escaped;
}

int markdown_case_details(struct bytes *out, const struct record_case *c)
{
	char *reason = markdown_reason(c);
	if (!reason)
		return -1;
	int rc = 0;
	if (reason[0])
		rc = markdown_append(out, reason) < 0 || markdown_append(out, "\n\n") < 0 ? -1 : 0;
	free(reason);
	if (rc == 0 && c->output.len)
		rc = markdown_append(out, "Guest output:\n\n") < 0 ||
		     markdown_code_block(out, c->output.data, c->output.len) < 0 ? -1 : 0;
	return rc;
}
