/* assembly_cache: what nasm made of each source during one run, so a guest
 * that many cases share (one student's program against many inputs) is
 * assembled once. The key is everything assemble() depends on. */
#ifndef KVMCHECK_ASSEMBLY_CACHE_H
#define KVMCHECK_ASSEMBLY_CACHE_H

#include "assemble/assembler.h"

struct assembly_cache;

struct assembly_cache *assembly_cache_new(void);

/* The assembly of an equal source, or NULL. */
const struct assembly *assembly_cache_find(const struct assembly_cache *cache, const struct asm_source *src);

/* Takes a over (a is left empty) and returns the stored copy, valid until
 * the cache is freed; NULL when out of memory (a is then kept by the caller). */
const struct assembly *assembly_cache_store(struct assembly_cache *cache, const struct asm_source *src,
					    struct assembly *a);

void assembly_cache_free(struct assembly_cache *cache);

#endif
