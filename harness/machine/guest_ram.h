/* guest_ram: the guest's RAM as host code may touch it. Every access is
 * checked against the RAM's size first, so code serving the guest (a
 * firmware service reading a string at ds:dx) can never reach host memory
 * whatever address the guest hands it. */
#ifndef KVMCHECK_GUEST_RAM_H
#define KVMCHECK_GUEST_RAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct guest_ram {
	uint8_t *base; /* physical 0 */
	uint64_t size;
};

/* Whether len bytes at physical address addr are all inside RAM. */
bool guest_ram_contains(const struct guest_ram *ram, uint64_t addr, uint64_t len);

/* Both copy len bytes; return 0, or -1 (nothing copied) when any of them
 * lies outside RAM. */
int guest_ram_read(const struct guest_ram *ram, uint64_t addr, void *dst, size_t len);
int guest_ram_write(const struct guest_ram *ram, uint64_t addr, const void *src, size_t len);

/* The physical address real mode forms from segment:offset. */
static inline uint64_t real_mode_address(uint16_t segment, uint16_t offset)
{
	return (uint64_t)segment * 16 + offset;
}

#endif
