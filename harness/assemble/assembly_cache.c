#include "assemble/assembly_cache.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	struct bytes key;
	struct assembly assembly;
};

struct assembly_cache {
	struct entry *entries;
	size_t count;
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

static bool key_equal(const struct bytes *a, const struct bytes *b)
{
	return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

struct assembly_cache *assembly_cache_new(void)
{
	return calloc(1, sizeof(struct assembly_cache));
}

const struct assembly *assembly_cache_find(const struct assembly_cache *cache, const struct asm_source *src)
{
	struct bytes key;
	const struct assembly *found = NULL;
	if (key_make(src, &key) == 0)
		for (size_t i = 0; i < cache->count && !found; i++)
			if (key_equal(&cache->entries[i].key, &key))
				found = &cache->entries[i].assembly;
	bytes_free(&key);
	return found;
}

const struct assembly *assembly_cache_store(struct assembly_cache *cache, const struct asm_source *src,
					    struct assembly *a)
{
	struct bytes key;
	struct entry *entries = NULL;
	if (key_make(src, &key) == 0)
		entries = realloc(cache->entries, (cache->count + 1) * sizeof(*entries));
	if (!entries) {
		bytes_free(&key);
		return NULL;
	}
	cache->entries = entries;
	entries[cache->count] = (struct entry){ .key = key, .assembly = *a };
	*a = (struct assembly){0};
	return &entries[cache->count++].assembly;
}

void assembly_cache_free(struct assembly_cache *cache)
{
	if (!cache)
		return;
	for (size_t i = 0; i < cache->count; i++) {
		bytes_free(&cache->entries[i].key);
		assembly_free(&cache->entries[i].assembly);
	}
	free(cache->entries);
	free(cache);
}
