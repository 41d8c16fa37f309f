/* fd_io: whole reads and writes on file descriptors, retried on EINTR
 * (reading a child's pipe without blocking is proc.h's). */
#ifndef KVMCHECK_FD_IO_H
#define KVMCHECK_FD_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"

/* Writes all of data; 0, or -1 with errno set. */
int fd_write_all(int fd, const void *data, size_t len);

/* Reads exactly len bytes, blocking; 0, or -1 at end of file (or with
 * errno set) before all of them came. */
int fd_read_exact(int fd, void *data, size_t len);

#endif
