#include "assemble/assembly_cache.h"

#include "core/key_map.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Entries are allocated one by one: a pointer to an assembly handed out
 * stays good while more are stored. */
struct assembly_cache {
	struct assembly **entries;
	size_t count, capacity;
	struct key_map index; /* key -> position in entries */
};

static void key_add(struct bytes *key, const char *text)
{
	const char *s = text ? text : "";
	bytes_append(key, s, strlen(s) + 1); /* the NUL separates fields */
}

/* Everything the binary and nasm's messages depend on, NUL-separated
 * (no field holds a NUL: case text with one is rejected when loaded). */
static int key_make(const struct asm_source *src, struct bytes *key)
{
	char numbers[160];
	snprintf(numbers, sizeof(numbers), "%d %u %u %u %llu %d", src->text ? src->text_first_line : 0, src->max_output,
		 src->timeout_ms, src->cpu_seconds, (unsigned long long)src->memory, src->unsafe);
	*key = (struct bytes){0};
	key_add(key, numbers);
	key_add(key, src->path);
	key_add(key, src->text);
	key_add(key, src->text ? src->text_origin : NULL);
	key_add(key, src->include_dir);
	for (size_t i = 0; src->read_paths && src->read_paths[i]; i++)
		key_add(key, src->read_paths[i]);
	return key->len ? 0 : -1;
}

struct assembly_cache *assembly_cache_new(void)
{
	return calloc(1, sizeof(struct assembly_cache));
}

const struct assembly *assembly_cache_find(const struct assembly_cache *cache, const struct asm_source *src)
{
	struct bytes key;
	const struct assembly *found = NULL;
	if (key_make(src, &key) == 0) {
		const size_t *at = key_map_find(&cache->index, key.data, key.len);
		found = at ? cache->entries[*at] : NULL;
	}
	bytes_free(&key);
	return found;
}

static int entries_reserve(struct assembly_cache *cache)
{
	if (cache->count < cache->capacity)
		return 0;
	size_t capacity = cache->capacity ? cache->capacity * 2 : 16;
	struct assembly **entries = realloc(cache->entries, capacity * sizeof(*entries));
	if (!entries)
		return -1;
	cache->entries = entries;
	cache->capacity = capacity;
	return 0;
}

const struct assembly *assembly_cache_store(struct assembly_cache *cache, const struct asm_source *src,
					    struct assembly *a)
{
	struct bytes key;
	if (key_make(src, &key) < 0)
		return NULL;
	struct assembly *kept = malloc(sizeof(*kept));
	size_t *at = kept && entries_reserve(cache) == 0 ? key_map_get(&cache->index, key.data, key.len) : NULL;
	bytes_free(&key);
	if (!at) {
		free(kept);
		return NULL;
	}
	*kept = *a;
	*a = (struct assembly){0};
	/* A key stored again (a lookup the caller skipped) points at the newer. */
	*at = cache->count;
	cache->entries[cache->count++] = kept;
	return kept;
}

void assembly_cache_free(struct assembly_cache *cache)
{
	if (!cache)
		return;
	for (size_t i = 0; i < cache->count; i++) {
		assembly_free(cache->entries[i]);
		free(cache->entries[i]);
	}
	free(cache->entries);
	key_map_free(&cache->index);
	free(cache);
}
