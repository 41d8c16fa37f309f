/* fuzz_case_load: libFuzzer target for the case loader and the report
 * writers. The bytes are a case file; every case it yields is judged
 * against a made-up run result and written out as TAP, JUnit XML, the
 * summary and the parity record. Beyond "no crash, no leak, no hang", the
 * reports are checked for the promise the README makes: nothing a case file
 * holds can add or change a TAP test point, every TAP diagnostics block is
 * one well-formed YAML mapping, the JUnit XML is well-formed with one
 * testcase per case and no two alike in classname and name, and the
 * line-based reports keep one line per case, and the results record reads
 * back from its JSON exactly as it was. A broken promise aborts, which
 * libFuzzer reports like a crash. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "case/case.h"
#include "report/redact.h"
#include "report/report.h"
#include "machine/result.h"
#include "judge/verdict.h"
#include "case/yaml_tree.h"

/* Inside cases/, so that `guest: ../guests/hello.asm` in a seed resolves
 * when run.sh starts the fuzzer from the repository root. */
#define FUZZ_CASE_PATH "cases/fuzz.yaml"

static void fail(const char *what, const char *text, size_t len)
{
	fprintf(stderr, "fuzz_case_load: %s\n--- report ---\n%.*s\n--- end ---\n", what, (int)len, text);
	abort();
}

/* ---- made-up run results ------------------------------------------------ */

/* Which shape of result a case gets. Derived from the input, so that the
 * fuzzer can steer each case into passing, failing and erroring reports. */
enum fake_kind { FAKE_AS_EXPECTED, FAKE_HOSTILE_OUTPUT, FAKE_HOST_FAULT, FAKE_KIND_COUNT };

static int bytes_copy(struct bytes *to, const struct bytes *from)
{
	return from->len ? bytes_append(to, from->data, from->len) : 0;
}

/* A result the case expects, so its verdict can pass. */
static void fake_as_expected(const struct test_case *c, struct run_result *r)
{
	r->outcome = c->expect_exit;
	bytes_copy(&r->output, &c->expect_serial);
	r->regs_valid = c->expect_exit != OUTCOME_SHUTDOWN;
	case_initial_state(c, &r->regs);
	for (size_t i = 0; i < c->expect_regs.count; i++)
		reg_set(&r->regs, c->expect_regs.items[i].ref, c->expect_regs.items[i].value);
}

/* The case's own bytes as guest output and its source as the message:
 * arbitrary, multi-line, attacker-chosen text in every report field. */
static void fake_hostile(const struct test_case *c, struct run_result *r, enum outcome outcome)
{
	r->outcome = outcome;
	bytes_copy(&r->output, &c->input);
	r->message = strdup(c->source ? c->source : c->name ? c->name : "");
	r->regs_valid = outcome != OUTCOME_SHUTDOWN;
	case_initial_state(c, &r->regs);
}

static void fake_result(const struct test_case *c, size_t salt, struct run_result *r)
{
	*r = (struct run_result){ .backend = "emu" };
	r->times = (struct stage_times){ .assemble_ns = salt * 1000003u, .run_ns = 999999499u };
	if (c->error) {
		/* What runner_run_case does for an invalid case. */
		r->outcome = OUTCOME_CASE_ERROR;
		r->message = strdup(c->error);
		r->backend = NULL;
		return;
	}
	switch ((enum fake_kind)(salt % FAKE_KIND_COUNT)) {
	case FAKE_AS_EXPECTED:
		fake_as_expected(c, r);
		break;
	case FAKE_HOSTILE_OUTPUT:
		fake_hostile(c, r, (enum outcome)(salt / FAKE_KIND_COUNT % OUTCOME_CASE_ERROR));
		r->exits = salt;
		break;
	default:
		fake_hostile(c, r, OUTCOME_ERROR);
		r->host_fault = true;
		break;
	}
}

/* ---- report checks --------------------------------------------------------- */

static size_t count_lines(const char *text, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	return n;
}

/* A TAP description: no control bytes, and every '#' escaped, so that no
 * name can turn into a SKIP or TODO directive. */
static bool tap_description_ok(const char *s, size_t len)
{
	if (len == 0)
		return true;
	if (len < 3 || memcmp(s, " - ", 3) != 0)
		return false;
	for (size_t i = 3; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
		if (s[i] == '#' && s[i - 1] != '\\')
			return false;
	}
	return true;
}

/* "ok N" or "not ok N" with the expected number, then a description. */
static bool tap_point_ok(const char *line, size_t len, size_t number)
{
	char head[40];
	size_t ok_len = strncmp(line, "not ok ", 7) == 0 ? 7 : strncmp(line, "ok ", 3) == 0 ? 3 : 0;
	if (ok_len == 0 || len < ok_len)
		return false;
	int n = snprintf(head, sizeof(head), "%zu", number);
	if (len < ok_len + (size_t)n || memcmp(line + ok_len, head, (size_t)n) != 0)
		return false;
	size_t rest = ok_len + (size_t)n;
	return tap_description_ok(line + rest, len - rest);
}

/* The YAML between "  ---" and "  ...", unindented, must read back as one
 * mapping: libyaml's emitter quoted everything right and no key repeats. */
static void tap_block_check(const char *tap, size_t tap_len, const struct bytes *block)
{
	struct ydoc_list docs;
	int rc = yaml_tree_parse((const char *)block->data, block->len, &docs);
	bool ok = rc == 0 && docs.count == 1 && docs.docs[0].root && docs.docs[0].root->kind == YNODE_MAPPING;
	if (!ok) {
		const struct ydoc *doc = docs.count ? &docs.docs[0] : NULL;
		fprintf(stderr, "fuzz_case_load: yaml_tree says: %s (line %d)\n",
			doc && doc->error[0] ? doc->error : docs.error, doc && doc->error[0] ? doc->error_line : docs.error_line);
		ydoc_list_free(&docs);
		fail("a TAP diagnostics block is not one YAML mapping", tap, tap_len);
	}
	ydoc_list_free(&docs);
}

struct tap_reader {
	const char *tap;
	size_t len;
	size_t pos;
};

/* The next line without its '\n'; false at the end. */
static bool tap_next_line(struct tap_reader *t, const char **line, size_t *len)
{
	if (t->pos >= t->len)
		return false;
	const char *start = t->tap + t->pos;
	const char *nl = memchr(start, '\n', t->len - t->pos);
	if (!nl)
		fail("TAP does not end with a line break", t->tap, t->len);
	*line = start;
	*len = (size_t)(nl - start);
	t->pos += *len + 1;
	return true;
}

static bool line_is(const char *line, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(line, want, len) == 0;
}

/* Reads a diagnostics block after its "  ---" line, up to "  ...". */
static void tap_block_read(struct tap_reader *t)
{
	struct bytes yaml = {0};
	const char *line;
	size_t len;
	for (;;) {
		if (!tap_next_line(t, &line, &len))
			fail("TAP diagnostics block never ends", t->tap, t->len);
		if (line_is(line, len, "  ..."))
			break;
		if (len < 2 || memcmp(line, "  ", 2) != 0)
			fail("TAP diagnostics line without indentation", t->tap, t->len);
		bytes_append(&yaml, line + 2, len - 2);
		bytes_push(&yaml, '\n');
	}
	tap_block_check(t->tap, t->len, &yaml);
	bytes_free(&yaml);
}

/* Walks the whole stream: header, plan, then exactly `count` test points in
 * order, each optionally followed by one block, then comments; nothing else. */
static void tap_check(const char *tap, size_t len, size_t count)
{
	struct tap_reader t = { .tap = tap, .len = len };
	const char *line;
	size_t line_len;
	char plan[40];
	snprintf(plan, sizeof(plan), "1..%zu", count);
	if (!tap_next_line(&t, &line, &line_len) || !line_is(line, line_len, "TAP version 13") ||
	    !tap_next_line(&t, &line, &line_len) || line_len < 2 || memcmp(line, "# ", 2) != 0 ||
	    !tap_next_line(&t, &line, &line_len) || !line_is(line, line_len, plan))
		fail("TAP header or plan is wrong", tap, len);
	size_t points = 0;
	while (tap_next_line(&t, &line, &line_len)) {
		if (line_is(line, line_len, "  ---") && points > 0) {
			tap_block_read(&t);
		} else if (line_len >= 2 && memcmp(line, "# ", 2) == 0 && points == count) {
			/* after the last point: the score, then the elapsed time */
		} else if (!tap_point_ok(line, line_len, ++points)) {
			fail("TAP has a line that is not the next test point", tap, len);
		}
	}
	if (points != count)
		fail("TAP has the wrong number of test points", tap, len);
}

/* ---- writing the reports ----------------------------------------------------- */

/* The JUnit and JSON writers are checked through a file. An unlinked
 * temporary file, reopened by its /proc/self/fd name, leaves nothing behind
 * however the process ends. */
static int junit_fd = -1;
static char junit_path[64];

static void junit_file_open(void)
{
	const char *dir = getenv("TMPDIR");
	char tmpl[512];
	snprintf(tmpl, sizeof(tmpl), "%s/fuzz-junit-XXXXXX", dir && *dir ? dir : "/tmp");
	junit_fd = mkstemp(tmpl);
	if (junit_fd < 0) {
		perror("fuzz_case_load: mkstemp");
		abort();
	}
	unlink(tmpl);
	snprintf(junit_path, sizeof(junit_path), "/proc/self/fd/%d", junit_fd);
}

static char *junit_file_read(size_t *len)
{
	struct stat st;
	if (fstat(junit_fd, &st) < 0)
		abort();
	char *xml = malloc((size_t)st.st_size + 1);
	ssize_t n = xml ? pread(junit_fd, xml, (size_t)st.st_size, 0) : -1;
	if (n != st.st_size)
		abort();
	*len = (size_t)n;
	return xml;
}

static size_t xml_count(xmlNodePtr node, const char *name)
{
	size_t n = 0;
	for (; node; node = node->next) {
		if (node->type != XML_ELEMENT_NODE)
			continue;
		n += strcmp((const char *)node->name, name) == 0;
		n += xml_count(node->children, name);
	}
	return n;
}

/* The testcases in document order, for the uniqueness check. */
static size_t xml_testcases(xmlNodePtr node, xmlNodePtr *out, size_t max, size_t n)
{
	for (; node; node = node->next) {
		if (node->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((const char *)node->name, "testcase") == 0 && n < max)
			out[n++] = node;
		n = xml_testcases(node->children, out, max, n);
	}
	return n;
}

static bool attr_equal(xmlNodePtr a, xmlNodePtr b, const char *name)
{
	xmlChar *x = xmlGetProp(a, BAD_CAST name);
	xmlChar *y = xmlGetProp(b, BAD_CAST name);
	bool equal = x && y && xmlStrEqual(x, y);
	xmlFree(x);
	xmlFree(y);
	return equal;
}

/* CI tools key results by classname + name: the README promises the pair
 * is unique. */
static void junit_names_check(xmlNodePtr root, size_t count, const char *xml, size_t len)
{
	xmlNodePtr *cases = calloc(count ? count : 1, sizeof(*cases));
	if (!cases)
		abort();
	size_t n = xml_testcases(root, cases, count, 0);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			if (attr_equal(cases[i], cases[j], "classname") && attr_equal(cases[i], cases[j], "name"))
				fail("JUnit XML has two testcases with the same classname and name", xml, len);
		}
	}
	free(cases);
}

static void junit_check(const struct record *rep)
{
	char err[600];
	if (ftruncate(junit_fd, 0) < 0 ||
	    report_file_render(junit_path, renderer_find("junit"), rep, NULL, err, sizeof(err)) < 0)
		fail("JUnit report failed", err, strlen(err));
	size_t len;
	char *xml = junit_file_read(&len);
	xmlDocPtr doc = xmlReadMemory(xml, (int)len, "junit.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
				      XML_PARSE_NOWARNING | XML_PARSE_HUGE);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root || strcmp((const char *)root->name, "testsuites") != 0)
		fail("JUnit XML is not well-formed", xml, len);
	if (xml_count(root, "testcase") != rep->count)
		fail("JUnit XML has the wrong number of testcases", xml, len);
	junit_names_check(root, rep->count, xml, len);
	xmlFreeDoc(doc);
	free(xml);
}

/* The report writers go to memory, where the checks can read them back. */
struct memfile {
	FILE *f;
	char *text;
	size_t len;
};

static void memfile_open(struct memfile *m)
{
	*m = (struct memfile){0};
	m->f = open_memstream(&m->text, &m->len);
	if (!m->f)
		abort();
}

static void memfile_close(struct memfile *m)
{
	if (fclose(m->f) != 0)
		abort();
}

static void tap_write_check(const struct record *rep, bool timing)
{
	struct render_options opt = { .tap_timing = timing, .verbose = true };
	struct memfile m;
	memfile_open(&m);
	char err[600];
	int rc = report_tap_render(rep, m.f, &opt, err, sizeof(err));
	memfile_close(&m);
	if (rc < 0)
		fail("TAP report failed", m.text, m.len);
	tap_check(m.text, m.len, rep->count);
	free(m.text);
}

/* Case files of the record, each counted once. */
static size_t distinct_files(const struct record *rep)
{
	size_t n = 0;
	for (size_t i = 0; i < rep->count; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(rep->cases[j].file, rep->cases[i].file) == 0;
		n += !seen;
	}
	return n;
}

/* The lines the summary gives a case that did not pass: its own, and
 * unless it is hidden, where it stopped, a hint and its metrics. */
static size_t failure_lines(const struct record_case *c)
{
	if (report_case_redacted(c, false))
		return 1;
	return 1 + (c->stopped_at != NULL) + (c->hint != NULL) + (c->binary_size || c->instructions_counted);
}

/* The summary is its first line, the lines of each case that did not pass,
 * a score line per case file when there are several, the total score and
 * the closing "N passed, N failed" line; the parity record one line plus
 * one per case, with five tab-separated fields. */
static void line_reports_check(const struct record *rep)
{
	size_t not_passed = 0;
	for (size_t i = 0; i < rep->count; i++)
		if (rep->cases[i].status != VERDICT_PASS)
			not_passed += failure_lines(&rep->cases[i]);
	struct memfile m;
	char err[600];
	memfile_open(&m);
	report_summary_render(rep, m.f, NULL, err, sizeof(err));
	memfile_close(&m);
	size_t files = distinct_files(rep);
	size_t score_lines = 1 + (files > 1 ? files : 0);
	if (count_lines(m.text, m.len) != 2 + not_passed + score_lines || !memmem(m.text, m.len, "\nscore: ", 8))
		fail("summary has the wrong number of lines", m.text, m.len);
	free(m.text);

	memfile_open(&m);
	int rc = report_results_render(rep, m.f, NULL, err, sizeof(err));
	memfile_close(&m);
	size_t tabs = 0;
	for (size_t i = 0; i < m.len; i++)
		tabs += m.text[i] == '\t';
	if (rc < 0 || count_lines(m.text, m.len) != 1 + rep->count || tabs != 4 * rep->count)
		fail("parity record has the wrong shape", m.text, m.len);
	free(m.text);
}

/* The record saved as JSON and read back is the record, byte for byte. */
static void json_round_trip_check(const struct record *rec)
{
	char err[600] = "";
	if (ftruncate(junit_fd, 0) < 0 ||
	    report_file_render(junit_path, renderer_find("json"), rec, NULL, err, sizeof(err)) < 0)
		fail("results record could not be written", err, strlen(err));
	struct record back;
	if (record_json_load(junit_path, &back, err, sizeof(err)) < 0)
		fail("results record could not be read back", err, strlen(err));
	if (!record_equal(rec, &back)) {
		size_t len;
		char *json = junit_file_read(&len);
		fail("results record changed through JSON", json, len);
	}
	record_free(&back);
}

/* The case file as the reports name it. Paths come from the command line
 * and can hold anything a name can, so some cases borrow their name as
 * their file: hostile paths, and several "files" in one report. */
static const char *report_file(const struct test_case *c, size_t salt)
{
	return salt % 4 == 3 && c->name ? c->name : c->file;
}

static void reports_check(struct case_list *list, size_t salt)
{
	size_t n = list->count;
	struct run_result *results = calloc(n ? n : 1, sizeof(*results));
	struct verdict *verdicts = calloc(n ? n : 1, sizeof(*verdicts));
	struct case_report *cases = calloc(n ? n : 1, sizeof(*cases));
	if (!results || !verdicts || !cases)
		abort();
	for (size_t i = 0; i < n; i++) {
		const struct test_case *c = &list->items[i];
		fake_result(c, salt + i, &results[i]);
		verdict_judge(c, &results[i], &verdicts[i]);
		cases[i] = (struct case_report){ .file = report_file(c, salt + i), .index = c->index, .name = c->name,
						 .result = &results[i], .verdict = &verdicts[i] };
	}
	/* A hostile version string as well: it is escaped like anything else. */
	struct run_report rep = { .version = n ? list->items[0].name : "0.1.0", .backend = "emu",
				  .cases = cases, .count = n, .elapsed_ns = salt };
	struct record rec;
	if (record_build(&rep, &rec) < 0)
		abort();
	tap_write_check(&rec, salt % 2);
	junit_check(&rec);
	line_reports_check(&rec);
	json_round_trip_check(&rec);
	record_free(&rec);
	for (size_t i = 0; i < n; i++) {
		run_result_free(&results[i]);
		verdict_free(&verdicts[i]);
	}
	free(results);
	free(verdicts);
	free(cases);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	xmlInitParser();
	junit_file_open();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct case_list list = {0};
	if (case_text_load(FUZZ_CASE_PATH, (const char *)data, size, &list) < 0)
		abort(); /* only out of memory may fail, and inputs are small */
	if (list.count == 0)
		fail("a case file yielded no case at all", (const char *)data, size);
	reports_check(&list, size);
	case_list_free(&list);
	return 0;
}
