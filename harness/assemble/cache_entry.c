/* The persistent cache's file format: see cache_entry.h. */
#include "assemble/cache_entry.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static const char entry_magic[8] = "KVMASMC";

#define HEAD_BYTES (sizeof(entry_magic) + 4 + CACHE_KEY_BYTES + 4)
#define SECTION_HEAD_BYTES (4 + 8)
#define CHECKSUM_BYTES 16

enum section_tag { SECTION_OK = 1, SECTION_IMAGE = 2, SECTION_MESSAGES = 3, SECTION_LISTING = 4, SECTION_SYMBOLS = 5 };

static int put_u32(struct bytes *out, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	return bytes_append(out, b, sizeof(b));
}

static int put_u64(struct bytes *out, uint64_t v)
{
	return put_u32(out, (uint32_t)v) | put_u32(out, (uint32_t)(v >> 32));
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* ---- one row per field of struct assembly ---- */

/* The field's bytes, or present false when it has none to store. */
typedef void section_view_fn(const struct assembly *a, const void **data, size_t *len, bool *present);
/* Sets the field from the section's bytes; -1 when they cannot be its value. */
typedef int section_load_fn(struct assembly *a, const uint8_t *data, size_t len);

static void ok_view(const struct assembly *a, const void **data, size_t *len, bool *present)
{
	static const uint8_t yes = 1, no = 0;
	*data = a->ok ? &yes : &no;
	*len = 1;
	*present = true;
}

static int ok_load(struct assembly *a, const uint8_t *data, size_t len)
{
	if (len != 1 || data[0] > 1)
		return -1;
	a->ok = data[0];
	return 0;
}

static void image_view(const struct assembly *a, const void **data, size_t *len, bool *present)
{
	*data = a->image.data;
	*len = a->image.len;
	*present = true;
}

static int image_load(struct assembly *a, const uint8_t *data, size_t len)
{
	return len ? bytes_append(&a->image, data, len) : 0;
}

/* Absent when there are none (NULL), which is not the same as "". */
static void messages_view(const struct assembly *a, const void **data, size_t *len, bool *present)
{
	*data = a->messages;
	*len = a->messages ? strlen(a->messages) : 0;
	*present = a->messages != NULL;
}

static int messages_load(struct assembly *a, const uint8_t *data, size_t len)
{
	if (memchr(data, '\0', len))
		return -1;
	a->messages = malloc(len + 1);
	if (!a->messages)
		return -1;
	memcpy(a->messages, data, len);
	a->messages[len] = '\0';
	return 0;
}

/* Absent when nasm made none (a listing too large is left out). */
static void listing_view(const struct assembly *a, const void **data, size_t *len, bool *present)
{
	*data = a->listing.data;
	*len = a->listing.len;
	*present = a->listing.len > 0;
}

static int listing_load(struct assembly *a, const uint8_t *data, size_t len)
{
	return len ? bytes_append(&a->listing, data, len) : 0;
}

/* Absent when nasm made none. */
static void symbols_view(const struct assembly *a, const void **data, size_t *len, bool *present)
{
	*data = a->symbols.data;
	*len = a->symbols.len;
	*present = a->symbols.len > 0;
}

static int symbols_load(struct assembly *a, const uint8_t *data, size_t len)
{
	return len ? bytes_append(&a->symbols, data, len) : 0;
}

static const struct section {
	enum section_tag tag;
	bool required;
	section_view_fn *view;
	section_load_fn *load;
} sections[] = {
	{ SECTION_OK, true, ok_view, ok_load },
	{ SECTION_IMAGE, true, image_view, image_load },
	{ SECTION_MESSAGES, false, messages_view, messages_load },
	{ SECTION_LISTING, false, listing_view, listing_load },
	{ SECTION_SYMBOLS, false, symbols_view, symbols_load },
};
#define SECTION_COUNT (sizeof(sections) / sizeof(*sections))

/* ---- encoding ---- */

static int checksum_append(struct bytes *out, size_t from)
{
	XXH128_canonical_t sum;
	XXH128_canonicalFromHash(&sum, XXH3_128bits(out->data + from, out->len - from));
	return bytes_append(out, sum.digest, sizeof(sum.digest));
}

int cache_entry_encode(const struct cache_key *key, const struct assembly *a, struct bytes *out)
{
	size_t start = out->len;
	uint32_t count = 0;
	for (size_t i = 0; i < SECTION_COUNT; i++) {
		const void *data;
		size_t len;
		bool present;
		sections[i].view(a, &data, &len, &present);
		count += present;
	}
	int rc = bytes_append(out, entry_magic, sizeof(entry_magic)) | put_u32(out, CACHE_ENTRY_FORMAT) |
		 bytes_append(out, key->bytes, CACHE_KEY_BYTES) | put_u32(out, count);
	for (size_t i = 0; i < SECTION_COUNT && rc == 0; i++) {
		const void *data;
		size_t len;
		bool present;
		sections[i].view(a, &data, &len, &present);
		if (present)
			rc = put_u32(out, sections[i].tag) | put_u64(out, len) | (len ? bytes_append(out, data, len) : 0);
	}
	if (rc == 0)
		rc = checksum_append(out, start);
	if (rc < 0)
		out->len = start;
	return rc;
}

/* ---- decoding ---- */

static bool head_valid(const struct cache_key *key, const uint8_t *data, size_t len)
{
	if (len < HEAD_BYTES + CHECKSUM_BYTES || memcmp(data, entry_magic, sizeof(entry_magic)) != 0 ||
	    get_u32(data + sizeof(entry_magic)) != CACHE_ENTRY_FORMAT ||
	    memcmp(data + sizeof(entry_magic) + 4, key->bytes, CACHE_KEY_BYTES) != 0)
		return false;
	XXH128_canonical_t sum;
	XXH128_canonicalFromHash(&sum, XXH3_128bits(data, len - CHECKSUM_BYTES));
	return memcmp(sum.digest, data + len - CHECKSUM_BYTES, CHECKSUM_BYTES) == 0;
}

static const struct section *section_find(uint32_t tag)
{
	for (size_t i = 0; i < SECTION_COUNT; i++)
		if (sections[i].tag == tag)
			return &sections[i];
	return NULL;
}

/* Loads every section between p and end; each known, none twice, every
 * required one present, and nothing left over. */
static int sections_load(const uint8_t *p, const uint8_t *end, uint32_t count, struct assembly *a)
{
	bool seen[SECTION_COUNT] = {0};
	for (uint32_t n = 0; n < count; n++) {
		if ((size_t)(end - p) < SECTION_HEAD_BYTES)
			return -1;
		const struct section *s = section_find(get_u32(p));
		uint64_t len = get_u64(p + 4);
		p += SECTION_HEAD_BYTES;
		if (!s || seen[s - sections] || len > (uint64_t)(end - p) || s->load(a, p, (size_t)len) < 0)
			return -1;
		seen[s - sections] = true;
		p += len;
	}
	for (size_t i = 0; i < SECTION_COUNT; i++)
		if (sections[i].required && !seen[i])
			return -1;
	return p == end ? 0 : -1;
}

int cache_entry_decode(const struct cache_key *key, const uint8_t *data, size_t len, struct assembly *a)
{
	*a = (struct assembly){0};
	if (!head_valid(key, data, len))
		return -1;
	uint32_t count = get_u32(data + HEAD_BYTES - 4);
	if (sections_load(data + HEAD_BYTES, data + len - CHECKSUM_BYTES, count, a) == 0)
		return 0;
	assembly_free(a);
	*a = (struct assembly){0};
	return -1;
}
