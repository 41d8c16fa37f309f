/* The metrics (README "Metrics") from the judge to every report: the
 * max_size and max_instructions checks, the record's binary_size,
 * instructions_counted and instructions through JSON and a merge, and
 * the figures in TAP, JUnit, the summary and HTML. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/record.h"
#include "report/report.h"
#include "testutil.h"

struct metric_sample {
	const char *name;
	bool size_limited;
	uint64_t max_size;
	bool instructions_limited;
	uint64_t max_instructions;
	uint64_t binary_size;
	bool counted;
	uint64_t instructions;
	enum outcome outcome;
};

static const struct metric_sample metric_samples[] = {
	{ "fits", true, 16, true, 30, 7, true, 22, OUTCOME_HLT },
	{ "too big", true, 32, false, 0, 41, false, 0, OUTCOME_HLT },
	{ "too slow", false, 0, true, 21, 7, true, 22, OUTCOME_MAX_INSTRUCTIONS },
	{ "not counted", false, 0, true, 21, 7, false, 0, OUTCOME_ERROR },
	{ "nothing assembled", true, 8, false, 0, 0, false, 0, OUTCOME_ASSEMBLE_ERROR },
};
#define METRIC_SAMPLES (sizeof(metric_samples) / sizeof(metric_samples[0]))

static void metrics_record(struct record *rec, struct verdict *verdicts)
{
	struct test_case cases[METRIC_SAMPLES];
	struct run_result results[METRIC_SAMPLES];
	struct case_report reports[METRIC_SAMPLES];
	for (size_t i = 0; i < METRIC_SAMPLES; i++) {
		const struct metric_sample *s = &metric_samples[i];
		cases[i] = (struct test_case){
			.file = "m.yaml", .index = (int)i, .line = 1 + (int)i, .name = (char *)s->name,
			.expect_exit = OUTCOME_HLT, .expect_max_size_set = s->size_limited, .expect_max_size = s->max_size,
			.expect_max_instructions_set = s->instructions_limited,
			.expect_max_instructions = s->max_instructions,
		};
		results[i] = (struct run_result){
			.outcome = s->outcome, .binary_size = s->binary_size, .instructions_counted = s->counted,
			.instructions = s->instructions, .backend = "emu",
		};
		cr_assert_eq(verdict_judge(&cases[i], &results[i], &verdicts[i]), 0);
		reports[i] = (struct case_report){ "m.yaml", (int)i, s->name, &results[i], &verdicts[i], 1 + (int)i, &cases[i] };
	}
	struct run_report rep = { .version = "1", .backend = "emu", .cases = reports, .count = METRIC_SAMPLES };
	cr_assert_eq(record_build(&rep, rec), 0);
}

static char *metrics_render(const struct record *rec, const char *renderer, bool verbose)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	cr_assert_not_null(mem);
	struct render_options opt = { .verbose = verbose };
	char err[512] = "";
	cr_assert_eq(renderer_find(renderer)->render(rec, mem, &opt, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(fclose(mem), 0);
	return text;
}

static struct record metrics_rec;
static struct verdict metrics_verdicts[METRIC_SAMPLES];

static void metrics_setup(void)
{
	metrics_record(&metrics_rec, metrics_verdicts);
}

static void metrics_teardown(void)
{
	record_free(&metrics_rec);
	for (size_t i = 0; i < METRIC_SAMPLES; i++)
		verdict_free(&metrics_verdicts[i]);
}

TestSuite(metrics, .init = metrics_setup, .fini = metrics_teardown);

Test(metrics, limits_pass_and_fail_on_the_figures)
{
	cr_expect_eq(metrics_rec.cases[0].status, VERDICT_PASS);
	cr_expect_str_eq(metrics_rec.cases[1].reason, "binary of 41 bytes, more than the limit of 32");
	cr_expect_eq(metrics_rec.cases[2].status, VERDICT_FAIL);
	cr_expect_eq(metrics_rec.cases[3].status, VERDICT_FAIL, "an uncounted run cannot pass a limit");
	cr_expect_eq(metrics_rec.cases[4].status, VERDICT_FAIL);
	const struct record_case *slow = &metrics_rec.cases[2];
	bool found = false;
	for (size_t i = 0; i < slow->check_count; i++) {
		const struct check *k = &slow->checks[i];
		if (k->kind != CHECK_MAX_INSTRUCTIONS)
			continue;
		found = true;
		cr_expect(!k->passed);
		cr_expect_str_eq((const char *)k->expected.data, "21");
		cr_expect_eq(k->actual.len, 2);
		cr_expect_eq(memcmp(k->actual.data, "22", 2), 0);
	}
	cr_expect(found, "a max_instructions check");
}

Test(metrics, the_figures_survive_json_and_a_merge)
{
	char dir[256], path[512], err[512] = "";
	tu_tmpdir_make(dir, sizeof(dir));
	tu_path(path, sizeof(path), dir, "r.json");
	cr_assert_eq(report_file_render(path, renderer_find("json"), &metrics_rec, NULL, err, sizeof(err)), 0, "%s", err);
	struct record back, merged;
	cr_assert_eq(record_json_load(path, &back, err, sizeof(err)), 0, "%s", err);
	cr_expect(record_equal(&metrics_rec, &back));
	cr_expect_eq(back.cases[1].binary_size, 41);
	cr_expect(back.cases[2].instructions_counted);
	cr_expect_eq(back.cases[2].instructions, 22);
	cr_assert_eq(record_merge(&back, 1, &merged, err, sizeof(err)), 0, "%s", err);
	cr_expect(record_equal(&metrics_rec, &merged));
	record_free(&back);
	record_free(&merged);
	tu_tmpdir_remove(dir);
}

Test(metrics, every_report_shows_the_figures)
{
	char *tap = metrics_render(&metrics_rec, "tap", true);
	cr_expect(strstr(tap, "  binary_size: 41\n  expected_max_size: 32\n"), "%s", tap);
	cr_expect(strstr(tap, "  instructions: 22\n  expected_max_instructions: 21\n"), "%s", tap);
	char *junit = metrics_render(&metrics_rec, "junit", false);
	cr_expect(strstr(junit, "<property name=\"too slow: instructions\" value=\"22\"/>"), "%s", junit);
	cr_expect(strstr(junit, "binary_size: 41\n"), "%s", junit);
	char *summary = metrics_render(&metrics_rec, "summary", true);
	cr_expect(strstr(summary, "too big - binary of 41 bytes, more than the limit of 32\n    41 bytes\n"), "%s", summary);
	cr_expect(strstr(summary, "PASS m.yaml: fits\n    7 bytes, 22 instructions\n"), "%s", summary);
	char *html = metrics_render(&metrics_rec, "html", false);
	cr_expect(strstr(html, "7 bytes, 22 instructions"), "%s", html);
	free(tap);
	free(junit);
	free(summary);
	free(html);
}
