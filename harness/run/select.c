#include "run/select.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool number_parse(const char *text, const char *end, unsigned *out)
{
	if (text == end || end - text > 9)
		return false;
	unsigned v = 0;
	for (const char *p = text; p < end; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned)(*p - '0');
	}
	*out = v;
	return true;
}

static bool shard_valid(const struct shard *s)
{
	return s->total >= 1 && s->total <= SHARD_MAX && s->index >= 1 && s->index <= s->total;
}

int shard_parse(const char *text, struct shard *out, char *err, size_t err_len)
{
	const char *slash = strchr(text, '/');
	*out = (struct shard){0};
	if (!slash || !number_parse(text, slash, &out->index) ||
	    !number_parse(slash + 1, slash + strlen(slash), &out->total) || !shard_valid(out)) {
		snprintf(err, err_len, "--shard needs K/N with 1 <= K <= N <= %u, not '%s'", SHARD_MAX, text);
		*out = (struct shard){0};
		return -1;
	}
	return 0;
}

int shard_from_env(struct shard *out, char *err, size_t err_len)
{
	const char *index = getenv("CI_NODE_INDEX"), *total = getenv("CI_NODE_TOTAL");
	*out = (struct shard){0};
	if (!index || !total || !*index || !*total)
		return 0;
	if (!number_parse(index, index + strlen(index), &out->index) ||
	    !number_parse(total, total + strlen(total), &out->total) || !shard_valid(out)) {
		snprintf(err, err_len, "CI_NODE_INDEX=%.20s and CI_NODE_TOTAL=%.20s are no shard (1 <= index <= total)",
			 index, total);
		*out = (struct shard){0};
		return -1;
	}
	return 0;
}

/* FNV-1a, 64 bits: fixed, so every machine of a CI matrix agrees. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

bool shard_has(const struct shard *s, const char *file, int index)
{
	if (s->total <= 1)
		return true;
	char number[16];
	int n = snprintf(number, sizeof(number), ":%d", index);
	uint64_t h = fnv1a(0xcbf29ce484222325ull, file, strlen(file));
	h = fnv1a(h, number, (size_t)n);
	return h % s->total == s->index - 1;
}

bool filter_matches(const char *pattern, const struct test_case *c)
{
	if (c->name && fnmatch(pattern, c->name, 0) == 0)
		return true;
	char *id = NULL;
	if (asprintf(&id, "%s:%d", c->file, c->index) < 0)
		return false;
	bool match = fnmatch(pattern, id, 0) == 0;
	free(id);
	return match;
}

static bool case_has_tag(const struct test_case *c, const char *tag, size_t len)
{
	for (size_t i = 0; i < c->tag_count; i++) {
		if (strlen(c->tags[i]) == len && memcmp(c->tags[i], tag, len) == 0)
			return true;
	}
	return false;
}

bool tags_match(const char *list, const struct test_case *c)
{
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		if (len && case_has_tag(c, p, len))
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

bool tags_select(const char *const *tags, int tags_count, const char *const *skip_tags, int skip_count,
		 const struct test_case *c)
{
	bool wanted = tags_count == 0;
	for (int i = 0; i < tags_count && !wanted; i++)
		wanted = tags_match(tags[i], c);
	for (int i = 0; i < skip_count && wanted; i++)
		wanted = !tags_match(skip_tags[i], c);
	return wanted;
}

void case_list_keep(struct case_list *list, const bool *keep)
{
	size_t kept = 0;
	for (size_t i = 0; i < list->count; i++) {
		if (keep[i]) {
			list->items[kept++] = list->items[i];
			continue;
		}
		/* case_list_free frees a list's cases and its array: a list of one. */
		struct case_list one = { malloc(sizeof(struct test_case)), 1 };
		if (!one.items)
			continue; /* out of memory: the case leaks, the run goes on */
		one.items[0] = list->items[i];
		case_list_free(&one);
	}
	list->count = kept;
}
