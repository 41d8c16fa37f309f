/* Merging the records of shards of one suite, run on different machines,
 * into the record an unsharded run would have made. */
#include "record/record.h"

#include <stdlib.h>
#include <string.h>

#include "core/strfmt.h"
/* By file (bytes, as the C locale sorts), then by index in the file. */
static int case_order(const void *a, const void *b)
{
	const struct record_case *x = *(const struct record_case *const *)a;
	const struct record_case *y = *(const struct record_case *const *)b;
	int by_file = strcmp(x->file, y->file);
	if (by_file)
		return by_file;
	return (x->index > y->index) - (x->index < y->index);
}

/* The backends the parts ran on: one name, or "kvm+emu" in order of first use. */
static char *backends_join(const struct record *parts, size_t count)
{
	size_t len = 1;
	for (size_t i = 0; i < count; i++)
		len += strlen(parts[i].backend ? parts[i].backend : "unknown") + 1;
	char *joined = calloc(1, len);
	for (size_t i = 0; joined && i < count; i++) {
		const char *b = parts[i].backend ? parts[i].backend : "unknown";
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen |= strcmp(parts[j].backend ? parts[j].backend : "unknown", b) == 0;
		if (seen)
			continue;
		if (*joined)
			strcat(joined, "+");
		strcat(joined, b);
	}
	return joined;
}

static int versions_agree(const struct record *parts, size_t count, char *err, size_t err_len)
{
	for (size_t i = 1; i < count; i++) {
		if (strcmp(parts[i].version ? parts[i].version : "", parts[0].version ? parts[0].version : "") != 0) {
			strfmt_err(err, err_len, "records from different kvmcheck versions (%s and %s) do not merge",
				parts[0].version, parts[i].version);
			return -1;
		}
	}
	return 0;
}

/* Every case of every part, sorted; NULL when memory runs out. */
static const struct record_case **cases_sorted(const struct record *parts, size_t count, size_t *total)
{
	*total = 0;
	for (size_t i = 0; i < count; i++)
		*total += parts[i].count;
	const struct record_case **all = calloc(*total ? *total : 1, sizeof(*all));
	if (!all)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < count; i++)
		for (size_t j = 0; j < parts[i].count; j++)
			all[n++] = &parts[i].cases[j];
	qsort(all, n, sizeof(*all), case_order);
	return all;
}

/* Shards of one named run carry its name; records of two students do not
 * become one. */
static int names_agree(const struct record *parts, size_t count, char *err, size_t err_len)
{
	for (size_t i = 1; i < count; i++) {
		const char *a = parts[0].name, *b = parts[i].name;
		if (!a != !b || (a && strcmp(a, b) != 0)) {
			strfmt_err(err, err_len, "records of differently named runs (%s and %s) do not merge",
				   a ? a : "unnamed", b ? b : "unnamed");
			return -1;
		}
	}
	return 0;
}

int record_merge(const struct record *parts, size_t count, struct record *out, char *err, size_t err_len)
{
	*out = (struct record){0};
	if (versions_agree(parts, count, err, err_len) < 0 || names_agree(parts, count, err, err_len) < 0)
		return -1;
	size_t total;
	const struct record_case **all = cases_sorted(parts, count, &total);
	out->version = strdup(count && parts[0].version ? parts[0].version : "unknown");
	out->backend = backends_join(parts, count);
	out->name = count && parts[0].name ? strdup(parts[0].name) : NULL;
	int rc = all && out->version && out->backend && (out->name || !count || !parts[0].name) ? 0 : -1;
	if (rc < 0)
		strfmt_err(err, err_len, "out of memory merging records");
	for (size_t i = 0; rc == 0 && i < total; i++) {
		if (i > 0 && case_order(&all[i - 1], &all[i]) == 0) {
			strfmt_err(err, err_len, "case %s:%d is in more than one record", all[i]->file, all[i]->index);
			rc = -1;
		}
		else if (record_case_append(out, all[i]) < 0) {
			strfmt_err(err, err_len, "out of memory merging records");
			rc = -1;
		}
	}
	/* The time the parts spent, together: what running them one after another takes. */
	for (size_t i = 0; i < count; i++)
		out->elapsed_ns += parts[i].elapsed_ns;
	free(all);
	if (rc < 0)
		record_free(out);
	return rc;
}
