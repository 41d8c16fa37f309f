/* cache_entry: one assembly as the bytes of a persistent cache file, and
 * back. An entry carries its key and a checksum, so a file that is
 * truncated, corrupt, from another format or filed under the wrong name is
 * refused on decoding (a miss), never taken for a binary.
 *
 * Layout (integers little-endian):
 *   magic "KVMASMC\0" | u32 format | key (16) | u32 sections |
 *   sections: u32 tag, u64 length, bytes | XXH3-128 of all before it (16)
 * Each field of struct assembly is one section; a new field is one more
 * row in cache_entry.c's table and a new CACHE_ENTRY_FORMAT, so entries
 * written without it are misses rather than assemblies missing a field. */
#ifndef KVMCHECK_CACHE_ENTRY_H
#define KVMCHECK_CACHE_ENTRY_H

#include <stdint.h>

#include "assemble/assembler.h"
#include "core/bytes.h"

#define CACHE_ENTRY_FORMAT 3u
#define CACHE_KEY_BYTES 16

struct cache_key {
	uint8_t bytes[CACHE_KEY_BYTES];
};

/* Appends a's entry under key to out; 0, or -1 when memory runs out. */
int cache_entry_encode(const struct cache_key *key, const struct assembly *a, struct bytes *out);

/* Fills a (owned by the caller afterwards) from an entry; 0, or -1 when the
 * bytes are not a whole, intact entry of this format for this key (a is
 * then left empty). */
int cache_entry_decode(const struct cache_key *key, const uint8_t *data, size_t len, struct assembly *a);

#endif
