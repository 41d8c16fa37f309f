/* The metric keys of a case (README "Metrics"): expect.max_size and
 * expect.max_instructions, one table of accepted and rejected texts. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "case/case.h"

struct metrics_row {
	const char *text;
	const char *error;      /* NULL: accepted */
	bool size_set;
	uint64_t size;
	bool instructions_set;
	uint64_t instructions;
};

static const struct metrics_row metrics_rows[] = {
	{ "source: hlt\n", NULL, false, 0, false, 0 },
	{ "source: hlt\nexpect:\n  max_size: 16\n", NULL, true, 16, false, 0 },
	{ "source: hlt\nexpect:\n  max_instructions: 0x100\n", NULL, false, 0, true, 256 },
	{ "source: hlt\nexpect: {max_size: 510, max_instructions: 1000000}\n", NULL, true, 510, true, 1000000 },
	{ "source: hlt\nexpect:\n  max_size: 0\n", "t.yaml:3:13: 'max_size' must be at least 1", false, 0, false, 0 },
	{ "source: hlt\nexpect:\n  max_size: -1\n",
	  "t.yaml:3:13: 'max_size' must be an integer (decimal or 0x hex), not '-1'", false, 0, false, 0 },
	{ "source: hlt\nexpect:\n  max_size: 4294967296\n",
	  "t.yaml:3:13: 'max_size' is 4294967296, more than its maximum 4294967295", false, 0, false, 0 },
	{ "source: hlt\nexpect:\n  max_instructions: lots\n",
	  "t.yaml:3:21: 'max_instructions' must be an integer (decimal or 0x hex), not 'lots'", false, 0, false, 0 },
	{ "source: hlt\nexpect:\n  max_instructions: 0\n", "t.yaml:3:21: 'max_instructions' must be at least 1", false, 0, false, 0 },
	{ "source: hlt\nexpect:\n  max_instructions: [1]\n", "t.yaml:3:21: 'max_instructions' must be a scalar, not a list", false, 0, false, 0 },
	{ "source: hlt\nexpect:\n  max_instructions: 9223372036854775808\n",
	  "t.yaml:3:21: 'max_instructions' is 9223372036854775808, more than its maximum 9223372036854775807", false, 0, false, 0 },
};

ParameterizedTestParameters(case_metrics, keys)
{
	size_t n = sizeof(metrics_rows) / sizeof(metrics_rows[0]);
	static size_t rows[sizeof(metrics_rows) / sizeof(metrics_rows[0])];
	for (size_t i = 0; i < n; i++)
		rows[i] = i;
	return cr_make_param_array(size_t, rows, n);
}

ParameterizedTest(size_t *i, case_metrics, keys)
{
	const struct metrics_row *row = &metrics_rows[*i];
	struct case_list list = {0};
	cr_assert_eq(case_text_load("t.yaml", row->text, strlen(row->text), &list), 0);
	cr_assert_eq(list.count, 1);
	const struct test_case *c = &list.items[0];
	if (row->error) {
		cr_expect_not_null(c->error, "accepted, but should fail with: %s", row->error);
		if (c->error)
			cr_expect_str_eq(c->error, row->error);
	} else {
		cr_expect_null(c->error, "%s", c->error);
		cr_expect_eq(c->expect_max_size_set, row->size_set);
		cr_expect_eq(c->expect_max_size, row->size);
		cr_expect_eq(c->expect_max_instructions_set, row->instructions_set);
		cr_expect_eq(c->expect_max_instructions, row->instructions);
	}
	case_list_free(&list);
}
