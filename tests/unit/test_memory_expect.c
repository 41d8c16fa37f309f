/* Unit tests for expect.memory and expect.screen_attributes: the loader's
 * forms and errors, nasm's map read back (assemble/symbol_map.c), the map
 * kept through the cache, and the judge's checks and reasons. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "assemble/assembler.h"
#include "assemble/cache_entry.h"
#include "assemble/symbol_map.h"
#include "case/case.h"
#include "judge/grade.h"
#include "judge/verdict.h"
#include "testutil.h"

static struct case_list list;

static void list_fini(void)
{
	case_list_free(&list);
}

TestSuite(memory_load, .fini = list_fini);
TestSuite(memory_load_errors, .fini = list_fini);

static const struct test_case *load(const char *text)
{
	return tu_case_load_one(&list, "m.yaml", text);
}

static const struct test_case *load_ok(const char *text)
{
	return tu_case_load_ok(&list, "m.yaml", text);
}

static void assert_rejected(const char *text, const char *error)
{
	const struct test_case *c = load(text);
	cr_assert_not_null(c->error, "accepted, but should fail with: %s", error);
	cr_assert_str_eq(c->error, error);
}

static void assert_bytes(const struct memory_expect *m, const void *want, size_t len)
{
	cr_assert_eq(m->bytes.len, len, "%s: %zu bytes, not %zu", m->where, m->bytes.len, len);
	cr_assert_eq(memcmp(m->bytes.data, want, len), 0, "%s: other bytes", m->where);
}

Test(memory_load, typed_values_are_little_endian_and_may_be_negative)
{
	const struct test_case *c = load_ok("source: hlt\n"
					    "expect:\n"
					    "  memory: {total: {word: 5050}, b: {byte: -1}, d: {dword: 0x12345678},\n"
					    "           q: {qword: -2}, w: {word: -32768}}\n");
	cr_assert_eq(c->expect_memory_count, 5);
	const struct memory_expect *m = c->expect_memory;
	assert_bytes(&m[0], "\xba\x13", 2);
	cr_assert_str_eq(m[0].label, "total");
	cr_assert_eq(m[0].width, 2);
	cr_assert_str_eq(m[0].typed, "word 5050");
	assert_bytes(&m[1], "\xff", 1);
	assert_bytes(&m[2], "\x78\x56\x34\x12", 4);
	assert_bytes(&m[3], "\xfe\xff\xff\xff\xff\xff\xff\xff", 8);
	assert_bytes(&m[4], "\x00\x80", 2);
}

Test(memory_load, strings_and_byte_lists)
{
	const struct test_case *c = load_ok("source: hlt\n"
					    "expect:\n"
					    "  memory:\n"
					    "    buffer: \"HELLO$\"\n"
					    "    table: [1, 0x02, 255]\n"
					    "    mixed: [\"AB\", 0]\n");
	const struct memory_expect *m = c->expect_memory;
	assert_bytes(&m[0], "HELLO$", 6);
	cr_assert(m[0].text);
	cr_assert_eq(m[0].width, 0);
	assert_bytes(&m[1], "\x01\x02\xff", 3);
	cr_assert_not(m[1].text);
	assert_bytes(&m[2], "AB\0", 3);
}

Test(memory_load, addresses_segment_offset_and_labels)
{
	const struct test_case *c = load_ok("source: hlt\n"
					    "expect:\n"
					    "  memory: {0x7c10: [1], \"b800:0000\": [2], \"0x7c0:0x10\": [3], 4096: [4],\n"
					    "           buffer+2: [5], \"msg.end+0x10\": [6], ..@x: [7]}\n");
	const struct memory_expect *m = c->expect_memory;
	cr_assert_eq(c->expect_memory_count, 7);
	cr_assert_null(m[0].label);
	cr_assert_eq(m[0].address, 0x7c10);
	cr_assert_eq(m[1].address, 0xb8000);
	cr_assert_str_eq(m[1].where, "b800:0000");
	cr_assert_eq(m[2].address, 0x7c10);
	cr_assert_eq(m[3].address, 4096);
	cr_assert_str_eq(m[4].label, "buffer");
	cr_assert_eq(m[4].address, 2);
	cr_assert_str_eq(m[4].where, "buffer+2");
	cr_assert_str_eq(m[5].label, "msg.end");
	cr_assert_eq(m[5].address, 0x10);
	cr_assert_str_eq(m[6].label, "..@x");
}

Test(memory_load, screen_attributes_cells_and_runs)
{
	const struct test_case *c = load_ok("source: hlt\n"
					    "expect:\n"
					    "  screen_attributes: [{row: 0, column: 0, attribute: 0x1f},\n"
					    "                      {row: 24, columns: [0, 79], attribute: 0x4e}]\n");
	cr_assert_eq(c->expect_screen_attribute_count, 2);
	const struct screen_attribute_expect *a = c->expect_screen_attributes;
	cr_assert(a[0].row == 0 && a[0].first_column == 0 && a[0].last_column == 0 && a[0].attribute == 0x1f);
	cr_assert(a[1].row == 24 && a[1].first_column == 0 && a[1].last_column == 79 && a[1].attribute == 0x4e);
	cr_assert_not(c->expect_screen.set, "attributes alone check no text");
}

Test(memory_load_errors, typed_values)
{
	assert_rejected("source: hlt\nexpect:\n  memory: {x: {word: 65536}}\n",
			"m.yaml:3:22: 'word' must be an integer from -32768 to 65535, not '65536'");
	assert_rejected("source: hlt\nexpect:\n  memory: {x: {byte: -129}}\n",
			"m.yaml:3:22: 'byte' must be an integer from -128 to 255, not '-129'");
	assert_rejected("source: hlt\nexpect:\n  memory: {x: {short: 1}}\n",
			"m.yaml:3:15: a typed value in 'expect.memory' is one of {byte: N}, {word: N}, {dword: N}, "
			"{qword: N}");
	assert_rejected("source: hlt\nexpect:\n  memory: {x: {word: 1, byte: 2}}\n",
			"m.yaml:3:15: a typed value in 'expect.memory' is one of {byte: N}, {word: N}, {dword: N}, "
			"{qword: N}");
	assert_rejected("source: hlt\nexpect:\n  memory: {x: {word: \"1\"}}\n",
			"m.yaml:3:22: 'word' must be an integer from -32768 to 65535, not '1'");
}

Test(memory_load_errors, values_and_places)
{
	assert_rejected("source: hlt\nexpect:\n  memory: {x: \"\"}\n",
			"m.yaml:3:15: 'expect.memory' values hold 1 to 4096 bytes, not 0");
	assert_rejected("source: hlt\nexpect:\n  memory: {x: [256]}\n",
			"m.yaml:3:16: 'expect.memory' is 256, more than its maximum 255");
	assert_rejected("source: hlt\nexpect:\n  memory: {\"9lives\": [1]}\n",
			"m.yaml:3:12: 'expect.memory' key '9lives' is no address (0x7c10, \"b800:0000\") or label "
			"(total, buffer+2)");
	assert_rejected("source: hlt\nexpect:\n  memory: {\"b800:10000\": [1]}\n",
			"m.yaml:3:12: 'expect.memory' key 'b800:10000' is no address (0x7c10, \"b800:0000\") or label "
			"(total, buffer+2)");
	assert_rejected("source: hlt\nexpect:\n  memory: {x+y: [1]}\n",
			"m.yaml:3:12: 'expect.memory' key 'x+y' is no address (0x7c10, \"b800:0000\") or label "
			"(total, buffer+2)");
	assert_rejected("source: hlt\nexpect:\n  memory: [1]\n", "m.yaml:3:11: 'expect.memory' must be a mapping, not a list");
	assert_rejected("source: hlt\nexpect:\n  memory: {}\n", "m.yaml:3:11: 'expect.memory' must hold 1 to 64 entries");
}

Test(memory_load_errors, an_address_outside_ram)
{
	assert_rejected("source: hlt\nmemory: 0x10000\nexpect:\n  memory: {0xffff: {word: 1}}\n",
			"m.yaml:4:12: 'expect.memory' at 0xffff (2 bytes) is outside the guest's 65536 bytes of RAM");
	assert_rejected("source: hlt\nexpect:\n  memory: {\"ffff:0010\": [1]}\n",
			"m.yaml:3:12: 'expect.memory' at 0x100000 (1 bytes) is outside the guest's 1048576 bytes of RAM");
}

Test(memory_load_errors, screen_attributes)
{
	assert_rejected("source: hlt\nexpect:\n  screen_attributes: [{row: 25, column: 0, attribute: 7}]\n",
			"m.yaml:3:29: 'row' is 25, more than its maximum 24");
	assert_rejected("source: hlt\nexpect:\n  screen_attributes: [{row: 1, attribute: 7}]\n",
			"m.yaml:3:23: 'screen_attributes' entries are {row, column, attribute} or "
			"{row, columns: [first, last], attribute}");
	assert_rejected("source: hlt\nexpect:\n  screen_attributes: [{row: 1, column: 2, columns: [1, 2], attribute: 7}]\n",
			"m.yaml:3:23: 'screen_attributes' entries are {row, column, attribute} or "
			"{row, columns: [first, last], attribute}");
	assert_rejected("source: hlt\nexpect:\n  screen_attributes: [{row: 1, columns: [9, 2], attribute: 7}]\n",
			"m.yaml:3:41: 'columns' [9, 2] ends before it starts");
	assert_rejected("source: hlt\nexpect:\n  screen_attributes: [{row: 1, column: 80, attribute: 7}]\n",
			"m.yaml:3:40: 'column' is 80, more than its maximum 79");
	assert_rejected("source: hlt\nexpect:\n  screen_attributes: [{row: 1, column: 0, attribute: 256}]\n",
			"m.yaml:3:54: 'attribute' is 256, more than its maximum 255");
	assert_rejected("source: hlt\nexpect:\n  screen_attributes: [{row: 1, column: 0, colour: 7}]\n",
			"m.yaml:3:43: unknown key 'colour' in 'screen_attributes' (known: row, column, columns, attribute)");
}

Test(memory_load_errors, points_name_the_memory_group)
{
	const struct test_case *c = load_ok("source: hlt\npoints: {memory: 2, exit: 1}\n"
					    "expect:\n  memory: {x: [1]}\n");
	cr_assert_eq(grade_case_validate((struct test_case *)c), 0);
	cr_assert_null(c->error, "%s", c->error);
	c = load_ok("source: hlt\npoints: {memory: 2}\n");
	cr_assert_eq(grade_case_validate((struct test_case *)c), 0);
	cr_assert_str_eq(c->error, "m.yaml:2:10: points: 'memory' names checks the case does not make");
}

/* ---- nasm's map ---- */

/* As nasm 2.16 writes it for `org 0x100` with a .bss and an equ. */
static const char sample_map[] =
	"\n- NASM Map file ---------\n\nSource file:  guest.asm\nOutput file:  guest.bin\n\n"
	"-- Program origin -------\n\n00000100\n\n"
	"-- Sections (summary) ---\n\n"
	"Vstart            Start             Stop              Length    Class     Name\n"
	"             100               100               110  00000010  progbits  .text\n\n"
	"-- Symbols --------------\n\n"
	"---- No Section ---------\n\nValue     Name\n00000005  K\n\n\n"
	"---- Section .text ------\n\n"
	"Real              Virtual           Name\n"
	"             100               100  start\n"
	"             107               107  start.local\n"
	"             108               108  total\n"
	"             10A               10A  buffer\n\n"
	"---- Section .bss -------\n\n"
	"Real              Virtual           Name\n"
	"             110               110  big\n";

static struct symbol find(const char *name)
{
	struct bytes map = { .data = (uint8_t *)sample_map, .len = strlen(sample_map) };
	return symbol_map_find(&map, name);
}

Test(symbol_map, labels_are_offsets_from_the_origin)
{
	struct symbol s = find("total");
	cr_assert_eq(s.kind, SYMBOL_LABEL);
	cr_assert_eq(s.value, 0x108);
	cr_assert_eq(s.offset, 0x8);
	cr_assert_eq(find("start").offset, 0);
	cr_assert_eq(find("start.local").offset, 7);
	cr_assert_eq(find("big").offset, 0x10, "a .bss label follows the image");
}

Test(symbol_map, constants_missing_and_no_map)
{
	struct symbol k = find("K");
	cr_assert_eq(k.kind, SYMBOL_CONSTANT);
	cr_assert_eq(k.value, 5);
	cr_assert_eq(find("tota").kind, SYMBOL_MISSING, "no prefix match");
	cr_assert_eq(find("TOTAL").kind, SYMBOL_MISSING, "labels are case-sensitive");
	cr_assert_eq(find(".text").kind, SYMBOL_MISSING, "a section's name is no label");
	cr_assert_eq(find("Name").kind, SYMBOL_MISSING);
	struct bytes none = {0};
	cr_assert_eq(symbol_map_find(&none, "total").kind, SYMBOL_MISSING);
}

/* ---- the map from a real assembly, and through the cache ---- */

static char asm_dir[256];

static void asm_init(void)
{
	tu_tmpdir_make(asm_dir, sizeof(asm_dir));
	cr_assert_eq(setenv("TMPDIR", asm_dir, 1), 0);
}

static void asm_fini(void)
{
	unsetenv("TMPDIR");
	tu_tmpdir_remove(asm_dir);
}

TestSuite(symbol_map_nasm, .init = asm_init, .fini = asm_fini);

static void assemble_text(const char *text, struct assembly *out)
{
	struct asm_source src = { .text = text, .text_origin = "m.yaml", .text_first_line = 1, .include_dir = asm_dir,
				  .max_output = 1u << 20, .timeout_ms = 30000, .unsafe = true };
	char err[300] = "";
	cr_assert_eq(assemble(&src, out, err, sizeof(err)), 0, "%s", err);
	cr_assert(out->ok, "nasm said: %s", out->messages ? out->messages : "");
}

Test(symbol_map_nasm, a_boot_sector_s_labels_include_its_org)
{
	struct assembly a = {0};
	/* The source's own [map] comes second: nasm keeps the first. */
	assemble_text("org 0x7c00\nhlt\ntotal: dw 0\n[map all mine.map]\nK equ 3\n", &a);
	struct symbol s = symbol_map_find(&a.symbols, "total");
	cr_assert_eq(s.kind, SYMBOL_LABEL);
	cr_assert_eq(s.value, 0x7c01);
	cr_assert_eq(s.offset, 1);
	cr_assert_eq(symbol_map_find(&a.symbols, "K").kind, SYMBOL_CONSTANT);
	assembly_free(&a);
}

Test(symbol_map_nasm, the_cache_keeps_the_map)
{
	struct assembly a = {0}, back = {0};
	assemble_text("org 0x100\nret\nbuffer: db 'HI'\n", &a);
	cr_assert_gt(a.symbols.len, 0);
	struct cache_key key = { .bytes = { 7 } };
	struct bytes enc = {0};
	cr_assert_eq(cache_entry_encode(&key, &a, &enc), 0);
	cr_assert_eq(cache_entry_decode(&key, enc.data, enc.len, &back), 0);
	cr_assert_eq(back.symbols.len, a.symbols.len);
	cr_assert_eq(memcmp(back.symbols.data, a.symbols.data, a.symbols.len), 0);
	cr_assert_eq(symbol_map_find(&back.symbols, "buffer").offset, 1);
	bytes_free(&enc);
	assembly_free(&a);
	assembly_free(&back);
}

/* ---- the judge ---- */

static struct verdict v;

static void verdict_fini(void)
{
	verdict_free(&v);
	case_list_free(&list);
}

TestSuite(memory_judge, .fini = verdict_fini);

/* A case expecting `total: {word: 5050}` and `buffer: "HI"`, and a run
 * that read both (or not). */
static const struct test_case *two_entries(void)
{
	return load_ok("source: hlt\nexpect:\n  memory: {total: {word: 5050}, buffer: \"HI\"}\n");
}

static void judge(const struct test_case *c, struct run_result *r)
{
	verdict_free(&v);
	cr_assert_eq(verdict_judge(c, r, &v), 0);
}

static struct memory_place places[2];

static struct run_result read_run(const char *memory, size_t len)
{
	places[0] = (struct memory_place){ .status = MEMORY_PLACE_READ, .address = 0x10108 };
	places[1] = (struct memory_place){ .status = MEMORY_PLACE_READ, .address = 0x1010a };
	struct run_result r = { .outcome = OUTCOME_HLT, .memory_places = places, .memory_place_count = 2 };
	r.memory = (struct bytes){ .data = (uint8_t *)memory, .len = len };
	return r;
}

Test(memory_judge, matching_bytes_pass)
{
	struct run_result r = read_run("\xba\x13HI", 4);
	judge(two_entries(), &r);
	cr_assert_eq(v.status, VERDICT_PASS, "%s", v.reason);
	const struct check *k = verdict_find(&v, CHECK_MEMORY, 0);
	cr_assert_str_eq(k->label, "total");
	cr_assert_str_eq((const char *)k->expected.data, "word 5050 (ba 13)");
	cr_assert_str_eq((const char *)verdict_find(&v, CHECK_MEMORY, 1)->actual.data, "`HI` (48 49)");
}

Test(memory_judge, a_wrong_value_names_label_address_and_both_values)
{
	struct run_result r = read_run("\xb9\x13HI", 4);
	judge(two_entries(), &r);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert_str_eq(v.reason, "memory at total (0x10108) is word 5049 (b9 13), expected word 5050 (ba 13)");
	r = read_run("\xba\x13H!", 4);
	judge(two_entries(), &r);
	cr_assert_str_eq(v.reason, "memory at buffer (0x1010a) is `H!` (48 21), expected `HI` (48 49); "
			 "first difference at byte 1");
	/* a byte that is no printable character, or a backtick, shows as '.' beside its hex */
	r = read_run("\xba\x13\x01`", 4);
	judge(two_entries(), &r);
	cr_assert_str_eq(v.reason, "memory at buffer (0x1010a) is `..` (01 60), expected `HI` (48 49); "
			 "first difference at byte 0");
}

Test(memory_judge, a_missing_label_is_told_before_a_wrong_value)
{
	struct run_result r = read_run("\xb9\x13", 2);
	places[1].status = MEMORY_PLACE_UNDEFINED;
	judge(two_entries(), &r);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert_str_eq(v.reason, "label `buffer` is not defined in the program");
	cr_assert_not(verdict_find(&v, CHECK_MEMORY, 1)->actual_known);
	places[1] = (struct memory_place){ .status = MEMORY_PLACE_CONSTANT, .address = 5 };
	judge(two_entries(), &r);
	cr_assert_str_eq(v.reason, "`buffer` is a constant (equ 0x5), not a label of the program");
	places[1].status = MEMORY_PLACE_OUTSIDE;
	judge(two_entries(), &r);
	cr_assert_str_eq(v.reason, "memory at buffer (2 bytes) lies outside the guest's 1048576 bytes of RAM");
}

Test(memory_judge, nothing_read_is_no_pass)
{
	struct run_result r = { .outcome = OUTCOME_HLT };
	judge(two_entries(), &r);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert_not(verdict_find(&v, CHECK_MEMORY, 0)->actual_known);
	cr_assert_str_eq(v.reason, "memory at total was not read: the program did not run");
	/* places read, but the machine kept fewer bytes (a host fault) */
	r = read_run("\xba", 1);
	judge(two_entries(), &r);
	cr_assert_eq(v.status, VERDICT_FAIL);
}

/* A screen whose every cell is ' ' in attribute 0x07, but row 2 columns 3..5 in 0x4e. */
static uint8_t screen[2 * CASE_SCREEN_ROWS * CASE_SCREEN_COLUMNS];

static struct run_result screen_run(void)
{
	for (size_t i = 0; i < sizeof(screen); i += 2) {
		screen[i] = ' ';
		screen[i + 1] = 0x07;
	}
	for (int col = 3; col <= 5; col++)
		screen[2 * (2 * CASE_SCREEN_COLUMNS + col) + 1] = 0x4e;
	return (struct run_result){ .outcome = OUTCOME_HLT,
				    .screen = { .data = screen, .len = sizeof(screen) } };
}

Test(memory_judge, screen_attributes_pass_and_name_the_first_differing_cell)
{
	struct run_result r = screen_run();
	judge(load_ok("source: hlt\nexpect:\n  screen_attributes: [{row: 2, columns: [3, 5], attribute: 0x4e},\n"
		      "    {row: 0, column: 0, attribute: 7}]\n"), &r);
	cr_assert_eq(v.status, VERDICT_PASS, "%s", v.reason);
	cr_assert_str_eq(verdict_find(&v, CHECK_SCREEN_ATTRIBUTE, 0)->label, "row_2_columns_3-5");
	judge(load_ok("source: hlt\nexpect:\n  screen_attributes: [{row: 2, columns: [2, 9], attribute: 0x4e}]\n"), &r);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert_str_eq(v.reason, "screen attribute at row 2, column 2 is 0x07, expected 0x4e");
	cr_assert_str_eq((const char *)verdict_find(&v, CHECK_SCREEN_ATTRIBUTE, 0)->actual.data, "0x07 at column 2");
	judge(load_ok("source: hlt\nexpect:\n  screen_attributes: [{row: 2, columns: [3, 9], attribute: 0x4e}]\n"), &r);
	cr_assert_str_eq(v.reason, "screen attribute at row 2, column 6 is 0x07, expected 0x4e");
	struct run_result blank = { .outcome = OUTCOME_HLT };
	judge(load_ok("source: hlt\nexpect:\n  screen_attributes: [{row: 0, column: 0, attribute: 7}]\n"), &blank);
	cr_assert_eq(v.status, VERDICT_FAIL);
	cr_assert_str_eq(v.reason, "screen attributes unknown: no screen was kept");
}
