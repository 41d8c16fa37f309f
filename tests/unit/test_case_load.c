/* Unit tests for case.c: reading YAML case files into validated cases, the
 * defaults, and the exact "file:line:column: cause" of every rejection. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "case/case.h"
#include "run/select.h"
#include "testutil.h"

static struct case_list list;
static char dir[256];

static void load_init(void)
{
	memset(&list, 0, sizeof(list));
	tu_tmpdir_make(dir, sizeof(dir));
}

static void load_fini(void)
{
	case_list_free(&list);
	cr_assert(tu_tmpdir_remove(dir));
}

TestSuite(case_load, .init = load_init, .fini = load_fini);
TestSuite(case_load_errors, .init = load_init, .fini = load_fini);

/* Loads text named path; it must give exactly `count` cases. */
static void load_text(const char *path, const char *text, size_t count)
{
	cr_assert_eq(case_text_load(path, text, strlen(text), &list), 0);
	cr_assert_eq(list.count, count, "%zu cases instead of %zu", list.count, count);
}

/* load_text, with folders beyond the case file's own allowed. */
static void load_text_allowing(const char *path, const char *text, const char *const *allow, size_t count)
{
	struct case_load_options opt = { .allow_read = allow };
	cr_assert_eq(case_text_load_with(path, text, strlen(text), &opt, &list), 0);
	cr_assert_eq(list.count, count, "%zu cases instead of %zu", list.count, count);
}

/* One valid case from text named "t.yaml". */
static const struct test_case *load_one(const char *text)
{
	load_text("t.yaml", text, 1);
	const struct test_case *c = &list.items[0];
	cr_assert_null(c->error, "unexpected error: %s", c->error);
	return c;
}

/* The text, named "t.yaml", is one case rejected with exactly `error`. */
static void assert_rejected(const char *text, const char *error)
{
	case_list_free(&list);
	load_text("t.yaml", text, 1);
	const struct test_case *c = &list.items[0];
	cr_assert_not_null(c->error, "accepted, but should fail with: %s", error);
	cr_assert_str_eq(c->error, error);
}

static const struct reg_value *find_reg(const struct reg_list *regs, const char *name)
{
	for (size_t i = 0; i < regs->count; i++)
		if (strcmp(regs->items[i].name, name) == 0)
			return &regs->items[i];
	cr_assert_fail("register %s not in the list", name);
	return NULL;
}

/* -------------------------------------------------------------- good cases */

Test(case_load, every_key_from_a_file)
{
	char sub[512], guests[600], path[700], guest[700];
	tu_path(sub, sizeof(sub), dir, "cases");
	tu_path(guests, sizeof(guests), sub, "guests");
	cr_assert_eq(mkdir(sub, 0700), 0);
	cr_assert_eq(mkdir(guests, 0700), 0);
	tu_write_str(guests, "g.asm", "hlt\n");
	tu_write_str(sub, "full.yaml",
		     "name: every key\n"
		     "guest: guests/g.asm\n"
		     "input: \"hi\\n\"\n"
		     "registers: {ax: 0x1234, DS: 0x100, ip: 32}\n"
		     "memory: 0x20000\n"
		     "load_address: 0x1000\n"
		     "max_exits: 77\n"
		     "timeout_ms: 1234\n"
		     "expect:\n"
		     "  exit: hlt\n"
		     "  serial: [\"ok\", 0, 0xff, \"\\n\"]\n"
		     "  registers:\n"
		     "    AL: 5\n"
		     "    eflags: 0xFFFFFFFF\n");
	tu_path(path, sizeof(path), sub, "full.yaml");
	tu_path(guest, sizeof(guest), guests, "g.asm");

	cr_assert_eq(case_file_load(path, &list), 0);
	cr_assert_eq(list.count, 1u);
	const struct test_case *c = &list.items[0];
	cr_assert_null(c->error, "%s", c->error);
	cr_assert_str_eq(c->file, path);
	cr_assert_eq(c->index, 0);
	cr_assert_eq(c->line, 1);
	cr_assert_str_eq(c->name, "every key");
	cr_assert_str_eq(c->guest_path, guest);
	cr_assert_null(c->source);
	cr_assert_eq(c->input.len, 3u);
	cr_assert_eq(memcmp(c->input.data, "hi\n", 3), 0);

	cr_assert_eq(c->initial_regs.count, 3u);
	cr_assert_str_eq(c->initial_regs.items[0].name, "ax");
	cr_assert_eq(c->initial_regs.items[0].value, 0x1234u);
	cr_assert_eq(c->initial_regs.items[0].ref.width, 16);
	cr_assert_str_eq(c->initial_regs.items[1].name, "DS", "the name as the case wrote it");
	cr_assert_eq(c->initial_regs.items[1].ref.kind, REG_SEG);
	cr_assert_eq(c->initial_regs.items[2].value, 32u);

	cr_assert_eq(c->memory_size, 0x20000u);
	cr_assert_eq(c->load_address, 0x1000u);
	cr_assert_eq(c->max_exits, 77u);
	cr_assert_eq(c->timeout_ms, 1234u);

	cr_assert_eq(c->expect_exit, OUTCOME_HLT);
	cr_assert(c->expect_serial_set);
	cr_assert_eq(c->expect_serial.len, 5u);
	cr_assert_eq(memcmp(c->expect_serial.data, "ok\0\xff\n", 5), 0);
	cr_assert_eq(c->expect_regs.count, 2u);
	const struct reg_value *al = find_reg(&c->expect_regs, "AL");
	cr_assert_eq(al->value, 5u);
	cr_assert_eq(al->ref.width, 8);
	cr_assert_eq(find_reg(&c->expect_regs, "eflags")->value, 0xffffffffu);

	struct cpu_state s;
	case_initial_state(c, &s);
	cr_assert_eq(s.rip, 32u, "ip from registers beats load_address");
	cr_assert_eq(s.gpr[GPR_EAX], 0x1234u);
	cr_assert_eq(s.seg[SEG_DS].selector, 0x100);
	cr_assert_eq(s.seg[SEG_DS].base, 0x1000, "a real-mode segment's base follows its selector");
	cr_assert_eq(s.seg[SEG_CS].selector, 0);
	cr_assert_eq(s.rflags, 0x2u);
}

/* count documents named PREFIX0, PREFIX1, ... */
static void named_cases(char *text, size_t len, const char *prefix, int count)
{
	size_t n = 0;
	for (int i = 0; i < count; i++) {
		n += (size_t)snprintf(text + n, len - n, "---\nname: %s%d\nsource: hlt\n", prefix, i);
		cr_assert_lt(n, len);
	}
}

static void assert_named(size_t at, const char *prefix, int i)
{
	char want[64];
	snprintf(want, sizeof(want), "%s%d", prefix, i);
	cr_assert_str_eq(list.items[at].name, want, "case %zu", at);
	cr_assert_eq(list.items[at].index, i, "case %zu", at);
	cr_assert_str_eq(list.items[at].source, "hlt", "case %zu", at);
}

/* The list's array grows by doubling: every case keeps what it was given
 * across the moves, files appended to a list and a list cut down by
 * case_list_keep and grown again (under ASan, a write past its room
 * shows). */
Test(case_load, a_list_of_many_cases_keeps_each_across_its_growth)
{
	static char text[16384];
	named_cases(text, sizeof(text), "a", 100);
	cr_assert_eq(case_text_load("a.yaml", text, strlen(text), &list), 0);
	named_cases(text, sizeof(text), "b", 40);
	cr_assert_eq(case_text_load("b.yaml", text, strlen(text), &list), 0);
	cr_assert_eq(list.count, 140);
	for (int i = 0; i < 100; i++)
		assert_named((size_t)i, "a", i);
	for (int i = 0; i < 40; i++)
		assert_named(100 + (size_t)i, "b", i);

	bool keep[140];
	for (size_t i = 0; i < 140; i++)
		keep[i] = i < 16;
	case_list_keep(&list, keep);
	cr_assert_eq(list.count, 16);
	named_cases(text, sizeof(text), "c", 20);
	cr_assert_eq(case_text_load("c.yaml", text, strlen(text), &list), 0);
	cr_assert_eq(list.count, 36);
	for (int i = 0; i < 16; i++)
		assert_named((size_t)i, "a", i);
	for (int i = 0; i < 20; i++)
		assert_named(16 + (size_t)i, "c", i);
}

Test(case_load, guest_is_relative_to_the_case_file)
{
	char sub[512];
	tu_path(sub, sizeof(sub), dir, "deep");
	cr_assert_eq(mkdir(sub, 0700), 0);
	tu_write_str(sub, "here.asm", "hlt\n");
	tu_write_str(dir, "there.asm", "hlt\n");
	char case_path[700], want[700];
	tu_path(case_path, sizeof(case_path), sub, "c.yaml");

	load_text(case_path, "guest: here.asm\n", 1);
	tu_path(want, sizeof(want), sub, "here.asm");
	cr_assert_null(list.items[0].error, "%s", list.items[0].error);
	cr_assert_str_eq(list.items[0].guest_path, want);

	/* Outside the case file's folder only where the command line allows. */
	const char *const allow[] = { dir, NULL };
	case_list_free(&list);
	load_text_allowing(case_path, "guest: ../there.asm\n", allow, 1);
	cr_assert_null(list.items[0].error, "%s", list.items[0].error);
	char rel[700];
	snprintf(rel, sizeof(rel), "%s/../there.asm", sub);
	cr_assert_str_eq(list.items[0].guest_path, rel);

	/* An absolute guest path is used as it is. */
	case_list_free(&list);
	tu_path(want, sizeof(want), dir, "there.asm");
	char text[800];
	snprintf(text, sizeof(text), "guest: %s\n", want);
	load_text_allowing(case_path, text, allow, 1);
	cr_assert_null(list.items[0].error, "%s", list.items[0].error);
	cr_assert_str_eq(list.items[0].guest_path, want);
}

Test(case_load, inline_block_source_and_its_line)
{
	const struct test_case *c = load_one("name: inline\n"
					     "source: |\n"
					     "  mov al, 1\n"
					     "  hlt\n");
	cr_assert_null(c->guest_path);
	cr_assert_str_eq(c->source, "mov al, 1\nhlt\n");
	cr_assert_eq(c->source_line, 3, "a block's text starts after the |");
}

Test(case_load, inline_scalar_source_and_its_line)
{
	const struct test_case *c = load_one("\n\nsource: \"hlt\"\n");
	cr_assert_str_eq(c->source, "hlt");
	cr_assert_eq(c->source_line, 3);
	cr_assert_eq(c->line, 3);
}

Test(case_load, source_line_counts_from_the_file_start_in_later_documents)
{
	load_text("t.yaml",
		  "source: hlt\n"
		  "---\n"
		  "name: second\n"
		  "source: |\n"
		  "  nop\n"
		  "  hlt\n",
		  2);
	cr_assert_null(list.items[1].error, "%s", list.items[1].error);
	cr_assert_eq(list.items[0].source_line, 1);
	cr_assert_eq(list.items[1].source_line, 5);
	cr_assert_eq(list.items[1].line, 2);
}

Test(case_load, defaults)
{
	load_text("some/dir/my.case.yaml", "source: hlt\n", 1);
	const struct test_case *c = &list.items[0];
	cr_assert_null(c->error, "%s", c->error);
	cr_assert_str_eq(c->name, "my.case", "basename without its last extension");
	cr_assert_str_eq(c->file, "some/dir/my.case.yaml");
	cr_assert_eq(c->max_exits, 10000u);
	cr_assert_eq(c->max_exits, (uint64_t)CASE_DEFAULT_MAX_EXITS);
	cr_assert_eq(c->timeout_ms, 5000u);
	cr_assert_eq(c->memory_size, 1u << 20);
	cr_assert_eq(c->load_address, 0u);
	cr_assert_eq(c->expect_exit, OUTCOME_HLT);
	cr_assert_not(c->expect_serial_set);
	cr_assert_eq(c->expect_serial.len, 0u);
	cr_assert_eq(c->expect_regs.count, 0u);
	cr_assert_eq(c->initial_regs.count, 0u);
	cr_assert_eq(c->input.len, 0u);

	struct cpu_state s;
	memset(&s, 0xee, sizeof(s));
	case_initial_state(c, &s);
	cr_assert_eq(s.rip, 0u);
	cr_assert_eq(s.rflags, 0x2u);
	for (int i = 0; i < GPR_COUNT; i++)
		cr_assert_eq(s.gpr[i], 0u);
	for (int i = 0; i < SEG_COUNT; i++)
		cr_assert_eq(s.seg[i].selector, 0u);
}

Test(case_load, ip_defaults_to_load_address)
{
	const struct test_case *c = load_one("source: hlt\nload_address: 0x7c00\nregisters: {sp: 0x7c00}\n");
	cr_assert_eq(c->load_address, 0x7c00u);
	struct cpu_state s;
	case_initial_state(c, &s);
	cr_assert_eq(s.rip, 0x7c00u);
	cr_assert_eq(s.gpr[GPR_ESP], 0x7c00u);
	cr_assert_eq(s.seg[SEG_CS].selector, 0);
}

Test(case_load, default_names)
{
	load_text("noext", "source: hlt\n", 1);
	cr_assert_str_eq(list.items[0].name, "noext");
	case_list_free(&list);
	load_text("a/.hidden", "source: hlt\n", 1);
	cr_assert_str_eq(list.items[0].name, ".hidden");
	case_list_free(&list);
	load_text("dir.v2/case", "source: hlt\n", 1);
	cr_assert_str_eq(list.items[0].name, "case", "a dot in the folder is not an extension");
}

Test(case_load, several_documents_are_numbered)
{
	load_text("cases/multi.yaml",
		  "source: hlt\n"
		  "---\n"
		  "name: named\n"
		  "source: nop\n"
		  "---\n"
		  "# a comment first\n"
		  "source: int3\n"
		  "expect: {exit: shutdown}\n",
		  3);
	for (size_t i = 0; i < 3; i++) {
		cr_assert_null(list.items[i].error, "%s", list.items[i].error);
		cr_assert_eq(list.items[i].index, (int)i);
		cr_assert_str_eq(list.items[i].file, "cases/multi.yaml");
	}
	cr_assert_str_eq(list.items[0].name, "multi [1]");
	cr_assert_str_eq(list.items[1].name, "named");
	cr_assert_str_eq(list.items[2].name, "multi [3]");
	cr_assert_eq(list.items[0].line, 1);
	cr_assert_eq(list.items[1].line, 2);
	cr_assert_eq(list.items[2].line, 5);
	cr_assert_str_eq(list.items[1].source, "nop");
	cr_assert_eq(list.items[2].expect_exit, OUTCOME_SHUTDOWN);
	cr_assert_eq(list.items[0].expect_exit, OUTCOME_HLT, "expectations do not leak between documents");
}

Test(case_load, cases_are_appended_to_the_list)
{
	load_text("one.yaml", "source: hlt\n", 1);
	cr_assert_eq(case_text_load("two.yaml", "source: nop\n---\nsource: hlt\n", 24, &list), 0);
	cr_assert_eq(list.count, 3u);
	cr_assert_str_eq(list.items[0].name, "one");
	cr_assert_str_eq(list.items[1].name, "two [1]");
	cr_assert_str_eq(list.items[2].name, "two [2]");
	cr_assert_str_eq(list.items[2].file, "two.yaml");
}

Test(case_load, input_forms)
{
	const struct test_case *c = load_one("source: hlt\ninput: plain text\n");
	cr_assert_eq(c->input.len, 10u);
	cr_assert_eq(memcmp(c->input.data, "plain text", 10), 0);

	case_list_free(&list);
	c = load_one("source: hlt\ninput: \"a\\0b\"\n");
	cr_assert_eq(c->input.len, 3u, "a NUL in a quoted string is a byte");
	cr_assert_eq(memcmp(c->input.data, "a\0b", 3), 0);

	case_list_free(&list);
	c = load_one("source: hlt\ninput: [\"ab\", 0, 255, 0x7f, '12', 'c']\n");
	cr_assert_eq(c->input.len, 8u);
	cr_assert_eq(memcmp(c->input.data, "ab\0\xff\x7f" "12" "c", 8), 0);

	case_list_free(&list);
	c = load_one("source: hlt\ninput: \"\\u00e9\"\n");
	cr_assert_eq(c->input.len, 2u, "a string's UTF-8 bytes");
	cr_assert_eq(c->input.data[0], 0xc3);

	case_list_free(&list);
	c = load_one("source: hlt\ninput: []\n");
	cr_assert_eq(c->input.len, 0u);

	case_list_free(&list);
	c = load_one("source: hlt\ninput: 65\n");
	cr_assert_eq(c->input.len, 2u, "a lone scalar is a string, never a byte");
	cr_assert_eq(memcmp(c->input.data, "65", 2), 0);
}

Test(case_load, expect_serial_empty_string_is_set)
{
	const struct test_case *c = load_one("source: hlt\nexpect: {serial: ''}\n");
	cr_assert(c->expect_serial_set, "an empty expectation still checks the output");
	cr_assert_eq(c->expect_serial.len, 0u);
}

Test(case_load, expect_every_exit_name)
{
	static const struct {
		const char *name;
		enum outcome outcome;
	} exits[] = { { "hlt", OUTCOME_HLT }, { "shutdown", OUTCOME_SHUTDOWN },
		      { "timeout", OUTCOME_TIMEOUT }, { "max_exits", OUTCOME_MAX_EXITS } };
	for (size_t i = 0; i < sizeof(exits) / sizeof(exits[0]); i++) {
		char text[100];
		snprintf(text, sizeof(text), "source: hlt\nexpect: {exit: %s}\n", exits[i].name);
		case_list_free(&list);
		const struct test_case *c = load_one(text);
		cr_assert_eq(c->expect_exit, exits[i].outcome, "%s", exits[i].name);
	}
}

Test(case_load, registers_after_hlt_may_be_listed_before_exit)
{
	const struct test_case *c = load_one("source: hlt\nexpect:\n  registers: {ax: 1}\n  exit: hlt\n");
	cr_assert_eq(c->expect_regs.count, 1u);
}

Test(case_load, limits_at_their_maximum)
{
	const struct test_case *c = load_one("source: hlt\n"
					     "memory: 16777216\n"
					     "load_address: 0xFFFFF\n"
					     "max_exits: 1000000000\n"
					     "timeout_ms: 3600000\n"
					     "registers: {eax: 0xffffffff, ax: 65535, al: 255}\n");
	cr_assert_eq(c->memory_size, CASE_MAX_MEMORY);
	cr_assert_eq(c->load_address, 0xfffffu);
	cr_assert_eq(c->max_exits, 1000000000u);
	cr_assert_eq(c->timeout_ms, 3600000u);
	cr_assert_eq(c->initial_regs.items[0].value, 0xffffffffu);
}

Test(case_load, smallest_values)
{
	const struct test_case *c = load_one("source: hlt\nmemory: 4096\nload_address: 4095\nmax_exits: 1\ntimeout_ms: 1\n");
	cr_assert_eq(c->memory_size, 4096u);
	cr_assert_eq(c->load_address, 4095u);
	cr_assert_eq(c->max_exits, 1u);
	cr_assert_eq(c->timeout_ms, 1u);
}

Test(case_load, file_on_disk)
{
	tu_write_str(dir, "disk.yaml", "source: hlt\n---\nsource: nop\n");
	char path[512];
	tu_path(path, sizeof(path), dir, "disk.yaml");
	cr_assert_eq(case_file_load(path, &list), 0);
	cr_assert_eq(list.count, 2u);
	cr_assert_str_eq(list.items[0].name, "disk [1]");
	cr_assert_str_eq(list.items[1].source, "nop");
	cr_assert_str_eq(list.items[1].file, path);
}

/* ------------------------------------------------------------ bad cases */

Test(case_load_errors, unknown_key)
{
	assert_rejected("source: hlt\nbogus: 1\n",
			"t.yaml:2:1: unknown key 'bogus' in a case (known: name, guest, source, input, expect, "
			"max_exits, timeout_ms, registers, memory, load_address, output_limit, assembler, preset, firmware, drive, args, mode, points, hidden, visibility, tags, leaderboard, submission, date, time)");
	assert_rejected("source: hlt\nName: x\n",
			"t.yaml:2:1: unknown key 'Name' in a case (known: name, guest, source, input, expect, "
			"max_exits, timeout_ms, registers, memory, load_address, output_limit, assembler, preset, firmware, drive, args, mode, points, hidden, visibility, tags, leaderboard, submission, date, time)");
}

Test(case_load_errors, unknown_key_in_expect)
{
	assert_rejected("source: hlt\n"
			"expect:\n"
			"  exit: hlt\n"
			"  output: x\n",
			"t.yaml:4:3: unknown key 'output' in 'expect' (known: serial, registers, exit, exit_code, console, screen, "
			"serial_contains, serial_matches, compare, flags, max_size, max_instructions, memory, screen_attributes)");
}

Test(case_load_errors, wrong_kinds)
{
	assert_rejected("source: hlt\nname: {a: 1}\n", "t.yaml:2:7: 'name' must be a scalar, not a mapping");
	assert_rejected("source: [hlt]\n", "t.yaml:1:9: 'source' must be a scalar, not a list");
	assert_rejected("source: hlt\nexpect: [hlt]\n", "t.yaml:2:9: 'expect' must be a mapping, not a list");
	assert_rejected("source: hlt\nregisters: ax\n", "t.yaml:2:12: 'registers' must be a mapping, not a scalar");
	assert_rejected("source: hlt\nexpect:\n  exit: [hlt]\n", "t.yaml:3:9: 'exit' must be a scalar, not a list");
	assert_rejected("source: hlt\nmax_exits:\n  a: 1\n", "t.yaml:3:3: 'max_exits' must be a scalar, not a mapping");
	assert_rejected("source: hlt\ninput: {a: 1}\n", "t.yaml:2:8: 'input' must be a string, or a list of strings and bytes 0..255");
	assert_rejected("source: hlt\ninput: [[1]]\n", "t.yaml:2:9: 'input' must be a string, or a list of strings and bytes 0..255");
}

Test(case_load_errors, case_must_be_a_mapping)
{
	assert_rejected("- source\n- hlt\n", "t.yaml:1:1: a case must be a mapping of keys, not a list");
	assert_rejected("just text\n", "t.yaml:1:1: a case must be a mapping of keys, not a scalar");
}

Test(case_load_errors, quoted_integers_are_strings)
{
	assert_rejected("source: hlt\nmax_exits: \"12\"\n",
			"t.yaml:2:12: 'max_exits' must be an integer (decimal or 0x hex), not '12'");
	assert_rejected("source: hlt\ntimeout_ms: '12'\n",
			"t.yaml:2:13: 'timeout_ms' must be an integer (decimal or 0x hex), not '12'");
	assert_rejected("source: hlt\nregisters:\n  ax: |\n    12\n",
			"t.yaml:3:7: 'ax' must be an integer (decimal or 0x hex), not '12\n'");
}

Test(case_load_errors, non_numbers)
{
	assert_rejected("source: hlt\nmax_exits: -1\n",
			"t.yaml:2:12: 'max_exits' must be an integer (decimal or 0x hex), not '-1'");
	assert_rejected("source: hlt\nmax_exits: +1\n",
			"t.yaml:2:12: 'max_exits' must be an integer (decimal or 0x hex), not '+1'");
	assert_rejected("source: hlt\nmax_exits: 0x\n",
			"t.yaml:2:12: 'max_exits' must be an integer (decimal or 0x hex), not '0x'");
	assert_rejected("source: hlt\nmax_exits: 12k\n",
			"t.yaml:2:12: 'max_exits' must be an integer (decimal or 0x hex), not '12k'");
	assert_rejected("source: hlt\nmax_exits: 1.5\n",
			"t.yaml:2:12: 'max_exits' must be an integer (decimal or 0x hex), not '1.5'");
	assert_rejected("source: hlt\nmax_exits: 0x1g\n",
			"t.yaml:2:12: 'max_exits' must be an integer (decimal or 0x hex), not '0x1g'");
	assert_rejected("source: hlt\nmax_exits: 99999999999999999999999\n",
			"t.yaml:2:12: 'max_exits' must be an integer (decimal or 0x hex), not "
			"'99999999999999999999999'");
}

Test(case_load_errors, register_value_out_of_range)
{
	assert_rejected("source: hlt\nregisters: {al: 256}\n", "t.yaml:2:17: 'al' is 256, more than its maximum 255");
	assert_rejected("source: hlt\nregisters: {AH: 0x100}\n",
			"t.yaml:2:17: 'AH' is 0x100, more than its maximum 255");
	assert_rejected("source: hlt\nexpect:\n  registers:\n    cs: 65536\n",
			"t.yaml:4:9: 'cs' is 65536, more than its maximum 65535");
	assert_rejected("source: hlt\nregisters: {eax: 0x100000000}\n",
			"t.yaml:2:18: 'eax' is 0x100000000, more than its maximum 4294967295");
}

Test(case_load_errors, unknown_register)
{
	assert_rejected("source: hlt\nregisters:\n  ax: 1\n  xx: 1\n",
			"t.yaml:4:3: unknown register 'xx' (known: al..bh, ax..di, eax..edi, ip, eip, flags, eflags, "
			"cs, ds, es, fs, gs, ss, rax..rdi, r8..r15, rip, rflags, cr0, cr3, cr4, efer)");
	assert_rejected("source: hlt\nexpect: {registers: {rbx8: 1}}\n",
			"t.yaml:2:22: unknown register 'rbx8' (known: al..bh, ax..di, eax..edi, ip, eip, flags, eflags, "
			"cs, ds, es, fs, gs, ss, rax..rdi, r8..r15, rip, rflags, cr0, cr3, cr4, efer)");
	assert_rejected("source: hlt\nregisters: {averyveryverylongname: 1}\n",
			"t.yaml:2:13: unknown register 'averyveryverylongnam' (known: al..bh, ax..di, eax..edi, ip, "
			"eip, flags, eflags, cs, ds, es, fs, gs, ss, rax..rdi, r8..r15, rip, rflags, cr0, cr3, cr4, efer)");
}

Test(case_load_errors, unknown_exit)
{
	assert_rejected("source: hlt\nexpect: {exit: halt}\n",
			"t.yaml:2:16: unknown exit 'halt' (hlt, shutdown, timeout, max_exits, output_limit or exit)");
	/* Outcomes the harness reports, but that no case may expect. */
	assert_rejected("source: hlt\nexpect: {exit: error}\n",
			"t.yaml:2:16: unknown exit 'error' (hlt, shutdown, timeout, max_exits, output_limit or exit)");
	assert_rejected("source: hlt\nexpect: {exit: assemble_error}\n",
			"t.yaml:2:16: unknown exit 'assemble_error' (hlt, shutdown, timeout, max_exits, output_limit or exit)");
	assert_rejected("source: hlt\nexpect: {exit: case_error}\n",
			"t.yaml:2:16: unknown exit 'case_error' (hlt, shutdown, timeout, max_exits, output_limit or exit)");
	assert_rejected("source: hlt\nexpect: {exit: HLT}\n",
			"t.yaml:2:16: unknown exit 'HLT' (hlt, shutdown, timeout, max_exits, output_limit or exit)");
}

Test(case_load_errors, both_guest_and_source)
{
	assert_rejected("guest: g.asm\nsource: hlt\n",
			"t.yaml:2:9: a case needs exactly one of 'guest' (a file) or 'source' (inline nasm)");
}

Test(case_load_errors, neither_guest_nor_source)
{
	assert_rejected("name: x\n", "t.yaml:1:1: a case needs exactly one of 'guest' (a file) or 'source' (inline nasm)");
	/* Without a node to point at, the document's first line is named. */
	case_list_free(&list);
	load_text("t.yaml", "source: hlt\n---\n\nname: x\n", 2);
	cr_assert_null(list.items[0].error);
	cr_assert_str_eq(list.items[1].error,
			 "t.yaml:2:1: a case needs exactly one of 'guest' (a file) or 'source' (inline nasm)");
}

Test(case_load_errors, missing_guest_file)
{
	char path[512], want[1200];
	tu_path(path, sizeof(path), dir, "c.yaml");
	load_text(path, "name: x\nguest:   missing.asm\n", 1);
	snprintf(want, sizeof(want), "%s:2:10: cannot read guest '%s/missing.asm': No such file or directory", path, dir);
	cr_assert_str_eq(list.items[0].error, want);
	cr_assert_str_eq(list.items[0].name, "x");
}

Test(case_load_errors, guest_with_nul_is_refused)
{
	assert_rejected("guest: \"g.asm\\0x\"\n", "t.yaml:1:8: 'guest' must not contain NUL");
	assert_rejected("source: \"hlt\\0\"\n", "t.yaml:1:9: 'source' must not contain NUL");
	assert_rejected("source: hlt\nname: \"a\\0b\"\n", "t.yaml:2:7: 'name' must not contain NUL");
}

Test(case_load_errors, registers_with_exit_other_than_hlt)
{
	assert_rejected("source: hlt\n"
			"expect:\n"
			"  exit: timeout\n"
			"  registers: {ax: 1}\n",
			"t.yaml:4:14: registers cannot be checked when the guest ends by timeout: "
			"only after hlt are they the guest's own");
	/* The order of the keys does not matter. */
	assert_rejected("source: hlt\n"
			"expect:\n"
			"  registers:\n"
			"    ax: 1\n"
			"  exit: shutdown\n",
			"t.yaml:4:5: registers cannot be checked when the guest ends by shutdown: "
			"only after hlt are they the guest's own");
	/* An empty list checks nothing, so it is allowed. */
	case_list_free(&list);
	load_one("source: hlt\nexpect: {exit: max_exits, registers: {}}\n");
}

Test(case_load_errors, memory_size)
{
	assert_rejected("source: hlt\nmemory: 5000\n",
			"t.yaml:2:9: 'memory' must be a multiple of 4096 bytes, at least 4096");
	assert_rejected("source: hlt\nmemory: 0\n",
			"t.yaml:2:9: 'memory' must be a multiple of 4096 bytes, at least 4096");
	assert_rejected("source: hlt\nmemory: 0x1000001\n",
			"t.yaml:2:9: 'memory' is 0x1000001, more than its maximum 16777216");
	assert_rejected("source: hlt\nmemory: 0x1001000\n",
			"t.yaml:2:9: 'memory' is 0x1001000, more than its maximum 16777216");
}

Test(case_load_errors, load_address_outside_memory)
{
	assert_rejected("source: hlt\nload_address: 0x10000\nmemory: 0x10000\n",
			"t.yaml:2:15: 'load_address' 0x10000 is outside the guest's 65536 bytes of RAM");
	assert_rejected("source: hlt\nload_address: 1048576\n",
			"t.yaml:2:15: 'load_address' 0x100000 is outside the guest's 1048576 bytes of RAM");
}

Test(case_load_errors, max_exits_and_timeout_at_least_one)
{
	assert_rejected("source: hlt\nmax_exits: 0\n", "t.yaml:2:12: 'max_exits' must be at least 1");
	assert_rejected("source: hlt\nmax_exits: 0x0\n", "t.yaml:2:12: 'max_exits' must be at least 1");
	assert_rejected("source: hlt\nmax_exits: 1000000001\n",
			"t.yaml:2:12: 'max_exits' is 1000000001, more than its maximum 1000000000");
	assert_rejected("source: hlt\ntimeout_ms: 0\n", "t.yaml:2:13: 'timeout_ms' must be at least 1");
	assert_rejected("source: hlt\ntimeout_ms: 3600001\n",
			"t.yaml:2:13: 'timeout_ms' is 3600001, more than its maximum 3600000");
}

Test(case_load_errors, input_bytes)
{
	assert_rejected("source: hlt\ninput: [1, 256]\n", "t.yaml:2:12: 'input' is 256, more than its maximum 255");
	assert_rejected("source: hlt\nexpect:\n  serial: [\"a\", -1]\n",
			"t.yaml:3:17: 'serial' must be a string, or a list of strings and bytes 0..255");
}

Test(case_load_errors, duplicate_keys)
{
	assert_rejected("source: hlt\nname: a\nname: b\n", "t.yaml:3:1: duplicate key 'name' (first at line 2)");
	assert_rejected("source: hlt\nexpect:\n  exit: hlt\n  exit: hlt\n",
			"t.yaml:4:3: duplicate key 'exit' (first at line 3)");
}

Test(case_load_errors, aliases_are_refused)
{
	assert_rejected("source: &s hlt\nname: *s\n", "t.yaml:2:7: aliases (*name) are not supported in case files");
}

Test(case_load_errors, deep_nesting_is_refused)
{
	char text[300] = "source: hlt\ninput: ";
	size_t at = strlen(text);
	memset(text + at, '[', 100);
	memset(text + at + 100, ']', 100);
	strcpy(text + at + 200, "\n");
	assert_rejected(text, "t.yaml:2:39: nesting deeper than 32 levels");
	cr_assert_str_eq(list.items[0].name, "t");
}

Test(case_load_errors, empty_file_has_no_cases)
{
	assert_rejected("", "t.yaml:1:1: no cases in this file");
	cr_assert_str_eq(list.items[0].name, "t");
	assert_rejected("# only a comment\n\n", "t.yaml:1:1: no cases in this file");
}

Test(case_load_errors, syntax_error_after_a_good_document)
{
	load_text("t.yaml",
		  "name: good\n"
		  "source: hlt\n"
		  "---\n"
		  "source: hlt\n"
		  "name: a: b\n",
		  2);
	const struct test_case *good = &list.items[0], *bad = &list.items[1];
	cr_assert_null(good->error, "%s", good->error);
	cr_assert_str_eq(good->name, "good");
	cr_assert_str_eq(good->source, "hlt");
	cr_assert_str_eq(bad->error, "t.yaml:5:8: invalid YAML: mapping values are not allowed in this context");
	cr_assert_eq(bad->index, 1);
	cr_assert_eq(bad->line, 5);
	cr_assert_str_eq(bad->name, "t [2]");
	cr_assert_str_eq(bad->file, "t.yaml");
}

Test(case_load_errors, syntax_error_in_the_only_document)
{
	assert_rejected("source: \"hlt\n",
			"t.yaml:2:1: invalid YAML: found unexpected end of stream while scanning a quoted scalar");
	cr_assert_str_eq(list.items[0].name, "t", "no [N] for a lone document");
}

Test(case_load_errors, first_problem_wins)
{
	assert_rejected("max_exits: 0\nbogus: 1\nsource: hlt\n",
			"t.yaml:2:1: unknown key 'bogus' in a case (known: name, guest, source, input, expect, "
			"max_exits, timeout_ms, registers, memory, load_address, output_limit, assembler, preset, firmware, drive, args, mode, points, hidden, visibility, tags, leaderboard, submission, date, time)");
}

Test(case_load_errors, bad_documents_do_not_stop_later_ones)
{
	load_text("t.yaml", "source: hlt\nbogus: 1\n---\nsource: nop\n", 2);
	cr_assert_not_null(list.items[0].error);
	cr_assert_null(list.items[1].error);
	cr_assert_str_eq(list.items[1].source, "nop");
	cr_assert_str_eq(list.items[0].name, "t [1]");
}

Test(case_load_errors, name_survives_a_later_error)
{
	assert_rejected("name: mine\nsource: hlt\nmemory: 1\n",
			"t.yaml:3:9: 'memory' must be a multiple of 4096 bytes, at least 4096");
	cr_assert_str_eq(list.items[0].name, "mine");
}

Test(case_load_errors, unreadable_file_returns_1)
{
	char path[512];
	tu_path(path, sizeof(path), dir, "absent.yaml");
	cr_assert_eq(case_file_load(path, &list), 1);
	cr_assert_eq(list.count, 1u);
	char want[700];
	snprintf(want, sizeof(want), "%s:1:1: cannot read: No such file or directory", path);
	cr_assert_str_eq(list.items[0].error, want);
	cr_assert_str_eq(list.items[0].name, "absent");
	cr_assert_str_eq(list.items[0].file, path);
}

Test(case_load_errors, folder_is_not_a_case_file)
{
	char path[512];
	tu_path(path, sizeof(path), dir, "folder.yaml");
	cr_assert_eq(mkdir(path, 0700), 0);
	cr_assert_eq(case_file_load(path, &list), 1);
	cr_assert_eq(list.count, 1u);
	char want[700];
	snprintf(want, sizeof(want), "%s:1:1: cannot read: not a regular file", path);
	cr_assert_str_eq(list.items[0].error, want);
}

Test(case_load_errors, oversized_file_is_refused)
{
	size_t size = (4u << 20) + 1;
	char *text = malloc(size);
	cr_assert_not_null(text);
	memset(text, '#', size);
	text[0] = '\n';
	tu_write(dir, "huge.yaml", text, size);
	free(text);
	char path[512];
	tu_path(path, sizeof(path), dir, "huge.yaml");
	cr_assert_eq(case_file_load(path, &list), 1);
	cr_assert_eq(list.count, 1u);
	char want[700];
	snprintf(want, sizeof(want), "%s:1:1: larger than the 4 MiB limit of case files", path);
	cr_assert_str_eq(list.items[0].error, want);
}

Test(case_load_errors, too_many_registers)
{
	/* Names ignore case, so 64 spellings of eflags plus ax make 65. */
	char text[2000] = "source: hlt\nregisters:\n";
	for (int mask = 0; mask < 64; mask++) {
		char name[8] = "eflags";
		for (int i = 0; i < 6; i++)
			if (mask & (1 << i))
				name[i] = (char)(name[i] - 'a' + 'A');
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "  %s: 0\n", name);
	}
	case_list_free(&list);
	load_text("t.yaml", text, 1);
	cr_assert_null(list.items[0].error, "64 registers are allowed: %s", list.items[0].error);
	cr_assert_eq(list.items[0].initial_regs.count, (size_t)CASE_MAX_REGS);
	strcat(text, "  ax: 1\n");
	assert_rejected(text, "t.yaml:67:3: too many registers in 'registers'");
}

/* --------------------------------------- output_limit and assembler: */

Test(case_load, output_limit_and_assembler_settings)
{
	char sub[512], inc[600], path[700], want[800];
	tu_path(sub, sizeof(sub), dir, "cases");
	tu_path(inc, sizeof(inc), sub, "inc");
	cr_assert_eq(mkdir(sub, 0700), 0);
	cr_assert_eq(mkdir(inc, 0700), 0);
	tu_path(path, sizeof(path), sub, "a.yaml");
	const char *const allow_root[] = { "/", NULL };
	load_text_allowing(path,
		  "source: hlt\n"
		  "output_limit: 100\n"
		  "assembler:\n"
		  "  read: [inc, /]\n"
		  "  timeout_ms: 50\n"
		  "  cpu_seconds: 2\n"
		  "  memory: 0x1000000\n"
		  "expect: {exit: output_limit, serial: abc}\n",
		  allow_root, 1);
	const struct test_case *c = &list.items[0];
	cr_assert_null(c->error, "%s", c->error);
	cr_assert_eq(c->output_limit, 100u);
	cr_assert_eq(c->expect_exit, OUTCOME_OUTPUT_LIMIT);
	tu_path(want, sizeof(want), sub, "inc");
	cr_assert_str_eq(c->asm_read[0], want, "read paths are beside the case file");
	cr_assert_str_eq(c->asm_read[1], "/");
	cr_assert_null(c->asm_read[2]);
	cr_assert_eq(c->asm_timeout_ms, 50u);
	cr_assert_eq(c->asm_cpu_seconds, 2u);
	cr_assert_eq(c->asm_memory, 0x1000000u);
}

Test(case_load, assembler_defaults_are_zero)
{
	const struct test_case *c = load_one("source: hlt\n");
	cr_assert_eq(c->output_limit, 0u);
	cr_assert_null(c->asm_read[0]);
	cr_assert_eq(c->asm_timeout_ms, 0u);
	cr_assert_eq(c->asm_cpu_seconds, 0u);
	cr_assert_eq(c->asm_memory, 0u);
}

Test(case_load_errors, assembler_settings)
{
	assert_rejected("source: hlt\nassembler: {foo: 1}\n",
			"t.yaml:2:13: unknown key 'foo' in 'assembler' (known: read, timeout_ms, cpu_seconds, memory)");
	assert_rejected("source: hlt\nassembler: [read]\n", "t.yaml:2:12: 'assembler' must be a mapping, not a list");
	assert_rejected("source: hlt\nassembler: {read: inc}\n", "t.yaml:2:19: 'read' must be a list, not a scalar");
	assert_rejected("source: hlt\nassembler:\n  read:\n    - .\n    - no/such/folder\n",
			"t.yaml:5:7: cannot read 'no/such/folder': No such file or directory");
	assert_rejected("source: hlt\nassembler: {timeout_ms: 3600001}\n",
			"t.yaml:2:25: 'timeout_ms' is 3600001, more than its maximum 3600000");
	assert_rejected("source: hlt\nassembler: {cpu_seconds: '2'}\n",
			"t.yaml:2:26: 'cpu_seconds' must be an integer (decimal or 0x hex), not '2'");
	assert_rejected("source: hlt\noutput_limit: 0x4000001\n",
			"t.yaml:2:15: 'output_limit' is 0x4000001, more than its maximum 67108864");
	assert_rejected("source: hlt\nexpect: {exit: output_limit, registers: {ax: 1}}\n",
			"t.yaml:2:41: registers cannot be checked when the guest ends by output_limit: "
			"only after hlt are they the guest's own");
}

Test(case_load_errors, too_many_read_paths)
{
	char text[400] = "source: hlt\nassembler:\n  read: [";
	for (int i = 0; i <= CASE_MAX_READ_PATHS; i++)
		strcat(text, i ? ", /" : "/");
	strcat(text, "]\n");
	assert_rejected(text, "t.yaml:3:9: 'read' lists more than 16 folders");
}

/* ----------------------------- defects once found, kept from coming back */

/* parse_uint hands the text after "0x" to strtoull, which skips blanks and
 * takes a sign: "0x 5" (a plain YAML scalar) is read as 5. */
Test(case_load_errors, hex_with_two_prefixes)
{
	assert_rejected("source: hlt\nmax_exits: 0x0x10\n",
			"t.yaml:2:12: 'max_exits' must be an integer (decimal or 0x hex), not '0x0x10'");
}

Test(case_load_errors, load_address_beyond_real_mode)
{
	assert_rejected("source: hlt\nmemory: 0x200000\nload_address: 0x100000\n",
			"t.yaml:3:15: 'load_address' 0x100000 is beyond 0xfffff, where real mode reaches no further");
}

Test(case_load_errors, initial_registers_real_mode_cannot_hold)
{
	assert_rejected("source: hlt\nregisters: {eip: 0x10000}\n",
			"t.yaml:2:18: 'eip' 0x10000 is beyond the 64 KiB of a real-mode segment");
	case_list_free(&list);
	assert_rejected("source: hlt\nregisters: {eflags: 0x20002}\n",
			"t.yaml:2:21: 'eflags' 0x20002 sets bits real mode cannot start with (0x20000)");
}

Test(case_load_errors, hex_with_blank_after_prefix)
{
	assert_rejected("source: hlt\nmax_exits: 0x 5\n",
			"t.yaml:2:12: 'max_exits' must be an integer (decimal or 0x hex), not '0x 5'");
}

/* parse_bytes means to say "must be a string, or a list of strings and
 * bytes 0..255" for a plain word in a list, but parse_uint's message is
 * recorded first and case_fail keeps only the first. */
Test(case_load_errors, plain_word_in_byte_list)
{
	assert_rejected("source: hlt\ninput: [abc]\n",
			"t.yaml:2:9: 'input' must be a string, or a list of strings and bytes 0..255");
}

/* access(R_OK) also passes for folders: `guest:` with no value (the case's
 * own folder) or `guest: somedir` is accepted and only fails in nasm. */
Test(case_load_errors, guest_folder_is_refused)
{
	char sub[512], path[600];
	tu_path(sub, sizeof(sub), dir, "sub");
	cr_assert_eq(mkdir(sub, 0700), 0);
	tu_path(path, sizeof(path), dir, "c.yaml");
	load_text(path, "guest: sub\n", 1);
	cr_assert_not_null(list.items[0].error, "a folder is not a guest");
	case_list_free(&list);
	load_text(path, "guest:\n", 1);
	cr_assert_not_null(list.items[0].error, "an empty guest is not a guest");
}

/* An empty document reaches case_parse as an empty plain scalar, never as
 * NULL, so its intended message is never given. */
Test(case_load_errors, empty_document)
{
	load_text("t.yaml", "---\n---\nsource: hlt\n", 2);
	cr_assert_str_eq(list.items[0].error, "t.yaml:1:1: empty document: a case needs at least 'guest' or 'source'");
}

/* ------------------------------------------------------------ modes */

Test(case_load, mode_defaults_to_real)
{
	cr_assert_eq(load_one("source: hlt\n")->mode, X86_MODE_REAL);
}

Test(case_load, mode_names)
{
	static const struct { const char *text; enum x86_mode mode; } rows[] = {
		{ "source: hlt\nmode: real\n", X86_MODE_REAL },
		{ "source: hlt\nmode: protected\n", X86_MODE_PROTECTED },
		{ "source: hlt\nmode: long\n", X86_MODE_LONG },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		case_list_free(&list);
		cr_assert_eq(load_one(rows[i].text)->mode, rows[i].mode, "%s", rows[i].text);
	}
}

Test(case_load, long_mode_takes_64_bit_registers_and_linear_load_addresses)
{
	const struct test_case *c = load_one("source: hlt\nmode: long\nload_address: 0x200000\nmemory: 0x400000\n"
					     "registers: {rax: 0x1122334455667788, r15: 1, rip: 0x200010}\n"
					     "expect: {registers: {rax: 0xffffffffffffffff, cr0: 0x80000011, efer: 0x500}}\n");
	cr_assert_eq(find_reg(&c->initial_regs, "rax")->value, 0x1122334455667788u);
	cr_assert_eq(find_reg(&c->expect_regs, "rax")->value, UINT64_MAX);
	struct cpu_state s;
	case_initial_state(c, &s);
	cr_assert_eq(s.rip, 0x200010u);
	cr_assert_eq(s.seg[SEG_CS].selector, 0);
	cr_assert_eq(s.gpr[GPR_R15], 1u);
}

Test(case_load_errors, mode_problems)
{
	static const struct { const char *text, *error; } rows[] = {
		{ "source: hlt\nmode: unreal\n", "t.yaml:2:7: unknown mode 'unreal' (real, protected or long)" },
		{ "source: hlt\nmode: [long]\n", "t.yaml:2:7: 'mode' must be a scalar, not a list" },
		{ "source: hlt\nmode: long\nmemory: 0x10000\n",
		  "t.yaml:3:9: long mode needs at least 98304 bytes of 'memory' for its tables" },
		{ "source: hlt\nmode: protected\nregisters: {ds: 0x10}\n",
		  "t.yaml:3:13: 'ds' is loaded from the GDT protected mode sets up, not by the case" },
		{ "source: hlt\nregisters: {cr0: 1}\n", "t.yaml:2:13: 'cr0' is set by 'mode' (real), not by the case" },
		{ "source: hlt\nmode: long\nregisters: {efer: 0}\n",
		  "t.yaml:3:13: 'efer' is set by 'mode' (long), not by the case" },
		{ "source: hlt\nmode: protected\nregisters: {rax: 0x100000000}\n",
		  "t.yaml:3:13: 'rax' 0x100000000 needs 64 bits, which only long mode has" },
		{ "source: hlt\nregisters: {rip: 0x10000}\n",
		  "t.yaml:2:18: 'rip' 0x10000 is beyond the 64 KiB of a real-mode segment" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_rejected(rows[i].text, rows[i].error);
}

/* ------------------------------------------- paths confined to the case */

struct confinement_row {
	const char *text;   /* the case; @ stands for the test's folder */
	const char *error;  /* NULL: accepted; else what the error must contain */
};

/* Case files are written by students too: no path in one may reach out of
 * its folder, whichever way it is spelt. The case file is dir/cases/c.yaml. */
static const struct confinement_row confinement_rows[] = {
	{ "guest: g.asm\n", NULL },
	{ "guest: sub/../g.asm\n", NULL },
	{ "guest: inside-link.asm\n", NULL },
	{ "source: hlt\nassembler: {read: [sub, .]}\n", NULL },
	{ "guest: ../secret.asm\n", "'guest' names '@/cases/../secret.asm', outside the case file's folder" },
	{ "guest: @/secret.asm\n", "'guest' names '@/secret.asm', outside the case file's folder" },
	{ "guest: sub/../../secret.asm\n", "'guest' names '@/cases/sub/../../secret.asm', outside" },
	{ "guest: sub-link/secret.asm\n", "'guest' names '@/cases/sub-link/secret.asm', outside" },
	{ "guest: hard.asm\n", "guest '@/cases/hard.asm' has 2 hard links" },
	{ "guest: out-link.asm\n", "guest '@/cases/out-link.asm' is a link to a file outside its folder" },
	{ "source: hlt\nassembler: {read: [/]}\n", "'assembler.read' names '/', outside the case file's folder" },
	{ "source: hlt\nassembler: {read: [..]}\n", "'assembler.read' names '@/cases/..', outside" },
	{ "source: hlt\nassembler: {read: [sub-link]}\n", "'assembler.read' names '@/cases/sub-link', outside" },
	{ "source: hlt\nassembler: {read: [@]}\n", "'assembler.read' names '@', outside" },
};

/* Replaces every @ in text with dir. */
static void with_dir(char *out, size_t len, const char *text)
{
	size_t n = 0;
	for (; *text && n + 1 < len; text++) {
		if (*text == '@')
			n += (size_t)snprintf(out + n, len - n, "%s", dir);
		else
			out[n++] = *text;
	}
	out[n < len ? n : len - 1] = '\0';
}

static void confinement_tree(char *case_path, size_t len)
{
	char cases[512], sub[600], lnk[600], target[600], hard[600];
	tu_path(cases, sizeof(cases), dir, "cases");
	tu_path(sub, sizeof(sub), cases, "sub");
	cr_assert_eq(mkdir(cases, 0700), 0);
	cr_assert_eq(mkdir(sub, 0700), 0);
	tu_write_str(cases, "g.asm", "hlt\n");
	tu_write_str(dir, "secret.asm", "%error secret\n");
	tu_path(lnk, sizeof(lnk), cases, "inside-link.asm");
	cr_assert_eq(symlink("g.asm", lnk), 0);
	tu_path(lnk, sizeof(lnk), cases, "sub-link");
	cr_assert_eq(symlink("..", lnk), 0);
	tu_path(lnk, sizeof(lnk), cases, "out-link.asm");
	cr_assert_eq(symlink("../secret.asm", lnk), 0);
	tu_write_str(dir, "other.asm", "%error other\n");
	tu_path(target, sizeof(target), dir, "other.asm");
	tu_path(hard, sizeof(hard), cases, "hard.asm");
	cr_assert_eq(link(target, hard), 0);
	tu_path(case_path, len, cases, "c.yaml");
}

static void assert_confined_as_the_row_says(size_t i, const char *error)
{
	const struct confinement_row *r = &confinement_rows[i];
	char want[900];
	if (!r->error) {
		cr_assert_null(error, "row %zu: %s", i, error);
		return;
	}
	with_dir(want, sizeof(want), r->error);
	cr_assert_not_null(error, "row %zu accepted: %s", i, r->text);
	cr_assert_not_null(strstr(error, want), "row %zu: %s\nwants: %s", i, error, want);
}

Test(case_load_errors, paths_stay_in_the_case_folder)
{
	char case_path[700];
	confinement_tree(case_path, sizeof(case_path));
	for (size_t i = 0; i < sizeof(confinement_rows) / sizeof(*confinement_rows); i++) {
		char text[900];
		with_dir(text, sizeof(text), confinement_rows[i].text);
		case_list_free(&list);
		load_text(case_path, text, 1);
		assert_confined_as_the_row_says(i, list.items[0].error);
	}
}

/* The same rows as the documents of one case file, whose folder is
 * resolved once for all of them: each is confined as it is alone. */
Test(case_load_errors, paths_stay_in_the_case_folder_in_one_file)
{
	char case_path[700], text[16384];
	confinement_tree(case_path, sizeof(case_path));
	size_t count = sizeof(confinement_rows) / sizeof(*confinement_rows), n = 0;
	for (size_t i = 0; i < count; i++) {
		char one[900];
		with_dir(one, sizeof(one), confinement_rows[i].text);
		n += (size_t)snprintf(text + n, sizeof(text) - n, "---\nname: row %zu\n%s", i, one);
		cr_assert_lt(n, sizeof(text));
	}
	load_text(case_path, text, count);
	for (size_t i = 0; i < count; i++)
		assert_confined_as_the_row_says(i, list.items[i].error);
	/* A case file in another folder has that folder, not the last one's. */
	char parent_case[700];
	tu_path(parent_case, sizeof(parent_case), dir, "c.yaml");
	case_list_free(&list);
	load_text(parent_case, "guest: secret.asm\n", 1);
	cr_assert_null(list.items[0].error, "%s", list.items[0].error);
}

/* --allow-read opens a folder, and only that folder. */
Test(case_load_errors, allow_read_opens_one_folder)
{
	char case_path[700], other[600], text[900];
	confinement_tree(case_path, sizeof(case_path));
	tu_path(other, sizeof(other), dir, "cases/sub");
	const char *const allow[] = { other, dir, NULL };
	snprintf(text, sizeof(text), "guest: ../secret.asm\n---\nsource: hlt\nassembler: {read: [/]}\n");
	load_text_allowing(case_path, text, allow, 2);
	cr_assert_null(list.items[0].error, "%s", list.items[0].error);
	cr_assert_not_null(list.items[1].error);
	cr_assert_not_null(strstr(list.items[1].error, "'assembler.read' names '/'"), "%s", list.items[1].error);

	const char *const only_sub[] = { other, NULL };
	case_list_free(&list);
	load_text_allowing(case_path, "guest: ../secret.asm\n", only_sub, 1);
	cr_assert_not_null(list.items[0].error);
}
