#include "core/fd_io.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "core/clock.h"

int fd_write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

bool fd_read_until(int fd, struct bytes *out, size_t cap, uint64_t deadline_ns)
{
	for (;;) {
		uint64_t now = clock_ns();
		if (now >= deadline_ns)
			return false;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int ready = poll(&p, 1, (int)((deadline_ns - now) / 1000000 + 1));
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready == 0)
			return false;
		uint8_t buf[65536];
		ssize_t n = ready < 0 ? -1 : read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return true;
		size_t room = out->len < cap ? cap - out->len : 0;
		if (bytes_append(out, buf, (size_t)n < room ? (size_t)n : room) < 0)
			return true;
	}
}
