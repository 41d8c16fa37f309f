#include "case/case.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "case/submission_path.h"
#include "case/yaml_tree.h"
#include "core/pattern.h"
#include "x86/flag_names.h"

/* Case files are small; a larger one is a mistake or an attack. */
#define CASE_FILE_MAX_BYTES (4u << 20)
#define CASE_MAX_INPUT (16u << 20)
/* CF, PF, AF, ZF, SF, TF, IF, DF, OF, IOPL, NT, AC, VIF, VIP, ID and the always-set bit 1 */
#define REAL_MODE_FLAGS 0x003c7fd7u
/* ffff:ffff, the last byte real mode addresses; cs:ip must start at or below ffff:000f */
#define CASE_MAX_LOAD_ADDRESS 0xfffffu

struct loader {
	const char *path;
	struct test_case *c;
	const char *const *allow_read; /* folders beyond the case file's own, NULL-terminated, or NULL */
	char **folder_real; /* the case file's folder resolved, kept for the file's cases (*: NULL until then); or NULL */
};

/* Records the first problem of a case as "file:line:column: cause". */
static int case_fail(struct loader *l, const struct ynode *at, const char *fmt, ...)
{
	if (l->c->error)
		return -1;
	char cause[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cause, sizeof(cause), fmt, ap);
	va_end(ap);
	int line = at ? at->line : l->c->line;
	int column = at ? at->column : 1;
	size_t len = strlen(l->path) + strlen(cause) + 32;
	l->c->error = malloc(len);
	if (l->c->error)
		snprintf(l->c->error, len, "%s:%d:%d: %s", l->path, line, column, cause);
	return -1;
}

static const char *node_kind_name(const struct ynode *n)
{
	return n->kind == YNODE_MAPPING ? "a mapping" : n->kind == YNODE_SEQUENCE ? "a list" : "a scalar";
}

static int expect_kind(struct loader *l, const struct ynode *n, enum ynode_kind kind, const char *key)
{
	if (n->kind == kind)
		return 0;
	const char *want = kind == YNODE_MAPPING ? "a mapping" : kind == YNODE_SEQUENCE ? "a list" : "a scalar";
	return case_fail(l, n, "'%s' must be %s, not %s", key, want, node_kind_name(n));
}

/* Reads a plain scalar as decimal or 0x hex; false when it is not one. */
static bool scalar_uint(const struct ynode *n, unsigned long long *v)
{
	const char *s = n->value;
	int base = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10;
	const char *digits = base == 16 ? s + 2 : s;
	/* strtoull alone would also take blanks, a sign and a second 0x */
	size_t count = strspn(digits, base == 16 ? "0123456789abcdefABCDEF" : "0123456789");
	if (n->quoted || count == 0 || digits[count] != '\0')
		return false;
	char *end;
	errno = 0;
	*v = strtoull(digits, &end, base);
	return *end == '\0' && strlen(s) == n->len && errno == 0;
}

static int parse_uint(struct loader *l, const struct ynode *n, const char *key, uint64_t max, uint64_t *out)
{
	if (expect_kind(l, n, YNODE_SCALAR, key) < 0)
		return -1;
	const char *s = n->value;
	unsigned long long v;
	if (!scalar_uint(n, &v))
		return case_fail(l, n, "'%s' must be an integer (decimal or 0x hex), not '%.40s'", key, s);
	if (v > max)
		return case_fail(l, n, "'%s' is %s, more than its maximum %" PRIu64, key, s, max);
	*out = v;
	return 0;
}

static int parse_positive(struct loader *l, const struct ynode *n, const char *key, uint64_t max, uint64_t *out)
{
	if (parse_uint(l, n, key, max, out) < 0)
		return -1;
	return *out ? 0 : case_fail(l, n, "'%s' must be at least 1", key);
}

static int parse_string(struct loader *l, const struct ynode *n, const char *key, char **out)
{
	if (expect_kind(l, n, YNODE_SCALAR, key) < 0)
		return -1;
	if (memchr(n->value, '\0', n->len))
		return case_fail(l, n, "'%s' must not contain NUL", key);
	free(*out);
	*out = strdup(n->value);
	return *out ? 0 : case_fail(l, n, "out of memory");
}

/* Bytes are a string (its UTF-8 bytes) or a list of strings and integers
 * 0..255, for bytes a YAML string cannot carry on their own. */
static int parse_bytes(struct loader *l, const struct ynode *n, const char *key, struct bytes *out)
{
	out->len = 0;
	const struct ynode *const *parts = (const struct ynode *const *)&n;
	size_t count = 1;
	if (n->kind == YNODE_SEQUENCE) {
		parts = (const struct ynode *const *)n->items;
		count = n->count;
	}
	for (size_t i = 0; i < count; i++) {
		const struct ynode *part = parts[i];
		int rc;
		if (part->kind == YNODE_SCALAR && (part->quoted || n->kind == YNODE_SCALAR)) {
			rc = bytes_append(out, part->value, part->len);
		} else {
			unsigned long long byte;
			if (part->kind != YNODE_SCALAR || !scalar_uint(part, &byte))
				return case_fail(l, part, "'%s' must be a string, or a list of strings and bytes 0..255", key);
			if (byte > 255)
				return case_fail(l, part, "'%s' is %s, more than its maximum 255", key, part->value);
			rc = bytes_push(out, (uint8_t)byte);
		}
		if (rc < 0 || out->len > CASE_MAX_INPUT)
			return case_fail(l, part, "'%s' is too long (limit %u bytes)", key, CASE_MAX_INPUT);
	}
	return 0;
}

static int parse_registers(struct loader *l, const struct ynode *n, const char *key, struct reg_list *out)
{
	if (expect_kind(l, n, YNODE_MAPPING, key) < 0)
		return -1;
	out->count = 0;
	for (size_t i = 0; i + 1 < n->count; i += 2) {
		const struct ynode *name = n->items[i], *value = n->items[i + 1];
		struct reg_value *reg = &out->items[out->count];
		if (out->count == CASE_MAX_REGS)
			return case_fail(l, name, "too many registers in '%s'", key);
		if (name->len >= sizeof(reg->name) || !reg_lookup(name->value, &reg->ref))
			return case_fail(l, name, "unknown register '%.20s' (known: %s)", name->value, reg_names_help());
		snprintf(reg->name, sizeof(reg->name), "%s", name->value);
		uint64_t v;
		if (parse_uint(l, value, reg->name, reg_max(reg->ref), &v) < 0)
			return -1;
		reg->value = v;
		out->count++;
	}
	return 0;
}

/* What the mode leaves to a case: outside real mode the segments come
 * from the mode's GDT, the control registers always from the mode, and
 * only long mode has registers wider than 32 bits. */
static int check_register_for_mode(struct loader *l, const struct reg_value *r, const struct ynode *at)
{
	enum x86_mode mode = l->c->mode;
	if (reg_is_control(r->ref))
		return case_fail(l, at, "'%s' is set by 'mode' (%s), not by the case", r->name, x86_mode_name(mode));
	if (r->ref.kind == REG_SEG && mode != X86_MODE_REAL)
		return case_fail(l, at, "'%s' is loaded from the GDT %s mode sets up, not by the case", r->name,
				 x86_mode_name(mode));
	if (mode != X86_MODE_LONG && r->value > 0xffffffffu)
		return case_fail(l, at, "'%s' 0x%" PRIx64 " needs 64 bits, which only long mode has", r->name, r->value);
	return 0;
}

/* Real mode cannot start with ip beyond its segment or with flags it
 * cannot hold (VM, RF, reserved bits): refuse rather than let backends
 * differ on what happens. */
static int check_initial_registers(struct loader *l, const struct ynode *n)
{
	const struct reg_list *regs = &l->c->initial_regs;
	for (size_t i = 0; i < regs->count; i++) {
		const struct reg_value *r = &regs->items[i];
		const struct ynode *at = n->items[2 * i + 1];
		if (check_register_for_mode(l, r, n->items[2 * i]) < 0)
			return -1;
		if (l->c->mode == X86_MODE_REAL && r->ref.kind == REG_EIP && r->value > 0xffff)
			return case_fail(l, at, "'%s' 0x%" PRIx64 " is beyond the 64 KiB of a real-mode segment", r->name,
					 r->value);
		if (r->ref.kind == REG_EFLAGS && (r->value & ~(uint64_t)REAL_MODE_FLAGS))
			return case_fail(l, at, "'%s' 0x%" PRIx64 " sets bits real mode cannot start with (0x%" PRIx64 ")",
					 r->name, r->value, r->value & ~(uint64_t)REAL_MODE_FLAGS);
	}
	return 0;
}

/* `mode:` real | protected | long. */
static int parse_mode(struct loader *l, const struct ynode *n)
{
	static const enum x86_mode modes[] = { X86_MODE_REAL, X86_MODE_PROTECTED, X86_MODE_LONG };
	if (expect_kind(l, n, YNODE_SCALAR, "mode") < 0)
		return -1;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(n->value, x86_mode_name(modes[i])) == 0 && strlen(n->value) == n->len) {
			l->c->mode = modes[i];
			return 0;
		}
	}
	return case_fail(l, n, "unknown mode '%.40s' (real, protected or long)", n->value);
}

/* Protected and long mode keep their tables in the top of RAM. */
static int check_mode_memory(struct loader *l, const struct ynode *root)
{
	const struct test_case *c = l->c;
	if (c->mode == X86_MODE_REAL || c->memory_size >= X86_MODE_MIN_RAM)
		return 0;
	const struct ynode *at = ynode_get(root, "memory");
	return case_fail(l, at ? at : ynode_get(root, "mode"), "%s mode needs at least %u bytes of 'memory' for its tables",
			 x86_mode_name(c->mode), X86_MODE_MIN_RAM);
}

static int parse_exit(struct loader *l, const struct ynode *n, enum outcome *out)
{
	if (expect_kind(l, n, YNODE_SCALAR, "exit") < 0)
		return -1;
	if (!outcome_parse_expectable(n->value, out))
		return case_fail(l, n, "unknown exit '%.40s' (hlt, shutdown, timeout, max_exits, output_limit or exit)",
				 n->value);
	return 0;
}

static int check_known_keys(struct loader *l, const struct ynode *map, const char *const *known, const char *where)
{
	for (size_t i = 0; i < map->count; i += 2) {
		const struct ynode *key = map->items[i];
		bool ok = false;
		for (const char *const *k = known; *k && !ok; k++)
			ok = strlen(*k) == key->len && memcmp(*k, key->value, key->len) == 0;
		if (!ok) {
			char list[400] = "";
			for (const char *const *k = known; *k; k++)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", k == known ? "" : ", ", *k);
			return case_fail(l, key, "unknown key '%.40s' in %s (known: %s)", key->value, where, list);
		}
	}
	return 0;
}

/* `serial_contains:` one string (or byte list) or a list of them. */
static int parse_contains(struct loader *l, const struct ynode *n)
{
	struct test_case *c = l->c;
	bool one = n->kind == YNODE_SCALAR;
	size_t count = one ? 1 : n->kind == YNODE_SEQUENCE ? n->count : 0;
	if (!one && n->kind != YNODE_SEQUENCE)
		return case_fail(l, n, "'serial_contains' must be a string or a list of strings, not %s",
				 node_kind_name(n));
	c->expect_contains = calloc(count ? count : 1, sizeof(*c->expect_contains));
	if (!c->expect_contains)
		return case_fail(l, n, "out of memory");
	for (size_t i = 0; i < count; i++) {
		const struct ynode *item = one ? n : n->items[i];
		c->expect_contains_count = i + 1;
		if (parse_bytes(l, item, "serial_contains", &c->expect_contains[i]) < 0)
			return -1;
	}
	return 0;
}

static int parse_bool_word(struct loader *l, const struct ynode *n, const char *key, const char *yes,
			   const char *no, bool *out)
{
	if (expect_kind(l, n, YNODE_SCALAR, key) < 0)
		return -1;
	if (strcmp(n->value, yes) == 0 || strcmp(n->value, no) == 0) {
		*out = strcmp(n->value, yes) == 0;
		return 0;
	}
	return case_fail(l, n, "'%s' must be %s or %s, not '%.40s'", key, yes, no, n->value);
}

/* `compare: {newlines: any|exact, trailing_space: ignore|exact, case: ignore|exact}` */
static int parse_compare(struct loader *l, const struct ynode *n)
{
	static const char *const known[] = { "newlines", "trailing_space", "case", NULL };
	struct output_compare *cmp = &l->c->compare;
	const struct ynode *v;
	if (expect_kind(l, n, YNODE_MAPPING, "compare") < 0 || check_known_keys(l, n, known, "'compare'") < 0)
		return -1;
	if ((v = ynode_get(n, "newlines")) && parse_bool_word(l, v, "newlines", "any", "exact", &cmp->newlines_any) < 0)
		return -1;
	if ((v = ynode_get(n, "trailing_space")) &&
	    parse_bool_word(l, v, "trailing_space", "ignore", "exact", &cmp->trailing_space_ignore) < 0)
		return -1;
	if ((v = ynode_get(n, "case")) && parse_bool_word(l, v, "case", "ignore", "exact", &cmp->case_ignore) < 0)
		return -1;
	return 0;
}

/* `flags: {cf: 1, zf: 0}`: FLAGS bits by name, the rest left unchecked. */
static int parse_flags(struct loader *l, const struct ynode *n)
{
	struct test_case *c = l->c;
	if (expect_kind(l, n, YNODE_MAPPING, "flags") < 0)
		return -1;
	for (size_t i = 0; i + 1 < n->count; i += 2) {
		const struct ynode *name = n->items[i], *value = n->items[i + 1];
		uint32_t bit;
		uint64_t set;
		if (name->kind != YNODE_SCALAR || !flag_lookup(name->value, &bit))
			return case_fail(l, name, "unknown flag '%.20s' (known: %s)", name->value, flag_names_help());
		if (parse_uint(l, value, name->value, 1, &set) < 0)
			return -1;
		c->expect_flags_mask |= bit;
		c->expect_flags_value = set ? c->expect_flags_value | bit : c->expect_flags_value & ~bit;
	}
	if (c->expect_flags_mask && c->expect_exit != OUTCOME_HLT)
		return case_fail(l, n, "flags cannot be checked when the guest ends by %s: "
				 "only after hlt are they the guest's own", outcome_name(c->expect_exit));
	return 0;
}

/* Remembers which expected registers the case wrote in decimal, so reports
 * answer in the base the case was written in. */
static void note_decimal_registers(struct test_case *c, const struct ynode *n)
{
	for (size_t i = 0; i < c->expect_regs.count && 2 * i + 1 < n->count; i++) {
		const char *text = n->items[2 * i + 1]->value;
		c->expect_regs_decimal[i] = !(text[0] == '0' && (text[1] == 'x' || text[1] == 'X'));
	}
}

static int parse_expect_output(struct loader *l, const struct ynode *n)
{
	struct test_case *c = l->c;
	const struct ynode *v;
	if ((v = ynode_get(n, "serial_contains")) && parse_contains(l, v) < 0)
		return -1;
	if ((v = ynode_get(n, "serial_matches"))) {
		if (expect_kind(l, v, YNODE_SCALAR, "serial_matches") < 0 ||
		    parse_bytes(l, v, "serial_matches", &c->expect_matches) < 0)
			return -1;
		char why[200];
		if (pattern_validate((const char *)c->expect_matches.data, c->expect_matches.len, why, sizeof(why)) < 0)
			return case_fail(l, v, "'serial_matches': %s", why);
		c->expect_matches_set = true;
	}
	if ((v = ynode_get(n, "compare")) && parse_compare(l, v) < 0)
		return -1;
	return 0;
}

/* One row of expect.screen: at most 80 characters once trailing blanks go. */
static int parse_screen_row(struct loader *l, const struct ynode *n, size_t row)
{
	char **text = &l->c->expect_screen.rows[row];
	if (parse_string(l, n, "screen", text) < 0)
		return -1;
	size_t len = strlen(*text);
	while (len && (*text)[len - 1] == ' ')
		(*text)[--len] = '\0';
	if (len > CASE_SCREEN_COLUMNS)
		return case_fail(l, n, "'screen' row %zu is %zu characters long; the screen has %d columns", row, len,
				 CASE_SCREEN_COLUMNS);
	return 0;
}

/* expect.screen: a block string, one line per row from the top, or a
 * mapping of row numbers (0-24) to the text of that row. */
static int parse_screen(struct loader *l, const struct ynode *n)
{
	struct screen_expect *screen = &l->c->expect_screen;
	screen->set = true;
	if (n->kind == YNODE_MAPPING) {
		for (size_t i = 0; i + 1 < n->count; i += 2) {
			uint64_t row;
			if (parse_uint(l, n->items[i], "screen", CASE_SCREEN_ROWS - 1, &row) < 0 ||
			    parse_screen_row(l, n->items[i + 1], (size_t)row) < 0)
				return -1;
		}
		return 0;
	}
	if (expect_kind(l, n, YNODE_SCALAR, "screen") < 0)
		return -1;
	screen->whole = true;
	const char *line = n->value;
	for (size_t row = 0; *line; row++) {
		size_t len = strcspn(line, "\n");
		if (row == CASE_SCREEN_ROWS)
			return case_fail(l, n, "'screen' has more than %d rows", CASE_SCREEN_ROWS);
		struct ynode part = *n;
		char *text = strndup(line, len);
		if (!text)
			return case_fail(l, n, "out of memory");
		part.value = text;
		part.len = len;
		int rc = parse_screen_row(l, &part, row);
		free(text);
		if (rc < 0)
			return -1;
		line += len + (line[len] == '\n');
	}
	return 0;
}

/* ---- expect.screen_attributes ---- */

/* `columns: [first, last]`, both within the row, first <= last. */
static int parse_attribute_columns(struct loader *l, const struct ynode *n, struct screen_attribute_expect *a)
{
	uint64_t first, last;
	if (expect_kind(l, n, YNODE_SEQUENCE, "columns") < 0)
		return -1;
	if (n->count != 2)
		return case_fail(l, n, "'columns' must be [first, last], two column numbers");
	if (parse_uint(l, n->items[0], "columns", CASE_SCREEN_COLUMNS - 1, &first) < 0 ||
	    parse_uint(l, n->items[1], "columns", CASE_SCREEN_COLUMNS - 1, &last) < 0)
		return -1;
	if (first > last)
		return case_fail(l, n, "'columns' [%" PRIu64 ", %" PRIu64 "] ends before it starts", first, last);
	a->first_column = (uint8_t)first;
	a->last_column = (uint8_t)last;
	return 0;
}

/* One cell, `{row: R, column: C, attribute: A}`, or a run of a row's cells,
 * `{row: R, columns: [first, last], attribute: A}`. */
static int parse_screen_attribute(struct loader *l, const struct ynode *n, struct screen_attribute_expect *a)
{
	static const char *const known[] = { "row", "column", "columns", "attribute", NULL };
	const struct ynode *row = NULL, *column = NULL, *columns = NULL, *attribute = NULL;
	uint64_t v;
	if (expect_kind(l, n, YNODE_MAPPING, "screen_attributes") < 0 ||
	    check_known_keys(l, n, known, "'screen_attributes'") < 0)
		return -1;
	row = ynode_get(n, "row");
	column = ynode_get(n, "column");
	columns = ynode_get(n, "columns");
	attribute = ynode_get(n, "attribute");
	if (!row || !attribute || !column == !columns)
		return case_fail(l, n, "'screen_attributes' entries are {row, column, attribute} or "
				 "{row, columns: [first, last], attribute}");
	if (parse_uint(l, row, "row", CASE_SCREEN_ROWS - 1, &v) < 0)
		return -1;
	a->row = (uint8_t)v;
	if (parse_uint(l, attribute, "attribute", 255, &v) < 0)
		return -1;
	a->attribute = (uint8_t)v;
	if (columns)
		return parse_attribute_columns(l, columns, a);
	if (parse_uint(l, column, "column", CASE_SCREEN_COLUMNS - 1, &v) < 0)
		return -1;
	a->first_column = a->last_column = (uint8_t)v;
	return 0;
}

static int parse_screen_attributes(struct loader *l, const struct ynode *n)
{
	struct test_case *c = l->c;
	if (expect_kind(l, n, YNODE_SEQUENCE, "screen_attributes") < 0)
		return -1;
	if (n->count == 0 || n->count > CASE_SCREEN_ROWS * CASE_SCREEN_COLUMNS)
		return case_fail(l, n, "'screen_attributes' must list 1 to %d entries",
				 CASE_SCREEN_ROWS * CASE_SCREEN_COLUMNS);
	c->expect_screen_attributes = calloc(n->count, sizeof(*c->expect_screen_attributes));
	if (!c->expect_screen_attributes)
		return case_fail(l, n, "out of memory");
	for (size_t i = 0; i < n->count; i++) {
		if (parse_screen_attribute(l, n->items[i], &c->expect_screen_attributes[i]) < 0)
			return -1;
		c->expect_screen_attribute_count = i + 1;
	}
	return 0;
}

/* ---- expect.memory ---- */

/* "b800:0000", "0x7c0:0x10": hex segment and offset, each 16 bits. */
static bool segment_offset(const char *s, uint64_t *address)
{
	uint64_t parts[2];
	for (int i = 0; i < 2; i++) {
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			s += 2;
		size_t digits = strspn(s, "0123456789abcdefABCDEF");
		if (digits == 0 || digits > 4 || s[digits] != (i == 0 ? ':' : '\0'))
			return false;
		parts[i] = strtoull(s, NULL, 16);
		s += digits + 1;
	}
	*address = parts[0] * 16 + parts[1];
	return true;
}

/* A label as nasm spells one (letters, digits, _ $ # @ ~ . ?, not starting
 * with a digit), maybe with "+N" bytes past it. */
static bool label_name(const char *s, size_t *name_len, uint64_t *past)
{
	static const char first[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_.?$";
	size_t len = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$#@~.?");
	*past = 0;
	if (len == 0 || !strchr(first, s[0]))
		return false;
	*name_len = len;
	if (s[len] == '\0')
		return true;
	struct ynode number = { .kind = YNODE_SCALAR, .value = (char *)s + len + 1, .len = strlen(s + len + 1) };
	unsigned long long v;
	if (s[len] != '+' || !scalar_uint(&number, &v) || v > CASE_MAX_MEMORY)
		return false;
	*past = v;
	return true;
}

/* The key of an entry: a physical address, seg:off, or a label. */
static int parse_memory_place(struct loader *l, const struct ynode *key, struct memory_expect *m)
{
	unsigned long long number;
	size_t name_len;
	if (expect_kind(l, key, YNODE_SCALAR, "expect.memory") < 0)
		return -1;
	m->where = strdup(key->value);
	if (!m->where)
		return case_fail(l, key, "out of memory");
	if (scalar_uint(key, &number)) {
		m->address = number;
		return 0;
	}
	if (segment_offset(key->value, &m->address))
		return 0;
	if (!label_name(key->value, &name_len, &m->address))
		return case_fail(l, key, "'expect.memory' key '%.60s' is no address (0x7c10, \"b800:0000\") or label "
				 "(total, buffer+2)", key->value);
	m->label = strndup(key->value, name_len);
	return m->label ? 0 : case_fail(l, key, "out of memory");
}

/* `{word: -2}`: a number of a given width, little-endian; a negative one
 * is its two's complement. */
static int parse_memory_typed(struct loader *l, const struct ynode *n, struct memory_expect *m)
{
	static const char *const widths[] = { "byte", "word", "dword", "qword" };
	const struct ynode *type = n->items[0], *value = n->items[1];
	unsigned width = 0;
	for (unsigned i = 0; i < 4; i++)
		if (type->kind == YNODE_SCALAR && strcmp(type->value, widths[i]) == 0)
			width = 1u << i;
	if (n->count != 2 || !width)
		return case_fail(l, n, "a typed value in 'expect.memory' is one of {byte: N}, {word: N}, {dword: N}, "
				 "{qword: N}");
	if (expect_kind(l, value, YNODE_SCALAR, type->value) < 0)
		return -1;
	bool negative = value->value[0] == '-' && !value->quoted;
	struct ynode magnitude = *value;
	magnitude.value += negative;
	magnitude.len -= negative;
	unsigned long long v;
	unsigned bits = 8 * width;
	uint64_t max = negative ? 1ull << (bits - 1) : bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
	if (!scalar_uint(&magnitude, &v) || v > max)
		return case_fail(l, value, "'%s' must be an integer from -%llu to %" PRIu64 ", not '%.40s'",
				 type->value, 1ull << (bits - 1), bits == 64 ? UINT64_MAX : (1ull << bits) - 1,
				 value->value);
	uint64_t stored = negative ? (uint64_t)0 - v : v;
	for (unsigned i = 0; i < width; i++)
		if (bytes_push(&m->bytes, (uint8_t)(stored >> (8 * i))) < 0)
			return case_fail(l, value, "out of memory");
	m->width = width;
	size_t len = strlen(type->value) + value->len + 2;
	m->typed = malloc(len);
	if (!m->typed)
		return case_fail(l, value, "out of memory");
	snprintf(m->typed, len, "%s %s", type->value, value->value);
	return 0;
}

/* The value of an entry: a typed value, a string, or a list of bytes. */
static int parse_memory_value(struct loader *l, const struct ynode *n, struct memory_expect *m)
{
	if (n->kind == YNODE_MAPPING)
		return parse_memory_typed(l, n, m);
	if (parse_bytes(l, n, "expect.memory", &m->bytes) < 0)
		return -1;
	m->text = n->kind == YNODE_SCALAR;
	if (m->bytes.len == 0 || m->bytes.len > CASE_MAX_MEMORY_EXPECT_BYTES)
		return case_fail(l, n, "'expect.memory' values hold 1 to %d bytes, not %zu", CASE_MAX_MEMORY_EXPECT_BYTES,
				 m->bytes.len);
	return 0;
}

/* `expect.memory: {total: {word: 5050}, buffer: "HELLO$", 0xb8000: [0x48, 0x07]}` */
static int parse_memory(struct loader *l, const struct ynode *n)
{
	struct test_case *c = l->c;
	if (expect_kind(l, n, YNODE_MAPPING, "expect.memory") < 0)
		return -1;
	size_t count = n->count / 2;
	if (count == 0 || count > CASE_MAX_MEMORY_EXPECTS)
		return case_fail(l, n, "'expect.memory' must hold 1 to %d entries", CASE_MAX_MEMORY_EXPECTS);
	c->expect_memory = calloc(count, sizeof(*c->expect_memory));
	if (!c->expect_memory)
		return case_fail(l, n, "out of memory");
	for (size_t i = 0; i < count; i++) {
		struct memory_expect *m = &c->expect_memory[i];
		c->expect_memory_count = i + 1;
		if (parse_memory_place(l, n->items[2 * i], m) < 0 || parse_memory_value(l, n->items[2 * i + 1], m) < 0)
			return -1;
		/* A label's place is known after assembly; the run checks it then. */
		if (!m->label && m->address + m->bytes.len > c->memory_size)
			return case_fail(l, n->items[2 * i], "'expect.memory' at 0x%" PRIx64 " (%zu bytes) is outside the "
					 "guest's %u bytes of RAM", m->address, m->bytes.len, c->memory_size);
	}
	return 0;
}

/* What a program ending itself and the firmware's output must be. */
static int parse_expect_firmware(struct loader *l, const struct ynode *n)
{
	struct test_case *c = l->c;
	const struct ynode *v;
	uint64_t code;
	if ((v = ynode_get(n, "exit_code"))) {
		if (parse_uint(l, v, "exit_code", UINT32_MAX, &code) < 0)
			return -1;
		if (c->expect_exit != OUTCOME_EXIT)
			return case_fail(l, v, "'exit_code' is checked only when the case expects exit: exit, not %s",
					 outcome_name(c->expect_exit));
		c->expect_exit_code_set = true;
		c->expect_exit_code = (uint32_t)code;
	}
	if ((v = ynode_get(n, "console"))) {
		if (parse_bytes(l, v, "console", &c->expect_console) < 0)
			return -1;
		c->expect_console_set = true;
	}
	if ((v = ynode_get(n, "screen")) && parse_screen(l, v) < 0)
		return -1;
	if ((v = ynode_get(n, "screen_attributes")) && parse_screen_attributes(l, v) < 0)
		return -1;
	if ((v = ynode_get(n, "memory")) && parse_memory(l, v) < 0)
		return -1;
	return 0;
}

/* The largest max_instructions: one more than it must still be a count. */
#define CASE_MAX_INSTRUCTIONS_LIMIT (UINT64_MAX / 2)
#define CASE_MAX_SIZE_LIMIT UINT32_MAX

/* The binary's size and the instructions run until the outcome. */
static int parse_expect_metrics(struct loader *l, const struct ynode *n)
{
	struct test_case *c = l->c;
	const struct ynode *v;
	if ((v = ynode_get(n, "max_size"))) {
		if (parse_positive(l, v, "max_size", CASE_MAX_SIZE_LIMIT, &c->expect_max_size) < 0)
			return -1;
		c->expect_max_size_set = true;
	}
	if ((v = ynode_get(n, "max_instructions"))) {
		if (parse_positive(l, v, "max_instructions", CASE_MAX_INSTRUCTIONS_LIMIT,
				   &c->expect_max_instructions) < 0)
			return -1;
		c->expect_max_instructions_set = true;
	}
	return 0;
}

static int parse_expect(struct loader *l, const struct ynode *n)
{
	static const char *const known[] = { "serial", "registers", "exit", "exit_code", "console", "screen",
					     "serial_contains", "serial_matches", "compare", "flags",
					     "max_size", "max_instructions", "memory", "screen_attributes", NULL };
	struct test_case *c = l->c;
	const struct ynode *v;
	if (expect_kind(l, n, YNODE_MAPPING, "expect") < 0 || check_known_keys(l, n, known, "'expect'") < 0)
		return -1;
	if ((v = ynode_get(n, "exit")) && parse_exit(l, v, &c->expect_exit) < 0)
		return -1;
	if (parse_expect_firmware(l, n) < 0 || parse_expect_metrics(l, n) < 0)
		return -1;
	if ((v = ynode_get(n, "serial"))) {
		if (parse_bytes(l, v, "serial", &c->expect_serial) < 0)
			return -1;
		c->expect_serial_set = true;
	}
	if ((v = ynode_get(n, "registers"))) {
		if (parse_registers(l, v, "registers", &c->expect_regs) < 0)
			return -1;
		note_decimal_registers(c, v);
		/* Registers are only where the guest put them when it chose to stop. */
		if (c->expect_regs.count && c->expect_exit != OUTCOME_HLT)
			return case_fail(l, v, "registers cannot be checked when the guest ends by %s: "
					 "only after hlt are they the guest's own", outcome_name(c->expect_exit));
	}
	if ((v = ynode_get(n, "flags")) && parse_flags(l, v) < 0)
		return -1;
	return parse_expect_output(l, n);
}

static char *path_beside(const char *case_path, const char *relative)
{
	const char *slash = strrchr(case_path, '/');
	size_t dir_len = (relative[0] == '/' || !slash) ? 0 : (size_t)(slash - case_path) + 1;
	size_t len = dir_len + strlen(relative) + 1;
	char *path = malloc(len);
	if (path)
		snprintf(path, len, "%.*s%s", (int)dir_len, case_path, relative);
	return path;
}

/* nasm may read the guest's folder and the guest itself; a guest that is a
 * link out of that folder would let a submission name any file. */
static bool path_stays_in_folder(const char *path, const char *real)
{
	char *copy = strdup(path);
	char *folder = copy ? realpath(dirname(copy), NULL) : NULL;
	size_t n = folder ? strlen(folder) : 0;
	bool inside = real && folder && strncmp(real, folder, n) == 0 && real[n] == '/' && !strchr(real + n + 1, '/');
	free(copy);
	free(folder);
	return inside;
}

/* Whether real (a resolved path) is root itself or inside it. */
static bool path_under(const char *real, const char *root)
{
	size_t n = strlen(root);
	if (n == 1 && root[0] == '/')
		return real[0] == '/';
	return strncmp(real, root, n) == 0 && (real[n] == '/' || real[n] == '\0');
}

static bool path_under_folder(const char *real, const char *folder)
{
	char *root = realpath(folder, NULL);
	bool inside = root && path_under(real, root);
	free(root);
	return inside;
}

/* The case file's folder, resolved: once for all the cases of a file (a
 * suite of a thousand guests resolved it a thousand times), or into *own
 * (to free) for a loader that keeps none. NULL when it cannot be. */
static const char *case_folder_real(struct loader *l, char **own)
{
	char **slot = l->folder_real ? l->folder_real : own;
	if (!*slot) {
		char *copy = strdup(l->path);
		*slot = copy ? realpath(dirname(copy), NULL) : NULL;
		free(copy);
	}
	return *slot;
}

/* Case files are written by students too: a path in one may reach only the
 * case file's own folder and the folders the command line allows, whatever
 * `..` or symlinks it goes through. real is path resolved. */
static int confine_real(struct loader *l, const struct ynode *at, const char *key, const char *path, const char *real)
{
	char *own = NULL;
	const char *root = case_folder_real(l, &own);
	bool inside = root && path_under(real, root);
	free(own);
	for (const char *const *a = l->allow_read; !inside && a && *a; a++)
		inside = path_under_folder(real, *a);
	if (inside)
		return 0;
	return case_fail(l, at, "'%s' names '%s', outside the case file's folder: a case may reach only its own "
			 "folder and the folders --allow-read gives", key, path);
}

static int confine(struct loader *l, const struct ynode *at, const char *key, const char *path)
{
	char *real = realpath(path, NULL);
	if (!real)
		return case_fail(l, at, "cannot read '%s' (%s): %s", path, key, strerror(errno));
	int rc = confine_real(l, at, key, path, real);
	free(real);
	return rc;
}

/* Resolves the guest once for both of its checks: inside its own folder,
 * and inside the folders a case may reach. */
static int confine_guest(struct loader *l, const struct ynode *at, const char *path)
{
	char *real = realpath(path, NULL);
	int rc = 0;
	if (!path_stays_in_folder(path, real))
		rc = case_fail(l, at, "guest '%s' is a link to a file outside its folder", path);
	else
		rc = confine_real(l, at, "guest", path, real);
	free(real);
	return rc;
}

/* `submission:` is checked here by its spelling only: the folder it lies in
 * is known when the case runs (case/submission_path.h). */
static int parse_submission(struct loader *l, const struct ynode *submission, const struct ynode *guest)
{
	char why[300];
	if (guest)
		return case_fail(l, submission, "a case takes its guest from 'guest' (the case folder) or 'submission' "
				 "(the student's folder), not both");
	if (parse_string(l, submission, "submission", &l->c->submission) < 0)
		return -1;
	if (submission_path_check(l->c->submission, why, sizeof(why)) < 0)
		return case_fail(l, submission, "%s", why);
	return 0;
}

static int parse_guest(struct loader *l, const struct ynode *guest, const struct ynode *source)
{
	struct test_case *c = l->c;
	if (c->submission && !source)
		return 0;
	if (!guest == !source)
		return case_fail(l, guest ? source : NULL, "a case needs exactly one of 'guest' (a file) or 'source' (inline nasm)");
	if (source) {
		if (parse_string(l, source, "source", &c->source) < 0)
			return -1;
		c->source_line = source->line + (source->block ? 1 : 0);
		return 0;
	}
	char *relative = NULL;
	if (parse_string(l, guest, "guest", &relative) < 0)
		return -1;
	c->guest_path = path_beside(l->path, relative);
	free(relative);
	if (!c->guest_path)
		return case_fail(l, guest, "out of memory");
	struct stat st;
	if (access(c->guest_path, R_OK) < 0 || stat(c->guest_path, &st) < 0)
		return case_fail(l, guest, "cannot read guest '%s': %s", c->guest_path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return case_fail(l, guest, "guest '%s' is not a file", c->guest_path);
	if (confine_guest(l, guest, c->guest_path) < 0)
		return -1;
	if (st.st_nlink > 1)
		return case_fail(l, guest, "guest '%s' has %ju hard links: a link may stand for any file elsewhere",
				 c->guest_path, (uintmax_t)st.st_nlink);
	return 0;
}

static int parse_read_paths(struct loader *l, const struct ynode *n)
{
	if (expect_kind(l, n, YNODE_SEQUENCE, "read") < 0)
		return -1;
	if (n->count > CASE_MAX_READ_PATHS)
		return case_fail(l, n, "'read' lists more than %d folders", CASE_MAX_READ_PATHS);
	for (size_t i = 0; i < n->count; i++) {
		char *relative = NULL;
		if (parse_string(l, n->items[i], "read", &relative) < 0)
			return -1;
		l->c->asm_read[i] = path_beside(l->path, relative);
		free(relative);
		if (!l->c->asm_read[i])
			return case_fail(l, n->items[i], "out of memory");
		if (access(l->c->asm_read[i], R_OK) < 0)
			return case_fail(l, n->items[i], "cannot read '%s': %s", l->c->asm_read[i], strerror(errno));
		if (confine(l, n->items[i], "assembler.read", l->c->asm_read[i]) < 0)
			return -1;
	}
	return 0;
}

/* `assembler:` widens what nasm may read and sets its limits. */
static int parse_assembler(struct loader *l, const struct ynode *n)
{
	static const char *const known[] = { "read", "timeout_ms", "cpu_seconds", "memory", NULL };
	struct test_case *c = l->c;
	const struct ynode *v;
	uint64_t x;
	if (expect_kind(l, n, YNODE_MAPPING, "assembler") < 0 || check_known_keys(l, n, known, "'assembler'") < 0)
		return -1;
	if ((v = ynode_get(n, "read")) && parse_read_paths(l, v) < 0)
		return -1;
	if ((v = ynode_get(n, "timeout_ms"))) {
		if (parse_positive(l, v, "timeout_ms", CASE_MAX_TIMEOUT_MS, &x) < 0)
			return -1;
		c->asm_timeout_ms = (uint32_t)x;
	}
	if ((v = ynode_get(n, "cpu_seconds"))) {
		if (parse_positive(l, v, "cpu_seconds", CASE_MAX_ASM_CPU_SECONDS, &x) < 0)
			return -1;
		c->asm_cpu_seconds = (uint32_t)x;
	}
	if ((v = ynode_get(n, "memory")) && parse_positive(l, v, "memory", CASE_MAX_ASM_MEMORY, &c->asm_memory) < 0)
		return -1;
	return 0;
}

static int parse_machine(struct loader *l, const struct ynode *root)
{
	struct test_case *c = l->c;
	const struct ynode *v;
	uint64_t n;
	if ((v = ynode_get(root, "mode")) && parse_mode(l, v) < 0)
		return -1;
	if ((v = ynode_get(root, "max_exits")) && parse_positive(l, v, "max_exits", CASE_MAX_EXITS_LIMIT, &c->max_exits) < 0)
		return -1;
	if ((v = ynode_get(root, "timeout_ms"))) {
		if (parse_positive(l, v, "timeout_ms", CASE_MAX_TIMEOUT_MS, &n) < 0)
			return -1;
		c->timeout_ms = (uint32_t)n;
	}
	if ((v = ynode_get(root, "memory"))) {
		if (parse_uint(l, v, "memory", CASE_MAX_MEMORY, &n) < 0)
			return -1;
		if (n < 4096 || n % 4096)
			return case_fail(l, v, "'memory' must be a multiple of 4096 bytes, at least 4096");
		c->memory_size = (uint32_t)n;
	}
	if (check_mode_memory(l, root) < 0)
		return -1;
	if ((v = ynode_get(root, "load_address"))) {
		if (parse_uint(l, v, "load_address", CASE_MAX_MEMORY, &n) < 0)
			return -1;
		if (n >= c->memory_size)
			return case_fail(l, v, "'load_address' 0x%" PRIx64 " is outside the guest's %u bytes of RAM", n,
					 c->memory_size);
		if (c->mode == X86_MODE_REAL && n > CASE_MAX_LOAD_ADDRESS)
			return case_fail(l, v, "'load_address' 0x%" PRIx64 " is beyond 0x%x, where real mode reaches no "
					 "further", n, CASE_MAX_LOAD_ADDRESS);
		c->load_address = (uint32_t)n;
	}
	if ((v = ynode_get(root, "output_limit"))) {
		if (parse_positive(l, v, "output_limit", CASE_MAX_OUTPUT_LIMIT, &n) < 0)
			return -1;
		c->output_limit = (uint32_t)n;
	}
	if ((v = ynode_get(root, "assembler")) && parse_assembler(l, v) < 0)
		return -1;
	if ((v = ynode_get(root, "registers")) &&
	    (parse_registers(l, v, "registers", &c->initial_regs) < 0 || check_initial_registers(l, v) < 0))
		return -1;
	if ((v = ynode_get(root, "input")) && parse_bytes(l, v, "input", &c->input) < 0)
		return -1;
	return 0;
}

/* A scalar that must be one of names; sets *index. */
static int parse_choice(struct loader *l, const struct ynode *n, const char *key, const char *const *names,
			int *index)
{
	if (expect_kind(l, n, YNODE_SCALAR, key) < 0)
		return -1;
	for (int i = 0; names[i]; i++)
		if (strcmp(n->value, names[i]) == 0) {
			*index = i;
			return 0;
		}
	char list[100] = "";
	for (int i = 0; names[i]; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "", names[i]);
	return case_fail(l, n, "unknown %s '%.40s' (%s)", key, n->value, list);
}

/* `preset:` sets where the binary goes, the firmware and the natural end;
 * the keys after it may change the firmware, not the load address. */
static int parse_preset(struct loader *l, const struct ynode *root)
{
	static const char *const presets[] = { "flat", "boot", "com", NULL };
	static const char *const firmwares[] = { "none", "bios", "dos", NULL };
	static const char *const drives[] = { "hard", "floppy", NULL };
	struct test_case *c = l->c;
	const struct ynode *v;
	int choice;
	if ((v = ynode_get(root, "preset"))) {
		if (parse_choice(l, v, "preset", presets, &choice) < 0)
			return -1;
		c->preset = (enum case_preset)choice;
		if (c->preset != CASE_PRESET_FLAT && ynode_get(root, "load_address"))
			return case_fail(l, ynode_get(root, "load_address"),
					 "'load_address' is the preset's to set: %s programs load at %s", v->value,
					 c->preset == CASE_PRESET_BOOT ? "0000:7C00" : "1000:0100");
	}
	if (c->preset == CASE_PRESET_BOOT) {
		c->load_address = CASE_BOOT_ADDRESS;
		c->firmware = CASE_FIRMWARE_BIOS;
	} else if (c->preset == CASE_PRESET_COM) {
		c->load_address = CASE_COM_SEGMENT * 16 + 0x100;
		c->firmware = CASE_FIRMWARE_DOS;
		c->expect_exit = OUTCOME_EXIT;
	}
	if ((v = ynode_get(root, "firmware"))) {
		if (parse_choice(l, v, "firmware", firmwares, &choice) < 0)
			return -1;
		c->firmware = (enum case_firmware)choice;
	}
	if ((v = ynode_get(root, "drive"))) {
		if (c->preset != CASE_PRESET_BOOT)
			return case_fail(l, v, "'drive' is the boot drive of preset boot");
		if (parse_choice(l, v, "drive", drives, &choice) < 0)
			return -1;
		c->drive = choice ? 0x00 : 0x80;
	}
	if ((v = ynode_get(root, "args"))) {
		if (c->preset != CASE_PRESET_COM)
			return case_fail(l, v, "'args' is the command tail of preset com");
		if (parse_string(l, v, "args", &c->args) < 0)
			return -1;
		if (strlen(c->args) > 126)
			return case_fail(l, v, "'args' is longer than the 126 characters of a command tail");
	}
	return 0;
}

/* ---- the firmware's clock: `date:` and `time:` ---- */

/* DOS's own calendar: int 21h AH=2Bh accepts no day outside it. */
#define CASE_FIRST_YEAR 1980
#define CASE_LAST_YEAR 2099

/* Reads exactly `digits` decimal digits at s; -1 when they are not there. */
static int fixed_digits(const char *s, int digits)
{
	int v = 0;
	for (int i = 0; i < digits; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return month == 2 && leap ? 29 : days[month - 1];
}

/* `date: 2024-03-15`: what int 21h AH=2Ah says, for DOS programs. */
static int parse_date(struct loader *l, const struct ynode *n)
{
	struct test_case *c = l->c;
	if (expect_kind(l, n, YNODE_SCALAR, "date") < 0)
		return -1;
	if (c->firmware != CASE_FIRMWARE_DOS)
		return case_fail(l, n, "'date' is what int 21h AH=2Ah returns: it needs `firmware: dos` or `preset: com`");
	const char *s = n->value;
	int year = -1, month = -1, day = -1;
	if (n->len == 10 && s[4] == '-' && s[7] == '-') {
		year = fixed_digits(s, 4);
		month = fixed_digits(s + 5, 2);
		day = fixed_digits(s + 8, 2);
	}
	if (year < 0 || month < 0 || day < 0)
		return case_fail(l, n, "'date' must be YYYY-MM-DD, not '%.40s'", s);
	if (year < CASE_FIRST_YEAR || year > CASE_LAST_YEAR)
		return case_fail(l, n, "'date' %s is outside DOS's years %d-%d", s, CASE_FIRST_YEAR, CASE_LAST_YEAR);
	if (month < 1 || month > 12)
		return case_fail(l, n, "'date' %s has no month %d", s, month);
	static const char *const month_names[] = { "January", "February", "March", "April", "May", "June", "July",
						   "August", "September", "October", "November", "December" };
	if (day < 1 || day > days_in_month(year, month))
		return case_fail(l, n, "'date' %s names no day: %s %d has %d days", s, month_names[month - 1], year,
				 days_in_month(year, month));
	c->date_year = (uint16_t)year;
	c->date_month = (uint8_t)month;
	c->date_day = (uint8_t)day;
	return 0;
}

/* `time: "13:45:30"` (or "13:45"): the time of day the firmware's clock
 * starts at, for int 1Ah AH=00h and int 21h AH=2Ch alike. */
static int parse_time(struct loader *l, const struct ynode *n)
{
	struct test_case *c = l->c;
	if (expect_kind(l, n, YNODE_SCALAR, "time") < 0)
		return -1;
	if (c->firmware == CASE_FIRMWARE_NONE)
		return case_fail(l, n, "'time' sets the firmware's clock: it needs `firmware: bios`/`dos` or a preset");
	const char *s = n->value;
	int hour = fixed_digits(s, 2), minute = -1, second = 0;
	if ((n->len == 5 || n->len == 8) && hour >= 0 && s[2] == ':')
		minute = fixed_digits(s + 3, 2);
	if (n->len == 8 && minute >= 0)
		second = s[5] == ':' ? fixed_digits(s + 6, 2) : -1;
	if (minute < 0 || second < 0)
		return case_fail(l, n, "'time' must be HH:MM:SS or HH:MM (quoted, as \"13:45:30\"), not '%.40s'", s);
	if (hour > 23 || minute > 59 || second > 59)
		return case_fail(l, n, "'time' %s is not a time of day (00:00:00 to 23:59:59)", s);
	c->time_seconds = (uint32_t)(hour * 3600 + minute * 60 + second);
	return 0;
}

/* After parse_preset: both need to know the case's firmware. */
static int parse_clock(struct loader *l, const struct ynode *root)
{
	const struct ynode *v;
	if ((v = ynode_get(root, "date")) && parse_date(l, v) < 0)
		return -1;
	if ((v = ynode_get(root, "time")) && parse_time(l, v) < 0)
		return -1;
	return 0;
}

/* The firmware's own memory must be RAM the guest's binary leaves alone. */
static int check_firmware_room(struct loader *l, const struct ynode *root)
{
	const struct test_case *c = l->c;
	if (c->firmware == CASE_FIRMWARE_NONE)
		return 0;
	if (c->memory_size < CASE_DEFAULT_MEMORY)
		return case_fail(l, ynode_get(root, "memory"), "the firmware needs 'memory' of at least 0x%x",
				 CASE_DEFAULT_MEMORY);
	if (c->load_address < 0x500)
		return case_fail(l, ynode_get(root, "load_address"),
				 "'load_address' 0x%x is inside the firmware's vector table and data area (0-0x4ff)",
				 c->load_address);
	return 0;
}

/* ---- grading: points, partial credit, hidden cases, visibility, tags ---- */

#define CASE_MAX_POINTS 1000000.0
#define CASE_MAX_TAGS 64

/* A plain number >= 0, fractional allowed: digits, at most one '.', more
 * digits. No sign, exponent, inf or nan: points are written by hand. */
static int parse_points_value(struct loader *l, const struct ynode *n, const char *key, double *out)
{
	if (expect_kind(l, n, YNODE_SCALAR, key) < 0)
		return -1;
	const char *s = n->value;
	size_t whole = strspn(s, "0123456789");
	size_t frac = s[whole] == '.' ? strspn(s + whole + 1, "0123456789") : 0;
	size_t used = whole + (s[whole] == '.' ? 1 + frac : 0);
	if (s[0] == '-')
		return case_fail(l, n, "'%s' is %.40s: points cannot be negative", key, s);
	if (n->quoted || whole + frac == 0 || used != n->len)
		return case_fail(l, n, "'%s' must be a number of points (e.g. 2 or 0.5), not '%.40s'", key, s);
	*out = strtod(s, NULL);
	if (*out > CASE_MAX_POINTS)
		return case_fail(l, n, "'%s' is %.40s, more than its maximum %.0f", key, s, CASE_MAX_POINTS);
	return 0;
}

/* `points: {serial: 2, registers: 1}`: each key a group of checks; which
 * groups exist and whether the case checks them the judge says later. */
static int parse_point_parts(struct loader *l, const struct ynode *n)
{
	struct test_case *c = l->c;
	size_t count = n->count / 2;
	if (count == 0)
		return case_fail(l, n, "'points' as a mapping needs at least one group (e.g. {serial: 2})");
	c->point_parts = calloc(count, sizeof(*c->point_parts));
	if (!c->point_parts)
		return case_fail(l, n, "out of memory");
	c->points = 0;
	for (size_t i = 0; i < count; i++) {
		const struct ynode *key = n->items[2 * i], *value = n->items[2 * i + 1];
		struct case_points_part *part = &c->point_parts[i];
		*part = (struct case_points_part){ .line = key->line, .column = key->column };
		c->point_part_count = i + 1;
		if (parse_string(l, key, "points", &part->group) < 0 ||
		    parse_points_value(l, value, part->group, &part->points) < 0)
			return -1;
		c->points += part->points;
	}
	return 0;
}

static int parse_points(struct loader *l, const struct ynode *n)
{
	if (n->kind == YNODE_MAPPING)
		return parse_point_parts(l, n);
	return parse_points_value(l, n, "points", &l->c->points);
}

static int parse_tags(struct loader *l, const struct ynode *n)
{
	struct test_case *c = l->c;
	if (expect_kind(l, n, YNODE_SEQUENCE, "tags") < 0)
		return -1;
	if (n->count > CASE_MAX_TAGS)
		return case_fail(l, n, "'tags' lists %zu tags, more than its maximum %d", n->count, CASE_MAX_TAGS);
	c->tags = calloc(n->count ? n->count : 1, sizeof(*c->tags));
	if (!c->tags)
		return case_fail(l, n, "out of memory");
	for (size_t i = 0; i < n->count; i++) {
		const struct ynode *item = n->items[i];
		c->tag_count = i + 1;
		if (parse_string(l, item, "tags", &c->tags[i]) < 0)
			return -1;
		/* --tags takes a comma-separated list, so a tag cannot hold one */
		if (!c->tags[i][0] || strpbrk(c->tags[i], ", \t\n"))
			return case_fail(l, item, "a tag must be one word without commas or blanks, not '%.40s'",
					 c->tags[i]);
	}
	return 0;
}

/* hidden: true alone means after_published (Gradescope shows it once grades
 * are published); any visibility but visible hides the case from students. */
static int parse_hidden(struct loader *l, const struct ynode *root)
{
	static const char *const visibilities[] = { "visible", "hidden", "after_due_date", "after_published", NULL };
	struct test_case *c = l->c;
	const struct ynode *hidden = ynode_get(root, "hidden"), *visibility = ynode_get(root, "visibility");
	int chosen = -1;
	if (hidden && parse_bool_word(l, hidden, "hidden", "true", "false", &c->hidden) < 0)
		return -1;
	if (visibility && parse_choice(l, visibility, "visibility", visibilities, &chosen) < 0)
		return -1;
	if (chosen == 0 && c->hidden)
		return case_fail(l, visibility, "'visibility: visible' contradicts 'hidden: true'");
	if (chosen < 0 && !c->hidden)
		return 0;
	c->hidden = chosen != 0;
	c->visibility = strdup(chosen < 0 ? "after_published" : visibilities[chosen]);
	return c->visibility ? 0 : case_fail(l, visibility, "out of memory");
}

static int parse_grading(struct loader *l, const struct ynode *root)
{
	const struct ynode *v;
	if (parse_hidden(l, root) < 0)
		return -1;
	if ((v = ynode_get(root, "points")) && parse_points(l, v) < 0)
		return -1;
	if ((v = ynode_get(root, "tags")) && parse_tags(l, v) < 0)
		return -1;
	return 0;
}

static int case_parse(struct loader *l, const struct ynode *root)
{
	static const char *const known[] = { "name", "guest", "source", "input", "expect", "max_exits",
					     "timeout_ms", "registers", "memory", "load_address", "output_limit",
					     "assembler", "preset", "firmware", "drive", "args", "mode",
					     "points", "hidden", "visibility", "tags", "leaderboard",
					     "submission", "date", "time", NULL };
	const struct ynode *v;
	/* libyaml reads an empty document as an empty plain scalar */
	if (!root || (root->kind == YNODE_SCALAR && !root->quoted && root->len == 0))
		return case_fail(l, NULL, "empty document: a case needs at least 'guest' or 'source'");
	if (root->kind != YNODE_MAPPING)
		return case_fail(l, root, "a case must be a mapping of keys, not %s", node_kind_name(root));
	if (check_known_keys(l, root, known, "a case") < 0)
		return -1;
	if ((v = ynode_get(root, "name")) && parse_string(l, v, "name", &l->c->name) < 0)
		return -1;
	/* First, so a case that fails to load further is still hidden and still
	 * counts its points as lost. */
	if (parse_grading(l, root) < 0)
		return -1;
	if ((v = ynode_get(root, "leaderboard")) &&
	    parse_bool_word(l, v, "leaderboard", "true", "false", &l->c->leaderboard) < 0)
		return -1;
	if ((v = ynode_get(root, "submission")) && parse_submission(l, v, ynode_get(root, "guest")) < 0)
		return -1;
	if (parse_guest(l, ynode_get(root, "guest"), ynode_get(root, "source")) < 0 || parse_preset(l, root) < 0 ||
	    parse_clock(l, root) < 0 || parse_machine(l, root) < 0 || check_firmware_room(l, root) < 0)
		return -1;
	if ((v = ynode_get(root, "expect")) && parse_expect(l, v) < 0)
		return -1;
	return 0;
}

/* The cases a list's array has room for: a power of two from 16 up. A
 * case is some 5 KB, and an array grown by one case at a time was moved
 * (mremap) for every case of a suite, its page tables with it. Lists are
 * only grown here, and case_list_keep only shrinks their count, so the
 * array always has this room for the count it holds. */
static size_t case_list_room(size_t count)
{
	size_t room = 16;
	while (room < count)
		room *= 2;
	return room;
}

static struct test_case *case_list_add(struct case_list *list, const char *path, int index, int line)
{
	if (list->count == 0 || list->count == case_list_room(list->count)) {
		struct test_case *items = realloc(list->items, case_list_room(list->count + 1) * sizeof(*items));
		if (!items)
			return NULL;
		list->items = items;
	}
	struct test_case *items = list->items;
	struct test_case *c = &items[list->count];
	*c = (struct test_case){
		.file = strdup(path),
		.index = index,
		.line = line,
		.memory_size = CASE_DEFAULT_MEMORY,
		.max_exits = CASE_DEFAULT_MAX_EXITS,
		.timeout_ms = CASE_DEFAULT_TIMEOUT_MS,
		.expect_exit = OUTCOME_HLT,
		.drive = 0x80,
		.points = 1,
	};
	if (!c->file)
		return NULL;
	list->count++;
	return c;
}

/* "cases/hello.yaml" → "hello"; with several documents, "hello [2]". */
static int case_default_name(struct test_case *c, bool several)
{
	const char *slash = strrchr(c->file, '/');
	const char *base = slash ? slash + 1 : c->file;
	const char *dot = strrchr(base, '.');
	int len = dot && dot != base ? (int)(dot - base) : (int)strlen(base);
	char name[300];
	if (several)
		snprintf(name, sizeof(name), "%.*s [%d]", len, base, c->index + 1);
	else
		snprintf(name, sizeof(name), "%.*s", len, base);
	c->name = strdup(name);
	return c->name ? 0 : -1;
}

static int case_add_error(struct case_list *list, const char *path, int index, int line, int column,
			  const char *cause)
{
	struct test_case *c = case_list_add(list, path, index, line);
	if (!c)
		return -1;
	struct loader l = { .path = path, .c = c };
	struct ynode where = { .line = line, .column = column };
	case_fail(&l, &where, "%s", cause);
	return c->error && case_default_name(c, index > 0) == 0 ? 0 : -1;
}

int case_text_load(const char *path, const char *text, size_t len, struct case_list *list)
{
	return case_text_load_with(path, text, len, NULL, list);
}

int case_text_load_with(const char *path, const char *text, size_t len, const struct case_load_options *opt,
			struct case_list *list)
{
	struct ydoc_list docs;
	int parsed = yaml_tree_parse(text, len, &docs);
	bool several = docs.count + (parsed < 0) > 1;
	int rc = 0;
	char *folder_real = NULL;
	for (size_t i = 0; i < docs.count && rc == 0; i++) {
		struct test_case *c = case_list_add(list, path, (int)i, docs.docs[i].line);
		if (!c) {
			rc = -1;
			break;
		}
		struct loader l = { .path = path, .c = c, .allow_read = opt ? opt->allow_read : NULL,
				    .folder_real = &folder_real };
		const struct ydoc *doc = &docs.docs[i];
		if (doc->error[0]) {
			struct ynode where = { .line = doc->error_line, .column = doc->error_column };
			case_fail(&l, &where, "%s", doc->error);
		} else {
			case_parse(&l, doc->root);
		}
		if (!c->name && case_default_name(c, several) < 0)
			rc = -1;
	}
	if (rc == 0 && parsed < 0)
		rc = case_add_error(list, path, (int)docs.count, docs.error_line, docs.error_column, docs.error);
	if (rc == 0 && docs.count == 0 && parsed == 0)
		rc = case_add_error(list, path, 0, 1, 1, "no cases in this file");
	free(folder_real);
	ydoc_list_free(&docs);
	return rc;
}

static char *file_read(const char *path, size_t *len, char *err, size_t err_len)
{
	/* Non-blocking, so that a FIFO or a device cannot make us wait. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, err_len, "cannot read: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, err_len, "cannot read: not a regular file");
		close(fd);
		return NULL;
	}
	FILE *f = fdopen(fd, "rb");
	if (!f) {
		snprintf(err, err_len, "cannot read: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	char *text = malloc(CASE_FILE_MAX_BYTES + 1);
	size_t n = text ? fread(text, 1, CASE_FILE_MAX_BYTES + 1, f) : 0;
	bool failed = !text || ferror(f);
	fclose(f);
	if (failed || n > CASE_FILE_MAX_BYTES) {
		snprintf(err, err_len, failed ? "cannot read: %s" : "larger than the %s limit of case files",
			 failed ? strerror(errno) : "4 MiB");
		free(text);
		return NULL;
	}
	*len = n;
	return text;
}

int case_file_load(const char *path, struct case_list *list)
{
	return case_file_load_with(path, NULL, list);
}

int case_file_load_with(const char *path, const struct case_load_options *opt, struct case_list *list)
{
	char err[200];
	size_t len;
	char *text = file_read(path, &len, err, sizeof(err));
	if (!text)
		return case_add_error(list, path, 0, 1, 1, err) < 0 ? -1 : 1;
	int rc = case_text_load_with(path, text, len, opt, list);
	free(text);
	return rc;
}

static void state_set(struct cpu_state *state, const char *name, uint32_t value)
{
	struct reg_ref ref;
	if (reg_lookup(name, &ref))
		reg_set(state, ref, value);
}

/* Registers as the BIOS leaves them for a boot sector, and DOS for a .COM
 * program (the zero word under sp is the firmware's to write). */
static void case_preset_state(const struct test_case *c, struct cpu_state *state)
{
	static const char *const segments[] = { "cs", "ds", "es", "ss" };
	if (c->preset == CASE_PRESET_FLAT)
		return;
	bool com = c->preset == CASE_PRESET_COM;
	for (size_t i = 0; i < sizeof(segments) / sizeof(segments[0]); i++)
		state_set(state, segments[i], com ? CASE_COM_SEGMENT : 0);
	state_set(state, "ip", com ? 0x100 : CASE_BOOT_ADDRESS);
	state_set(state, "sp", com ? 0xfffe : CASE_BOOT_ADDRESS);
	state_set(state, "flags", 0x202); /* interrupts enabled, as both leave them */
	if (!com)
		state_set(state, "dl", c->drive);
}

void case_initial_state(const struct test_case *c, struct cpu_state *state)
{
	cpu_state_reset(state);
	/* cs:ip points at the code: cs 0 up to 64 KiB, beyond it cs takes the
	 * rest; outside real mode segments are flat and rip is linear */
	if (c->mode == X86_MODE_REAL && c->load_address > 0xffff) {
		cpu_state_set_real_segment(state, SEG_CS, (uint16_t)(c->load_address >> 4));
		state->rip = c->load_address & 0xf;
	} else {
		state->rip = c->load_address;
	}
	case_preset_state(c, state);
	for (size_t i = 0; i < c->initial_regs.count; i++)
		reg_set(state, c->initial_regs.items[i].ref, c->initial_regs.items[i].value);
}

static void case_grading_free(struct test_case *c)
{
	for (size_t i = 0; i < c->point_part_count; i++)
		free(c->point_parts[i].group);
	free(c->point_parts);
	for (size_t i = 0; i < c->tag_count; i++)
		free(c->tags[i]);
	free(c->tags);
	free(c->visibility);
}

static void case_memory_free(struct test_case *c)
{
	for (size_t i = 0; i < c->expect_memory_count; i++) {
		free(c->expect_memory[i].where);
		free(c->expect_memory[i].label);
		free(c->expect_memory[i].typed);
		bytes_free(&c->expect_memory[i].bytes);
	}
	free(c->expect_memory);
	free(c->expect_screen_attributes);
}

void case_list_free(struct case_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		struct test_case *c = &list->items[i];
		free(c->file);
		free(c->name);
		free(c->guest_path);
		free(c->source);
		free(c->submission);
		free(c->error);
		for (size_t j = 0; c->asm_read[j]; j++)
			free(c->asm_read[j]);
		bytes_free(&c->input);
		bytes_free(&c->expect_serial);
		for (size_t j = 0; j < c->expect_contains_count; j++)
			bytes_free(&c->expect_contains[j]);
		free(c->expect_contains);
		bytes_free(&c->expect_matches);
		bytes_free(&c->expect_console);
		free(c->args);
		for (size_t row = 0; row < CASE_SCREEN_ROWS; row++)
			free(c->expect_screen.rows[row]);
		case_grading_free(c);
		case_memory_free(c);
	}
	free(list->items);
	list->items = NULL;
	list->count = 0;
}
