#include "machine/guest_ram.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

bool guest_ram_contains(const struct guest_ram *ram, uint64_t addr, uint64_t len)
{
	/* Written so that no sum can wrap around. */
	return ram->base && len <= ram->size && addr <= ram->size - len;
}

int guest_ram_read(const struct guest_ram *ram, uint64_t addr, void *dst, size_t len)
{
	if (!guest_ram_contains(ram, addr, len))
		return -1;
	memcpy(dst, ram->base + addr, len);
	return 0;
}

int guest_ram_write(const struct guest_ram *ram, uint64_t addr, const void *src, size_t len)
{
	if (!guest_ram_contains(ram, addr, len))
		return -1;
	memcpy(ram->base + addr, src, len);
	return 0;
}

/* /proc/self/pagemap: one 64-bit entry per page; bit 63 present, bit 62
 * swapped. */
#define PAGEMAP_PRESENT (1ull << 63)
#define PAGEMAP_SWAPPED (1ull << 62)
#define PAGEMAP_BATCH 512

/* The pagemap descriptor and the process that opened it (pid << 32 | fd;
 * 0: none), kept for the next machine of the same process: a pool process
 * runs hundreds. A descriptor inherited across fork reads the parent's
 * map, so a process other than its opener opens its own. */
static _Atomic uint64_t pagemap_slot;

static uint64_t pagemap_pack(pid_t pid, int fd)
{
	return (uint64_t)(uint32_t)pid << 32 | (uint32_t)fd;
}

static int pagemap_fd(void)
{
	pid_t self = getpid();
	uint64_t seen = atomic_load(&pagemap_slot);
	for (;;) {
		if (seen && (pid_t)(seen >> 32) == self)
			return (int)(uint32_t)seen;
		int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		/* An inherited descriptor is left open: its number may have
		 * been closed and reused for another file since the fork. */
		if (atomic_compare_exchange_strong(&pagemap_slot, &seen, pagemap_pack(self, fd)))
			return fd;
		close(fd); /* another thread of this process was first: seen is now its */
	}
}

static bool page_touched(uint64_t entry)
{
	return (entry & (PAGEMAP_PRESENT | PAGEMAP_SWAPPED)) != 0;
}

/* Visits the stretch [from, to) of pages, with the byte after it. */
static bool visit_stretch(const uint8_t *base, size_t len, size_t page, size_t from, size_t to,
			  bool (*visit)(const uint8_t *p, size_t n, void *ctx), void *ctx)
{
	size_t start = from * page, end = to * page;
	if (end > len)
		end = len;
	if (end < len)
		end++;
	return visit(base + start, end - start, ctx);
}

int guest_ram_each_touched(const uint8_t *base, size_t len, bool (*visit)(const uint8_t *p, size_t n, void *ctx),
			   void *ctx)
{
	long page_size = sysconf(_SC_PAGESIZE);
	if (page_size <= 0 || (uintptr_t)base % (size_t)page_size != 0)
		return -1;
	size_t page = (size_t)page_size, pages = (len + page - 1) / page;
	int fd = pagemap_fd();
	if (fd < 0)
		return -1;
	uint64_t entries[PAGEMAP_BATCH];
	size_t run_start = 0;
	bool in_run = false;
	int found = 0;
	for (size_t first = 0; first < pages && !found; first += PAGEMAP_BATCH) {
		size_t n = pages - first < PAGEMAP_BATCH ? pages - first : PAGEMAP_BATCH;
		off_t at = (off_t)(((uintptr_t)base / page + first) * sizeof(uint64_t));
		if (pread(fd, entries, n * sizeof(uint64_t), at) != (ssize_t)(n * sizeof(uint64_t))) {
			found = -1;
			break;
		}
		for (size_t i = 0; i < n && !found; i++) {
			bool touched = page_touched(entries[i]);
			if (touched && !in_run)
				run_start = first + i;
			else if (!touched && in_run && visit_stretch(base, len, page, run_start, first + i, visit, ctx))
				found = 1;
			in_run = touched;
		}
	}
	if (found == 0 && in_run && visit_stretch(base, len, page, run_start, pages, visit, ctx))
		found = 1;
	return found;
}
