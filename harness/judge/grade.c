#include "judge/grade.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/result.h"

/* Every kind of check belongs to one point group; kinds that share a group
 * pass or fail together for partial credit. */
static const char *const point_group[CHECK_KIND_COUNT] = {
	[CHECK_OUTCOME] = "exit",
	[CHECK_SERIAL] = "serial",
	[CHECK_SERIAL_CONTAINS] = "serial",
	[CHECK_SERIAL_MATCHES] = "serial",
	[CHECK_REGISTER] = "registers",
	[CHECK_FLAG] = "flags",
	[CHECK_EXIT_CODE] = "exit_code",
	[CHECK_CONSOLE] = "console",
	[CHECK_SCREEN] = "screen",
	[CHECK_MAX_SIZE] = "max_size",
	[CHECK_MAX_INSTRUCTIONS] = "max_instructions",
	[CHECK_MEMORY] = "memory",
	/* the attributes are part of the screen: a case checking both earns `screen` for both */
	[CHECK_SCREEN_ATTRIBUTE] = "screen",
};

const char *grade_group_of(enum check_kind kind)
{
	return (unsigned)kind < CHECK_KIND_COUNT ? point_group[kind] : NULL;
}

bool grade_group_known(const char *name)
{
	for (int k = 0; k < CHECK_KIND_COUNT; k++) {
		if (point_group[k] && strcmp(point_group[k], name) == 0)
			return true;
	}
	return false;
}

const char *grade_group_list(void)
{
	static char list[256];
	if (list[0])
		return list;
	for (int k = 0; k < CHECK_KIND_COUNT; k++) {
		const char *g = point_group[k];
		bool seen = false;
		for (int earlier = 0; g && earlier < k && !seen; earlier++)
			seen = point_group[earlier] && strcmp(point_group[earlier], g) == 0;
		if (!g || seen)
			continue;
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", list[0] ? ", " : "", g);
	}
	return list;
}

/* Whether every check of group passed; *any says whether there was one. */
static bool group_passed(const struct verdict *v, const char *group, bool *any)
{
	bool passed = true;
	*any = false;
	for (size_t i = 0; i < v->check_count; i++) {
		const char *g = grade_group_of(v->checks[i].kind);
		if (!g || strcmp(g, group) != 0)
			continue;
		*any = true;
		passed &= v->checks[i].passed;
	}
	return passed;
}

static int case_error_at(struct test_case *c, const struct case_points_part *part, const char *cause)
{
	size_t len = strlen(c->file) + strlen(part->group) + strlen(cause) + 64;
	c->error = malloc(len);
	if (!c->error)
		return -1;
	snprintf(c->error, len, "%s:%d:%d: points: '%s' %s", c->file, part->line, part->column, part->group, cause);
	return 0;
}

int grade_case_validate(struct test_case *c)
{
	if (c->error || c->point_part_count == 0)
		return 0;
	/* The checks a case makes do not depend on the result: judging an empty
	 * one lists them all. */
	struct run_result nothing = { .outcome = OUTCOME_NOT_RUN };
	struct verdict v;
	if (verdict_judge(c, &nothing, &v) < 0) {
		verdict_free(&v);
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < c->point_part_count && !c->error; i++) {
		const struct case_points_part *part = &c->point_parts[i];
		bool any;
		char cause[300];
		if (!grade_group_known(part->group)) {
			snprintf(cause, sizeof(cause), "is no group of checks (groups: %s)", grade_group_list());
			rc = case_error_at(c, part, cause);
		} else if (group_passed(&v, part->group, &any), !any) {
			rc = case_error_at(c, part, "names checks the case does not make");
		}
	}
	verdict_free(&v);
	return rc;
}

/* Outcomes where the guest's program did not run to an end of its own:
 * checks that happen to pass then (an empty expected output) earn nothing. */
static bool outcome_earns_nothing(enum outcome outcome)
{
	return outcome == OUTCOME_ERROR || outcome == OUTCOME_ASSEMBLE_ERROR || outcome == OUTCOME_CASE_ERROR ||
	       outcome == OUTCOME_NOT_RUN;
}

double grade_points_earned(const struct test_case *c, enum outcome outcome, const struct verdict *v)
{
	if (v->status == VERDICT_PASS)
		return c->points;
	if (v->status != VERDICT_FAIL || outcome_earns_nothing(outcome))
		return 0;
	double earned = 0;
	for (size_t i = 0; i < c->point_part_count; i++) {
		bool any;
		if (group_passed(v, c->point_parts[i].group, &any) && any)
			earned += c->point_parts[i].points;
	}
	return earned;
}
