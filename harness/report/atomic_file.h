/* atomic_file: writes a file so that no reader ever sees part of it: the
 * text goes to a temporary file in the same folder, which then replaces the
 * file by rename(2). A failed write leaves the old file as it was. */
#ifndef KVMCHECK_ATOMIC_FILE_H
#define KVMCHECK_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

/* Fills out; 0, or -1 with err filled in. */
typedef int atomic_fill_fn(FILE *out, void *ctx, char *err, size_t err_len);

/* Makes the folders above path, then writes what fill writes to path. A
 * path that is not a regular file (/dev/stdout, a FIFO, a symbolic link) is
 * written in place, since it cannot be replaced without losing what it is. 0, or -1 with err naming path and
 * the cause. */
int atomic_file_write(const char *path, atomic_fill_fn *fill, void *ctx, char *err, size_t err_len);

/* Whether atomic_file_write(path) can succeed, found out before a long run
 * rather than after it: makes the folders above path and creates (then
 * removes) the temporary file beside it, without touching path itself. 0,
 * or -1 with err naming path and the cause. */
int atomic_file_check(const char *path, char *err, size_t err_len);

#endif
