/* fd_io: whole writes on file descriptors, retried on EINTR (reading a
 * child's pipe is proc.h's). */
#ifndef KVMCHECK_FD_IO_H
#define KVMCHECK_FD_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"

/* Writes all of data; 0, or -1 with errno set. */
int fd_write_all(int fd, const void *data, size_t len);

#endif
