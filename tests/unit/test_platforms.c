/* Unit tests for the grading-platform reports: workflow-command escaping and
 * annotations (report/workflow.c), Markdown fences and escaping
 * (report/markdown.c), the job summary's size limit (report/step_summary.c),
 * the Classroom payload and step-output form (report/classroom.c, core/base64.c)
 * and Gradescope's results.json (report/gradescope.c). */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "report/markdown.h"
#include "report/platforms.h"
#include "report/workflow.h"

#define MAX_CASES 32

struct fixture {
	struct record rec;
	struct record_case cases[MAX_CASES];
};

/* A case of the record; its strings must outlive the fixture. */
static struct record_case *fixture_add(struct fixture *f, const char *name, enum verdict_status status,
				       const char *reason, const char *output)
{
	cr_assert(f->rec.count < MAX_CASES);
	size_t i = f->rec.count++;
	struct record_case *c = &f->cases[i];
	*c = (struct record_case){ .file = (char *)"lab/fact.yaml", .index = (int)i, .line = 3 + (int)i,
				   .name = (char *)name, .outcome = OUTCOME_HLT, .status = status,
				   .reason = (char *)(reason ? reason : ""), .points_max = 1,
				   .points_earned = status == VERDICT_PASS ? 1 : 0 };
	c->output = (struct bytes){ (uint8_t *)output, output ? strlen(output) : 0, 0 };
	f->rec.cases = f->cases;
	return c;
}

static void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->rec = (struct record){ .version = (char *)"1.2.3", .backend = (char *)"emu", .elapsed_ns = 1500000000 };
}

/* What writer wrote, as a string to free(). */
typedef int writer_fn(const struct fixture *f, FILE *out);

static char *capture(writer_fn *w, const struct fixture *f)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	cr_assert_not_null(mem);
	cr_assert_eq(w(f, mem), 0);
	cr_assert_eq(fclose(mem), 0);
	return text;
}

/* ---- workflow-command escaping ---- */

struct escape_row {
	const char *in, *data, *property;
};

Test(platforms, workflow_escaping_follows_the_spec)
{
	static const struct escape_row rows[] = {
		{ "plain", "plain", "plain" },
		{ "100%", "100%25", "100%25" },
		{ "a\r\nb", "a%0D%0Ab", "a%0D%0Ab" },
		{ "file:12,col", "file:12,col", "file%3A12%2Ccol" },
		{ "::error::x", "::error::x", "%3A%3Aerror%3A%3Ax" },
		{ "%0A", "%250A", "%250A" },
		{ "", "", "" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *data = workflow_escape_data(rows[i].in);
		char *prop = workflow_escape_property(rows[i].in);
		cr_assert_str_eq(data, rows[i].data, "data of '%s'", rows[i].in);
		cr_assert_str_eq(prop, rows[i].property, "property of '%s'", rows[i].in);
		free(data);
		free(prop);
	}
}

Test(platforms, tokens_are_hex_and_differ)
{
	char a[WORKFLOW_TOKEN_SIZE], b[WORKFLOW_TOKEN_SIZE];
	cr_assert_eq(workflow_token_new(a), 0);
	cr_assert_eq(workflow_token_new(b), 0);
	cr_assert_eq(strlen(a), WORKFLOW_TOKEN_HEX);
	cr_assert_eq(strspn(a, "0123456789abcdef"), WORKFLOW_TOKEN_HEX);
	cr_assert_str_neq(a, b);
}

/* ---- annotations ---- */

static size_t count_lines(const char *text, const char *prefix)
{
	size_t n = 0;
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		n += strncmp(p, prefix, strlen(prefix)) == 0;
	return n;
}

static int write_annotations(const struct fixture *f, FILE *out)
{
	return workflow_annotations_write(&f->rec, out, WORKFLOW_MAX_ERRORS, false);
}

Test(platforms, annotations_stop_at_ten_then_one_notice)
{
	struct fixture f;
	fixture_init(&f);
	for (int i = 0; i < 13; i++)
		fixture_add(&f, "wrong", VERDICT_FAIL, "serial output differs at byte 0", NULL);
	fixture_add(&f, "right", VERDICT_PASS, NULL, NULL);
	char *text = capture(write_annotations, &f);
	cr_assert_eq(count_lines(text, "::error "), 10);
	cr_assert_eq(count_lines(text, "::notice "), 1);
	cr_assert_not_null(strstr(text, "3 more errors not annotated"));
	free(text);
}

Test(platforms, no_annotation_when_all_pass)
{
	struct fixture f;
	fixture_init(&f);
	fixture_add(&f, "right", VERDICT_PASS, NULL, NULL);
	char *text = capture(write_annotations, &f);
	cr_assert_str_eq(text, "");
	free(text);
}

Test(platforms, case_annotation_names_case_file_and_line_escaped)
{
	struct fixture f;
	fixture_init(&f);
	fixture_add(&f, "a, b: c", VERDICT_FAIL, "got 50%\nexpected 60%", NULL);
	char *text = capture(write_annotations, &f);
	cr_assert_str_eq(text, "::error file=lab/fact.yaml,line=3,title=kvmcheck%3A a%2C b%3A c::got 50%25%0Aexpected 60%25\n");
	free(text);
}

Test(platforms, assembler_errors_point_at_the_source_line)
{
	struct fixture f;
	fixture_init(&f);
	struct record_case *c = fixture_add(&f, "typo", VERDICT_FAIL, "outcome assemble_error", NULL);
	c->outcome = OUTCOME_ASSEMBLE_ERROR;
	c->message = (char *)"src/fact.asm:12: warning: label alone\nsrc/fact.asm:14: error: parser: instruction "
			     "expected\nsrc/util.inc:3: fatal: unable to open\nnasm rejected the source (exit status 1)";
	char *text = capture(write_annotations, &f);
	cr_assert_str_eq(text, "::error file=src/fact.asm,line=14,title=nasm%3A typo::parser: instruction expected\n"
			       "::error file=src/util.inc,line=3,title=nasm%3A typo::unable to open\n");
	free(text);
}

Test(platforms, guest_bytes_in_messages_cannot_start_a_command)
{
	struct fixture f;
	fixture_init(&f);
	fixture_add(&f, "x", VERDICT_FAIL, "got '\n::error::pwned\r\n'", NULL);
	char *text = capture(write_annotations, &f);
	/* One line: the guest's line breaks are escaped, so no line starts with its "::". */
	cr_assert_eq(count_lines(text, "::"), 1);
	cr_assert_null(strstr(text, "\n::error::pwned"));
	free(text);
}

/* ---- Markdown ---- */

struct fence_row {
	const char *text;
	size_t fence;
};

Test(platforms, fence_is_longer_than_any_backtick_run)
{
	static const struct fence_row rows[] = {
		{ "", 3 }, { "plain", 3 }, { "``", 3 }, { "```", 4 }, { "a````b`c", 5 }, { "``````````", 11 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		cr_assert_eq(markdown_fence_length(rows[i].text, strlen(rows[i].text)), rows[i].fence, "'%s'",
			     rows[i].text);
}

Test(platforms, code_block_cannot_be_closed_by_its_text)
{
	const char *guest = "```\n````\n</pre><script>x</script>\x1b[2J";
	struct bytes out = {0};
	cr_assert_eq(markdown_code_block(&out, guest, strlen(guest)), 0);
	cr_assert_eq(bytes_push(&out, 0), 0);
	const char *text = (const char *)out.data;
	cr_assert_eq(strncmp(text, "`````\n", 6), 0, "%s", text);
	cr_assert_not_null(strstr(text, "\\x1b[2J\n`````\n"), "%s", text);
	bytes_free(&out);
}

struct inline_row {
	const char *in, *out;
};

Test(platforms, inline_text_is_escaped)
{
	static const struct inline_row rows[] = {
		{ "fact", "fact" },
		{ "a | b", "a \\| b" },
		{ "*x* _y_ `z`", "\\*x\\* \\_y\\_ \\`z\\`" },
		{ "<img src=x>", "\\<img src\\=x\\>" },
		{ "[l](http://e)", "\\[l\\]\\(http\\:\\/\\/e\\)" },
		{ "two\nlines", "two\\\\nlines" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *got = markdown_escape_inline(rows[i].in);
		cr_assert_str_eq(got, rows[i].out, "'%s'", rows[i].in);
		free(got);
	}
}

/* ---- the job summary ---- */

static size_t summary_limit;

static int write_summary(const struct fixture *f, FILE *out)
{
	return step_summary_write(&f->rec, out, summary_limit, false);
}

Test(platforms, summary_has_score_table_and_failures)
{
	struct fixture f;
	fixture_init(&f);
	fixture_add(&f, "right", VERDICT_PASS, NULL, NULL);
	fixture_add(&f, "pipe | name", VERDICT_FAIL, "serial output differs at byte 0", "``` hi");
	summary_limit = STEP_SUMMARY_LIMIT;
	char *text = capture(write_summary, &f);
	cr_assert_not_null(strstr(text, "**Score: 1 / 2**"), "%s", text);
	cr_assert_not_null(strstr(text, "| ✅ pass | right | lab\\/fact\\.yaml\\:3 | 1 / 1 |\n"), "%s", text);
	cr_assert_not_null(strstr(text, "| ❌ fail | pipe \\| name |"), "%s", text);
	cr_assert_not_null(strstr(text, "````\n``` hi\n````\n"), "%s", text);
	free(text);
}

Test(platforms, summary_stays_under_its_limit)
{
	static char big[64 * 1024];
	memset(big, 'x', sizeof(big) - 1);
	struct fixture f;
	fixture_init(&f);
	for (int i = 0; i < MAX_CASES; i++)
		fixture_add(&f, "a failing case with a long name", VERDICT_FAIL, "serial output differs at byte 0", big);
	summary_limit = 4096;
	char *text = capture(write_summary, &f);
	cr_assert_leq(strlen(text), summary_limit);
	cr_assert_not_null(strstr(text, "left out to stay under GitHub's 4096-byte summary limit"), "%s", text);
	free(text);
}

/* ---- Classroom ---- */

struct base64_row {
	const char *in, *out;
};

Test(platforms, base64_matches_rfc4648)
{
	static const struct base64_row rows[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *got = base64_encode((const uint8_t *)rows[i].in, strlen(rows[i].in));
		cr_assert_str_eq(got, rows[i].out);
		free(got);
	}
}

static json_t *render_json(const struct fixture *f, const char *renderer)
{
	char *text = NULL, err[200] = "";
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	cr_assert_not_null(mem);
	cr_assert_eq(renderer_find(renderer)->render(&f->rec, mem, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(fclose(mem), 0);
	json_error_t jerr;
	json_t *root = json_loadb(text, len, 0, &jerr);
	cr_assert_not_null(root, "%s: %s", jerr.text, text);
	free(text);
	return root;
}

Test(platforms, classroom_payload_has_the_reporter_fields)
{
	struct fixture f;
	fixture_init(&f);
	fixture_add(&f, "right", VERDICT_PASS, NULL, NULL);
	fixture_add(&f, "wrong", VERDICT_FAIL, "serial output differs at byte 0", NULL);
	fixture_add(&f, "broken", VERDICT_ERROR, "invalid case", NULL);
	json_t *root = render_json(&f, "classroom");
	cr_assert_eq(json_integer_value(json_object_get(root, "version")), 1);
	cr_assert_str_eq(json_string_value(json_object_get(root, "status")), "fail");
	cr_assert_eq(json_number_value(json_object_get(root, "max_score")), 3);
	json_t *tests = json_object_get(root, "tests");
	cr_assert_eq(json_array_size(tests), 3);
	static const char *const statuses[] = { "pass", "fail", "error" };
	for (size_t i = 0; i < 3; i++) {
		json_t *t = json_array_get(tests, i);
		cr_assert_str_eq(json_string_value(json_object_get(t, "status")), statuses[i]);
		cr_assert_eq(json_number_value(json_object_get(t, "score")), i == 0 ? 1 : 0);
		cr_assert_str_eq(json_string_value(json_object_get(t, "filename")), "lab/fact.yaml");
		cr_assert_eq(json_integer_value(json_object_get(t, "line_no")), 3 + (json_int_t)i);
		cr_assert(json_is_string(json_object_get(t, "message")));
		cr_assert(json_is_string(json_object_get(t, "test_code")));
		cr_assert(json_is_integer(json_object_get(t, "duration")));
	}
	json_decref(root);
}

Test(platforms, github_output_uses_a_random_delimiter)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	cr_assert_not_null(mem);
	cr_assert_eq(github_output_write(mem, "result", "eyJ2Ijox"), 0);
	cr_assert_eq(fclose(mem), 0);
	char delim[64];
	cr_assert_eq(sscanf(text, "result<<%63s", delim), 1);
	cr_assert_eq(strncmp(delim, "ghadelimiter_", 13), 0);
	char expect[256];
	snprintf(expect, sizeof(expect), "result<<%s\neyJ2Ijox\n%s\n", delim, delim);
	cr_assert_str_eq(text, expect);
	free(text);
}

/* ---- Gradescope ---- */

Test(platforms, gradescope_results_have_the_spec_fields)
{
	struct fixture f;
	fixture_init(&f);
	fixture_add(&f, "right", VERDICT_PASS, NULL, NULL);
	fixture_add(&f, "wrong", VERDICT_FAIL, "serial output differs at byte 0", "````");
	json_t *root = render_json(&f, "gradescope");
	cr_assert_eq(json_number_value(json_object_get(root, "score")), 1);
	cr_assert(json_is_integer(json_object_get(root, "execution_time")));
	cr_assert(json_is_string(json_object_get(root, "output")));
	cr_assert_str_eq(json_string_value(json_object_get(root, "stdout_visibility")), "hidden");
	cr_assert(json_is_string(json_object_get(root, "visibility")));
	json_t *tests = json_object_get(root, "tests");
	cr_assert_eq(json_array_size(tests), 2);
	json_t *wrong = json_array_get(tests, 1);
	cr_assert_str_eq(json_string_value(json_object_get(wrong, "name")), "wrong");
	cr_assert_str_eq(json_string_value(json_object_get(wrong, "number")), "2");
	cr_assert_str_eq(json_string_value(json_object_get(wrong, "status")), "failed");
	cr_assert_eq(json_number_value(json_object_get(wrong, "max_score")), 1);
	cr_assert_str_eq(json_string_value(json_object_get(wrong, "output_format")), "md");
	cr_assert_not_null(strstr(json_string_value(json_object_get(wrong, "output")), "`````\n````\n`````\n"));
	cr_assert(json_is_array(json_object_get(wrong, "tags")));
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(tests, 0), "status")), "passed");
	json_decref(root);
}

/* ---- hidden cases ---- */

static int write_summary_revealed(const struct fixture *f, FILE *out)
{
	return step_summary_write(&f->rec, out, STEP_SUMMARY_LIMIT, true);
}

Test(platforms, hidden_cases_show_name_status_and_points_only)
{
	struct fixture f;
	fixture_init(&f);
	struct record_case *c = fixture_add(&f, "secret", VERDICT_FAIL, "expected SECRET-EXPECT", "SECRET-OUTPUT");
	c->hidden = true;
	c->points_max = 3;
	c->message = (char *)"SECRET-MESSAGE";
	summary_limit = STEP_SUMMARY_LIMIT;
	char *texts[] = { capture(write_summary, &f), capture(write_annotations, &f) };
	for (size_t i = 0; i < 2; i++) {
		cr_assert_null(strstr(texts[i], "SECRET"), "%s", texts[i]);
		cr_assert_not_null(strstr(texts[i], "secret"), "%s", texts[i]);
		free(texts[i]);
	}
	char *revealed = capture(write_summary_revealed, &f);
	cr_assert_not_null(strstr(revealed, "SECRET-OUTPUT"));
	free(revealed);
	const char *renderers[] = { "gradescope", "classroom" };
	for (size_t i = 0; i < 2; i++) {
		json_t *root = render_json(&f, renderers[i]);
		char *dump = json_dumps(root, 0);
		cr_assert_null(strstr(dump, "SECRET"), "%s", dump);
		cr_assert_not_null(strstr(dump, "secret"), "%s", dump);
		free(dump);
		json_decref(root);
	}
	json_t *gs = render_json(&f, "gradescope");
	json_t *t = json_array_get(json_object_get(gs, "tests"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(t, "visibility")), "after_published");
	cr_assert_eq(json_number_value(json_object_get(t, "max_score")), 3);
	cr_assert_str_eq(json_string_value(json_object_get(t, "output")), "");
	json_decref(gs);
	c->visibility = (char *)"after_due_date";
	gs = render_json(&f, "gradescope");
	t = json_array_get(json_object_get(gs, "tests"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(t, "visibility")), "after_due_date");
	json_decref(gs);
}

Test(platforms, fractional_points_and_tags_reach_gradescope)
{
	struct fixture f;
	fixture_init(&f);
	struct record_case *c = fixture_add(&f, "partly", VERDICT_FAIL, "register ax differs", NULL);
	static char *tags[] = { (char *)"loops", (char *)"week3" };
	c->points_max = 2.5;
	c->points_earned = 1.5;
	c->tags = tags;
	c->tag_count = 2;
	json_t *gs = render_json(&f, "gradescope");
	cr_assert_eq(json_real_value(json_object_get(gs, "score")), 1.5);
	json_t *t = json_array_get(json_object_get(gs, "tests"), 0);
	cr_assert_eq(json_real_value(json_object_get(t, "score")), 1.5);
	cr_assert_eq(json_real_value(json_object_get(t, "max_score")), 2.5);
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(t, "tags"), 1)), "week3");
	json_decref(gs);
	json_t *cl = render_json(&f, "classroom");
	cr_assert_eq(json_real_value(json_object_get(cl, "max_score")), 2.5);
	cr_assert_eq(json_real_value(json_object_get(json_array_get(json_object_get(cl, "tests"), 0), "score")), 1.5);
	json_decref(cl);
}

Test(platforms, leaderboard_lists_passing_cases_that_ask)
{
	struct fixture f;
	fixture_init(&f);
	struct record_case *fast = fixture_add(&f, "fast", VERDICT_PASS, NULL, NULL);
	fast->leaderboard = true;
	fast->binary_size = 6;
	fast->instructions_counted = true;
	fast->instructions = 5;
	struct record_case *broken = fixture_add(&f, "broken", VERDICT_FAIL, "serial output differs at byte 0", NULL);
	broken->leaderboard = true;
	broken->binary_size = 2;
	fixture_add(&f, "plain", VERDICT_PASS, NULL, NULL)->binary_size = 9;
	json_t *gs = render_json(&f, "gradescope");
	json_t *board = json_object_get(gs, "leaderboard");
	cr_assert_eq(json_array_size(board), 2);
	json_t *size = json_array_get(board, 0), *insns = json_array_get(board, 1);
	cr_assert_str_eq(json_string_value(json_object_get(size, "name")), "fast: size (bytes)");
	cr_assert_eq(json_integer_value(json_object_get(size, "value")), 6);
	cr_assert_str_eq(json_string_value(json_object_get(size, "order")), "asc");
	cr_assert_str_eq(json_string_value(json_object_get(insns, "name")), "fast: instructions");
	cr_assert_eq(json_integer_value(json_object_get(insns, "value")), 5);
	json_decref(gs);
	fast->leaderboard = false;
	gs = render_json(&f, "gradescope");
	cr_assert_null(json_object_get(gs, "leaderboard"));
	json_decref(gs);
}
