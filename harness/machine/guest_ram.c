#include "machine/guest_ram.h"

#include <string.h>

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
