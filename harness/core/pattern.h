/* pattern: PCRE2 regular expressions over bytes, for `expect.serial_matches`. */
#ifndef KVMCHECK_PATTERN_H
#define KVMCHECK_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

/* Whether pattern matches somewhere in subject: 1 it does, 0 it does not,
 * -1 the pattern is invalid or matching failed (err says why, with the
 * offset into the pattern). */
int pattern_search(const char *pattern, size_t pattern_len, bool caseless, const void *subject,
		   size_t subject_len, char *err, size_t err_len);

/* 0 when pattern compiles, else -1 with err saying why. */
int pattern_validate(const char *pattern, size_t pattern_len, char *err, size_t err_len);

#endif
