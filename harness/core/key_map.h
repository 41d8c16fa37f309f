/* key_map: a hash map from byte strings to a number, for the lookups a
 * run makes once per case (a case's assembly, a JUnit name): a list
 * searched from the start made those quadratic in the suite's size. */
#ifndef KVMCHECK_KEY_MAP_H
#define KVMCHECK_KEY_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct key_map_slot;

struct key_map {
	struct key_map_slot *slots;
	size_t capacity; /* a power of two, or 0 before the first insertion */
	size_t count;
};

/* The number kept for key (len bytes), or NULL when key is absent. */
size_t *key_map_find(const struct key_map *m, const void *key, size_t len);

/* The number kept for key, added as 0 (the key copied) when absent;
 * NULL when memory runs out. The pointer holds until the next insertion. */
size_t *key_map_get(struct key_map *m, const void *key, size_t len);

void key_map_free(struct key_map *m);

#endif
