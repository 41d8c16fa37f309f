#include "core/key_map.h"

#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

struct key_map_slot {
	void *key; /* NULL: empty */
	size_t len;
	uint64_t hash;
	size_t value;
};

static struct key_map_slot *slot_for(struct key_map_slot *slots, size_t capacity, const void *key, size_t len,
				     uint64_t hash)
{
	for (size_t i = hash & (capacity - 1);; i = (i + 1) & (capacity - 1)) {
		struct key_map_slot *s = &slots[i];
		if (!s->key || (s->hash == hash && s->len == len && memcmp(s->key, key, len) == 0))
			return s;
	}
}

size_t *key_map_find(const struct key_map *m, const void *key, size_t len)
{
	if (m->capacity == 0)
		return NULL;
	struct key_map_slot *s = slot_for(m->slots, m->capacity, key, len, XXH3_64bits(key, len));
	return s->key ? &s->value : NULL;
}

/* Keeps at least a quarter of the slots empty, so every probe ends. */
static int key_map_grow(struct key_map *m)
{
	if ((m->count + 1) * 4 <= m->capacity * 3)
		return 0;
	size_t capacity = m->capacity ? m->capacity * 2 : 64;
	struct key_map_slot *slots = calloc(capacity, sizeof(*slots));
	if (!slots)
		return -1;
	for (size_t i = 0; i < m->capacity; i++)
		if (m->slots[i].key)
			*slot_for(slots, capacity, m->slots[i].key, m->slots[i].len, m->slots[i].hash) = m->slots[i];
	free(m->slots);
	m->slots = slots;
	m->capacity = capacity;
	return 0;
}

size_t *key_map_get(struct key_map *m, const void *key, size_t len)
{
	if (key_map_grow(m) < 0)
		return NULL;
	uint64_t hash = XXH3_64bits(key, len);
	struct key_map_slot *s = slot_for(m->slots, m->capacity, key, len, hash);
	if (s->key)
		return &s->value;
	void *copy = malloc(len ? len : 1);
	if (!copy)
		return NULL;
	if (len)
		memcpy(copy, key, len);
	*s = (struct key_map_slot){ .key = copy, .len = len, .hash = hash, .value = 0 };
	m->count++;
	return &s->value;
}

void key_map_free(struct key_map *m)
{
	for (size_t i = 0; i < m->capacity; i++)
		free(m->slots[i].key);
	free(m->slots);
	*m = (struct key_map){0};
}
