/* Unit tests for the JUnit report (report/junit.c): structure and counts,
 * read back with libxml2, and well-formedness checked by xmllint whatever
 * bytes the names, messages and guest output hold. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/report.h"
#include "report/excerpt.h"

#define MAX_CASES 6
#define MAX_CHECKS 4

struct fixture {
	struct run_result results[MAX_CASES];
	struct verdict verdicts[MAX_CASES];
	struct check checks[MAX_CASES][MAX_CHECKS]; /* texts point at literals: nothing to free */
	struct case_report cases[MAX_CASES];
	struct run_report rep;
	char path[64];
	struct render_options opt; /* zero: the default, Jenkins' flavour */
	xmlDocPtr doc;
	xmlXPathContextPtr xpath;
};

static struct fixture f;

static void setup(void)
{
	memset(&f, 0, sizeof(f));
	f.rep = (struct run_report){ .version = "1.2.3", .backend = "kvm", .cases = f.cases,
				     .elapsed_ns = 1234567890 };
	snprintf(f.path, sizeof(f.path), "/tmp/kvmcheck-junit-XXXXXX");
	int fd = mkstemp(f.path);
	cr_assert_geq(fd, 0);
	close(fd);
}

static void teardown(void)
{
	if (f.xpath)
		xmlXPathFreeContext(f.xpath);
	if (f.doc)
		xmlFreeDoc(f.doc);
	unlink(f.path);
}

TestSuite(report_junit, .init = setup, .fini = teardown);

static void add_check(size_t i, enum check_kind kind, const char *label, const void *expected, size_t expected_len,
		      const void *actual, size_t actual_len, bool passed, int64_t first_difference)
{
	struct verdict *v = &f.verdicts[i];
	cr_assert(v->check_count < MAX_CHECKS);
	f.checks[i][v->check_count++] = (struct check){
		.kind = kind, .label = (char *)label, .expected = { (uint8_t *)expected, expected_len, expected_len },
		.actual = { (uint8_t *)actual, actual_len, actual_len }, .actual_known = true, .passed = passed,
		.first_difference = first_difference,
	};
	v->checks = f.checks[i];
}

static size_t add_case(const char *file, int index, const char *name, enum verdict_status status)
{
	size_t i = f.rep.count++;
	cr_assert(i < MAX_CASES);
	struct run_result *r = &f.results[i];
	r->outcome = status == VERDICT_ERROR ? OUTCOME_ERROR : OUTCOME_HLT;
	r->exits = 10 + i;
	r->backend = "kvm";
	r->times = (struct stage_times){ 1000000, 200000, 30000, 4567 };
	struct verdict *v = &f.verdicts[i];
	v->status = status;
	const char *outcome = outcome_name(r->outcome);
	add_check(i, CHECK_OUTCOME, "exit", "hlt", 3, outcome, strlen(outcome), r->outcome == OUTCOME_HLT, -1);
	if (status == VERDICT_FAIL)
		snprintf(v->reason, sizeof(v->reason), "serial output differs at byte 2");
	else if (status == VERDICT_ERROR)
		snprintf(v->reason, sizeof(v->reason), "unmapped memory read");
	f.cases[i] = (struct case_report){ file, index, name, r, v, 0, NULL };
	return i;
}

static void set_output(size_t i, const char *data, size_t len)
{
	f.results[i].output = (struct bytes){ .data = (uint8_t *)data, .len = len, .cap = len };
}

/* The case's output is the actual value: set it first. */
static void expect_output(size_t i, const char *expected, long diff_at)
{
	const struct bytes *out = &f.results[i].output;
	add_check(i, CHECK_SERIAL, "output", expected, strlen(expected), out->data, out->len, diff_at < 0, diff_at);
}

/* The fixture's run, through its results record, into the file at path. */
static int junit_write(const char *path, char *err, size_t err_len)
{
	struct record rec;
	cr_assert_eq(record_build(&f.rep, &rec), 0);
	int rc = report_file_render(path, renderer_find("junit"), &rec, &f.opt, err, err_len);
	record_free(&rec);
	return rc;
}

/* Writes the report, checks it with xmllint and parses it back. */
static void write_and_load(void)
{
	char err[256] = "";
	cr_assert_eq(junit_write(f.path, err, sizeof(err)), 0, "%s", err);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "xmllint --noout %s", f.path);
	cr_assert_eq(system(cmd), 0, "xmllint rejected %s", f.path);
	f.doc = xmlReadFile(f.path, NULL, XML_PARSE_NONET);
	cr_assert_not_null(f.doc);
	f.xpath = xmlXPathNewContext(f.doc);
	cr_assert_not_null(f.xpath);
}

static double xpath_number(const char *expr)
{
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, f.xpath);
	cr_assert_not_null(o, "bad XPath %s", expr);
	double n = xmlXPathCastToNumber(o);
	xmlXPathFreeObject(o);
	return n;
}

/* The string value of expr, copied so that a failing assertion leaks nothing. */
static const char *xpath_string(const char *expr)
{
	static char value[1024];
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, f.xpath);
	cr_assert_not_null(o, "bad XPath %s", expr);
	xmlChar *s = xmlXPathCastToString(o);
	xmlXPathFreeObject(o);
	snprintf(value, sizeof(value), "%s", s ? (const char *)s : "");
	xmlFree(s);
	return value;
}

static void assert_xpath_str(const char *expr, const char *expected)
{
	cr_assert_str_eq(xpath_string(expr), expected, "%s", expr);
}

Test(report_junit, counts_and_suites_in_order_of_first_appearance)
{
	add_case("cases/b.yaml", 0, "b0", VERDICT_PASS);
	add_case("cases/a.yaml", 0, "a0", VERDICT_FAIL);
	add_case("cases/b.yaml", 1, "b1", VERDICT_ERROR);
	add_case("cases/b.yaml", 2, "b2", VERDICT_FAIL);
	write_and_load();
	cr_assert_eq(xpath_number("count(/testsuites)"), 1);
	assert_xpath_str("/testsuites/@name", "kvmcheck");
	cr_assert_eq(xpath_number("/testsuites/@tests"), 4);
	cr_assert_eq(xpath_number("/testsuites/@failures"), 2);
	cr_assert_eq(xpath_number("/testsuites/@errors"), 1);
	assert_xpath_str("/testsuites/@time", "1.234568");
	/* junit-10.xsd: properties belong to a testsuite, not to testsuites */
	cr_assert_eq(xpath_number("count(/testsuites/properties)"), 0);
	assert_xpath_str("/testsuites/testsuite[1]/properties/property[@name='backend']/@value", "kvm");
	assert_xpath_str("/testsuites/testsuite[2]/properties/property[@name='version']/@value", "1.2.3");
	cr_assert_eq(xpath_number("count(/testsuites/testsuite)"), 2);
	assert_xpath_str("/testsuites/testsuite[1]/@name", "cases/b.yaml");
	assert_xpath_str("/testsuites/testsuite[2]/@name", "cases/a.yaml");
	cr_assert_eq(xpath_number("/testsuites/testsuite[1]/@tests"), 3);
	cr_assert_eq(xpath_number("/testsuites/testsuite[1]/@failures"), 1);
	cr_assert_eq(xpath_number("/testsuites/testsuite[1]/@errors"), 1);
	cr_assert_eq(xpath_number("count(/testsuites/testsuite[1]/testcase)"), 3);
	cr_assert_eq(xpath_number("count(//testcase)"), 4);
	/* Each case takes 1000000 + 200000 + 30000 + 4567 ns; a suite sums
	 * nanoseconds, not the rounded case times. */
	assert_xpath_str("/testsuites/testsuite[1]/testcase[1]/@time", "0.001235");
	assert_xpath_str("/testsuites/testsuite[1]/@time", "0.003704");
	assert_xpath_str("/testsuites/testsuite[1]/testcase[3]/@name", "b2");
	assert_xpath_str("/testsuites/testsuite[1]/testcase[3]/@classname", "cases.b");
}

Test(report_junit, failure_and_error)
{
	size_t fail = add_case("cases/a.yaml", 0, "fails", VERDICT_FAIL);
	add_case("cases/a.yaml", 1, "errs", VERDICT_ERROR);
	add_case("cases/a.yaml", 2, "passes", VERDICT_PASS);
	set_output(fail, "hellp", 5);
	expect_output(fail, "hello", 4);
	f.results[1].message = (char *)"unmapped memory read at 0x100000, cs:ip 0000:7c10";
	write_and_load();
	cr_assert_eq(xpath_number("count(//testcase[@name='fails']/failure)"), 1);
	cr_assert_eq(xpath_number("count(//testcase[@name='fails']/error)"), 0);
	assert_xpath_str("//testcase[@name='fails']/failure/@message", "serial output differs at byte 2");
	assert_xpath_str("//testcase[@name='fails']/failure/@type", "serial");
	assert_xpath_str("//testcase[@name='fails']/failure",
			 "outcome: hlt, expected hlt\n"
			 "output: \"hellp\"\n"
			 "expected output: \"hello\"\n"
			 "first difference at byte 4\n"
			 "diff (- expected, + actual):\n"
			 "  @@ -1,1 +1,1 @@\n"
			 "  -hello\n"
			 "  +hellp\n"
			 "exits: 10\n"
			 "backend: kvm\n");
	assert_xpath_str("//testcase[@name='fails']/system-out", "hellp");
	cr_assert_eq(xpath_number("count(//testcase[@name='errs']/error)"), 1);
	cr_assert_eq(xpath_number("count(//testcase[@name='errs']/failure)"), 0);
	assert_xpath_str("//testcase[@name='errs']/error/@type", "error");
	assert_xpath_str("//testcase[@name='errs']/error/@message", "unmapped memory read");
	assert_xpath_str("//testcase[@name='errs']/error",
			 "outcome: error, expected hlt\nexits: 11\nbackend: kvm\n"
			 "message: unmapped memory read at 0x100000, cs:ip 0000:7c10\n");
	cr_assert_eq(xpath_number("count(//testcase[@name='passes']/*[self::failure or self::error])"), 0);
	cr_assert_eq(xpath_number("count(//testcase[@name='passes']/system-out)"), 0);
	/* junit-10.xsd: no properties in a testcase and no attribute beyond
	 * name, time, classname and group; how it stopped is a property of
	 * its suite */
	cr_assert_eq(xpath_number("count(//testcase/properties)"), 0);
	cr_assert_eq(xpath_number("count(//testcase/@*[not(name() = 'name' or name() = 'time' or "
				  "name() = 'classname' or name() = 'group')])"), 0);
	assert_xpath_str("//testsuite/properties/property[@name='passes: outcome']/@value", "hlt");
	assert_xpath_str("//testsuite/properties/property[@name='errs: outcome']/@value", "error");
}

/* GitLab links a failure to its file by the testcase's `file` attribute. */
Test(report_junit, gitlab_flavour_names_the_file_and_status)
{
	add_case("cases/a.yaml", 0, "passes", VERDICT_PASS);
	add_case("cases/sub/b.yaml", 1, "errs", VERDICT_ERROR);
	f.opt.junit_flavor = JUNIT_FLAVOR_GITLAB;
	write_and_load();
	assert_xpath_str("//testcase[@name='passes']/@file", "cases/a.yaml");
	assert_xpath_str("//testcase[@name='errs']/@file", "cases/sub/b.yaml");
	assert_xpath_str("//testcase[@name='passes']/@status", "hlt");
	assert_xpath_str("//testcase[@name='errs']/@status", "error");
	cr_assert_eq(xpath_number("count(//testcase/error)"), 1);
}

Test(report_junit, case_error_details_are_the_message)
{
	size_t i = add_case("cases/bad.yaml", 0, NULL, VERDICT_ERROR);
	f.results[i].outcome = OUTCOME_CASE_ERROR;
	f.results[i].backend = NULL;
	f.results[i].message = (char *)"cases/bad.yaml:3:5: unknown key 'x'";
	write_and_load();
	assert_xpath_str("//testcase/@name", "(unnamed)");
	assert_xpath_str("//testcase/error/@type", "case_error");
	assert_xpath_str("//testcase/error", "cases/bad.yaml:3:5: unknown key 'x'\n");
	assert_xpath_str("//property[@name='(unnamed): outcome']/@value", "case_error");
}

Test(report_junit, names_are_unique)
{
	add_case("cases/a.yaml", 0, "same", VERDICT_PASS);
	add_case("cases/a.yaml", 1, "same", VERDICT_PASS);
	add_case("cases/a.yaml", 2, "other", VERDICT_PASS);
	add_case("cases/b.yaml", 0, "same", VERDICT_PASS);
	/* Different files, one classname: only the file tells them apart. */
	add_case("x/y.yaml", 0, "t", VERDICT_PASS);
	add_case("x.y.yml", 0, "t", VERDICT_PASS);
	write_and_load();
	assert_xpath_str("//testsuite[@name='cases/a.yaml']/testcase[1]/@name", "same [0]");
	assert_xpath_str("//testsuite[@name='cases/a.yaml']/testcase[2]/@name", "same [1]");
	assert_xpath_str("//testsuite[@name='cases/a.yaml']/testcase[3]/@name", "other");
	assert_xpath_str("//testsuite[@name='cases/b.yaml']/testcase[1]/@name", "same");
	assert_xpath_str("//testsuite[@name='x/y.yaml']/testcase/@name", "t [x/y.yaml:0]");
	assert_xpath_str("//testsuite[@name='x.y.yml']/testcase/@name", "t [x.y.yml:0]");
	/* No two testcases share classname + name. */
	for (int i = 1; i <= 6; i++) {
		char expr[160];
		snprintf(expr, sizeof(expr),
			 "count((//testcase)[%d]/following::testcase[@classname=(//testcase)[%d]/@classname and "
			 "@name=(//testcase)[%d]/@name])", i, i, i);
		cr_assert_eq(xpath_number(expr), 0, "testcase %d is not unique", i);
	}
}

static const char hostile[] = "]]><!-- -- -->\x00\x01\x7f\xff\xfe\x1b[31m&amp;<x/>\"'\r\n\xef\xbf\xbf";

Test(report_junit, well_formed_whatever_the_bytes)
{
	size_t i = add_case("cases/\xff]]>--\x01.yaml", 0, "caf\xc3\xa9 ]]> -- <&> \x01\x1b \xff\xfe \xef\xbf\xbe",
			    VERDICT_FAIL);
	set_output(i, hostile, sizeof(hostile) - 1);
	f.results[i].message = (char *)"nasm: error: \x00\x02]]>\xc3";
	snprintf(f.verdicts[i].reason, sizeof(f.verdicts[i].reason), "bad \x01\x1b]]> \xff");
	f.rep.version = "1.0\x01";
	f.rep.backend = "kvm\xff";
	size_t j = add_case("cases/ok.yaml", 0, "ok", VERDICT_ERROR);
	set_output(j, hostile, sizeof(hostile) - 1);
	write_and_load();
	cr_assert_eq(xpath_number("count(//testcase)"), 2);
	/* Valid UTF-8 names stay as they are; everything else is escaped. */
	assert_xpath_str("(//testcase)[1]/@name", "caf\xc3\xa9 ]]> -- <&> \\x01\\x1b \\xff\\xfe \\xef\\xbf\\xbe");
	assert_xpath_str("(//testcase)[1]/@classname", "cases.\\xff]]>--\\x01");
	assert_xpath_str("//testsuite[1]/@name", "cases/\\xff]]>--\\x01.yaml");
	assert_xpath_str("(//testcase)[1]/failure/@message", "bad \\x01\\x1b]]> \\xff");
	assert_xpath_str("(//testcase)[1]/system-out",
			 "]]><!-- -- -->\\x00\\x01\\x7f\\xff\\xfe\\x1b[31m&amp;<x/>\\\"'\\r\n\\xef\\xbf\\xbf");
	assert_xpath_str("//testsuite[1]/properties/property[@name='backend']/@value", "kvm\\xff");
}

Test(report_junit, deterministic)
{
	add_case("cases/a.yaml", 0, "a", VERDICT_FAIL);
	add_case("cases/a.yaml", 1, "a", VERDICT_PASS);
	char err[256] = "";
	cr_assert_eq(junit_write(f.path, err, sizeof(err)), 0, "%s", err);
	FILE *first = fopen(f.path, "r");
	cr_assert_not_null(first);
	char a[8192] = "", b[8192] = "";
	size_t alen = fread(a, 1, sizeof(a) - 1, first);
	fclose(first);
	cr_assert_eq(junit_write(f.path, err, sizeof(err)), 0, "%s", err);
	FILE *second = fopen(f.path, "r");
	cr_assert_not_null(second);
	size_t blen = fread(b, 1, sizeof(b) - 1, second);
	fclose(second);
	cr_assert_eq(alen, blen);
	cr_assert_str_eq(a, b);
}

Test(report_junit, empty_run)
{
	write_and_load();
	cr_assert_eq(xpath_number("/testsuites/@tests"), 0);
	cr_assert_eq(xpath_number("count(//testsuite)"), 0);
}

Test(report_junit, unwritable_path_is_an_error)
{
	add_case("cases/a.yaml", 0, "a", VERDICT_PASS);
	char err[256] = "";
	cr_assert_eq(junit_write("/proc/nonexistent-dir/report.xml", err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "/proc/nonexistent-dir/report.xml"), "err: %s", err);
	cr_assert_eq(junit_write("/dev/full", err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "/dev/full"), "err: %s", err);
}

/* A long output goes into <system-out> as its head, the bytes around the
 * first difference and its tail, with what was left out said in words:
 * the file stays small whatever the guest wrote. */
Test(report_junit, long_output_is_a_bounded_window)
{
	size_t len = (size_t)4 << 20, at = (size_t)2 << 20;
	char *output = malloc(len);
	cr_assert_not_null(output);
	memset(output, 'a', len);
	memcpy(output, "HEAD", 4);
	memcpy(output + (1 << 20), "LOST", 4);
	memcpy(output + at, "DIFF", 4);
	memcpy(output + len - 4, "TAIL", 4);
	size_t i = add_case("cases/long.yaml", 0, "long", VERDICT_FAIL);
	set_output(i, output, len);
	expect_output(i, "HEAD", (long)at);
	write_and_load();
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST "string(//system-out)", f.xpath);
	cr_assert_not_null(o);
	xmlChar *text = xmlXPathCastToString(o);
	xmlXPathFreeObject(o);
	bool bounded = strlen((const char *)text) < 2 * EXCERPT_OUTPUT_EDGE + 2 * EXCERPT_OUTPUT_AROUND + 128;
	bool head = strncmp((const char *)text, "HEAD", 4) == 0, diff = strstr((const char *)text, "DIFF"),
	     tail = strstr((const char *)text, "aTAIL") != NULL, lost = strstr((const char *)text, "LOST");
	char gap_before[64], gap_after[64];
	excerpt_gap_note(gap_before, sizeof(gap_before), at - EXCERPT_OUTPUT_AROUND - EXCERPT_OUTPUT_EDGE);
	excerpt_gap_note(gap_after, sizeof(gap_after), len - EXCERPT_OUTPUT_EDGE - at - EXCERPT_OUTPUT_AROUND);
	bool notes = strstr((const char *)text, gap_before) && strstr((const char *)text, gap_after);
	xmlFree(text);
	free(output);
	cr_assert(bounded);
	cr_assert(head && diff && tail);
	cr_assert_not(lost);
	cr_assert(notes);
}
