/* Unit tests for the results record (record/): built from a run, saved as
 * JSON and read back exactly, so that every report rendered from a saved
 * record is byte for byte the live run's; shards merged into the record of
 * the whole run; and the JUnit writer on very large output. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/record.h"
#include "report/report.h"
#include "report/excerpt.h"
#include "testutil.h"

/* ---- building records from made-up runs ---- */

struct sample {
	const char *file;
	int index;
	const char *name;
	enum outcome outcome;
	const char *output;
	size_t output_len;
	const char *expect_serial;   /* NULL: none */
	const char *reg;             /* an expected register, or NULL */
	uint32_t reg_value;
	bool regs_valid;
	const char *message;
	const char *error;           /* the case is invalid */
	bool host_fault;
};

#define MAX_SAMPLES 8

/* Judges each sample as kvmcheck would and builds the record of the run. */
static void record_of(const struct sample *s, size_t n, uint64_t elapsed_ns, struct record *rec)
{
	cr_assert(n <= MAX_SAMPLES);
	struct test_case cases[MAX_SAMPLES];
	struct run_result results[MAX_SAMPLES];
	struct verdict verdicts[MAX_SAMPLES];
	struct case_report reports[MAX_SAMPLES];
	for (size_t i = 0; i < n; i++) {
		struct test_case *c = &cases[i];
		memset(c, 0, sizeof(*c));
		c->file = (char *)s[i].file;
		c->index = s[i].index;
		c->line = 1 + 7 * s[i].index;
		c->name = (char *)s[i].name;
		c->expect_exit = OUTCOME_HLT;
		c->error = (char *)s[i].error;
		if (s[i].expect_serial) {
			c->expect_serial_set = true;
			c->expect_serial = (struct bytes){ (uint8_t *)s[i].expect_serial, strlen(s[i].expect_serial), 0 };
		}
		if (s[i].reg) {
			struct reg_value *want = &c->expect_regs.items[c->expect_regs.count++];
			snprintf(want->name, sizeof(want->name), "%s", s[i].reg);
			cr_assert(reg_lookup(s[i].reg, &want->ref));
			want->value = s[i].reg_value;
		}
		struct run_result *r = &results[i];
		memset(r, 0, sizeof(*r));
		r->outcome = s[i].outcome;
		r->exits = 3 + i;
		r->output = (struct bytes){ (uint8_t *)s[i].output, s[i].output_len, 0 };
		r->regs_valid = s[i].regs_valid;
		cpu_state_reset(&r->regs);
		r->regs.gpr[GPR_EAX] = 0x12345678u + (uint32_t)i;
		cpu_state_set_real_segment(&r->regs, SEG_CS, 0x07c0);
		r->regs.rip = 0x10 + (uint32_t)i;
		r->message = (char *)s[i].message;
		r->host_fault = s[i].host_fault;
		r->backend = s[i].outcome == OUTCOME_CASE_ERROR ? NULL : "emu";
		r->times = (struct stage_times){ 1000 + i, 2000, 3000000 + i, 4000 };
		cr_assert_eq(verdict_judge(c, r, &verdicts[i]), 0);
		reports[i] = (struct case_report){ c->file, c->index, c->name, r, &verdicts[i], c->line, NULL };
	}
	struct run_report rep = { .version = "9.8.7", .backend = "emu", .cases = reports, .count = n,
				  .elapsed_ns = elapsed_ns };
	cr_assert_eq(record_build(&rep, rec), 0);
	for (size_t i = 0; i < n; i++)
		verdict_free(&verdicts[i]);
}

static char *render(const struct record *rec, const char *renderer, const struct render_options *opt)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	cr_assert_not_null(mem);
	char err[512] = "";
	cr_assert_eq(renderer_find(renderer)->render(rec, mem, opt, err, sizeof(err)), 0, "%s: %s", renderer, err);
	cr_assert_eq(fclose(mem), 0);
	return text;
}

static char dir[256];

static void setup(void)
{
	tu_tmpdir_make(dir, sizeof(dir));
}

static void teardown(void)
{
	tu_tmpdir_remove(dir);
}

TestSuite(record, .init = setup, .fini = teardown);

/* Saves rec under name in the test's folder and reads it back into back. */
static void save_and_load(const struct record *rec, const char *name, struct record *back)
{
	char path[512], err[512] = "";
	tu_path(path, sizeof(path), dir, name);
	cr_assert_eq(report_file_render(path, renderer_find("json"), rec, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(record_json_load(path, back, err, sizeof(err)), 0, "%s", err);
}

static const struct render_options render_kinds[] = {
	{ .tap_timing = false, .verbose = false },
	{ .tap_timing = true, .verbose = true },
};

/* Every renderer, with and without timing and verbosity, gives the same bytes for a and b. */
static void assert_same_reports(const struct record *a, const struct record *b)
{
	static const char *const renderers[] = { "tap", "junit", "summary", "results", "json" };
	for (size_t r = 0; r < sizeof(renderers) / sizeof(renderers[0]); r++) {
		for (size_t k = 0; k < sizeof(render_kinds) / sizeof(render_kinds[0]); k++) {
			char *x = render(a, renderers[r], &render_kinds[k]);
			char *y = render(b, renderers[r], &render_kinds[k]);
			cr_assert_str_eq(x, y, "%s differs", renderers[r]);
			free(x);
			free(y);
		}
	}
}

static const char hostile[] = "\nok 99 - fake\n\x00\xff\x1b[31m'\"\\#]]><&\r\n\xef\xbf\xbf";

static const struct sample varied[] = {
	{ "cases/a.yaml", 0, "passes", OUTCOME_HLT, "hi\n", 3, "hi\n", "ax", 0x5678, true, NULL, NULL, false },
	{ "cases/a.yaml", 1, "wrong output", OUTCOME_HLT, "hellp", 5, "hello", "al", 0x79, true, NULL, NULL, false },
	{ "cases/b.yaml", 0, "triple fault", OUTCOME_SHUTDOWN, "", 0, NULL, "ax", 1, false, "triple fault at 0000:0010",
	  NULL, false },
	{ "cases/b.yaml", 1, NULL, OUTCOME_CASE_ERROR, "", 0, NULL, NULL, 0, false, "cases/b.yaml:9:3: unknown key 'x'",
	  "cases/b.yaml:9:3: unknown key 'x'", false },
	{ "cases/\xff\x01.yaml", 0, "caf\xc3\xa9 \xfe # hostile", OUTCOME_ERROR, hostile, sizeof(hostile) - 1, "\nok",
	  NULL, 0, true, "nasm: \x02\xc3\nsecond line", NULL, true },
};

Test(record, round_trip_renders_identical_reports)
{
	struct record rec, back;
	record_of(varied, sizeof(varied) / sizeof(varied[0]), 1234567890, &rec);
	save_and_load(&rec, "results.json", &back);
	cr_assert(record_equal(&rec, &back), "the record reads back as it was");
	assert_same_reports(&rec, &back);
	record_free(&rec);
	record_free(&back);
}

Test(record, holds_what_the_run_knew)
{
	struct record rec;
	record_of(varied, 2, 42, &rec);
	cr_assert_str_eq(rec.version, "9.8.7");
	cr_assert_str_eq(rec.backend, "emu");
	cr_assert_eq(rec.elapsed_ns, 42u);
	const struct record_case *c = &rec.cases[1];
	cr_assert_str_eq(c->file, "cases/a.yaml");
	cr_assert_eq(c->index, 1);
	cr_assert_eq(c->line, 8);
	cr_assert_eq(c->status, VERDICT_FAIL);
	cr_assert_str_eq(c->reason, "serial output differs at byte 4");
	cr_assert_eq(c->check_count, 3u, "outcome, serial, al");
	cr_assert_eq(c->checks[2].kind, CHECK_REGISTER);
	cr_assert_str_eq(c->checks[2].label, "al");
	cr_assert_eq(c->exits, 4u);
	cr_assert_eq(c->times.run_ns, 3000001u);
	cr_assert(c->regs_valid);
	cr_assert_eq(record_reg_find(c, "eax")->value, 0x12345679u);
	cr_assert(record_any_failed(&rec));
	record_free(&rec);
}

Test(record, registers_in_the_parity_order)
{
	static const char *const names[] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
					     "eip", "eflags", "es", "cs", "ss", "ds", "fs", "gs" };
	struct cpu_state s;
	cpu_state_reset(&s);
	s.gpr[GPR_EDI] = 0xdeadbeef;
	cpu_state_set_real_segment(&s, SEG_GS, 0xf000);
	struct record_case c = {0};
	record_regs_from_state(&s, &c);
	cr_assert_eq(c.reg_count, sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < c.reg_count; i++) {
		cr_assert_str_eq(c.regs[i].name, names[i]);
		cr_assert_eq(c.regs[i].width, i < 10 ? 32 : 16, "%s", names[i]);
	}
	cr_assert_eq(record_reg_find(&c, "edi")->value, 0xdeadbeefu);
	cr_assert_eq(record_reg_find(&c, "gs")->value, 0xf000u);
	cr_assert_eq(record_reg_find(&c, "eflags")->value, 0x2u);
	cr_assert_null(record_reg_find(&c, "rax"));
}

/* ---- arbitrary bytes ---- */

struct byte_case {
	const char *what;
	const char *data;
	size_t len;
	bool plain;  /* valid UTF-8: a JSON string, not base64 */
};

#define BYTES(what, s, plain) { what, s, sizeof(s) - 1, plain }

static const struct byte_case byte_cases[] = {
	BYTES("empty", "", true),
	BYTES("a NUL alone", "\0", true),
	BYTES("NULs inside", "a\0b\0\0c", true),
	BYTES("UTF-8", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", true),
	BYTES("a lone continuation byte", "\x80", false),
	BYTES("a truncated sequence", "ab\xc3", false),
	BYTES("an overlong slash", "\xc0\xaf", false),
	BYTES("a surrogate", "\xed\xa0\x80", false),
	BYTES("beyond U+10FFFF", "\xf4\x90\x80\x80", false),
	BYTES("0xff and NUL", "\xff\0\xfe", false),
	BYTES("one byte short of a base64 group", "\xff\xfe", false),
	BYTES("control characters", "\x1b[2J\r\n\t\x7f", true),
};

static bool file_holds(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	static char text[1 << 16];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	return strstr(text, needle) != NULL;
}

Test(record, arbitrary_bytes_round_trip_exactly)
{
	for (size_t t = 0; t < sizeof(byte_cases) / sizeof(byte_cases[0]); t++) {
		const struct byte_case *b = &byte_cases[t];
		struct sample s = { "cases/x.yaml", 0, "bytes", OUTCOME_HLT, b->data, b->len, NULL, NULL, 0, true,
				    NULL, NULL, false };
		struct record rec, back;
		record_of(&s, 1, 1, &rec);
		save_and_load(&rec, "bytes.json", &back);
		cr_assert(record_equal(&rec, &back), "%s", b->what);
		cr_assert_eq(back.cases[0].output.len, b->len, "%s", b->what);
		cr_assert_eq(memcmp(back.cases[0].output.data, b->data, b->len), 0, "%s", b->what);
		char path[512];
		tu_path(path, sizeof(path), dir, "bytes.json");
		/* Nothing else in this record is other than UTF-8. */
		cr_assert_eq(file_holds(path, "\"base64\""), !b->plain, "%s", b->what);
		record_free(&rec);
		record_free(&back);
	}
}

Test(record, every_byte_value_in_every_text_field)
{
	char all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (char)i;
	/* Text fields are C strings: every byte but NUL. */
	char text[256];
	memcpy(text, all + 1, 255);
	text[255] = '\0';
	struct sample s = { text, 3, text, OUTCOME_ERROR, all, sizeof(all), text, "ax", 7, true, text, NULL, false };
	struct record rec, back;
	record_of(&s, 1, 7, &rec);
	save_and_load(&rec, "all.json", &back);
	cr_assert(record_equal(&rec, &back));
	cr_assert_str_eq(back.cases[0].file, text);
	cr_assert_str_eq(back.cases[0].message, text);
	assert_same_reports(&rec, &back);
	record_free(&rec);
	record_free(&back);
}

/* ---- reading what is not a record ---- */

struct bad_json {
	const char *what;
	const char *text;
	const char *error;  /* a part of the message */
};

#define CASE_OK "\"file\": \"a.yaml\", \"index\": 0, \"line\": 1, \"name\": \"n\", \"outcome\": \"hlt\", " \
	"\"status\": \"pass\", \"reason\": \"\", \"exits\": 1, \"backend\": \"emu\", \"host_fault\": false, " \
	"\"message\": null, \"output\": \"\", \"registers\": null, " \
	"\"times_ns\": {\"assemble\": 0, \"create\": 0, \"run\": 0, \"teardown\": 0}"
#define HEAD_OK "\"format\": \"kvmcheck-results\", \"format_version\": 1, \"kvmcheck\": \"0.1.0\", " \
	"\"backend\": \"emu\", \"elapsed_ns\": 5"

static const struct bad_json bad_jsons[] = {
	{ "not JSON", "{ nope", "bad.json:1:" },
	{ "not an object", "[1, 2]", "is not an object" },
	{ "another format", "{\"format\": \"junit\"}", "not a kvmcheck results record" },
	{ "a later version", "{\"format\": \"kvmcheck-results\", \"format_version\": 2}", "'format_version'" },
	{ "no cases", "{" HEAD_OK "}", "'cases'" },
	{ "a case without checks", "{" HEAD_OK ", \"cases\": [{" CASE_OK "}]}", "case 1: 'checks'" },
	{ "an unknown outcome", "{" HEAD_OK ", \"cases\": [{" CASE_OK ", \"checks\": [], \"outcome\": \"won\"}]}",
	  "case 1: 'outcome' is not an outcome" },
	{ "an unknown kind of check",
	  "{" HEAD_OK ", \"cases\": [{" CASE_OK ", \"checks\": [{\"kind\": \"smell\"}]}]}", "'kind' is not a kind" },
	{ "bad base64", "{" HEAD_OK ", \"cases\": [{" CASE_OK ", \"checks\": [], \"output\": {\"base64\": \"a=b\"}}]}",
	  "case 1: 'output'" },
	{ "a NUL in a file name", "{" HEAD_OK ", \"cases\": [{" CASE_OK ", \"checks\": [], \"file\": \"a\\u0000b\"}]}",
	  "'file' holds a NUL byte" },
};

Test(record, load_names_what_is_wrong)
{
	for (size_t t = 0; t < sizeof(bad_jsons) / sizeof(bad_jsons[0]); t++) {
		tu_write_str(dir, "bad.json", bad_jsons[t].text);
		char path[512], err[512] = "";
		tu_path(path, sizeof(path), dir, "bad.json");
		struct record rec;
		cr_assert_eq(record_json_load(path, &rec, err, sizeof(err)), -1, "%s was read", bad_jsons[t].what);
		cr_assert_not_null(strstr(err, bad_jsons[t].error), "%s: %s", bad_jsons[t].what, err);
		cr_assert_eq(rec.count, 0u);
	}
	char err[512] = "";
	struct record rec;
	cr_assert_eq(record_json_load("/nonexistent/results.json", &rec, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "/nonexistent/results.json"), "%s", err);
}

Test(record, a_minimal_record_reads)
{
	tu_write_str(dir, "ok.json", "{" HEAD_OK ", \"cases\": [{" CASE_OK ", \"checks\": []}]}");
	char path[512], err[512] = "";
	tu_path(path, sizeof(path), dir, "ok.json");
	struct record rec;
	cr_assert_eq(record_json_load(path, &rec, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(rec.count, 1u);
	cr_assert_null(rec.cases[0].message);
	cr_assert_not(rec.cases[0].regs_valid);
	record_free(&rec);
}

/* ---- merging shards ---- */

static const struct sample suite[] = {
	{ "cases/a.yaml", 0, "a0", OUTCOME_HLT, "x", 1, "x", NULL, 0, true, NULL, NULL, false },
	{ "cases/a.yaml", 1, "a1", OUTCOME_HLT, "y", 1, "x", NULL, 0, true, NULL, NULL, false },
	{ "cases/b.yaml", 0, "b0", OUTCOME_SHUTDOWN, "", 0, NULL, NULL, 0, false, "triple fault", NULL, false },
	{ "cases/c.yaml", 0, "c0", OUTCOME_HLT, "z", 1, NULL, "ax", 0x5678, true, NULL, NULL, false },
	{ "cases/c.yaml", 1, "c1", OUTCOME_HLT, "", 0, NULL, NULL, 0, true, NULL, NULL, false },
};

/* The same cases as a shard runs them: the exits and times of a case do not
 * depend on what else ran, so record_of numbers them from 0 per shard;
 * build each case alone and append. */
static void shard_of(const size_t *which, size_t n, uint64_t elapsed_ns, struct record *out)
{
	*out = (struct record){0};
	for (size_t i = 0; i < n; i++) {
		struct record one;
		record_of(&suite[which[i]], 1, 0, &one);
		if (i == 0) {
			out->version = strdup(one.version);
			out->backend = strdup(one.backend);
		}
		cr_assert_eq(record_case_append(out, &one.cases[0]), 0);
		record_free(&one);
	}
	out->elapsed_ns = elapsed_ns;
}

Test(record, merging_shards_gives_the_unsharded_reports)
{
	static const size_t all[] = { 0, 1, 2, 3, 4 }, first[] = { 3, 0, 4 }, second[] = { 2, 1 };
	struct record whole, parts[2], merged;
	shard_of(all, 5, 300, &whole);
	shard_of(first, 3, 100, &parts[0]);
	shard_of(second, 2, 200, &parts[1]);
	char err[512] = "";
	cr_assert_eq(record_merge(parts, 2, &merged, err, sizeof(err)), 0, "%s", err);
	cr_assert(record_equal(&merged, &whole), "cases by file, then index; the times of the parts add up");
	assert_same_reports(&merged, &whole);
	record_free(&whole);
	record_free(&parts[0]);
	record_free(&parts[1]);
	record_free(&merged);
}

Test(record, merging_refuses_a_case_twice_and_mixed_versions)
{
	static const size_t first[] = { 0, 3 }, second[] = { 1, 3 };
	struct record parts[2], merged;
	shard_of(first, 2, 1, &parts[0]);
	shard_of(second, 2, 1, &parts[1]);
	char err[512] = "";
	cr_assert_eq(record_merge(parts, 2, &merged, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "case cases/c.yaml:0 is in more than one record");
	cr_assert_eq(merged.count, 0u);

	free(parts[1].version);
	parts[1].version = strdup("0.0.1");
	parts[1].cases[1].index = 9;
	cr_assert_eq(record_merge(parts, 2, &merged, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "different kvmcheck versions"), "%s", err);
	record_free(&parts[0]);
	record_free(&parts[1]);
}

Test(record, merging_names_every_backend)
{
	static const size_t first[] = { 0 }, second[] = { 1 }, third[] = { 2 };
	struct record parts[3], merged;
	shard_of(first, 1, 1, &parts[0]);
	shard_of(second, 1, 1, &parts[1]);
	shard_of(third, 1, 1, &parts[2]);
	free(parts[1].backend);
	parts[1].backend = strdup("kvm");
	char err[512] = "";
	cr_assert_eq(record_merge(parts, 3, &merged, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(merged.backend, "emu+kvm");
	cr_assert_eq(merged.count, 3u);
	for (size_t i = 0; i < 3; i++)
		record_free(&parts[i]);
	record_free(&merged);
}

/* ---- JUnit on very large output ---- */

/* Guest output of 64 MiB, compared with an expectation as large: the
 * JUnit writer must get there at all (its formatted writes were
 * quadratic: 8 MiB took two minutes), and both <system-out> and the
 * failure text show only windows (the whole output is in the record). */
Test(record, junit_writes_64_mib_of_output, .timeout = 600)
{
	size_t len = 64u << 20;
	char *output = malloc(len + 1), *expected = malloc(len + 1);
	cr_assert(output && expected);
	for (size_t i = 0; i < len; i++)
		output[i] = expected[i] = i % 64 == 63 ? '\n' : (char)('a' + i % 26);
	output[len] = expected[len] = '\0';
	expected[len - 1] = '!';
	struct sample s = { "cases/big.yaml", 0, "big", OUTCOME_HLT, output, len, expected, NULL, 0, true, NULL, NULL,
			    false };
	struct record rec;
	record_of(&s, 1, 1, &rec);
	free(output);
	free(expected);
	cr_assert_eq(rec.cases[0].status, VERDICT_FAIL);
	FILE *sink = tmpfile();
	cr_assert_not_null(sink);
	char err[512] = "";
	cr_assert_eq(report_junit_render(&rec, sink, NULL, err, sizeof(err)), 0, "%s", err);
	/* <system-out> holds a window of the output (report/excerpt.h), the
	 * failure text windows of both: the file stays small. */
	cr_assert_gt(ftell(sink), 2L * EXCERPT_OUTPUT_EDGE, "the output's head and tail are in the report");
	cr_assert_lt(ftell(sink), 256L * 1024, "the report holds windows of the output, not all 64 MiB");
	fclose(sink);
	record_free(&rec);
}

/* Where a failure stopped and its hint are saved and read back; a record
 * without them (a passing case, an older record) reads as NULL. */
Test(record, stopped_at_and_hint_round_trip)
{
	struct record rec, back;
	record_of(varied, 3, 11, &rec);
	free(rec.cases[1].stopped_at);
	free(rec.cases[2].hint);
	rec.cases[1].stopped_at = strdup("cases/a.yaml:9 `out dx, al`");
	rec.cases[2].hint = strdup("Observed: \x1b[31m'\"\n. Likely cause: \xff.");
	free(rec.cases[1].stop_listing);
	rec.cases[1].stop_listing = strdup("  cases/a.yaml:8  mov dx, 0x3f8\n> cases/a.yaml:9  out dx, al\n");
	free(rec.cases[1].last_instructions);
	rec.cases[1].last_instructions = strdup("cases/a.yaml:8 `mov dx, 0x3f8`\ncases/a.yaml:9 `out dx, al`\n");
	save_and_load(&rec, "feedback.json", &back);
	cr_assert(record_equal(&rec, &back));
	cr_assert_null(back.cases[0].stopped_at);
	cr_assert_null(back.cases[0].hint);
	cr_assert_str_eq(back.cases[1].stopped_at, "cases/a.yaml:9 `out dx, al`");
	cr_assert_str_eq(back.cases[2].hint, rec.cases[2].hint);
	cr_assert_str_eq(back.cases[1].stop_listing, rec.cases[1].stop_listing);
	cr_assert_null(back.cases[0].stop_listing);
	cr_assert_str_eq(back.cases[1].last_instructions, rec.cases[1].last_instructions);
	cr_assert_null(back.cases[0].last_instructions);
	assert_same_reports(&rec, &back);
	char *tap = render(&rec, "tap", &render_kinds[0]);
	cr_assert_not_null(strstr(tap, "  stopped_at: 'cases/a.yaml:9 `out dx, al`'\n"), "%s", tap);
	cr_assert_not_null(strstr(tap, "  last_instructions:\n    1: 'cases/a.yaml:8 `mov dx, 0x3f8`'\n"
				       "    2: 'cases/a.yaml:9 `out dx, al`'\n"), "%s", tap);
	free(tap);
	free(back.cases[1].stopped_at);
	back.cases[1].stopped_at = NULL;
	cr_assert_not(record_equal(&rec, &back), "a record without the stopping place is another record");
	record_free(&rec);
	record_free(&back);
}
