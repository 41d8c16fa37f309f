#include "judge/check.h"

#include <stdlib.h>
#include <string.h>

static const struct check_kind_info kinds[CHECK_KIND_COUNT] = {
	[CHECK_OUTCOME] = { .name = "outcome", .field = "outcome" },
	[CHECK_SERIAL] = { .name = "serial", .field = "output", .bytes = true },
	[CHECK_REGISTER] = { .name = "register", .group = "registers", .noun = "register" },
	[CHECK_SERIAL_CONTAINS] = { .name = "serial_contains", .group = "serial_contains", .noun = "substring",
				    .bytes = true },
	[CHECK_SERIAL_MATCHES] = { .name = "serial_matches", .field = "output", .bytes = true },
	[CHECK_FLAG] = { .name = "flag", .group = "flags", .noun = "flag" },
	[CHECK_EXIT_CODE] = { .name = "exit_code", .field = "exit_code" },
	[CHECK_CONSOLE] = { .name = "console", .field = "console", .bytes = true },
	[CHECK_SCREEN] = { .name = "screen", .group = "screen", .noun = "screen", .bytes = true },
	[CHECK_MAX_SIZE] = { .name = "max_size", .field = "binary_size" },
	[CHECK_MAX_INSTRUCTIONS] = { .name = "max_instructions", .field = "instructions" },
	[CHECK_MEMORY] = { .name = "memory", .group = "memory", .noun = "memory at" },
	[CHECK_SCREEN_ATTRIBUTE] = { .name = "screen_attribute", .group = "screen_attributes",
				     .noun = "screen attribute" },
};

const struct check_kind_info *check_kind_info(enum check_kind kind)
{
	return (unsigned)kind < CHECK_KIND_COUNT ? &kinds[kind] : NULL;
}

bool check_kind_parse(const char *name, enum check_kind *out)
{
	for (int k = 0; k < CHECK_KIND_COUNT; k++) {
		if (strcmp(kinds[k].name, name) == 0) {
			*out = (enum check_kind)k;
			return true;
		}
	}
	return false;
}

int check_set(struct check *c, enum check_kind kind, const char *label, const void *expected,
	      size_t expected_len, const void *actual, size_t actual_len, bool actual_known, bool passed,
	      int64_t first_difference)
{
	*c = (struct check){ .kind = kind, .actual_known = actual_known, .passed = passed,
			     .first_difference = first_difference };
	c->label = strdup(label ? label : "");
	if (!c->label || bytes_assign(&c->expected, expected, expected_len) < 0 ||
	    bytes_assign(&c->actual, actual, actual_len) < 0) {
		check_free(c);
		return -1;
	}
	return 0;
}

int check_copy(struct check *dst, const struct check *src)
{
	return check_set(dst, src->kind, src->label, src->expected.data, src->expected.len, src->actual.data,
			 src->actual.len, src->actual_known, src->passed, src->first_difference);
}

static bool bytes_equal(const struct bytes *a, const struct bytes *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

bool check_equal(const struct check *a, const struct check *b)
{
	return a->kind == b->kind && strcmp(a->label, b->label) == 0 && bytes_equal(&a->expected, &b->expected) &&
	       bytes_equal(&a->actual, &b->actual) && a->actual_known == b->actual_known &&
	       a->passed == b->passed && a->first_difference == b->first_difference;
}

void check_free(struct check *c)
{
	free(c->label);
	bytes_free(&c->expected);
	bytes_free(&c->actual);
	*c = (struct check){ .first_difference = -1 };
}
