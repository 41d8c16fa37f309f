/* Unit tests for grading: the `points`, `hidden`, `visibility` and `tags`
 * keys; partial credit from the checks' groups; the score; and redaction of
 * hidden cases in the record. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case/case.h"
#include "judge/grade.h"
#include "judge/verdict.h"
#include "record/record.h"
#include "record/score.h"
#include "report/redact.h"
#include "run/select.h"
#include "testutil.h"

#define CASE_HEAD "name: t\nsource: \"hlt\"\nexpect:\n  serial: \"hi\"\n  registers: {ax: 1}\n"

/* Loads one case from text and checks its point groups as a run does. */
static void load_one(const char *text, struct case_list *list)
{
	*list = (struct case_list){0};
	cr_assert_eq(case_text_load("g.yaml", text, strlen(text), list), 0);
	cr_assert_eq(list->count, 1);
	cr_assert_eq(grade_case_validate(&list->items[0]), 0);
}

/* ---- valid keys ---- */

struct points_ok {
	const char *yaml;       /* after CASE_HEAD */
	double points;
	size_t parts;
	bool hidden;
	const char *visibility; /* NULL: none */
	size_t tags;
};

static const struct points_ok valid[] = {
	{ "", 1, 0, false, NULL, 0 },
	{ "points: 3\n", 3, 0, false, NULL, 0 },
	{ "points: 0\n", 0, 0, false, NULL, 0 },
	{ "points: 2.5\n", 2.5, 0, false, NULL, 0 },
	{ "points: 0.25\n", 0.25, 0, false, NULL, 0 },
	{ "points: {serial: 2, registers: 1.5}\n", 3.5, 2, false, NULL, 0 },
	{ "points: {exit: 1, serial: 0}\n", 1, 2, false, NULL, 0 },
	{ "  max_size: 100\n  max_instructions: 50\npoints: {max_size: 1, max_instructions: 0.5}\n", 1.5, 2, false, NULL, 0 },
	{ "hidden: true\n", 1, 0, true, "after_published", 0 },
	{ "hidden: false\n", 1, 0, false, NULL, 0 },
	{ "hidden: true\nvisibility: after_due_date\n", 1, 0, true, "after_due_date", 0 },
	{ "visibility: hidden\n", 1, 0, true, "hidden", 0 },
	{ "visibility: visible\n", 1, 0, false, "visible", 0 },
	{ "tags: [loops, io]\n", 1, 0, false, NULL, 2 },
	{ "tags: []\n", 1, 0, false, NULL, 0 },
};

Test(grading_keys, valid_keys_load)
{
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), CASE_HEAD "%s", valid[i].yaml);
		struct case_list list;
		load_one(text, &list);
		const struct test_case *c = &list.items[0];
		cr_expect_null(c->error, "%s: %s", valid[i].yaml, c->error);
		cr_expect(c->points == valid[i].points, "%s: points %g", valid[i].yaml, c->points);
		cr_expect_eq(c->point_part_count, valid[i].parts, "%s", valid[i].yaml);
		cr_expect_eq(c->hidden, valid[i].hidden, "%s", valid[i].yaml);
		if (valid[i].visibility)
			cr_expect_str_eq(c->visibility ? c->visibility : "(null)", valid[i].visibility, "%s", valid[i].yaml);
		else
			cr_expect_null(c->visibility, "%s", valid[i].yaml);
		cr_expect_eq(c->tag_count, valid[i].tags, "%s", valid[i].yaml);
		case_list_free(&list);
	}
}

/* ---- invalid keys: a case error naming the place and the cause ---- */

struct points_bad {
	const char *yaml;   /* after CASE_HEAD, which is 5 lines */
	const char *where;  /* "g.yaml:LINE:COLUMN:" */
	const char *cause;  /* a part of the message */
};

static const struct points_bad invalid[] = {
	{ "points: -1\n", "g.yaml:6:9:", "cannot be negative" },
	{ "points: many\n", "g.yaml:6:9:", "must be a number of points" },
	{ "points: \"2\"\n", "g.yaml:6:9:", "must be a number of points" },
	{ "points: 1e3\n", "g.yaml:6:9:", "must be a number of points" },
	{ "points: .\n", "g.yaml:6:9:", "must be a number of points" },
	{ "points: [1]\n", "g.yaml:6:9:", "must be a scalar" },
	{ "points: {}\n", "g.yaml:6:9:", "at least one group" },
	{ "points: {serial: -2}\n", "g.yaml:6:18:", "cannot be negative" },
	{ "points: {serial: x}\n", "g.yaml:6:18:", "must be a number of points" },
	{ "points: {speed: 1}\n", "g.yaml:6:10:", "'speed' is no group of checks" },
	{ "points: {serial: 1, console: 1}\n", "g.yaml:6:21:", "'console' names checks the case does not make" },
	{ "points: {flags: 1}\n", "g.yaml:6:10:", "'flags' names checks the case does not make" },
	{ "hidden: yes\n", "g.yaml:6:9:", "'hidden' must be true or false" },
	{ "visibility: secret\n", "g.yaml:6:13:", "unknown visibility 'secret'" },
	{ "hidden: true\nvisibility: visible\n", "g.yaml:7:13:", "contradicts 'hidden: true'" },
	{ "tags: loops\n", "g.yaml:6:7:", "'tags' must be a list" },
	{ "tags: [\"a,b\"]\n", "g.yaml:6:8:", "without commas" },
	{ "tags: [[a]]\n", "g.yaml:6:8:", "must be a scalar" },
};

Test(grading_keys, invalid_keys_are_case_errors_with_their_place)
{
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), CASE_HEAD "%s", invalid[i].yaml);
		struct case_list list;
		load_one(text, &list);
		const char *err = list.items[0].error;
		cr_expect_not_null(err, "%s: no error", invalid[i].yaml);
		if (err) {
			cr_expect(strncmp(err, invalid[i].where, strlen(invalid[i].where)) == 0, "%s: %s", invalid[i].yaml,
				  err);
			cr_expect_not_null(strstr(err, invalid[i].cause), "%s: %s", invalid[i].yaml, err);
		}
		case_list_free(&list);
	}
}

Test(grading_keys, hidden_is_kept_when_a_later_key_is_wrong)
{
	struct case_list list;
	load_one("name: t\nhidden: true\npoints: 4\nsource: \"hlt\"\nexpect: {serial: [999]}\n", &list);
	cr_expect_not_null(list.items[0].error);
	cr_expect(list.items[0].hidden);
	cr_expect(list.items[0].points == 4);
	case_list_free(&list);
}

/* ---- partial credit ---- */

/* The verdict on a run that halted with output and ax as given. */
static double earned_for(const struct test_case *c, enum outcome outcome, const char *output, uint32_t ax)
{
	struct run_result r = { .outcome = outcome, .regs_valid = true };
	r.output = (struct bytes){ (uint8_t *)output, strlen(output), 0 };
	r.regs.gpr[GPR_EAX] = ax;
	struct verdict v;
	cr_assert_eq(verdict_judge(c, &r, &v), 0);
	double earned = grade_points_earned(c, outcome, &v);
	verdict_free(&v);
	return earned;
}

struct credit_row {
	const char *points;   /* the points: key */
	enum outcome outcome;
	const char *output;   /* the case expects "hi" */
	uint32_t ax;          /* the case expects 1 */
	double earned;
};

static const struct credit_row credit[] = {
	{ "points: 4", OUTCOME_HLT, "hi", 1, 4 },
	{ "points: 4", OUTCOME_HLT, "hi", 2, 0 },
	{ "points: {serial: 2, registers: 1}", OUTCOME_HLT, "hi", 1, 3 },
	{ "points: {serial: 2, registers: 1}", OUTCOME_HLT, "hi", 2, 2 },
	{ "points: {serial: 2, registers: 1}", OUTCOME_HLT, "no", 1, 1 },
	{ "points: {serial: 2, registers: 1}", OUTCOME_HLT, "no", 2, 0 },
	{ "points: {exit: 0.5, serial: 2}", OUTCOME_TIMEOUT, "hi", 2, 2 },
	{ "points: {exit: 0.5, registers: 1}", OUTCOME_HLT, "no", 1, 1.5 },
	/* the program never ran: checks that happen to pass earn nothing */
	{ "points: {serial: 2, registers: 1}", OUTCOME_ASSEMBLE_ERROR, "hi", 1, 0 },
	{ "points: {serial: 2, registers: 1}", OUTCOME_ERROR, "hi", 1, 0 },
};

Test(grading_credit, parts_earn_when_their_group_passed)
{
	for (size_t i = 0; i < sizeof(credit) / sizeof(credit[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), CASE_HEAD "%s\n", credit[i].points);
		struct case_list list;
		load_one(text, &list);
		cr_assert_null(list.items[0].error, "%s", list.items[0].error);
		double earned = earned_for(&list.items[0], credit[i].outcome, credit[i].output, credit[i].ax);
		cr_expect(earned == credit[i].earned, "row %zu (%s): earned %g, expected %g", i, credit[i].points, earned,
			  credit[i].earned);
		case_list_free(&list);
	}
}

Test(grading_credit, a_case_error_earns_nothing)
{
	struct case_list list;
	load_one("name: t\npoints: 5\nsource: \"hlt\"\nbogus: 1\n", &list);
	cr_assert_not_null(list.items[0].error);
	cr_expect(earned_for(&list.items[0], OUTCOME_CASE_ERROR, "", 0) == 0);
	case_list_free(&list);
}

Test(grading_credit, every_kind_of_check_has_a_group)
{
	for (int k = 0; k < CHECK_KIND_COUNT; k++)
		cr_expect_not_null(grade_group_of((enum check_kind)k), "check kind %d has no point group", k);
	cr_expect_str_eq(grade_group_list(),
			 "exit, serial, registers, flags, exit_code, console, screen, max_size, max_instructions, memory");
}

/* ---- the record: grading fields, score, JSON, redaction ---- */

static const char secret_out[] = "SECRET-OUTPUT";

static void record_sample(struct record *rec)
{
	*rec = (struct record){ .version = strdup("t"), .backend = strdup("emu") };
	static char *tags[] = { "io", "loops" };
	struct check k = {0};
	cr_assert_eq(check_set(&k, CHECK_SERIAL, "output", "SECRET-EXPECT", 13, secret_out, 13, true, false, 0), 0);
	struct record_case cases[] = {
		{ .file = "a.yaml", .name = "visible one", .status = VERDICT_PASS, .reason = "", .points_max = 2,
		  .points_earned = 2, .tags = tags, .tag_count = 2 },
		{ .file = "a.yaml", .index = 1, .name = "hidden one", .status = VERDICT_FAIL,
		  .reason = "serial output differs at byte 0", .checks = &k, .check_count = 1,
		  .output = { (uint8_t *)secret_out, 13, 0 }, .message = "SECRET-MESSAGE", .points_max = 3,
		  .points_earned = 1.5, .hidden = true, .visibility = "after_published", .regs_valid = true,
		  .reg_count = 1, .regs = { { "eax", 32, 0x5ec7e7 } } },
		{ .file = "b.yaml", .name = "other", .status = VERDICT_ERROR, .reason = "", .points_max = 0.5 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_eq(record_case_append(rec, &cases[i]), 0);
	check_free(&k);
}

Test(grading_record, score_in_total_and_per_file)
{
	struct record rec;
	record_sample(&rec);
	struct score all = record_score(&rec), a = record_file_score(&rec, "a.yaml"), b = record_file_score(&rec, "b.yaml");
	cr_expect(all.earned == 3.5 && all.max == 5.5);
	cr_expect(a.earned == 3.5 && a.max == 5);
	cr_expect(b.earned == 0 && b.max == 0.5);
	char text[64];
	score_format(all, text, sizeof(text));
	cr_expect_str_eq(text, "3.5/5.5");
	score_format((struct score){ 7, 10 }, text, sizeof(text));
	cr_expect_str_eq(text, "7/10");
	score_format((struct score){ 0.1 + 0.2, 1.25 }, text, sizeof(text));
	cr_expect_str_eq(text, "0.3/1.25");
	record_free(&rec);
}

/* Saves rec as JSON into a string (freed by the caller). */
static char *json_of(const struct record *rec, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	char err[256];
	cr_assert_eq(record_json_write(rec, f, err, sizeof(err)), 0, "%s", err);
	fclose(f);
	return text;
}

Test(grading_record, grading_fields_round_trip_through_json)
{
	struct record rec, back;
	record_sample(&rec);
	char dir[256], path[512], err[256];
	tu_tmpdir_make(dir, sizeof(dir));
	size_t len;
	char *text = json_of(&rec, &len);
	tu_write(dir, "r.json", text, len);
	tu_path(path, sizeof(path), dir, "r.json");
	cr_assert_eq(record_json_load(path, &back, err, sizeof(err)), 0, "%s", err);
	cr_expect(record_equal(&rec, &back));
	cr_expect(back.cases[1].hidden && back.cases[1].points_earned == 1.5);
	cr_expect_eq(back.cases[0].tag_count, 2);
	back.cases[1].points_earned = 1;
	cr_expect_not(record_equal(&rec, &back), "points are compared");
	free(text);
	record_free(&rec);
	record_free(&back);
	cr_expect(tu_tmpdir_remove(dir));
}

Test(grading_redact, a_redacted_copy_is_a_record_of_its_own)
{
	struct record rec, copy;
	record_sample(&rec);
	cr_assert_eq(report_record_redact(&rec, false, &copy), 0);
	cr_expect_str_eq(copy.version, rec.version);
	cr_expect_neq(copy.version, rec.version);
	cr_expect_eq(copy.count, 3);
	cr_expect_eq(copy.cases[1].check_count, 0);
	cr_expect_null(copy.cases[1].message);
	record_free(&copy);
	record_free(&rec);
}

Test(grading_redact, only_hidden_cases_are_redacted_unless_revealed)
{
	struct record rec;
	record_sample(&rec);
	cr_expect_not(report_case_redacted(&rec.cases[0], false));
	cr_expect(report_case_redacted(&rec.cases[1], false));
	cr_expect_not(report_case_redacted(&rec.cases[1], true));
	record_free(&rec);
}

Test(grading_redact, a_redacted_record_holds_no_hidden_detail)
{
	struct record rec, red, full;
	record_sample(&rec);
	cr_assert_eq(report_record_shown(&rec, false, &red), 0);
	cr_assert_eq(report_record_shown(&rec, true, &full), 0);
	cr_expect(record_equal(&rec, &full), "--reveal-hidden keeps everything");
	cr_expect_eq(red.version, rec.version, "the head is borrowed, whatever it holds");
	const struct record_case *h = &red.cases[1];
	cr_expect_str_eq(h->name, "hidden one");
	cr_expect_eq(h->status, VERDICT_FAIL);
	cr_expect(h->points_max == 3 && h->points_earned == 1.5 && h->hidden);
	size_t len;
	char *text = json_of(&red, &len);
	const char *secrets[] = { "SECRET", "5ec7e7", "6211559" /* 0x5ec7e7 in decimal */, "differs" };
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		cr_expect_null(strstr(text, secrets[i]), "'%s' in the redacted record", secrets[i]);
	cr_expect_not_null(strstr(text, "visible one"));
	free(text);
	text = json_of(&full, &len);
	cr_expect_not_null(strstr(text, "SECRET-MESSAGE"));
	free(text);
	report_record_shown_free(&red);
	report_record_shown_free(&full);
	record_free(&rec);
}

/* ---- --tags and --skip-tags ---- */

struct tags_row {
	const char *tags[2];      /* --tags lists, NULL-padded */
	const char *skip[2];      /* --skip-tags lists */
	bool runs;                /* the case is tagged io, loops */
};

static const struct tags_row tag_rows[] = {
	{ { NULL }, { NULL }, true },
	{ { "io" }, { NULL }, true },
	{ { "speed,loops" }, { NULL }, true },
	{ { "speed" }, { NULL }, false },
	{ { "speed", "loops" }, { NULL }, true },
	{ { "lo" }, { NULL }, false },
	{ { ",,io," }, { NULL }, true },
	{ { NULL }, { "loops" }, false },
	{ { NULL }, { "speed" }, true },
	{ { "io" }, { "speed", "io" }, false },
	{ { "io" }, { "speed,x" }, true },
};

Test(grading_tags, tags_and_skip_tags_select)
{
	struct case_list list;
	load_one(CASE_HEAD "tags: [io, loops]\n", &list);
	for (size_t i = 0; i < sizeof(tag_rows) / sizeof(tag_rows[0]); i++) {
		const struct tags_row *r = &tag_rows[i];
		int tc = (r->tags[0] != NULL) + (r->tags[1] != NULL), sc = (r->skip[0] != NULL) + (r->skip[1] != NULL);
		cr_expect_eq(tags_select(r->tags, tc, r->skip, sc, &list.items[0]), r->runs, "row %zu", i);
	}
	case_list_free(&list);
	load_one(CASE_HEAD, &list);
	const char *io[] = { "io" };
	cr_expect_not(tags_select(io, 1, NULL, 0, &list.items[0]), "an untagged case has none of the tags");
	cr_expect(tags_select(NULL, 0, io, 1, &list.items[0]), "nor is it skipped");
	case_list_free(&list);
}
