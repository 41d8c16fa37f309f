#include "run/memory_places.h"

#include <stdlib.h>

#include "assemble/symbol_map.h"

/* The physical place of one entry, and whether the guest's RAM holds it. */
static struct memory_place place_of(const struct test_case *c, const struct assembly *a, const struct memory_expect *m)
{
	struct memory_place place = { .status = MEMORY_PLACE_READ, .address = m->address };
	if (m->label) {
		struct symbol s = symbol_map_find(&a->symbols, m->label);
		if (s.kind == SYMBOL_MISSING)
			return (struct memory_place){ .status = MEMORY_PLACE_UNDEFINED };
		if (s.kind == SYMBOL_CONSTANT)
			return (struct memory_place){ .status = MEMORY_PLACE_CONSTANT, .address = s.value };
		/* A label below the origin wraps to a huge offset: outside, as it should be. */
		place.address = s.offset > c->memory_size ? UINT64_MAX : c->load_address + s.offset + m->address;
	}
	if (place.address > c->memory_size || m->bytes.len > c->memory_size - place.address)
		place.status = MEMORY_PLACE_OUTSIDE;
	return place;
}

int memory_places_find(const struct test_case *c, const struct assembly *a, struct memory_places *out)
{
	*out = (struct memory_places){0};
	if (!c->expect_memory_count)
		return 0;
	out->places = calloc(c->expect_memory_count, sizeof(*out->places));
	out->ranges = calloc(c->expect_memory_count, sizeof(*out->ranges));
	if (!out->places || !out->ranges) {
		memory_places_free(out);
		return -1;
	}
	out->count = c->expect_memory_count;
	for (size_t i = 0; i < out->count; i++) {
		out->places[i] = place_of(c, a, &c->expect_memory[i]);
		if (out->places[i].status == MEMORY_PLACE_READ)
			out->ranges[out->range_count++] =
				(struct memory_range){ .address = out->places[i].address,
						       .length = c->expect_memory[i].bytes.len };
	}
	return 0;
}

void memory_places_give(struct memory_places *p, struct run_result *r)
{
	free(r->memory_places);
	r->memory_places = p->places;
	r->memory_place_count = p->count;
	p->places = NULL;
	p->count = 0;
	memory_places_free(p);
}

void memory_places_free(struct memory_places *p)
{
	free(p->places);
	free(p->ranges);
	*p = (struct memory_places){0};
}
