/* Unit tests for grading submissions: where a case's `submission:` file may
 * be (case/submission_path.c), the names runs take from their folders and
 * the list of folders (cli/submissions.c), and the class CSV with its
 * quoting and formula guard (report/class.c), and that each case of a
 * class runs against its own student's folder (run/runner.c). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "case/case.h"
#include "case/submission_path.h"
#include "machine/backend.h"
#include "cli/submissions.h"
#include "report/class.h"
#include "run/runner.h"
#include "testutil.h"

static char dir[256];

static void tmp_init(void)
{
	tu_tmpdir_make(dir, sizeof(dir));
}

static void tmp_fini(void)
{
	cr_assert(tu_tmpdir_remove(dir));
}

TestSuite(submission_path, .init = tmp_init, .fini = tmp_fini);
TestSuite(submission_name, .init = tmp_init, .fini = tmp_fini);
TestSuite(submission_csv);
TestSuite(submission_record, .init = tmp_init, .fini = tmp_fini);

/* ------------------------------------------------------------ confinement */

static const struct {
	const char *relative;
	const char *error; /* part of the message, or NULL when allowed */
} spelling_rows[] = {
	{ "fact.asm", NULL },
	{ "src/fact.asm", NULL },
	{ "./fact.asm", NULL },
	{ "..fact.asm", NULL },
	{ "fact..asm", NULL },
	{ "", "'submission' is empty" },
	{ "/etc/passwd", "'submission' is the absolute path '/etc/passwd'" },
	{ "../cases/fact.yaml", "'submission' '../cases/fact.yaml' goes up with '..'" },
	{ "src/../../bob/fact.asm", "goes up with '..'" },
	{ "src/..", "goes up with '..'" },
	{ "..", "goes up with '..'" },
};

Test(submission_path, spelling_table)
{
	for (size_t i = 0; i < sizeof(spelling_rows) / sizeof(spelling_rows[0]); i++) {
		char why[300] = "";
		int rc = submission_path_check(spelling_rows[i].relative, why, sizeof(why));
		if (!spelling_rows[i].error) {
			cr_expect_eq(rc, 0, "'%s' refused: %s", spelling_rows[i].relative, why);
		} else {
			cr_expect_eq(rc, -1, "'%s' allowed", spelling_rows[i].relative);
			cr_expect(strstr(why, spelling_rows[i].error), "'%s': %s", spelling_rows[i].relative, why);
		}
	}
}

/* A student's folder with a file, a symlink inside, symlinks leading out
 * (to a file, to a folder) and a sibling student. */
static void folders_make(char *student, size_t len)
{
	char path[512], target[512];
	tu_path(student, len, dir, "alice");
	cr_assert_eq(mkdir(student, 0700), 0);
	tu_path(path, sizeof(path), dir, "bob");
	cr_assert_eq(mkdir(path, 0700), 0);
	tu_write_str(dir, "bob/fact.asm", "; bob's\n");
	tu_write_str(dir, "case.yaml", "secret: 1\n");
	tu_write_str(dir, "alice/fact.asm", "hlt\n");
	tu_path(path, sizeof(path), student, "inside.asm");
	cr_assert_eq(symlink("fact.asm", path), 0);
	tu_path(path, sizeof(path), student, "out.asm");
	tu_path(target, sizeof(target), dir, "case.yaml");
	cr_assert_eq(symlink(target, path), 0);
	tu_path(path, sizeof(path), student, "up");
	cr_assert_eq(symlink("../bob", path), 0);
}

static const struct {
	const char *relative;
	const char *error;
} resolve_rows[] = {
	{ "fact.asm", NULL },
	{ "inside.asm", NULL },           /* a link that stays: the snapshot refuses it later, as a file */
	{ "missing.asm", NULL },          /* nasm says it cannot open it: the student's mistake */
	{ "out.asm", "leads out of the submission folder" },
	{ "up/fact.asm", "leads out of the submission folder" },
	{ "up", "leads out of the submission folder" },
	{ "../bob/fact.asm", "goes up with '..'" },
	{ "nowhere/fact.asm", "its folder is not in the submission folder" },
};

Test(submission_path, resolve_table)
{
	char student[512];
	folders_make(student, sizeof(student));
	for (size_t i = 0; i < sizeof(resolve_rows) / sizeof(resolve_rows[0]); i++) {
		char why[600] = "";
		char *path = NULL;
		int rc = submission_path_resolve(student, resolve_rows[i].relative, &path, why, sizeof(why));
		if (!resolve_rows[i].error) {
			cr_expect_eq(rc, 0, "'%s' refused: %s", resolve_rows[i].relative, why);
			char want[600];
			snprintf(want, sizeof(want), "%s/%s", student, resolve_rows[i].relative);
			cr_expect_str_eq(path ? path : "(null)", want);
		} else {
			cr_expect_eq(rc, -1, "'%s' allowed", resolve_rows[i].relative);
			cr_expect_null(path);
			cr_expect(strstr(why, resolve_rows[i].error), "'%s': %s", resolve_rows[i].relative, why);
		}
		free(path);
	}
}

/* The key is read and checked by its spelling when the case file is. */
Test(submission_path, case_key)
{
	struct case_list list = {0};
	const char *text = "submission: fact.asm\n"
			   "---\n"
			   "submission: fact.asm\nsource: \"%include 'fact.asm'\"\n"
			   "---\n"
			   "submission: ../cases/t.yaml\n"
			   "---\n"
			   "submission: fact.asm\nguest: g.asm\n";
	cr_assert_eq(case_text_load("t.yaml", text, strlen(text), &list), 0);
	cr_assert_eq(list.count, 4);
	cr_expect_null(list.items[0].error, "%s", list.items[0].error);
	cr_expect_str_eq(list.items[0].submission, "fact.asm");
	cr_expect_null(list.items[0].source);
	cr_expect_null(list.items[1].error, "%s", list.items[1].error);
	cr_expect_not_null(list.items[1].source);
	cr_expect_str_eq(list.items[2].error ? list.items[2].error : "",
			 "t.yaml:6:13: 'submission' '../cases/t.yaml' goes up with '..': it names a file inside the "
			 "submission folder");
	cr_expect(list.items[3].error && strstr(list.items[3].error, "not both"), "%s", list.items[3].error);
	case_list_free(&list);
}

/* Without --submission a submission case is a case error saying so, and
 * nothing is assembled from anywhere else. */
Test(submission_path, case_without_a_submission_folder)
{
	struct case_list list = {0};
	const char *text = "submission: fact.asm\n";
	cr_assert_eq(case_text_load("t.yaml", text, strlen(text), &list), 0);
	struct runner rn = { .in_process = true };
	runner_options_default(&rn.opt);
	struct run_result r;
	runner_run_case(&rn, &list.items[0], &r);
	cr_expect_eq(r.outcome, OUTCOME_CASE_ERROR);
	cr_expect(r.message && strstr(r.message, "'submission: fact.asm', but no --submission folder was given"), "%s",
		  r.message);
	run_result_free(&r);
	case_list_free(&list);
}

/* A class run gives each case its student's folder (test_case.submission_dir):
 * it wins over the run's --submission, and one runner with one assembly
 * cache keeps the students apart, the same source name giving each student
 * their own program. */
Test(submission_path, each_case_runs_against_its_own_folder)
{
	if (!tu_backend_wanted("emu"))
		cr_skip("emu not wanted here");
	char alice[300], bob[300];
	tu_path(alice, sizeof(alice), dir, "alice");
	tu_path(bob, sizeof(bob), dir, "bob");
	cr_assert_eq(mkdir(alice, 0700), 0);
	cr_assert_eq(mkdir(bob, 0700), 0);
	tu_write_str(alice, "answer.asm", "mov ax, 1\nhlt\n");
	tu_write_str(bob, "answer.asm", "mov ax, 2\nhlt\n");
	struct case_list list = {0};
	const char *text = "submission: answer.asm\n---\nsubmission: answer.asm\n---\nsubmission: answer.asm\n";
	cr_assert_eq(case_text_load("t.yaml", text, strlen(text), &list), 0);
	list.items[1].submission_dir = bob;
	list.items[2].submission_dir = alice;
	struct runner rn = { .backend = &backend_emu, .cache = assembly_cache_new(), .in_process = true };
	runner_options_default(&rn.opt);
	rn.opt.unsafe_assembler = true; /* confined where the host allows; test_sandbox.c tests that */
	rn.opt.submission_dir = alice;
	static const uint16_t want_ax[] = { 1, 2, 1 };
	for (size_t i = 0; i < list.count; i++) {
		struct run_result r;
		runner_run_case(&rn, &list.items[i], &r);
		cr_expect_eq(r.outcome, OUTCOME_HLT, "case %zu: %s", i, r.message ? r.message : "");
		cr_expect(r.regs_valid && (uint16_t)r.regs.gpr[GPR_EAX] == want_ax[i], "case %zu: ax is %#llx", i,
			  (unsigned long long)r.regs.gpr[GPR_EAX]);
		run_result_free(&r);
	}
	assembly_cache_free(rn.cache);
	case_list_free(&list);
}

/* ------------------------------------------------------------------ names */

Test(submission_name, from_the_real_folder)
{
	char path[512], why[600] = "";
	tu_path(path, sizeof(path), dir, "alice");
	cr_assert_eq(mkdir(path, 0700), 0);
	char *name = submission_name_of(path, why, sizeof(why));
	cr_expect_str_eq(name ? name : why, "alice");
	free(name);
	tu_path(path, sizeof(path), dir, "alice/");
	name = submission_name_of(path, why, sizeof(why));
	cr_expect_str_eq(name ? name : why, "alice");
	free(name);
	tu_path(path, sizeof(path), dir, "alice/.");
	name = submission_name_of(path, why, sizeof(why));
	cr_expect_str_eq(name ? name : why, "alice");
	free(name);
	tu_path(path, sizeof(path), dir, "nobody");
	cr_expect_null(submission_name_of(path, why, sizeof(why)));
	cr_expect(strstr(why, "is not a folder: No such file"), "%s", why);
}

static const struct {
	const char *name;
	bool ok;
} name_rows[] = {
	{ "alice", true }, { "=cmd|' -C calc'!A0", true }, { "o'brien, m", true }, { "élève", true },
	{ "", false }, { ".", false }, { "..", false }, { "a/b", false }, { "a\nb", false }, { "a\033[2Jb", false },
};

Test(submission_name, check_table)
{
	for (size_t i = 0; i < sizeof(name_rows) / sizeof(name_rows[0]); i++) {
		char why[300] = "";
		cr_expect_eq(submission_name_check(name_rows[i].name, why, sizeof(why)) == 0, name_rows[i].ok,
			     "row %zu: %s", i, why);
	}
}

Test(submission_name, same_name_twice_names_both)
{
	char a[512], b[512], why[600] = "";
	tu_path(a, sizeof(a), dir, "x");
	cr_assert_eq(mkdir(a, 0700), 0);
	tu_path(a, sizeof(a), dir, "x/alice");
	tu_path(b, sizeof(b), dir, "alice");
	cr_assert_eq(mkdir(a, 0700), 0);
	cr_assert_eq(mkdir(b, 0700), 0);
	struct submission_list list = {0};
	cr_assert_eq(submission_list_add(&list, a, why, sizeof(why)), 0, "%s", why);
	cr_expect_eq(submission_list_add(&list, b, why, sizeof(why)), -1);
	cr_expect(strstr(why, a) && strstr(why, b) && strstr(why, "the same name 'alice'"), "%s", why);
	cr_expect_eq(list.count, 1);
	submission_list_free(&list);
}

Test(submission_name, list_skips_blanks_and_comments)
{
	char a[512], b[512];
	tu_path(a, sizeof(a), dir, "alice");
	tu_path(b, sizeof(b), dir, "bob");
	cr_assert_eq(mkdir(a, 0700), 0);
	cr_assert_eq(mkdir(b, 0700), 0);
	char text[1400];
	snprintf(text, sizeof(text), "# the class\n\n  %s  \r\n   # later\n%s\n", a, b);
	FILE *in = fmemopen(text, strlen(text), "r");
	struct submission_list list = {0};
	char why[600] = "";
	cr_assert_eq(submission_list_read(&list, in, "list.txt", why, sizeof(why)), 0, "%s", why);
	fclose(in);
	cr_assert_eq(list.count, 2);
	cr_expect_str_eq(list.items[0].dir, a);
	cr_expect_str_eq(list.items[1].name, "bob");
	snprintf(text, sizeof(text), "%s\n\n%s/nobody\n", a, dir);
	in = fmemopen(text, strlen(text), "r");
	cr_expect_eq(submission_list_read(&list, in, "list.txt", why, sizeof(why)), -1);
	fclose(in);
	cr_expect(strncmp(why, "list.txt:1: ", 12) == 0 && strstr(why, "the same name 'alice'"), "%s", why);
	submission_list_free(&list);
}

Test(submission_name, report_paths_per_student)
{
	bool failed = false;
	char *p = submission_report_path("reports/junit.xml", "alice", &failed);
	cr_expect_str_eq(p, "reports/alice/junit.xml");
	free(p);
	p = submission_report_path("out.tap", "bob", &failed);
	cr_expect_str_eq(p, "bob/out.tap");
	free(p);
	p = submission_report_path("/a/b/c.json", "o'brien, m", &failed);
	cr_expect_str_eq(p, "/a/b/o'brien, m/c.json");
	free(p);
	cr_expect_null(submission_report_path(NULL, "alice", &failed));
	cr_expect(!failed);
}

/* -------------------------------------------------------------------- CSV */

static char *csv_field(const char *text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	cr_assert_eq(class_csv_field(out, text), 0);
	fclose(out);
	return buf;
}

static const struct {
	const char *text, *field;
} csv_rows[] = {
	{ "alice", "alice" },
	{ "", "" },
	{ "o'brien, m", "\"o'brien, m\"" },
	{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
	{ "two\nlines", "\"two\nlines\"" },
	{ "cr\rhere", "\"cr\rhere\"" },
	{ "=1+1", "\"'=1+1\"" },
	{ "+1", "\"'+1\"" },
	{ "-1", "\"'-1\"" },
	{ "@SUM(A1)", "\"'@SUM(A1)\"" },
	{ "\t=x", "\"'\t=x\"" },
	{ "=HYPERLINK(\"x\",\"y\")", "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"" },
	{ "a=b", "a=b" },
	{ "fact.yaml:2", "fact.yaml:2" },
};

Test(submission_csv, quoting_and_formula_table)
{
	for (size_t i = 0; i < sizeof(csv_rows) / sizeof(csv_rows[0]); i++) {
		char *field = csv_field(csv_rows[i].text);
		cr_expect_str_eq(field, csv_rows[i].field, "row %zu", i);
		free(field);
	}
}

/* A case worth max points that earned them when it passed (max 0: ungraded). */
static void case_add_worth(struct record *rec, const char *name, int index, enum verdict_status status, double max)
{
	struct record_case c = { .file = "a.yaml", .index = index, .name = (char *)name, .status = status,
				 .reason = "", .points_max = max, .points_earned = status == VERDICT_PASS ? max : 0 };
	cr_assert_eq(record_case_append(rec, &c), 0);
}

static void case_add(struct record *rec, const char *name, int index, enum verdict_status status)
{
	case_add_worth(rec, name, index, status, 1);
}

/* Columns by case name, FILE:INDEX where names repeat; points per case,
 * pass/fail for an ungraded one; a student whose run could not be made has
 * empty cells. */
Test(submission_csv, the_whole_file)
{
	struct record a = {0}, b = {0};
	case_add(&a, "greet", 0, VERDICT_PASS);
	case_add(&a, "twice", 1, VERDICT_PASS);
	case_add_worth(&a, "twice", 2, VERDICT_PASS, 2.5);
	case_add_worth(&a, "style", 3, VERDICT_PASS, 0);
	case_add(&b, "greet", 0, VERDICT_FAIL);
	case_add(&b, "twice", 1, VERDICT_ERROR);
	case_add_worth(&b, "twice", 2, VERDICT_PASS, 2.5);
	case_add_worth(&b, "style", 3, VERDICT_FAIL, 0);
	struct class_student students[] = { { "alice", &a }, { "=bob", &b }, { "carol", NULL } };
	char *text = NULL;
	size_t len = 0;
	char err[300] = "";
	FILE *out = open_memstream(&text, &len);
	cr_assert_eq(report_class_csv(students, 3, out, err, sizeof(err)), 0, "%s", err);
	fclose(out);
	cr_expect_str_eq(text, "student,points,max,greet,a.yaml:1,a.yaml:2,style\r\n"
			       "alice,4.5,4.5,1,1,2.5,pass\r\n"
			       "\"'=bob\",2.5,4.5,0,0,2.5,fail\r\n"
			       "carol,0,0,,,,\r\n");
	free(text);
	record_free(&a);
	record_free(&b);
}

/* ------------------------------------------------------- the run's name */

static void record_save(const struct record *rec, const char *name, char *path, size_t len)
{
	char err[300] = "";
	tu_path(path, len, dir, name);
	FILE *out = fopen(path, "w");
	cr_assert_not_null(out);
	cr_assert_eq(record_json_write(rec, out, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(fclose(out), 0);
}

Test(submission_record, name_saved_loaded_and_merged)
{
	struct record a = { .version = "0.1.0", .backend = "emu", .name = "o'brien, m" };
	struct record b = { .version = "0.1.0", .backend = "emu", .name = "o'brien, m" };
	case_add(&a, "greet", 0, VERDICT_PASS);
	case_add(&b, "twice", 1, VERDICT_FAIL);
	char path[512], err[300] = "";
	struct record parts[2] = {0}, merged = {0};
	record_save(&a, "a.json", path, sizeof(path));
	cr_assert_eq(record_json_load(path, &parts[0], err, sizeof(err)), 0, "%s", err);
	cr_expect(record_equal(&a, &parts[0]));
	cr_expect_str_eq(parts[0].name, "o'brien, m");
	record_save(&b, "b.json", path, sizeof(path));
	cr_assert_eq(record_json_load(path, &parts[1], err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(record_merge(parts, 2, &merged, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(merged.name, "o'brien, m");
	cr_expect_eq(merged.count, 2);
	record_free(&merged);
	free(parts[1].name);
	parts[1].name = strdup("bob");
	cr_expect_eq(record_merge(parts, 2, &merged, err, sizeof(err)), -1);
	cr_expect(strstr(err, "differently named runs (o'brien, m and bob)"), "%s", err);
	/* An unnamed run's record has no name, and reads back without one. */
	struct record unnamed = { .version = "0.1.0", .backend = "emu" }, back = {0};
	record_save(&unnamed, "u.json", path, sizeof(path));
	cr_assert_eq(record_json_load(path, &back, err, sizeof(err)), 0, "%s", err);
	cr_expect_null(back.name);
	record_free(&back);
	for (size_t i = 0; i < 2; i++)
		record_free(&parts[i]);
	a.name = b.name = a.version = b.version = a.backend = b.backend = NULL;
	record_free(&a);
	record_free(&b);
}
