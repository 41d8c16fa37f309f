#include "core/base64.h"

#include <stdlib.h>

const char base64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *base64_encode(const uint8_t *data, size_t len)
{
	char *out = malloc((len + 2) / 3 * 4 + 1);
	if (!out)
		return NULL;
	char *p = out;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t n = (uint32_t)data[i] << 16;
		n |= i + 1 < len ? (uint32_t)data[i + 1] << 8 : 0;
		n |= i + 2 < len ? data[i + 2] : 0;
		*p++ = base64_alphabet[n >> 18 & 63];
		*p++ = base64_alphabet[n >> 12 & 63];
		*p++ = i + 1 < len ? base64_alphabet[n >> 6 & 63] : '=';
		*p++ = i + 2 < len ? base64_alphabet[n & 63] : '=';
	}
	*p = '\0';
	return out;
}
