/* symbol_map: nasm's map file of a guest (`[map brief symbols FILE]`, given
 * to nasm with --before so the source is not touched), read back to say
 * where a label of the student's program lies.
 *
 * nasm 2.16 writes the program origin (the `org`), then under "-- Symbols"
 * one part per section: "Real Virtual Name" rows of hex values that include
 * the origin, and a "No Section" part of "Value Name" rows for constants
 * (`equ`). */
#ifndef KVMCHECK_SYMBOL_MAP_H
#define KVMCHECK_SYMBOL_MAP_H

#include <stdint.h>

#include "core/bytes.h"

enum symbol_kind {
	SYMBOL_MISSING,  /* the map names no such symbol (or there is no map) */
	SYMBOL_LABEL,    /* a place in the program */
	SYMBOL_CONSTANT, /* an `equ`: a number, not a place */
};

struct symbol {
	enum symbol_kind kind;
	uint64_t offset; /* SYMBOL_LABEL: its value less the origin, the distance from the load address */
	uint64_t value;  /* its value as nasm has it (the origin included) */
};

/* Looks name up (case-sensitive, as nasm's labels are) in map. */
struct symbol symbol_map_find(const struct bytes *map, const char *name);

#endif
