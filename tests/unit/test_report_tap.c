/* Unit tests for the text reports: TAP (report/tap.c), the summary
 * (report/summary.c), the parity record (report/results.c) and the escape
 * helper they share (text_escape.c). TAP is also read back by Perl's
 * TAP::Parser, the parser prove uses, to prove that guest bytes cannot add
 * or change test points. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/report.h"
#include "core/text_escape.h"
#include "report/excerpt.h"

#define MAX_CASES 4
#define MAX_CHECKS 8

/* Runs, verdicts and their checks, all in the fixture: nothing to free. */
struct fixture {
	struct run_result results[MAX_CASES];
	struct verdict verdicts[MAX_CASES];
	struct check checks[MAX_CASES][MAX_CHECKS];
	char values[MAX_CASES][MAX_CHECKS][2][16]; /* register values as text */
	struct case_report cases[MAX_CASES];
	struct run_report rep;
};

/* Appends a check to case i's verdict; its texts must outlive the fixture. */
static struct check *fixture_check(struct fixture *f, size_t i, enum check_kind kind, const char *label,
				   const void *expected, size_t expected_len, const void *actual, size_t actual_len,
				   bool passed, int64_t first_difference)
{
	struct verdict *v = &f->verdicts[i];
	cr_assert(v->check_count < MAX_CHECKS);
	struct check *c = &f->checks[i][v->check_count++];
	*c = (struct check){ .kind = kind, .label = (char *)label,
			     .expected = { (uint8_t *)expected, expected_len, expected_len },
			     .actual = { (uint8_t *)actual, actual_len, actual_len },
			     .actual_known = true, .passed = passed, .first_difference = first_difference };
	v->checks = f->checks[i];
	return c;
}

static void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->rep = (struct run_report){ .version = "1.2.3", .backend = "emu", .cases = f->cases,
				      .elapsed_ns = 310000000 };
}

/* Appends a case that ran to hlt on emu; the output is not copied. */
static size_t fixture_add(struct fixture *f, const char *file, int index, const char *name,
			  enum verdict_status status, const char *output, size_t output_len)
{
	size_t i = f->rep.count++;
	cr_assert(i < MAX_CASES);
	struct run_result *r = &f->results[i];
	r->outcome = OUTCOME_HLT;
	r->exits = 7 + i;
	r->output = (struct bytes){ .data = (uint8_t *)output, .len = output_len, .cap = output_len };
	r->backend = "emu";
	r->times = (struct stage_times){ 1000 * (i + 1), 2000, 3000000, 4000 };
	struct verdict *v = &f->verdicts[i];
	v->status = status;
	fixture_check(f, i, CHECK_OUTCOME, "exit", "hlt", 3, "hlt", 3, true, -1);
	if (status == VERDICT_FAIL)
		snprintf(v->reason, sizeof(v->reason), "serial output differs at byte 1");
	else if (status == VERDICT_ERROR)
		snprintf(v->reason, sizeof(v->reason), "could not run");
	f->cases[i] = (struct case_report){ file, index, name, r, v, 0, NULL };
	return i;
}

/* The case's output is the actual value: set it first. */
static void fixture_expect_output(struct fixture *f, size_t i, const char *expected, long diff_at)
{
	const struct bytes *out = &f->results[i].output;
	fixture_check(f, i, CHECK_SERIAL, "output", expected, strlen(expected), out->data, out->len, diff_at < 0,
		      diff_at);
}

/* As the judge writes them: "0x" and as many digits as the register is wide. */
static void fixture_expect_reg(struct fixture *f, size_t i, const char *name, uint32_t expected, uint32_t actual)
{
	struct reg_ref ref;
	cr_assert(reg_lookup(name, &ref));
	size_t n = f->verdicts[i].check_count;
	cr_assert(n < MAX_CHECKS);
	char *e = f->values[i][n][0], *a = f->values[i][n][1];
	snprintf(e, 16, "0x%0*x", ref.width / 4, expected);
	snprintf(a, 16, "0x%0*x", ref.width / 4, actual);
	fixture_check(f, i, CHECK_REGISTER, name, e, strlen(e), a, strlen(a), expected == actual, -1);
}

static char *file_slurp(FILE *f)
{
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	long len = ftell(f);
	cr_assert_geq(len, 0);
	rewind(f);
	char *text = calloc(1, (size_t)len + 1);
	cr_assert_not_null(text);
	cr_assert_eq(fread(text, 1, (size_t)len, f), (size_t)len);
	return text;
}

enum writer { WRITE_TAP, WRITE_SUMMARY, WRITE_RESULTS, WRITE_HTML };

/* Renders the fixture's run through its results record. */
static char *render(const struct fixture *f, enum writer which, const struct render_options *opt)
{
	static const char *const names[] = { [WRITE_TAP] = "tap", [WRITE_SUMMARY] = "summary",
					     [WRITE_RESULTS] = "results", [WRITE_HTML] = "html" };
	struct record rec;
	cr_assert_eq(record_build(&f->rep, &rec), 0);
	FILE *tmp = tmpfile();
	cr_assert_not_null(tmp);
	char err[256] = "";
	cr_assert_eq(renderer_find(names[which])->render(&rec, tmp, opt, err, sizeof(err)), 0, "%s", err);
	record_free(&rec);
	char *text = file_slurp(tmp);
	fclose(tmp);
	return text;
}

static char *render_tap(const struct fixture *f, bool verbose)
{
	struct render_options opt = { .verbose = verbose };
	return render(f, WRITE_TAP, &opt);
}

/* Lines of text that start with prefix. */
static size_t count_lines_starting(const char *text, const char *prefix)
{
	size_t n = 0;
	for (const char *line = text; *line;) {
		n += strncmp(line, prefix, strlen(prefix)) == 0;
		const char *nl = strchr(line, '\n');
		if (!nl)
			break;
		line = nl + 1;
	}
	return n;
}

/* ---- TAP::Parser, run from Perl ---- */

struct tap_parse {
	int tests_run, parse_errors, passed, yaml_blocks;
	char output[512]; /* the `output` field of the first YAML block */
};

static char *temp_path(void)
{
	char *path = strdup("/tmp/kvmcheck-unit-XXXXXX");
	cr_assert_not_null(path);
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	return path;
}

static char *write_temp(const char *text)
{
	char *path = temp_path();
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	return path;
}

static const char tap_parse_script[] =
	"use TAP::Parser;"
	"local $/; open my $in, '<', $ARGV[0] or die; my $tap = <$in>;"
	"my $p = TAP::Parser->new({ tap => $tap }); my ($y, $out) = (0, '');"
	"while (my $r = $p->next) { next unless $r->is_yaml; $out = $r->data->{output} // '' unless $y++; }"
	"printf \"%d %d %d %d\\n%s\", scalar $p->tests_run, scalar $p->parse_errors, scalar $p->passed, $y, $out;";

static struct tap_parse tap_parse(const char *tap)
{
	char *tap_path = write_temp(tap);
	char *script_path = write_temp(tap_parse_script);
	char *out_path = temp_path();
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "perl %s %s > %s", script_path, tap_path, out_path);
	cr_assert_eq(system(cmd), 0, "TAP::Parser failed on:\n%s", tap);
	FILE *f = fopen(out_path, "r");
	cr_assert_not_null(f);
	char *text = file_slurp(f);
	fclose(f);
	struct tap_parse got = {0};
	int used = 0;
	cr_assert_eq(sscanf(text, "%d %d %d %d\n%n", &got.tests_run, &got.parse_errors, &got.passed,
			    &got.yaml_blocks, &used), 4);
	snprintf(got.output, sizeof(got.output), "%s", text + used);
	unlink(tap_path);
	unlink(script_path);
	unlink(out_path);
	free(text);
	free(tap_path);
	free(script_path);
	free(out_path);
	return got;
}

/* prove's own verdict: exit 0 only when every point passed and nothing
 * failed to parse. */
static int prove_status(const char *tap)
{
	char *path = write_temp(tap);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "prove -e cat %s > /dev/null 2>&1", path);
	int status = system(cmd);
	unlink(path);
	free(path);
	return status;
}

/* ---- text_escape ---- */

Test(text_escape, c_style)
{
	static const char raw[] = "a\n\t\r\\\"\x00\x7f\xff\x1b~";
	char *s = text_escape(raw, sizeof(raw) - 1, 0);
	cr_assert_str_eq(s, "a\\n\\t\\r\\\\\\\"\\x00\\x7f\\xff\\x1b~");
	free(s);
}

Test(text_escape, keeps_valid_printable_utf8_only)
{
	/* é, then a lone continuation byte, an overlong '/', a surrogate, a C1
	 * control (U+0085, a line break to some readers) and U+2028. */
	static const char raw[] = "\xc3\xa9|\x80|\xc0\xaf|\xed\xa0\x80|\xc2\x85|\xe2\x80\xa8";
	char *s = text_escape(raw, sizeof(raw) - 1, TEXT_ESCAPE_KEEP_UTF8);
	cr_assert_str_eq(s, "\xc3\xa9|\\x80|\\xc0\\xaf|\\xed\\xa0\\x80|\\xc2\\x85|\\xe2\\x80\\xa8");
	free(s);
}

Test(text_escape, keep_newline_and_null_string)
{
	char *s = text_escape("a\nb\r", 4, TEXT_ESCAPE_KEEP_NEWLINE);
	cr_assert_str_eq(s, "a\nb\\r");
	free(s);
	s = text_escape_str(NULL, 0);
	cr_assert_str_eq(s, "");
	free(s);
}

/* ---- TAP ---- */

Test(report_tap, plan_comment_and_points)
{
	struct fixture f;
	fixture_init(&f);
	fixture_add(&f, "cases/a.yaml", 0, "first", VERDICT_PASS, "", 0);
	fixture_add(&f, "cases/a.yaml", 1, "second", VERDICT_FAIL, "x", 1);
	fixture_add(&f, "cases/b.yaml", 0, "third", VERDICT_ERROR, "", 0);
	char *tap = render_tap(&f, false);
	cr_assert(strncmp(tap, "TAP version 13\n# kvmcheck 1.2.3, backend emu\n1..3\nok 1 - first\nnot ok 2 - second\n  ---\n",
			  strlen("TAP version 13\n# kvmcheck 1.2.3, backend emu\n1..3\nok 1 - first\nnot ok 2 - second\n  ---\n")) == 0,
		  "got:\n%s", tap);
	cr_assert_not_null(strstr(tap, "  ...\nnot ok 3 - third\n  ---\n"), "got:\n%s", tap);
	cr_assert_eq(count_lines_starting(tap, "  ---"), 2, "a block per failing case only:\n%s", tap);
	struct tap_parse p = tap_parse(tap);
	cr_assert_eq(p.tests_run, 3);
	cr_assert_eq(p.passed, 1);
	cr_assert_eq(p.parse_errors, 0);
	cr_assert_eq(p.yaml_blocks, 2);
	free(tap);
}

/* A run of several case files scores each file on a comment line of its
 * own, files in the order they first appear, before the total; a file
 * name cannot start a line of its own. A run of one file has the total
 * alone. */
Test(report_tap, a_score_line_per_case_file)
{
	struct fixture f;
	fixture_init(&f);
	fixture_add(&f, "cases/b.yaml", 0, "first", VERDICT_PASS, "", 0);
	fixture_add(&f, "odd\nname.yaml", 0, "second", VERDICT_FAIL, "x", 1);
	fixture_add(&f, "cases/b.yaml", 1, "third", VERDICT_PASS, "", 0);
	char *tap = render_tap(&f, false);
	const char *tail = "# score cases/b.yaml: 2/2\n# score odd\\nname.yaml: 0/1\n# score 2/3\n";
	cr_assert(strlen(tap) >= strlen(tail) && strcmp(tap + strlen(tap) - strlen(tail), tail) == 0, "got:\n%s", tap);
	free(tap);

	fixture_init(&f);
	fixture_add(&f, "cases/b.yaml", 0, "first", VERDICT_PASS, "", 0);
	fixture_add(&f, "cases/b.yaml", 1, "second", VERDICT_FAIL, "x", 1);
	tap = render_tap(&f, false);
	cr_assert_null(strstr(tap, "# score cases/"), "got:\n%s", tap);
	cr_assert_not_null(strstr(tap, "# score 1/2\n"), "got:\n%s", tap);
	free(tap);
}

Test(report_tap, empty_run)
{
	struct fixture f;
	fixture_init(&f);
	char *tap = render_tap(&f, false);
	cr_assert_str_eq(tap, "TAP version 13\n# kvmcheck 1.2.3, backend emu\n1..0\n# score 0/0\n");
	free(tap);
}

Test(report_tap, verbose_adds_blocks_for_passing_cases)
{
	struct fixture f;
	fixture_init(&f);
	fixture_add(&f, "cases/a.yaml", 0, "first", VERDICT_PASS, "hi\n", 3);
	char *tap = render_tap(&f, true);
	cr_assert_not_null(strstr(tap, "ok 1 - first\n  ---\n  file: 'cases/a.yaml'\n  index: 0\n  outcome: hlt\n"),
			   "got:\n%s", tap);
	cr_assert_not_null(strstr(tap, "  output: 'hi\\n'\n"), "got:\n%s", tap);
	cr_assert_eq(prove_status(tap), 0, "prove rejected:\n%s", tap);
	free(tap);
}

Test(report_tap, names_are_sanitized)
{
	struct fixture f;
	fixture_init(&f);
	fixture_add(&f, "cases/a.yaml", 0, "a # TODO later\nok 5 - b\\c\x1b[2J", VERDICT_FAIL, "", 0);
	fixture_add(&f, "cases/a.yaml", 1, "caf\xc3\xa9 \xff", VERDICT_PASS, "", 0);
	fixture_add(&f, "cases/a.yaml", 2, "# SKIP", VERDICT_FAIL, "", 0);
	char *tap = render_tap(&f, false);
	cr_assert_not_null(strstr(tap, "\nnot ok 1 - a \\# TODO later\\nok 5 - b\\\\c\\x1b[2J\n"), "got:\n%s", tap);
	cr_assert_not_null(strstr(tap, "\nok 2 - caf\xc3\xa9 \\xff\n"), "got:\n%s", tap);
	cr_assert_not_null(strstr(tap, "\nnot ok 3 - \\# SKIP\n"), "got:\n%s", tap);
	struct tap_parse p = tap_parse(tap);
	cr_assert_eq(p.tests_run, 3);
	cr_assert_eq(p.passed, 1, "a directive in a name would have made a failure pass");
	cr_assert_eq(p.parse_errors, 0);
	free(tap);
}

static const char hostile[] = "\nok 99 - fake\n  ...\nnot ok 100\n---\n\x00\xff\x1b[31m'\"\\#\n  ---\n";

Test(report_tap, hostile_output_cannot_add_points)
{
	struct fixture f;
	fixture_init(&f);
	fixture_add(&f, "cases/evil.yaml", 0, "evil", VERDICT_FAIL, hostile, sizeof(hostile) - 1);
	fixture_expect_output(&f, 0, "\nok 1\n", 4);
	fixture_add(&f, "cases/evil.yaml", 1, "evil too", VERDICT_PASS, hostile, sizeof(hostile) - 1);
	f.results[0].message = (char *)"\nok 98 - fake from a message\n  ...\n";
	char *tap = render_tap(&f, true);
	cr_assert_eq(count_lines_starting(tap, "ok "), 1, "got:\n%s", tap);
	cr_assert_eq(count_lines_starting(tap, "not ok "), 1, "got:\n%s", tap);
	struct tap_parse p = tap_parse(tap);
	cr_assert_eq(p.tests_run, 2);
	cr_assert_eq(p.passed, 1);
	cr_assert_eq(p.parse_errors, 0);
	cr_assert_eq(p.yaml_blocks, 2);
	/* The block carries the bytes, escaped, and the escape round-trips through a YAML reader. */
	char *escaped = text_escape(hostile, sizeof(hostile) - 1, 0);
	cr_assert_str_eq(p.output, escaped);
	free(escaped);
	free(tap);
}

Test(report_tap, hostile_output_in_passing_run_satisfies_prove)
{
	struct fixture f;
	fixture_init(&f);
	fixture_add(&f, "cases/evil.yaml", 0, "evil", VERDICT_PASS, hostile, sizeof(hostile) - 1);
	fixture_add(&f, "cases/evil.yaml", 1, "plain", VERDICT_PASS, "", 0);
	char *tap = render_tap(&f, true);
	cr_assert_eq(prove_status(tap), 0, "prove rejected:\n%s", tap);
	free(tap);
}

Test(report_tap, failure_block_contents)
{
	struct fixture f;
	fixture_init(&f);
	size_t i = fixture_add(&f, "cases/regs.yaml", 3, "regs", VERDICT_FAIL, "hellp", 5);
	fixture_expect_output(&f, i, "hello", 4);
	fixture_expect_reg(&f, i, "ax", 0x1234, 0x1233);
	fixture_expect_reg(&f, i, "bl", 0x5, 0x5);
	f.results[i].regs_valid = true;
	f.results[i].regs.seg[SEG_CS].selector = 0x07c0;
	f.results[i].regs.rip = 0x12;
	char *tap = render_tap(&f, false);
	static const char block[] =
		"not ok 1 - regs\n"
		"  ---\n"
		"  file: 'cases/regs.yaml'\n"
		"  index: 3\n"
		"  outcome: hlt\n"
		"  expected_exit: hlt\n"
		"  message: 'serial output differs at byte 1'\n"
		"  severity: fail\n"
		"  data:\n"
		"    got: 'hellp'\n"
		"    expect: 'hello'\n"
		"  exits: 7\n"
		"  backend: emu\n"
		"  output: 'hellp'\n"
		"  expected_output: 'hello'\n"
		"  first_difference: 4\n"
		"  diff:\n"
		"    1: '@@ -1,1 +1,1 @@'\n"
		"    2: '-hello'\n"
		"    3: '+hellp'\n"
		"  registers:\n"
		"    ax:\n"
		"      expected: 0x1234\n"
		"      actual: 0x1233\n"
		"      match: false\n"
		"    bl:\n"
		"      expected: 0x05\n"
		"      actual: 0x05\n"
		"      match: true\n"
		"  cpu:\n"
		"    eax: 0x00000000\n"
		"    ecx: 0x00000000\n"
		"    edx: 0x00000000\n"
		"    ebx: 0x00000000\n"
		"    esp: 0x00000000\n"
		"    ebp: 0x00000000\n"
		"    esi: 0x00000000\n"
		"    edi: 0x00000000\n"
		"    eip: 0x00000012\n"
		"    eflags: 0x00000000\n"
		"    es: 0x0000\n"
		"    cs: 0x07c0\n"
		"    ss: 0x0000\n"
		"    ds: 0x0000\n"
		"    fs: 0x0000\n"
		"    gs: 0x0000\n"
		"  flags_set: ''\n"
		"  cs_ip: '07c0:0012'\n"
		"  ...\n";
	cr_assert_not_null(strstr(tap, block), "got:\n%s", tap);
	cr_assert_eq(tap_parse(tap).parse_errors, 0);
	free(tap);
}

Test(report_tap, case_error_block_is_the_message)
{
	struct fixture f;
	fixture_init(&f);
	size_t i = fixture_add(&f, "cases/bad.yaml", 0, NULL, VERDICT_ERROR, "", 0);
	f.results[i].outcome = OUTCOME_CASE_ERROR;
	f.results[i].backend = NULL;
	f.results[i].message = (char *)"cases/bad.yaml:3:5: unknown key 'x'";
	char *tap = render_tap(&f, false);
	cr_assert_not_null(strstr(tap, "\nnot ok 1\n  ---\n  message: 'cases/bad.yaml:3:5: unknown key ''x'''\n  severity: error\n  ...\n"),
			   "got:\n%s", tap);
	cr_assert_eq(tap_parse(tap).parse_errors, 0);
	free(tap);
}

Test(report_tap, deterministic_without_timing)
{
	struct fixture f;
	fixture_init(&f);
	fixture_add(&f, "cases/a.yaml", 0, "a", VERDICT_FAIL, "x", 1);
	fixture_add(&f, "cases/a.yaml", 1, "b", VERDICT_PASS, "y", 1);
	char *first = render_tap(&f, true);
	f.rep.elapsed_ns *= 3;
	for (size_t i = 0; i < f.rep.count; i++)
		f.results[i].times.run_ns += 123456789;
	char *second = render_tap(&f, true);
	cr_assert_str_eq(first, second);
	cr_assert_null(strstr(first, "duration"));
	cr_assert_null(strstr(first, "elapsed"));
	free(first);
	free(second);
}

Test(report_tap, timing_when_asked)
{
	struct fixture f;
	fixture_init(&f);
	fixture_add(&f, "cases/a.yaml", 0, "a", VERDICT_FAIL, "x", 1);
	struct render_options opt = { .tap_timing = true };
	char *tap = render(&f, WRITE_TAP, &opt);
	cr_assert_not_null(strstr(tap, "  duration_ms: 3.007\n"), "got:\n%s", tap);
	cr_assert_not_null(strstr(tap, "\n# elapsed 0.310 s\n"), "got:\n%s", tap);
	cr_assert_eq(tap_parse(tap).parse_errors, 0);
	free(tap);
}

Test(report_tap, write_error_is_reported)
{
	struct fixture f;
	fixture_init(&f);
	fixture_add(&f, "cases/a.yaml", 0, "a", VERDICT_FAIL, "x", 1);
	struct record rec;
	cr_assert_eq(record_build(&f.rep, &rec), 0);
	FILE *full = fopen("/dev/full", "w");
	cr_assert_not_null(full);
	char err[256] = "";
	cr_assert_eq(report_tap_render(&rec, full, NULL, err, sizeof(err)), -1);
	cr_assert_eq(report_results_render(&rec, full, NULL, err, sizeof(err)), -1);
	fclose(full);
	record_free(&rec);
}

/* ---- summary ---- */

Test(report_summary, counts_and_failures)
{
	struct fixture f;
	fixture_init(&f);
	fixture_add(&f, "cases/foo.yaml", 0, "hello prints", VERDICT_FAIL, "", 0);
	fixture_add(&f, "cases/foo.yaml", 1, "ok one", VERDICT_PASS, "", 0);
	fixture_add(&f, "cases/bar.yaml", 0, "bad\x1b[2J", VERDICT_ERROR, "", 0);
	snprintf(f.verdicts[0].reason, sizeof(f.verdicts[0].reason), "serial output differs at byte 5");
	char *text = render(&f, WRITE_SUMMARY, NULL);
	cr_assert_str_eq(text,
			 "kvmcheck: 3 cases, 1 passed, 1 failed, 1 error (backend emu, 0.31 s)\n"
			 "  FAIL cases/foo.yaml: hello prints - serial output differs at byte 5\n"
			 "  ERROR cases/bar.yaml: bad\\x1b[2J - could not run\n"
			 "  score cases/foo.yaml: 1/2\n"
			 "  score cases/bar.yaml: 0/1\n"
			 "score: 1/3\n"
			 "1 passed, 2 failed\n");
	free(text);
}

Test(report_summary, colour_only_when_asked)
{
	struct fixture f;
	fixture_init(&f);
	fixture_add(&f, "cases/foo.yaml", 0, "a", VERDICT_FAIL, "", 0);
	fixture_add(&f, "cases/foo.yaml", 1, "b", VERDICT_ERROR, "", 0);
	struct render_options colour = { .color = true };
	char *text = render(&f, WRITE_SUMMARY, &colour);
	cr_assert_not_null(strstr(text, "  \033[1;31mFAIL\033[0m cases/foo.yaml: a"), "%s", text);
	cr_assert_not_null(strstr(text, "  \033[1;33mERROR\033[0m cases/foo.yaml: b"), "%s", text);
	cr_assert_not_null(strstr(text, "\033[1;31m0 passed, 2 failed\033[0m\n"), "%s", text);
	free(text);
	text = render(&f, WRITE_SUMMARY, NULL);
	cr_assert_null(strchr(text, '\033'), "%s", text);
	free(text);
}

/* ---- HTML ---- */

/* Whatever a guest or a case file writes shows as text: no element, no
 * attribute, no script of its own reaches the page. */
Test(report_html, everything_from_outside_is_escaped)
{
	struct fixture f;
	fixture_init(&f);
	static const char evil[] = "<script>document.title='pwned'</script></pre><img src=x onerror=alert(1)>&\x1b";
	size_t i = fixture_add(&f, "cases/<b>.yaml", 0, "<script>alert(1)</script>", VERDICT_FAIL, evil, strlen(evil));
	fixture_expect_output(&f, i, "hello", 0);
	snprintf(f.verdicts[i].reason, sizeof(f.verdicts[i].reason), "serial output differs at byte 0");
	char *html = render(&f, WRITE_HTML, NULL);
	cr_assert_eq(strncmp(html, "<!DOCTYPE html>", 15), 0);
	cr_assert_not_null(strstr(html, "<title>kvmcheck report</title>"));
	cr_assert_not_null(strstr(html, "default-src 'none'"), "scripts are forbidden by policy too");
	cr_assert_null(strstr(html, "<script"), "%s", html);
	cr_assert_null(strstr(html, "<img"), "%s", html);
	cr_assert_null(strstr(html, "<b>.yaml"), "%s", html);
	cr_assert_not_null(strstr(html, "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;&lt;/pre&gt;"), "%s", html);
	cr_assert_not_null(strstr(html, "+&lt;script&gt;"), "the diff is there");
	cr_assert_not_null(strstr(html, "&amp;\\x1b</span>"), "an escape byte shows as \\x1b, once");
	cr_assert_not_null(strstr(html, "cases/&lt;b&gt;.yaml"));
	free(html);
}

Test(report_html, long_output_is_windowed_then_whole)
{
	struct fixture f;
	fixture_init(&f);
	static char big[10001];
	for (size_t k = 0; k < 10000; k++)
		big[k] = (char)('0' + k % 8);
	size_t i = fixture_add(&f, "cases/a.yaml", 0, "big", VERDICT_FAIL, big, 10000);
	fixture_expect_output(&f, i, "0123456701", 10);
	char *html = render(&f, WRITE_HTML, NULL);
	cr_assert_not_null(strstr(html, " ... 9744 more bytes"));
	cr_assert_not_null(strstr(html, "<summary>the whole output (10000 bytes)</summary>"));
	cr_assert_not_null(strstr(html, "<mark>"));
	free(html);
}

/* Past the window's bounds the folded output holds its head, the bytes
 * around the first difference and its tail, with the gaps said in words:
 * the page stays small however much the guest printed. */
Test(report_html, very_long_output_is_shown_in_part)
{
	struct fixture f;
	fixture_init(&f);
	size_t len = (size_t)4 << 20, at = (size_t)2 << 20;
	char *big = malloc(len);
	cr_assert_not_null(big);
	memset(big, 'a', len);
	memcpy(big, "HEAD", 4);
	memcpy(big + (1 << 20), "LOST", 4);
	memcpy(big + at, "DIFF", 4);
	memcpy(big + len - 4, "TAIL", 4);
	size_t i = fixture_add(&f, "cases/a.yaml", 0, "big", VERDICT_FAIL, big, len);
	fixture_expect_output(&f, i, "HEAD", (long)at);
	char *html = render(&f, WRITE_HTML, NULL);
	free(big);
	char gap_before[64], gap_after[64], summary[128];
	excerpt_gap_note(gap_before, sizeof(gap_before), at - EXCERPT_OUTPUT_AROUND - EXCERPT_OUTPUT_EDGE);
	excerpt_gap_note(gap_after, sizeof(gap_after), len - EXCERPT_OUTPUT_EDGE - at - EXCERPT_OUTPUT_AROUND);
	snprintf(summary, sizeof(summary), "<summary>the output (%zu bytes), in part", len);
	bool bounded = strlen(html) < 256 * 1024, parts = strstr(html, "DIFF") && strstr(html, "aTAIL"),
	     lost = strstr(html, "LOST"), notes = strstr(html, gap_before) && strstr(html, gap_after),
	     said = strstr(html, summary);
	free(html);
	cr_assert(bounded);
	cr_assert(parts);
	cr_assert_not(lost);
	cr_assert(notes);
	cr_assert(said);
}

/* A case an interrupted run never reached is "not run", not an error. */
Test(report_html, skipped_cases_are_counted_apart)
{
	struct fixture f;
	fixture_init(&f);
	fixture_add(&f, "cases/a.yaml", 0, "ran", VERDICT_ERROR, "", 0);
	fixture_add(&f, "cases/a.yaml", 1, "never ran", VERDICT_SKIP, "", 0);
	char *html = render(&f, WRITE_HTML, NULL);
	cr_assert_not_null(strstr(html, "<span class=\"error\">1 errors</span>"), "%s", html);
	cr_assert_not_null(strstr(html, "<span class=\"skip\">1 not run</span>"), "%s", html);
	cr_assert_not_null(strstr(html, "<td class=\"skip\">skip</td>"), "%s", html);
	free(html);
}

/* ---- parity record ---- */

Test(report_results, line_format)
{
	struct fixture f;
	fixture_init(&f);
	size_t i = fixture_add(&f, "cases/a\tb.yaml", 2, "a", VERDICT_PASS, "Hi\n\x00", 4);
	struct run_result *r = &f.results[i];
	r->regs_valid = true;
	cpu_state_reset(&r->regs);
	r->regs.gpr[GPR_EAX] = 0xdeadbeef;
	r->regs.gpr[GPR_EDI] = 7;
	r->regs.rip = 0x7c05;
	r->regs.seg[SEG_CS].selector = 0xf000;
	r->regs.seg[SEG_GS].selector = 0x1;
	i = fixture_add(&f, "cases/c.yaml", 0, "c", VERDICT_ERROR, "", 0);
	f.results[i].outcome = OUTCOME_CASE_ERROR;
	f.results[i].exits = 0;
	char *text = render(&f, WRITE_RESULTS, NULL);
	cr_assert_str_eq(text,
			 "# kvmcheck results 1\n"
			 "cases/a\\tb.yaml:2\thlt\t7\t48690a00\t"
			 "eax=deadbeef ecx=00000000 edx=00000000 ebx=00000000 esp=00000000 ebp=00000000 "
			 "esi=00000000 edi=00000007 eip=00007c05 eflags=00000002 "
			 "es=0000 cs=f000 ss=0000 ds=0000 fs=0000 gs=0001\n"
			 "cases/c.yaml:0\tcase_error\t0\t-\t-\n");
	free(text);
}

/* ---- TAP in parts, as a run streams it ---- */

/* Head, each point, tail: what a run prints as cases finish. */
static char *render_tap_parts(const struct fixture *f, const struct render_options *opt)
{
	struct record rec;
	cr_assert_eq(record_build(&f->rep, &rec), 0);
	FILE *tmp = tmpfile();
	cr_assert_not_null(tmp);
	cr_assert_eq(report_tap_head(&rec, tmp), 0);
	for (size_t i = 0; i < rec.count; i++)
		cr_assert_eq(report_tap_point(&rec.cases[i], i + 1, tmp, opt), 0);
	cr_assert_eq(report_tap_tail(&rec, tmp, opt), 0);
	record_free(&rec);
	fflush(tmp);
	char *text = file_slurp(tmp);
	fclose(tmp);
	return text;
}

Test(tap_stream, the_parts_make_the_whole_report)
{
	static const struct render_options opts[] = { {0}, { .verbose = true }, { .tap_timing = true } };
	struct fixture f;
	fixture_init(&f);
	fixture_add(&f, "a.yaml", 0, "passes", VERDICT_PASS, "hi", 2);
	size_t fail = fixture_add(&f, "a.yaml", 1, "fails", VERDICT_FAIL, "hx", 2);
	fixture_expect_output(&f, fail, "hi", 1);
	fixture_add(&f, "b.yaml", 0, "errs", VERDICT_ERROR, "", 0);
	fixture_add(&f, "b.yaml", 1, "skipped # not", VERDICT_SKIP, "", 0);
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		char *whole = render(&f, WRITE_TAP, &opts[i]);
		char *parts = render_tap_parts(&f, &opts[i]);
		cr_assert_str_eq(parts, whole, "options %zu", i);
		free(whole);
		free(parts);
	}
}

Test(tap_stream, a_case_not_run_is_a_skip_without_diagnostics)
{
	struct fixture f;
	fixture_init(&f);
	size_t i = fixture_add(&f, "a.yaml", 0, "spins # long", VERDICT_SKIP, "", 0);
	f.results[i].outcome = OUTCOME_NOT_RUN;
	snprintf(f.verdicts[i].reason, sizeof(f.verdicts[i].reason), "interrupted");
	char *tap = render_tap(&f, true);
	cr_assert_str_eq(tap, "TAP version 13\n# kvmcheck 1.2.3, backend emu\n1..1\n"
			      "ok 1 - spins \\# long # SKIP interrupted\n# score 0/1\n");
	free(tap);
}
