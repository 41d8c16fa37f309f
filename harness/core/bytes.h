/* bytes: a growable byte buffer, for serial input, output and expectations. */
#ifndef KVMCHECK_BYTES_H
#define KVMCHECK_BYTES_H

#include <stddef.h>
#include <stdint.h>

struct bytes {
	uint8_t *data;
	size_t len;
	size_t cap;
};

/* Both return 0, or -1 when memory runs out (the buffer is left as it was). */
int bytes_append(struct bytes *b, const void *data, size_t len);
int bytes_push(struct bytes *b, uint8_t byte);
void bytes_free(struct bytes *b);

/* Replaces the contents with a copy of len bytes, followed by a NUL that len
 * does not count (so a word can be read as a C string). 0, or -1 when memory
 * runs out (the buffer is left as it was). */
int bytes_assign(struct bytes *b, const void *data, size_t len);

#endif
