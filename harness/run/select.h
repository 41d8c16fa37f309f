/* select: which of a suite's cases a run takes: its shard (--shard K/N,
 * or GitLab's CI_NODE_INDEX/CI_NODE_TOTAL) and those --filter names.
 *
 * A case's shard depends on its file name (as given) and its position in
 * the file alone, so adding cases to other files never moves it, and the
 * N shards are disjoint and together the whole suite. */
#ifndef KVMCHECK_SELECT_H
#define KVMCHECK_SELECT_H

#include <stdbool.h>
#include <stddef.h>

#include "case/case.h"

struct shard {
	unsigned index;  /* 1..total */
	unsigned total;  /* 0: no sharding */
};

/* Parses "K/N" (1 <= K <= N <= SHARD_MAX). 0, or -1 with err. */
int shard_parse(const char *text, struct shard *out, char *err, size_t err_len);

/* GitLab's parallel: CI_NODE_INDEX (1-based) and CI_NODE_TOTAL, when both
 * are set; otherwise out->total is 0. -1 with err when they are malformed. */
int shard_from_env(struct shard *out, char *err, size_t err_len);

/* Case c (file, index) is in shard s (always, without sharding). */
bool shard_has(const struct shard *s, const char *file, int index);

/* Case c matches pattern: a glob (fnmatch) on its name, or on
 * "FILE:INDEX" (the index counting from 0, as the reports number them). */
bool filter_matches(const char *pattern, const struct test_case *c);

/* Case c has one of the tags in list, a comma-separated list of tags
 * ("io,loops"; empty entries name none). */
bool tags_match(const char *list, const struct test_case *c);

/* Whether the tag options keep case c: it has any tag of any --tags list
 * (when one is given) and no tag of any --skip-tags list. */
bool tags_select(const char *const *tags, int tags_count, const char *const *skip_tags, int skip_count,
		 const struct test_case *c);

/* Keeps the cases of list for which keep[i], in order, freeing the rest. */
void case_list_keep(struct case_list *list, const bool *keep);

#define SHARD_MAX 100000u

#endif
