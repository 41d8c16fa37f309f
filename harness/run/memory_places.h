/* memory_places: where each expect.memory entry of a case lies in guest
 * RAM. An address is where it says; a label is found in nasm's map of the
 * very assembly that runs (assemble/symbol_map.h): its value less the
 * program's origin is its distance from the load address, whichever preset
 * loaded it (a .COM program's `org 0x100`, a boot sector's `org 0x7c00` or
 * none at all). */
#ifndef KVMCHECK_MEMORY_PLACES_H
#define KVMCHECK_MEMORY_PLACES_H

#include <stddef.h>

#include "assemble/assembler.h"
#include "case/case.h"
#include "machine/machine.h"
#include "machine/result.h"

struct memory_places {
	struct memory_place *places; /* one per entry of the case */
	size_t count;
	struct memory_range *ranges; /* the places READ, for the machine to keep */
	size_t range_count;
};

/* Finds the places of c's entries in a's map; 0, or -1 when memory runs out. */
int memory_places_find(const struct test_case *c, const struct assembly *a, struct memory_places *out);

/* Hands the places to r (which owns them afterwards) and frees the rest. */
void memory_places_give(struct memory_places *p, struct run_result *r);

void memory_places_free(struct memory_places *p);

#endif
