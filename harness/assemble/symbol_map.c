#include "assemble/symbol_map.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A line of the map, without its line end; NULL past the last. */
struct map_line {
	const char *text;
	size_t len;
};

static bool line_next(const struct bytes *map, size_t *at, struct map_line *line)
{
	if (*at >= map->len)
		return false;
	const char *start = (const char *)map->data + *at;
	const char *end = memchr(start, '\n', map->len - *at);
	line->text = start;
	line->len = end ? (size_t)(end - start) : map->len - *at;
	*at += line->len + (end != NULL);
	return true;
}

static bool line_starts(const struct map_line *line, const char *prefix)
{
	size_t n = strlen(prefix);
	return line->len >= n && memcmp(line->text, prefix, n) == 0;
}

/* Reads a hex number after blanks; advances *p past it. */
static bool hex_field(const char **p, const char *end, uint64_t *value)
{
	while (*p < end && **p == ' ')
		(*p)++;
	const char *start = *p;
	uint64_t v = 0;
	while (*p < end && isxdigit((unsigned char)**p) && *p - start < 16) {
		int c = tolower((unsigned char)**p);
		v = v * 16 + (uint64_t)(isdigit(c) ? c - '0' : c - 'a' + 10);
		(*p)++;
	}
	*value = v;
	return *p > start && (*p == end || **p == ' ');
}

/* The rest of the line after blanks is exactly name. */
static bool name_field(const char *p, const char *end, const char *name)
{
	while (p < end && *p == ' ')
		p++;
	size_t n = strlen(name);
	return (size_t)(end - p) == n && memcmp(p, name, n) == 0;
}

/* A row of a section's part: "Real Virtual Name". The value is the
 * virtual one: where the program's own addressing puts the label. */
static bool label_row(const struct map_line *line, const char *name, uint64_t *value)
{
	const char *p = line->text, *end = line->text + line->len;
	uint64_t real;
	return hex_field(&p, end, &real) && hex_field(&p, end, value) && name_field(p, end, name);
}

/* A row of the "No Section" part: "Value Name". */
static bool constant_row(const struct map_line *line, const char *name, uint64_t *value)
{
	const char *p = line->text, *end = line->text + line->len;
	return hex_field(&p, end, value) && name_field(p, end, name);
}

/* The origin: the first line after "-- Program origin" holding one. */
static uint64_t map_origin(const struct bytes *map)
{
	size_t at = 0;
	struct map_line line;
	bool in_origin = false;
	while (line_next(map, &at, &line)) {
		if (line_starts(&line, "-- Program origin")) {
			in_origin = true;
			continue;
		}
		const char *p = line.text, *end = line.text + line.len;
		uint64_t origin;
		if (in_origin && line.len && hex_field(&p, end, &origin) && p == end)
			return origin;
	}
	return 0;
}

struct symbol symbol_map_find(const struct bytes *map, const char *name)
{
	struct symbol found = { .kind = SYMBOL_MISSING };
	size_t at = 0;
	struct map_line line;
	bool in_symbols = false, constants = false;
	while (map->len && line_next(map, &at, &line)) {
		if (line_starts(&line, "-- ")) {
			in_symbols = line_starts(&line, "-- Symbols");
			continue;
		}
		if (!in_symbols)
			continue;
		if (line_starts(&line, "---- ")) {
			constants = line_starts(&line, "---- No Section");
			continue;
		}
		uint64_t value;
		if (constants ? constant_row(&line, name, &value) : label_row(&line, name, &value)) {
			found.kind = constants ? SYMBOL_CONSTANT : SYMBOL_LABEL;
			found.value = value;
			break;
		}
	}
	if (found.kind == SYMBOL_LABEL)
		found.offset = found.value - map_origin(map);
	return found;
}
