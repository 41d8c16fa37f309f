#include "assemble/listing.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Columns of a listed line (nasm 2.16, listing.c): the line number in
 * 0-5, the offset in 7-14, the bytes from 16 (18 wide unless longer), the
 * nesting level `<N>` in 34-39, the source text from 40. */
#define COL_OFFSET 7
#define COL_DATA 16
#define COL_LEVEL 34
#define COL_SOURCE 40
#define MAX_DEPTH 32

/* One listed line, split into its columns. */
struct raw_line {
	int number;
	bool has_offset;
	uint64_t offset;
	char data[64];       /* the bytes column as nasm wrote it */
	int level;
	const char *source;  /* "" when the line has none */
};

enum frame_kind { FRAME_FILE, FRAME_MACRO, FRAME_REP };

/* One nesting level: an included file, a macro's expansion or a %rep body. */
struct frame {
	enum frame_kind kind;
	struct listing_place origin; /* FILE: its name; MACRO: the invoking line; REP: the file */
};

/* A listed line with bytes, resolved to the source line it stands for. */
struct entry {
	uint64_t offset, size;
	const char *data;
	struct listing_place place;
};

typedef bool entry_fn(const struct entry *e, void *ctx); /* false: stop walking */

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* The level field "<N>" among blanks, or 0. */
static int level_parse(const char *field, size_t len)
{
	size_t i = 0;
	while (i < len && field[i] == ' ')
		i++;
	if (i >= len || field[i] != '<')
		return 0;
	char *end;
	long level = strtol(field + i + 1, &end, 10);
	return *end == '>' && level > 0 && level < MAX_DEPTH ? (int)level : 0;
}

/* Splits line into its columns; false for lines that list no source line
 * (nasm's own warnings, marked by stars in the bytes column). */
static bool raw_line_parse(const char *line, struct raw_line *out)
{
	size_t len = strlen(line);
	*out = (struct raw_line){ .source = "" };
	char *end;
	out->number = (int)strtol(line, &end, 10);
	if (end == line || len <= COL_OFFSET)
		return false;
	if (len >= COL_OFFSET + 8 && all_hex(line + COL_OFFSET, 8)) {
		out->has_offset = true;
		out->offset = strtoull(line + COL_OFFSET, NULL, 16);
	}
	size_t data_end = COL_DATA;
	/* `<rep 3h>` holds a blank of its own */
	bool in_mark = false;
	for (; data_end < len && (in_mark || line[data_end] != ' '); data_end++)
		in_mark = line[data_end] == '<' ? true : line[data_end] == '>' ? false : in_mark;
	if (len > COL_DATA && line[COL_DATA] == '*')
		return false;
	if (len > COL_DATA) {
		size_t n = data_end - COL_DATA < sizeof(out->data) - 1 ? data_end - COL_DATA : sizeof(out->data) - 1;
		memcpy(out->data, line + COL_DATA, n);
	}
	/* Bytes wider than their column push the rest to the right; the `-`
	 * of a line continued on the next takes the blank after the column. */
	size_t shift = data_end > COL_LEVEL + 1 ? data_end - COL_LEVEL - 1 : 0;
	if (len > COL_LEVEL + shift)
		out->level = level_parse(line + COL_LEVEL + shift, COL_SOURCE - COL_LEVEL);
	if (len > COL_SOURCE + shift)
		out->source = line + COL_SOURCE + shift;
	return true;
}

/* How many bytes a bytes column stands for: two digits (or `??` for
 * reserved space) a byte, `<rep Nh>` repeating what precedes it, `<bin Nh>`
 * N bytes of an incbin; brackets mark relocated values. */
static uint64_t data_size(const char *data)
{
	uint64_t digits = 0, bytes = 0;
	for (const char *p = data; *p; p++) {
		if (isxdigit((unsigned char)*p) || *p == '?') {
			digits++;
		} else if (*p == '<') {
			bool rep = strncmp(p, "<rep ", 5) == 0, bin = strncmp(p, "<bin ", 5) == 0;
			uint64_t n = (rep || bin) ? strtoull(p + 5, NULL, 16) : 0;
			bytes = rep ? (bytes + digits / 2) * n : bytes + digits / 2 + n;
			digits = 0;
			const char *close = strchr(p, '>');
			if (!close)
				break;
			p = close;
		}
	}
	return bytes + digits / 2;
}

static void text_copy(char *dst, size_t size, const char *src)
{
	while (*src == ' ' || *src == '\t')
		src++;
	size_t n = strlen(src);
	while (n && isspace((unsigned char)src[n - 1]))
		n--;
	if (n >= size)
		n = size - 1;
	/* a tab between label and instruction reads as a blank in a one-line report */
	for (size_t i = 0; i < n; i++)
		dst[i] = src[i] == '\t' ? ' ' : src[i];
	dst[n] = '\0';
}

/* Word nth (from 0) of text, split at blanks and commas, lower-cased. */
static void word_at(const char *text, int nth, char *word, size_t size)
{
	const char *p = text;
	for (int i = 0; i <= nth; i++) {
		while (*p && strchr(" \t,", *p))
			p++;
		size_t n = strcspn(p, " \t,");
		if (i == nth) {
			if (n >= size)
				n = size - 1;
			for (size_t k = 0; k < n; k++)
				word[k] = (char)tolower((unsigned char)p[k]);
			word[n] = '\0';
			return;
		}
		p += n;
	}
}

static bool word_in(const char *word, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(word, *list) == 0)
			return true;
	return false;
}

/* Data or reserved space when one of the first words is a directive for it
 * (`msg: db`, `msg db`, `times 10 db`), else code. */
static enum listing_content content_of(const char *text, const char *data)
{
	static const char *const data_words[] = { "db", "dw", "dd", "dq", "dt", "do", "dy", "dz", "incbin", NULL };
	static const char *const reserve_words[] = { "resb", "resw", "resd", "resq", "rest", "reso", "resy",
						     "resz", NULL };
	if (strchr(data, '?'))
		return LISTING_RESERVED;
	for (int i = 0; i < 3; i++) {
		char word[16];
		word_at(text, i, word, sizeof(word));
		if (word_in(word, data_words))
			return LISTING_DATA;
		if (word_in(word, reserve_words))
			return LISTING_RESERVED;
	}
	return LISTING_CODE;
}

/* The file name an `%include "name"` line names, or "" (a name made by a macro). */
static void include_name(const char *text, char *name, size_t size)
{
	name[0] = '\0';
	const char *open = strpbrk(text, "\"'<");
	if (!open)
		return;
	char close = *open == '<' ? '>' : *open;
	const char *end = strchr(open + 1, close);
	if (!end || (size_t)(end - open - 1) >= size)
		return;
	memcpy(name, open + 1, (size_t)(end - open - 1));
	name[end - open - 1] = '\0';
}

static bool starts_with_word(const char *text, const char *word)
{
	while (*text == ' ' || *text == '\t')
		text++;
	size_t n = strlen(word);
	return strncasecmp(text, word, n) == 0 && (!text[n] || isspace((unsigned char)text[n]));
}

/* The frame that the line after `before` opens one level deeper. */
static struct frame frame_open(const struct listing_place *before, const char *before_listed)
{
	struct frame f = { .kind = FRAME_MACRO, .origin = *before };
	if (starts_with_word(before_listed, "%include")) {
		f.kind = FRAME_FILE;
		f.origin.included = true;
		include_name(before_listed, f.origin.file, sizeof(f.origin.file));
	} else if (starts_with_word(before_listed, "%endrep")) {
		f.kind = FRAME_REP;
	}
	return f;
}

/* The source line a listed line at the top of stack stands for. */
static void place_resolve(const struct frame *stack, int depth, const struct raw_line *raw,
			  struct listing_place *out)
{
	*out = (struct listing_place){ .line = raw->number };
	text_copy(out->text, sizeof(out->text), raw->source);
	if (depth == 0)
		return;
	const struct frame *top = &stack[depth - 1];
	if (top->kind == FRAME_MACRO) {
		*out = top->origin;
		return;
	}
	out->included = top->origin.included;
	memcpy(out->file, top->origin.file, sizeof(out->file));
}

/* `section .data` and the like: later bytes belong to another section,
 * whose offsets are not the binary's. */
static void section_track(const char *text, bool *in_text)
{
	const char *p = text;
	while (*p == ' ' || *p == '\t' || *p == '[')
		p++;
	if (!starts_with_word(p, "section") && !starts_with_word(p, "segment"))
		return;
	char name[64];
	word_at(p, 1, name, sizeof(name));
	size_t n = strcspn(name, "]");
	name[n] = '\0';
	*in_text = strcmp(name, ".text") == 0;
}

/* Calls fn for every listed line with bytes in .text, resolved, until fn
 * says stop. */
static void listing_walk(const struct bytes *listing, entry_fn *fn, void *ctx)
{
	struct frame stack[MAX_DEPTH];
	int depth = 0;
	bool in_text = true;
	struct listing_place last = {0}; /* the last line with source text, resolved */
	char last_raw[LISTING_TEXT_MAX] = "";  /* and as listed */
	const char *p = (const char *)listing->data, *end = p + listing->len;
	char line[1024];
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1), p);
		p = nl ? nl + 1 : end;
		struct raw_line raw;
		if (!raw_line_parse(line, &raw))
			continue;
		while (depth < raw.level && depth < MAX_DEPTH)
			stack[depth++] = frame_open(&last, last_raw);
		if (depth > raw.level)
			depth = raw.level;
		struct listing_place place = last;
		if (raw.source[0]) {
			place_resolve(stack, depth, &raw, &place);
			place.content = content_of(raw.source, raw.data);
			last = place;
			text_copy(last_raw, sizeof(last_raw), raw.source);
			section_track(raw.source, &in_text);
		}
		if (!raw.has_offset || !in_text)
			continue;
		place.offset = raw.offset;
		struct entry e = { .offset = raw.offset, .size = data_size(raw.data), .data = raw.data, .place = place };
		if (!fn(&e, ctx))
			return;
	}
}

struct find_ctx {
	uint64_t offset;
	bool found;
	struct listing_place *out;
};

static bool find_one(const struct entry *e, void *ctx)
{
	struct find_ctx *f = ctx;
	if (f->offset < e->offset || f->offset - e->offset >= e->size)
		return true;
	*f->out = e->place;
	f->found = true;
	return false;
}

bool listing_find(const struct bytes *listing, uint64_t offset, struct listing_place *out)
{
	struct find_ctx f = { .offset = offset, .out = out };
	listing_walk(listing, find_one, &f);
	return f.found;
}

/* The vectors the BIOS and DOS serve, which nothing serves without firmware. */
static bool firmware_vector(int v)
{
	static const int vectors[] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x1a, 0x20, 0x21 };
	for (size_t i = 0; i < sizeof(vectors) / sizeof(*vectors); i++)
		if (vectors[i] == v)
			return true;
	return false;
}

static int hex_byte(const char *s)
{
	if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
		return -1;
	char two[3] = { s[0], s[1], '\0' };
	return (int)strtol(two, NULL, 16);
}

struct facts_ctx {
	struct listing_facts *out;
	int ah; /* set by the last `mov ah, imm8` or `mov ax, imm16`, -1 */
};

static bool facts_one(const struct entry *e, void *ctx)
{
	struct facts_ctx *f = ctx;
	if (e->place.content != LISTING_CODE)
		return true;
	int opcode = hex_byte(e->data);
	if (opcode == 0xf4)
		f->out->has_hlt = true;
	if (opcode == 0xb4)
		f->ah = strlen(e->data) >= 4 ? hex_byte(e->data + 2) : -1;
	if (opcode == 0xb8)
		f->ah = strlen(e->data) >= 6 ? hex_byte(e->data + 4) : -1;
	int vector = opcode == 0xcd && strlen(e->data) >= 4 ? hex_byte(e->data + 2) : -1;
	if (vector >= 0 && firmware_vector(vector) && f->out->int_vector < 0) {
		f->out->int_vector = vector;
		f->out->int_ah = f->ah;
	}
	return true;
}

void listing_facts(const struct bytes *listing, struct listing_facts *out)
{
	*out = (struct listing_facts){ .int_vector = -1, .int_ah = -1 };
	struct facts_ctx f = { .out = out, .ah = -1 };
	listing_walk(listing, facts_one, &f);
}

struct window_ctx {
	uint64_t offset;
	size_t before, after;   /* lines wanted on either side of the stop */
	struct listing_place *out;
	size_t count;
	bool found;
	size_t stop;
};

static bool same_line(const struct listing_place *a, const struct listing_place *b)
{
	return a->line == b->line && a->included == b->included && strcmp(a->file, b->file) == 0;
}

/* Appends p unless it repeats the last line kept (a macro's expansion, a
 * long db continued): the window counts source lines, not listed ones. */
static void window_push(struct window_ctx *w, const struct listing_place *p)
{
	if (w->count && same_line(&w->out[w->count - 1], p))
		return;
	if (!w->found && w->count == w->before + 1) {
		memmove(w->out, w->out + 1, w->before * sizeof(*w->out));
		w->count--;
	}
	w->out[w->count++] = *p;
}

static bool window_one(const struct entry *e, void *ctx)
{
	struct window_ctx *w = ctx;
	window_push(w, &e->place);
	if (!w->found && w->offset >= e->offset && w->offset - e->offset < e->size) {
		w->found = true;
		w->stop = w->count - 1;
	}
	return !w->found || w->count < w->stop + 1 + w->after;
}

bool listing_window(const struct bytes *listing, uint64_t offset, size_t before, size_t after,
		    struct listing_place *out, size_t *count, size_t *stop)
{
	struct window_ctx w = { .offset = offset, .before = before, .after = after, .out = out };
	listing_walk(listing, window_one, &w);
	*count = w.found ? w.count : 0;
	*stop = w.stop;
	return w.found;
}
