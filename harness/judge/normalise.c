#include "judge/normalise.h"

#include <stdbool.h>

bool output_compare_any(const struct output_compare *cmp)
{
	return cmp->newlines_any || cmp->trailing_space_ignore || cmp->case_ignore;
}

static bool is_blank(uint8_t b)
{
	return b == ' ' || b == '\t';
}

static bool is_line_end(const struct bytes *in, size_t i, const struct output_compare *cmp)
{
	return in->data[i] == '\n' || (cmp->newlines_any && in->data[i] == '\r');
}

/* Blanks that run up to a line end or the end of the output. */
static size_t trailing_blanks(const struct bytes *in, size_t i, const struct output_compare *cmp)
{
	size_t j = i;
	while (j < in->len && is_blank(in->data[j]))
		j++;
	return j == in->len || is_line_end(in, j, cmp) ? j - i : 0;
}

int output_normalise(const struct bytes *in, const struct output_compare *cmp, struct bytes *out)
{
	out->len = 0;
	for (size_t i = 0; i < in->len; i++) {
		uint8_t b = in->data[i];
		if (cmp->trailing_space_ignore && is_blank(b)) {
			size_t skip = trailing_blanks(in, i, cmp);
			if (skip) {
				i += skip - 1;
				continue;
			}
		}
		if (cmp->newlines_any && b == '\r') {
			/* CRLF is one line end, a lone CR another */
			if (i + 1 < in->len && in->data[i + 1] == '\n')
				i++;
			b = '\n';
		}
		if (cmp->case_ignore && b >= 'A' && b <= 'Z')
			b = (uint8_t)(b - 'A' + 'a');
		if (bytes_push(out, b) < 0)
			return -1;
	}
	return 0;
}
