#include "record/score.h"

#include "core/key_map.h"

#include <stdio.h>
#include <string.h>

struct score record_score(const struct record *rec)
{
	struct score s = {0};
	for (size_t i = 0; i < rec->count; i++) {
		s.earned += rec->cases[i].points_earned;
		s.max += rec->cases[i].points_max;
	}
	return s;
}

struct score record_file_score(const struct record *rec, const char *file)
{
	struct score s = {0};
	for (size_t i = 0; i < rec->count; i++) {
		const struct record_case *c = &rec->cases[i];
		if (c->file && strcmp(c->file, file) == 0) {
			s.earned += c->points_earned;
			s.max += c->points_max;
		}
	}
	return s;
}

static const char *case_file(const struct record_case *c)
{
	return c->file ? c->file : "";
}

bool record_several_files(const struct record *rec)
{
	for (size_t i = 1; i < rec->count; i++)
		if (strcmp(case_file(&rec->cases[i]), case_file(&rec->cases[0])) != 0)
			return true;
	return false;
}

int record_each_file(const struct record *rec, int (*visit)(const struct record *rec, size_t first, void *ctx),
		     void *ctx)
{
	struct key_map seen = {0};
	int rc = 0;
	for (size_t i = 0; i < rec->count && rc == 0; i++) {
		const char *file = case_file(&rec->cases[i]);
		size_t *before = key_map_get(&seen, file, strlen(file));
		rc = before ? 0 : -1;
		if (before && !(*before)++)
			rc = visit(rec, i, ctx);
	}
	key_map_free(&seen);
	return rc < 0 ? -1 : 0;
}

void points_format(double points, char *out, size_t len)
{
	/* Two decimals are enough for hand-written points (0.25); sums of
	 * fractions lose the float noise in the rounding. */
	snprintf(out, len, "%.2f", points);
	char *dot = strchr(out, '.');
	if (!dot)
		return;
	char *end = out + strlen(out);
	while (end > dot && (end[-1] == '0' || end[-1] == '.')) {
		bool was_dot = end[-1] == '.';
		*--end = '\0';
		if (was_dot)
			break;
	}
	if (strcmp(out, "-0") == 0)
		snprintf(out, len, "0");
}

void score_format(struct score s, char *out, size_t len)
{
	char earned[32], max[32];
	points_format(s.earned, earned, sizeof(earned));
	points_format(s.max, max, sizeof(max));
	snprintf(out, len, "%s/%s", earned, max);
}
