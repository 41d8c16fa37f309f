#include "core/bytes.h"

#include <stdlib.h>
#include <string.h>

static int bytes_reserve(struct bytes *b, size_t extra)
{
	if (b->cap - b->len >= extra)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap - b->len < extra) {
		if (cap > SIZE_MAX / 2)
			return -1;
		cap *= 2;
	}
	uint8_t *data = realloc(b->data, cap);
	if (!data)
		return -1;
	b->data = data;
	b->cap = cap;
	return 0;
}

int bytes_append(struct bytes *b, const void *data, size_t len)
{
	if (len == 0)
		return 0;
	if (bytes_reserve(b, len) < 0)
		return -1;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

int bytes_push(struct bytes *b, uint8_t byte)
{
	return bytes_append(b, &byte, 1);
}

void bytes_free(struct bytes *b)
{
	free(b->data);
	*b = (struct bytes){0};
}

int bytes_assign(struct bytes *b, const void *data, size_t len)
{
	uint8_t *copy = malloc(len + 1);
	if (!copy)
		return -1;
	if (len)
		memcpy(copy, data, len);
	copy[len] = '\0';
	free(b->data);
	*b = (struct bytes){ .data = copy, .len = len, .cap = len + 1 };
	return 0;
}
