#include "core/fd_io.h"

#include <errno.h>
#include <unistd.h>

static ssize_t write_some(int fd, void *data, size_t len)
{
	return write(fd, data, len);
}

/* Moves all len bytes with op (read or write), retried on EINTR and short
 * counts; -1 at an error or at end of file first. */
static int fd_move_all(int fd, uint8_t *p, size_t len, ssize_t (*op)(int, void *, size_t))
{
	while (len > 0) {
		ssize_t n = op(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fd_write_all(int fd, const void *data, size_t len)
{
	return fd_move_all(fd, (uint8_t *)data, len, write_some); /* write never changes the bytes */
}

int fd_read_exact(int fd, void *data, size_t len)
{
	return fd_move_all(fd, data, len, read);
}
