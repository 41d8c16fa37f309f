/* Unit tests for the GitHub outputs of a class run: the step output names
 * of the students and the index (report/classroom.c), annotations of
 * several records under one cap (report/workflow.c), the class job
 * summary's table and size limit (report/step_summary.c), and the run's
 * name in each student's Gradescope results (report/gradescope.c). */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "report/class.h"
#include "report/platforms.h"
#include "report/workflow.h"

#define CLASS_CASES 8

struct student_fixture {
	struct record rec;
	struct record_case cases[CLASS_CASES];
};

/* A record of n cases, the first `failed` of them failing with output. */
static void student_init(struct student_fixture *f, size_t n, size_t failed, const char *output)
{
	cr_assert(n <= CLASS_CASES);
	memset(f, 0, sizeof(*f));
	f->rec = (struct record){ .version = (char *)"1.2.3", .backend = (char *)"emu", .cases = f->cases, .count = n };
	for (size_t i = 0; i < n; i++) {
		bool fails = i < failed;
		f->cases[i] = (struct record_case){ .file = (char *)"lab/fact.yaml", .index = (int)i, .line = 1 + (int)i,
						    .name = (char *)(fails ? "wrong" : "right"), .outcome = OUTCOME_HLT,
						    .status = fails ? VERDICT_FAIL : VERDICT_PASS,
						    .reason = (char *)(fails ? "serial output differs at byte 0" : ""),
						    .points_max = 2, .points_earned = fails ? 0 : 2 };
		f->cases[i].output = (struct bytes){ (uint8_t *)output, fails && output ? strlen(output) : 0, 0 };
	}
}

static char *text_of(FILE *mem, char **buf)
{
	cr_assert_eq(fclose(mem), 0);
	return *buf;
}

/* ---- step output names ---- */

struct names_row {
	const char *students[4];
	const char *outputs[4];
};

Test(platforms_class, output_names_are_letters_digits_and_unique_without_case)
{
	static const struct names_row rows[] = {
		{ { "alice", "o'brien", "o%b,c:d", "50" }, { "result_alice", "result_o_brien", "result_o_b_c_d", "result_50" } },
		{ { "a", "A", "a_2", "é" }, { "result_a", "result_A_2", "result_a_2_2", "result___" } },
		{ { "x.y", "x-y", "x y", "x_y" }, { "result_x_y", "result_x_y_2", "result_x_y_3", "result_x_y_4" } },
	};
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct class_student students[4];
		for (size_t i = 0; i < 4; i++)
			students[i] = (struct class_student){ rows[r].students[i], NULL };
		char **names = classroom_output_names(students, 4);
		cr_assert_not_null(names);
		for (size_t i = 0; i < 4; i++)
			cr_expect_str_eq(names[i], rows[r].outputs[i], "row %zu, student %zu", r, i);
		classroom_output_names_free(names, 4);
	}
}

Test(platforms_class, index_lists_each_student_output_and_score)
{
	struct student_fixture alice, bob;
	student_init(&alice, 3, 0, NULL);
	student_init(&bob, 3, 2, "x");
	struct class_student students[] = { { "alice", &alice.rec }, { "bob\xff", &bob.rec }, { "carol", NULL } };
	char *outputs[] = { (char *)"result_alice", (char *)"result_bob_", (char *)"result_carol" };
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	cr_assert_eq(report_classroom_index(students, outputs, 3, mem), 0);
	json_error_t error;
	json_t *index = json_loads(text_of(mem, &buf), 0, &error);
	cr_assert_not_null(index, "%s", error.text);
	cr_assert_eq(json_array_size(index), 3);
	json_t *a = json_array_get(index, 0), *b = json_array_get(index, 1), *c = json_array_get(index, 2);
	cr_expect_str_eq(json_string_value(json_object_get(a, "output")), "result_alice");
	cr_expect_eq(json_number_value(json_object_get(a, "score")), 6);
	cr_expect_str_eq(json_string_value(json_object_get(a, "status")), "pass");
	cr_expect_str_eq(json_string_value(json_object_get(b, "student")), "bob\\xff", "not UTF-8: escaped");
	cr_expect_eq(json_number_value(json_object_get(b, "score")), 2);
	cr_expect_eq(json_number_value(json_object_get(b, "max_score")), 6);
	cr_expect_str_eq(json_string_value(json_object_get(b, "status")), "fail");
	cr_expect_str_eq(json_string_value(json_object_get(c, "status")), "error", "a student not run");
	json_decref(index);
	free(buf);
}

/* ---- annotations of a class ---- */

static size_t lines_starting(const char *text, const char *prefix)
{
	size_t n = 0;
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		n += strncmp(p, prefix, strlen(prefix)) == 0;
	return n;
}

Test(platforms_class, annotations_of_a_class_share_one_cap)
{
	struct student_fixture alice, bob;
	student_init(&alice, 7, 7, NULL);
	student_init(&bob, 7, 7, NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	struct workflow_annotations sink;
	workflow_annotations_begin(&sink, mem, WORKFLOW_MAX_ERRORS, false);
	workflow_annotations_add(&sink, &alice.rec, "alice");
	workflow_annotations_add(&sink, &bob.rec, "b:o,b");
	cr_assert_eq(workflow_annotations_end(&sink), 0);
	char *text = text_of(mem, &buf);
	cr_expect_eq(lines_starting(text, "::error "), 10);
	cr_expect_eq(lines_starting(text, "::error file=lab/fact.yaml,line=1,title=alice%3A kvmcheck%3A wrong::"), 1);
	cr_expect_eq(lines_starting(text, "::error file=lab/fact.yaml,line=3,title=b%3Ao%2Cb%3A kvmcheck%3A wrong::"), 1);
	cr_expect_eq(lines_starting(text, "::notice title=kvmcheck::4 more errors not annotated"), 1);
	cr_expect_eq(lines_starting(text, "::notice"), 1, "one notice for the whole run");
	free(buf);
}

/* ---- the class job summary ---- */

static char *class_summary(const struct class_student *students, size_t count, size_t limit)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	cr_assert_eq(step_summary_class_write(students, count, mem, limit, false), 0);
	return text_of(mem, &buf);
}

Test(platforms_class, class_summary_has_a_row_per_student)
{
	struct student_fixture alice, bob;
	student_init(&alice, 3, 0, NULL);
	student_init(&bob, 8, 7, "out");
	struct class_student students[] = { { "alice", &alice.rec }, { "b|ob", &bob.rec }, { "carol", NULL } };
	char *text = class_summary(students, 3, STEP_SUMMARY_LIMIT);
	cr_expect_not_null(strstr(text, "## kvmcheck: class of 3 students\n\n1 of 3 passed every case"));
	cr_expect_not_null(strstr(text, "\n| alice | 6 | 6 | none |\n"));
	cr_expect_not_null(strstr(text, "\n| b\\|ob | 2 | 16 | wrong, wrong, wrong, wrong, wrong and 2 more |\n"));
	cr_expect_not_null(strstr(text, "\n| carol | 0 | 0 | not run |\n"));
	cr_expect_not_null(strstr(text, "\n### b\\|ob: 2 / 16\n"));
	cr_expect_null(strstr(text, "### alice"), "no section for a student without failures");
	cr_expect_eq(lines_starting(text, "#### "), STEP_SUMMARY_CLASS_FAILURES);
	free(text);
}

Test(platforms_class, class_summary_stays_under_its_limit)
{
	enum { STUDENTS = 40, LIMIT = 16 * 1024 };
	static char output[64 * 1024];
	memset(output, 'A', sizeof(output) - 1);
	struct student_fixture *fixtures = calloc(STUDENTS, sizeof(*fixtures));
	struct class_student students[STUDENTS];
	cr_assert_not_null(fixtures);
	for (size_t i = 0; i < STUDENTS; i++) {
		student_init(&fixtures[i], 8, 8, output);
		students[i] = (struct class_student){ "student", &fixtures[i].rec };
	}
	char *text = class_summary(students, STUDENTS, LIMIT);
	cr_expect_leq(strlen(text), LIMIT);
	cr_expect_eq(lines_starting(text, "| student | 0 | 16 |"), STUDENTS, "every row fits");
	cr_expect_not_null(strstr(text, "left out to stay under GitHub's 16384-byte summary limit"));
	free(text);
	free(fixtures);
}

/* ---- Gradescope names the run ---- */

static json_t *gradescope_of(const struct record *rec)
{
	char *buf = NULL, err[200];
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	cr_assert_eq(report_gradescope_render(rec, mem, NULL, err, sizeof(err)), 0, "%s", err);
	json_error_t error;
	json_t *root = json_loads(text_of(mem, &buf), 0, &error);
	cr_assert_not_null(root, "%s", error.text);
	free(buf);
	return root;
}

Test(platforms_class, gradescope_output_names_the_run)
{
	struct student_fixture f;
	student_init(&f, 3, 1, "x");
	json_t *root = gradescope_of(&f.rec);
	cr_expect_str_eq(json_string_value(json_object_get(root, "output")),
			 "kvmcheck 1.2.3 (backend emu): 2 of 3 cases passed, 4 of 6 points.", "unnamed: as before");
	json_decref(root);
	f.rec.name = (char *)"bob\xff";
	root = gradescope_of(&f.rec);
	cr_expect_str_eq(json_string_value(json_object_get(root, "output")),
			 "kvmcheck 1.2.3 (backend emu), run bob\\xff: 2 of 3 cases passed, 4 of 6 points.",
			 "named, and not UTF-8: escaped");
	json_decref(root);
}
