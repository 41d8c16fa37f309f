/* base64: RFC 4648 encoding with padding, shared by the results record
 * (bytes that are not UTF-8) and the GitHub Classroom step output. */
#ifndef KVMCHECK_BASE64_H
#define KVMCHECK_BASE64_H

#include <stddef.h>
#include <stdint.h>

extern const char base64_alphabet[];

/* data as padded base64, NUL-terminated, to free(); NULL when memory runs out. */
char *base64_encode(const uint8_t *data, size_t len);

#endif
