#include "core/text_escape.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"

/* Length of the multi-byte UTF-8 sequence starting at p when it is
 * well-formed (shortest form, no surrogates, at most U+10FFFF), else 0. */
static size_t utf8_sequence_len(const uint8_t *p, size_t avail, uint32_t *cp)
{
	size_t len;
	uint32_t min;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2, min = 0x80, *cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3, min = 0x800, *cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4, min = 0x10000, *cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len > avail)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (p[i] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return len;
}

/* Code points that are valid UTF-8 yet still unsafe to pass on: C1 controls
 * (terminals act on them), line and paragraph separators (YAML and some
 * viewers break lines there), bidi overrides (they make text read differently
 * from what it is) and U+FFFE/U+FFFF (not allowed in XML 1.0). */
static bool codepoint_unsafe(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0xfffe || cp == 0xffff;
}

static size_t utf8_keepable_len(const uint8_t *p, size_t avail)
{
	uint32_t cp = 0;
	size_t len = utf8_sequence_len(p, avail, &cp);
	return len && !codepoint_unsafe(cp) ? len : 0;
}

/* The escape for one byte that cannot stay, e.g. "\\n" or "\\x1b". */
static int escape_byte(struct bytes *out, uint8_t c)
{
	static const char hex[] = "0123456789abcdef";
	char esc[4] = { '\\', 0, 0, 0 };
	size_t len = 2;
	switch (c) {
	case '\n': esc[1] = 'n'; break;
	case '\t': esc[1] = 't'; break;
	case '\r': esc[1] = 'r'; break;
	case '\\': esc[1] = '\\'; break;
	case '"': esc[1] = '"'; break;
	default:
		esc[1] = 'x';
		esc[2] = hex[c >> 4];
		esc[3] = hex[c & 0xf];
		len = 4;
	}
	return bytes_append(out, esc, len);
}

static bool byte_stays(uint8_t c, unsigned flags)
{
	if (c == '\n')
		return flags & TEXT_ESCAPE_KEEP_NEWLINE;
	return c >= 0x20 && c < 0x7f && c != '\\' && c != '"';
}

static int escape_into(struct bytes *out, const uint8_t *p, size_t len, unsigned flags)
{
	size_t i = 0;
	while (i < len) {
		size_t keep = 0;
		if (byte_stays(p[i], flags))
			keep = 1;
		else if (p[i] >= 0x80 && (flags & TEXT_ESCAPE_KEEP_UTF8))
			keep = utf8_keepable_len(p + i, len - i);
		int rc = keep ? bytes_append(out, p + i, keep) : escape_byte(out, p[i]);
		if (rc < 0)
			return -1;
		i += keep ? keep : 1;
	}
	return bytes_push(out, '\0');
}

char *text_escape(const void *data, size_t len, unsigned flags)
{
	struct bytes out = {0};
	if (escape_into(&out, data, len, flags) < 0) {
		bytes_free(&out);
		return NULL;
	}
	return (char *)out.data;
}

char *text_escape_str(const char *s, unsigned flags)
{
	return s ? text_escape(s, strlen(s), flags) : text_escape("", 0, flags);
}
