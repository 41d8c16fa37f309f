/* le: little-endian integers in byte buffers (guest memory, the doorbell
 * block), whatever the host's byte order. */
#ifndef KVMCHECK_LE_H
#define KVMCHECK_LE_H

#include <stdint.h>

/* The bytes-long (1 to 8) little-endian value at at. */
static inline uint64_t le_load(const uint8_t *at, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = bytes; i-- > 0;)
		v = v << 8 | at[i];
	return v;
}

/* Writes the low bytes (1 to 8) of value at at, least significant first. */
static inline void le_store(uint8_t *at, uint64_t value, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		at[i] = (uint8_t)(value >> (8 * i));
}

#endif
