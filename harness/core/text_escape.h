/* text_escape: turns untrusted bytes (guest output, case names, messages)
 * into text that every report format can carry as is. TAP lines, YAML
 * scalars (libyaml wants valid UTF-8), XML 1.0 (no NUL, almost no control
 * characters, even as entities) and terminals all break on different bytes,
 * so the reports escape first and hand the formats only safe text. */
#ifndef KVMCHECK_TEXT_ESCAPE_H
#define KVMCHECK_TEXT_ESCAPE_H

#include <stddef.h>

enum text_escape_flags {
	/* '\n' stays a line break: for multi-line XML text such as <system-out>. */
	TEXT_ESCAPE_KEEP_NEWLINE = 1u << 0,
	/* Well-formed UTF-8 of printable characters stays as is: for names. */
	TEXT_ESCAPE_KEEP_UTF8 = 1u << 1,
};

/* data as C-style escaped text: printable ASCII stays, except '\\' and '"'
 * which become "\\\\" and "\\\""; tab, newline and carriage return become
 * "\\t", "\\n" and "\\r"; every other byte becomes "\\xNN" (always two
 * lowercase hex digits, so the text decodes back unambiguously). flags widen
 * what stays. Returns a NUL-terminated string to free(), or NULL when memory
 * runs out. */
char *text_escape(const void *data, size_t len, unsigned flags);

/* The same for a C string; NULL gives "". */
char *text_escape_str(const char *s, unsigned flags);

#endif
