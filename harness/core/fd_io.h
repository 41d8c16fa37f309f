/* fd_io: whole reads and writes on file descriptors, retried on EINTR,
 * for the pipes to nasm and to case workers. */
#ifndef KVMCHECK_FD_IO_H
#define KVMCHECK_FD_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"

/* Writes all of data; 0, or -1 with errno set. */
int fd_write_all(int fd, const void *data, size_t len);

/* Reads until end of file or until deadline_ns (clock_ns()), keeping at most
 * cap bytes in out (the rest is read and dropped, so the writer never
 * blocks). False when the deadline passed first. */
bool fd_read_until(int fd, struct bytes *out, size_t cap, uint64_t deadline_ns);

#endif
