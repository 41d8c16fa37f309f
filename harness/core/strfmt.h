/* strfmt: printf into the two places errors and names go: a caller's
 * fixed error buffer, and a string of its own size. */
#ifndef KVMCHECK_STRFMT_H
#define KVMCHECK_STRFMT_H

#include <stddef.h>

/* Formats into err (err_len bytes, truncated as needed); NULL or 0 ignore it. */
void strfmt_err(char *err, size_t err_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A new string to free(), or NULL when memory runs out. */
char *strfmt_alloc(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
