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

/* Calls visit on each stretch of [base, base + len) that holds a page the
 * process ever touched (resident or swapped out), plus the byte after it
 * when there is one, so an instruction that starts on the stretch's last
 * byte is seen whole. The rest of a fresh anonymous mapping reads as zero,
 * so looking only here finds every non-zero byte, without faulting in the
 * pages a small guest never uses. Returns 1 as soon as visit does, 0 when
 * no visit did, -1 when the page map cannot be read (then the caller
 * must look at all of it). base must be page-aligned. */
int guest_ram_each_touched(const uint8_t *base, size_t len, bool (*visit)(const uint8_t *p, size_t n, void *ctx),
			   void *ctx);

/* The physical address real mode forms from segment:offset. */
static inline uint64_t real_mode_address(uint16_t segment, uint16_t offset)
{
	return (uint64_t)segment * 16 + offset;
}

#endif
