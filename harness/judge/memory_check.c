#include "judge/memory_check.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Bytes shown in a value; a longer one is cut and its length said. */
#define SHOWN_BYTES 32
#define VALUE_TEXT 256

static void text_add(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void text_add(char *out, size_t len, const char *fmt, ...)
{
	size_t used = strlen(out);
	if (used + 1 >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out + used, len - used, fmt, ap);
	va_end(ap);
}

static void hex_bytes(const uint8_t *data, size_t n, char *out, size_t len)
{
	for (size_t i = 0; i < n && i < SHOWN_BYTES; i++)
		text_add(out, len, "%s%02x", i ? " " : "", data[i]);
	if (n > SHOWN_BYTES)
		text_add(out, len, " ... (%zu bytes)", n);
}

/* Between backticks, printable ASCII as itself and any other byte (or a
 * backtick) as '.', as hex dumps show text: the hex beside says which
 * byte, and reports have no escapes of ours to escape again. */
static void shown_text(const uint8_t *data, size_t n, char *out, size_t len)
{
	text_add(out, len, "`");
	for (size_t i = 0; i < n && i < SHOWN_BYTES; i++)
		text_add(out, len, "%c", data[i] >= 0x20 && data[i] < 0x7f && data[i] != '`' ? data[i] : '.');
	text_add(out, len, n > SHOWN_BYTES ? "`..." : "`");
}

static uint64_t little_endian(const uint8_t *data, unsigned width)
{
	uint64_t v = 0;
	for (unsigned i = width; i-- > 0;)
		v = v << 8 | data[i];
	return v;
}

static const char *width_name(unsigned width)
{
	return width == 1 ? "byte" : width == 2 ? "word" : width == 4 ? "dword" : "qword";
}

/* A value as the case wrote its expectation: typed ("word 5050 (ba 13)"),
 * a string ("`HELLO$` (48 45 ...)") or bytes ("48 45 ..."). */
static void value_text(const struct memory_expect *m, const uint8_t *data, char *out, size_t len)
{
	out[0] = '\0';
	if (m->width) {
		uint64_t v = little_endian(data, m->width);
		bool negative = m->typed && strchr(m->typed, '-');
		int shift = 64 - 8 * (int)m->width;
		if (negative)
			text_add(out, len, "%s %" PRId64 " (", width_name(m->width),
				 (int64_t)(v << shift) >> shift);
		else
			text_add(out, len, "%s %" PRIu64 " (", width_name(m->width), v);
	} else if (m->text) {
		shown_text(data, m->bytes.len, out, len);
		text_add(out, len, " (");
	}
	hex_bytes(data, m->bytes.len, out, len);
	if (m->width || m->text)
		text_add(out, len, ")");
}

/* The bytes of entry i in r->memory: the READ places before it come first. */
static const uint8_t *actual_bytes(const struct test_case *c, const struct run_result *r, size_t i)
{
	if (i >= r->memory_place_count || r->memory_places[i].status != MEMORY_PLACE_READ)
		return NULL;
	size_t at = 0;
	for (size_t j = 0; j < i; j++)
		if (r->memory_places[j].status == MEMORY_PLACE_READ)
			at += c->expect_memory[j].bytes.len;
	return at + c->expect_memory[i].bytes.len <= r->memory.len ? r->memory.data + at : NULL;
}

static int judge_memory_entry(const struct test_case *c, const struct run_result *r, size_t i, struct verdict *v)
{
	const struct memory_expect *m = &c->expect_memory[i];
	const uint8_t *got = actual_bytes(c, r, i);
	char expected[VALUE_TEXT], actual[VALUE_TEXT] = "";
	value_text(m, m->bytes.data, expected, sizeof(expected));
	int64_t diff = -1;
	for (size_t k = 0; got && k < m->bytes.len && diff < 0; k++)
		if (got[k] != m->bytes.data[k])
			diff = (int64_t)k;
	if (got)
		value_text(m, got, actual, sizeof(actual));
	return verdict_add(v, CHECK_MEMORY, m->where, expected, strlen(expected), actual, strlen(actual), got != NULL,
			   got && diff < 0, diff);
}

int judge_memory(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	for (size_t i = 0; i < c->expect_memory_count; i++)
		if (judge_memory_entry(c, r, i, v) < 0)
			return -1;
	return 0;
}

/* Why entry i has no bytes to compare, or "" when the run never looked. */
static void memory_unread_reason(const struct test_case *c, const struct run_result *r, size_t i, char *out,
				 size_t len)
{
	const struct memory_expect *m = &c->expect_memory[i];
	const struct memory_place *p = i < r->memory_place_count ? &r->memory_places[i] : NULL;
	out[0] = '\0';
	if (!p)
		return;
	if (p->status == MEMORY_PLACE_UNDEFINED)
		snprintf(out, len, "label `%s` is not defined in the program", m->label);
	else if (p->status == MEMORY_PLACE_CONSTANT)
		snprintf(out, len, "`%s` is a constant (equ 0x%" PRIx64 "), not a label of the program", m->label,
			 p->address);
	else if (p->status == MEMORY_PLACE_OUTSIDE)
		snprintf(out, len, "memory at %s (%zu bytes) lies outside the guest's %u bytes of RAM", m->where,
			 m->bytes.len, c->memory_size);
}

/* Whether check k, of entry `entry`, is a memory check that failed. */
static bool memory_failed(const struct test_case *c, const struct check *k, size_t entry)
{
	return k->kind == CHECK_MEMORY && !k->passed && entry < c->expect_memory_count;
}

/* A label the program lacks says more than any value: it is told first. */
static bool memory_explain_unread(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	for (size_t i = 0, n = 0; i < v->check_count; i++) {
		const struct check *k = &v->checks[i];
		if (k->kind != CHECK_MEMORY)
			continue;
		size_t entry = n++;
		if (!memory_failed(c, k, entry) || k->actual_known)
			continue;
		memory_unread_reason(c, r, entry, v->reason, sizeof(v->reason));
		if (v->reason[0])
			return true;
	}
	return false;
}

bool judge_memory_explain(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	if (memory_explain_unread(c, r, v))
		return true;
	for (size_t i = 0, n = 0; i < v->check_count; i++) {
		const struct check *k = &v->checks[i];
		if (k->kind != CHECK_MEMORY)
			continue;
		size_t entry = n++;
		if (!memory_failed(c, k, entry))
			continue;
		if (!k->actual_known) {
			snprintf(v->reason, sizeof(v->reason), "memory at %s was not read: the program did not run",
				 k->label);
			return true;
		}
		uint64_t address = r->memory_places[entry].address;
		snprintf(v->reason, sizeof(v->reason), "memory at %s (0x%" PRIx64 ") is %s, expected %s", k->label,
			 address, (const char *)k->actual.data, (const char *)k->expected.data);
		if (!c->expect_memory[entry].width && c->expect_memory[entry].bytes.len > 1)
			text_add(v->reason, sizeof(v->reason), "; first difference at byte %" PRId64,
				 k->first_difference);
		return true;
	}
	return false;
}

/* ---- expect.screen_attributes ---- */

#define SCREEN_BYTES (2u * CASE_SCREEN_ROWS * CASE_SCREEN_COLUMNS)

static int judge_attribute(const struct screen_attribute_expect *a, const struct run_result *r, struct verdict *v)
{
	bool known = r->screen.len >= SCREEN_BYTES;
	int differing = -1;
	uint8_t seen = 0;
	for (int col = a->first_column; known && col <= a->last_column; col++) {
		seen = r->screen.data[2 * ((size_t)a->row * CASE_SCREEN_COLUMNS + (size_t)col) + 1];
		if (seen != a->attribute) {
			differing = col;
			break;
		}
	}
	char label[48], expected[16], actual[48] = "";
	if (a->first_column == a->last_column)
		snprintf(label, sizeof(label), "row_%u_column_%u", a->row, a->first_column);
	else
		snprintf(label, sizeof(label), "row_%u_columns_%u-%u", a->row, a->first_column, a->last_column);
	snprintf(expected, sizeof(expected), "0x%02x", a->attribute);
	if (known && differing >= 0)
		snprintf(actual, sizeof(actual), "0x%02x at column %d", seen, differing);
	else if (known)
		snprintf(actual, sizeof(actual), "0x%02x", a->attribute);
	return verdict_add(v, CHECK_SCREEN_ATTRIBUTE, label, expected, strlen(expected), actual, strlen(actual), known,
			   known && differing < 0, differing);
}

int judge_screen_attributes(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	for (size_t i = 0; i < c->expect_screen_attribute_count; i++)
		if (judge_attribute(&c->expect_screen_attributes[i], r, v) < 0)
			return -1;
	return 0;
}

bool judge_screen_attributes_explain(const struct test_case *c, const struct run_result *r, struct verdict *v)
{
	(void)r;
	for (size_t i = 0, n = 0; i < v->check_count; i++) {
		const struct check *k = &v->checks[i];
		if (k->kind != CHECK_SCREEN_ATTRIBUTE)
			continue;
		size_t entry = n++;
		if (k->passed || entry >= c->expect_screen_attribute_count)
			continue;
		const struct screen_attribute_expect *a = &c->expect_screen_attributes[entry];
		if (!k->actual_known)
			snprintf(v->reason, sizeof(v->reason), "screen attributes unknown: no screen was kept");
		else
			snprintf(v->reason, sizeof(v->reason), "screen attribute at row %u, column %" PRId64 " is %.4s, "
				 "expected 0x%02x", a->row, k->first_difference, (const char *)k->actual.data,
				 a->attribute);
		return true;
	}
	return false;
}
