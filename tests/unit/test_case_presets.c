/* Unit tests for the case keys of the firmware: presets, firmware, drive,
 * args, expect.exit_code, expect.console and expect.screen, the initial
 * state each preset gives, and the checks the judge makes of them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case/case.h"
#include "judge/verdict.h"
#include "testutil.h"

static struct case_list list;

static void presets_fini(void)
{
	case_list_free(&list);
}

TestSuite(case_presets, .fini = presets_fini);

static const struct test_case *load(const char *text)
{
	return tu_case_load_one(&list, "t.yaml", text);
}

static const struct test_case *load_ok(const char *text)
{
	return tu_case_load_ok(&list, "t.yaml", text);
}

static uint32_t reg(const struct cpu_state *s, const char *name)
{
	struct reg_ref ref;
	cr_assert(reg_lookup(name, &ref), "%s", name);
	return reg_get(s, ref);
}

Test(case_presets, com_loads_at_1000_0100_under_dos_and_expects_exit)
{
	const struct test_case *c = load_ok("source: nop\npreset: com\nargs: \"a b\"\n");
	cr_assert_eq(c->preset, CASE_PRESET_COM);
	cr_assert_eq(c->firmware, CASE_FIRMWARE_DOS);
	cr_assert_eq(c->load_address, 0x10100);
	cr_assert_eq(c->expect_exit, OUTCOME_EXIT);
	cr_assert_str_eq(c->args, "a b");
	struct cpu_state s;
	case_initial_state(c, &s);
	static const char *const segs[] = { "cs", "ds", "es", "ss" };
	for (size_t i = 0; i < 4; i++)
		cr_assert_eq(reg(&s, segs[i]), 0x1000, "%s", segs[i]);
	cr_assert_eq(reg(&s, "ip"), 0x100);
	cr_assert_eq(reg(&s, "sp"), 0xfffe);
	cr_assert_eq(reg(&s, "flags"), 0x202);
}

Test(case_presets, boot_loads_at_7c00_under_the_bios_with_the_drive_in_dl)
{
	const struct test_case *c = load_ok("source: nop\npreset: boot\n");
	cr_assert_eq(c->firmware, CASE_FIRMWARE_BIOS);
	cr_assert_eq(c->load_address, 0x7c00);
	cr_assert_eq(c->expect_exit, OUTCOME_HLT);
	struct cpu_state s;
	case_initial_state(c, &s);
	cr_assert_eq(reg(&s, "cs"), 0);
	cr_assert_eq(reg(&s, "ip"), 0x7c00);
	cr_assert_eq(reg(&s, "sp"), 0x7c00);
	cr_assert_eq(reg(&s, "dl"), 0x80);
	c = load_ok("source: nop\npreset: boot\ndrive: floppy\nregisters: {sp: 0x600}\n");
	case_initial_state(c, &s);
	cr_assert_eq(reg(&s, "dl"), 0x00);
	cr_assert_eq(reg(&s, "sp"), 0x600, "registers: overrides the preset");
}

Test(case_presets, flat_stays_as_it_was_and_may_ask_for_firmware)
{
	const struct test_case *c = load_ok("source: nop\n");
	cr_assert_eq(c->preset, CASE_PRESET_FLAT);
	cr_assert_eq(c->firmware, CASE_FIRMWARE_NONE);
	c = load_ok("source: nop\npreset: flat\nfirmware: bios\nload_address: 0x500\n");
	cr_assert_eq(c->firmware, CASE_FIRMWARE_BIOS);
	c = load_ok("source: nop\npreset: com\nfirmware: none\n");
	cr_assert_eq(c->firmware, CASE_FIRMWARE_NONE);
}

Test(case_presets, the_firmware_expectations)
{
	const struct test_case *c = load_ok("source: nop\npreset: com\n"
					    "expect:\n  exit_code: 42\n  console: \"hi\\r\\n\"\n"
					    "  screen: |\n    first   \n\n    third\n");
	cr_assert(c->expect_exit_code_set);
	cr_assert_eq(c->expect_exit_code, 42);
	cr_assert(c->expect_console_set);
	cr_assert_eq(c->expect_console.len, 4);
	cr_assert(c->expect_screen.set);
	cr_assert(c->expect_screen.whole);
	cr_assert_str_eq(c->expect_screen.rows[0], "first", "trailing blanks go");
	cr_assert_str_eq(c->expect_screen.rows[1], "");
	cr_assert_str_eq(c->expect_screen.rows[2], "third");
	cr_assert_null(c->expect_screen.rows[3]);
	c = load_ok("source: nop\nexpect:\n  screen: {2: \"  HI\", 24: last}\n");
	cr_assert(!c->expect_screen.whole);
	cr_assert_null(c->expect_screen.rows[0]);
	cr_assert_str_eq(c->expect_screen.rows[2], "  HI");
	cr_assert_str_eq(c->expect_screen.rows[24], "last");
	c = load_ok("source: nop\nexpect: {exit: exit, exit_code: 0x10}\n");
	cr_assert_eq(c->expect_exit_code, 16);
}

struct rejection {
	const char *text;
	const char *error;
};

static const struct rejection rejections[] = {
	{ "source: nop\npreset: exe\n", "t.yaml:2:9: unknown preset 'exe' (flat, boot, com)" },
	{ "source: nop\nfirmware: uefi\n", "t.yaml:2:11: unknown firmware 'uefi' (none, bios, dos)" },
	{ "source: nop\npreset: boot\ndrive: tape\n", "t.yaml:3:8: unknown drive 'tape' (hard, floppy)" },
	{ "source: nop\npreset: com\nload_address: 0x100\n",
	  "t.yaml:3:15: 'load_address' is the preset's to set: com programs load at 1000:0100" },
	{ "source: nop\ndrive: floppy\n", "t.yaml:2:8: 'drive' is the boot drive of preset boot" },
	{ "source: nop\nargs: x\n", "t.yaml:2:7: 'args' is the command tail of preset com" },
	{ "source: nop\nfirmware: bios\n",
	  "t.yaml:1:1: 'load_address' 0x0 is inside the firmware's vector table and data area (0-0x4ff)" },
	{ "source: nop\npreset: com\nmemory: 0x10000\n", "t.yaml:3:9: the firmware needs 'memory' of at least 0x100000" },
	{ "source: nop\nexpect: {exit_code: 1}\n",
	  "t.yaml:2:21: 'exit_code' is checked only when the case expects exit: exit, not hlt" },
	{ "source: nop\nexpect: {screen: {25: x}}\n", "t.yaml:2:19: 'screen' is 25, more than its maximum 24" },
	{ "source: nop\nexpect: {screen: [x]}\n", "t.yaml:2:18: 'screen' must be a scalar, not a list" },
	{ "source: nop\nexpect:\n  screen: \"" "\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\nx\"\n",
	  "t.yaml:3:11: 'screen' has more than 25 rows" },
};

/* ---- the firmware's clock: date and time ------------------------------------- */

Test(case_presets, date_and_time_set_the_clock_and_default_to_2000_01_01_midnight)
{
	const struct test_case *c = load_ok("source: nop\npreset: com\ndate: 2024-02-29\ntime: 13:45:30\n");
	cr_assert_eq(c->date_year, 2024);
	cr_assert_eq(c->date_month, 2);
	cr_assert_eq(c->date_day, 29);
	cr_assert_eq(c->time_seconds, 13 * 3600 + 45 * 60 + 30);
	c = load_ok("source: nop\npreset: boot\ntime: \"23:59\"\n");
	cr_assert_eq(c->time_seconds, 23 * 3600 + 59 * 60);
	c = load_ok("source: nop\nfirmware: dos\nload_address: 0x500\ndate: \"1980-01-01\"\n");
	cr_assert_eq(c->date_year, 1980);
	c = load_ok("source: nop\npreset: com\n");
	cr_assert_eq(c->date_year, 0, "no date: the firmware's default");
	cr_assert_eq(c->time_seconds, 0);
}

static const struct {
	const char *text;
	const char *error;
} clock_rejections[] = {
	{ "source: nop\ndate: 2024-03-15\n",
	  "t.yaml:2:7: 'date' is what int 21h AH=2Ah returns: it needs `firmware: dos` or `preset: com`" },
	{ "source: nop\npreset: boot\ndate: 2024-03-15\n",
	  "t.yaml:3:7: 'date' is what int 21h AH=2Ah returns: it needs `firmware: dos` or `preset: com`" },
	{ "source: nop\ntime: \"12:00\"\n",
	  "t.yaml:2:7: 'time' sets the firmware's clock: it needs `firmware: bios`/`dos` or a preset" },
	{ "source: nop\npreset: com\ndate: 2023-02-29\n",
	  "t.yaml:3:7: 'date' 2023-02-29 names no day: February 2023 has 28 days" },
	{ "source: nop\npreset: com\ndate: 2024-04-31\n",
	  "t.yaml:3:7: 'date' 2024-04-31 names no day: April 2024 has 30 days" },
	{ "source: nop\npreset: com\ndate: 2024-13-01\n", "t.yaml:3:7: 'date' 2024-13-01 has no month 13" },
	{ "source: nop\npreset: com\ndate: 1979-12-31\n",
	  "t.yaml:3:7: 'date' 1979-12-31 is outside DOS's years 1980-2099" },
	{ "source: nop\npreset: com\ndate: 15.03.2024\n", "t.yaml:3:7: 'date' must be YYYY-MM-DD, not '15.03.2024'" },
	{ "source: nop\npreset: com\ndate: 2024-3-15\n", "t.yaml:3:7: 'date' must be YYYY-MM-DD, not '2024-3-15'" },
	{ "source: nop\npreset: com\ndate: 2024\n", "t.yaml:3:7: 'date' must be YYYY-MM-DD, not '2024'" },
	{ "source: nop\npreset: com\ndate: \"\"\n", "t.yaml:3:7: 'date' must be YYYY-MM-DD, not ''" },
	{ "source: nop\npreset: com\ndate: 2024-03-1x\n", "t.yaml:3:7: 'date' must be YYYY-MM-DD, not '2024-03-1x'" },
	{ "source: nop\npreset: com\ndate: [2024]\n", "t.yaml:3:7: 'date' must be a scalar, not a list" },
	{ "source: nop\npreset: com\ntime: \"24:00:00\"\n",
	  "t.yaml:3:7: 'time' 24:00:00 is not a time of day (00:00:00 to 23:59:59)" },
	{ "source: nop\npreset: com\ntime: \"12:60\"\n",
	  "t.yaml:3:7: 'time' 12:60 is not a time of day (00:00:00 to 23:59:59)" },
	{ "source: nop\npreset: com\ntime: 1pm\n",
	  "t.yaml:3:7: 'time' must be HH:MM:SS or HH:MM (quoted, as \"13:45:30\"), not '1pm'" },
	{ "source: nop\npreset: com\ntime: \"1:45:30\"\n",
	  "t.yaml:3:7: 'time' must be HH:MM:SS or HH:MM (quoted, as \"13:45:30\"), not '1:45:30'" },
};

Test(case_presets, a_bad_date_or_time_is_a_case_error_naming_its_place)
{
	for (size_t i = 0; i < sizeof(clock_rejections) / sizeof(clock_rejections[0]); i++) {
		const struct test_case *c = load(clock_rejections[i].text);
		cr_assert_not_null(c->error, "accepted: %s", clock_rejections[i].text);
		cr_assert_str_eq(c->error, clock_rejections[i].error);
	}
}

Test(case_presets, bad_keys_are_refused_with_their_place)
{
	for (size_t i = 0; i < sizeof(rejections) / sizeof(rejections[0]); i++) {
		const struct test_case *c = load(rejections[i].text);
		cr_assert_not_null(c->error, "accepted: %s", rejections[i].text);
		cr_assert_str_eq(c->error, rejections[i].error);
	}
	char text[300];
	snprintf(text, sizeof(text), "source: nop\nexpect: {screen: {0: \"%081d\"}}\n", 0);
	const struct test_case *c = load(text);
	cr_assert_str_eq(c->error, "t.yaml:2:22: 'screen' row 0 is 81 characters long; the screen has 80 columns");
}

/* ---- the checks ------------------------------------------------------------ */

static void screen_put(struct bytes *screen, int row, int col, const char *text)
{
	for (size_t i = 0; text[i]; i++)
		screen->data[2 * (row * 80 + col + (int)i)] = (uint8_t)text[i];
}

static struct bytes blank_screen(void)
{
	struct bytes screen = {0};
	for (int i = 0; i < 80 * 25; i++) {
		bytes_push(&screen, ' ');
		bytes_push(&screen, 0x07);
	}
	return screen;
}

struct check_case {
	const char *expect;
	enum outcome outcome;
	uint32_t exit_code;
	const char *console;
	enum verdict_status status;
	const char *reason;
};

static const struct check_case checks[] = {
	{ "{exit_code: 3}", OUTCOME_EXIT, 3, "", VERDICT_PASS, "" },
	{ "{exit_code: 3}", OUTCOME_EXIT, 4, "", VERDICT_FAIL, "exit code 4, expected 3" },
	{ "{console: \"hi\"}", OUTCOME_EXIT, 0, "hi", VERDICT_PASS, "" },
	{ "{console: \"hi\"}", OUTCOME_EXIT, 0, "ho", VERDICT_FAIL, "console output differs at byte 1" },
	{ "{console: \"hi\"}", OUTCOME_EXIT, 0, "hi!", VERDICT_FAIL, "console output differs at byte 2" },
	{ "{screen: {1: \"  HI\"}}", OUTCOME_EXIT, 0, "", VERDICT_PASS, "" },
	{ "{screen: {1: \"HI\"}}", OUTCOME_EXIT, 0, "", VERDICT_FAIL, "screen row 1 differs" },
	{ "{screen: \"\\n  HI\"}", OUTCOME_EXIT, 0, "", VERDICT_FAIL, "screen row 3 differs" },
	{ "{screen: \"\\n  HI\\n\\n  low\"}", OUTCOME_EXIT, 0, "", VERDICT_PASS, "" },
	{ "{exit_code: 0}", OUTCOME_HLT, 0, "", VERDICT_FAIL, "outcome hlt, expected exit" },
};

Test(case_presets, exit_code_console_and_screen_are_judged)
{
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		char text[200];
		snprintf(text, sizeof(text), "source: nop\npreset: com\nexpect: %s\n", checks[i].expect);
		const struct test_case *c = load_ok(text);
		struct run_result r = { .outcome = checks[i].outcome, .exit_code = checks[i].exit_code };
		bytes_append(&r.console, checks[i].console, strlen(checks[i].console));
		r.screen = blank_screen();
		screen_put(&r.screen, 1, 2, "HI");
		screen_put(&r.screen, 3, 2, "low");
		struct verdict v;
		cr_assert_eq(verdict_judge(c, &r, &v), 0);
		cr_assert_eq(v.status, checks[i].status, "case %zu: %s", i, v.reason);
		cr_assert_str_eq(v.reason, checks[i].reason, "case %zu", i);
		verdict_free(&v);
		run_result_free(&r);
	}
}

Test(case_presets, a_screen_row_reads_nul_as_blank_and_cuts_trailing_blanks)
{
	struct bytes screen = blank_screen();
	screen_put(&screen, 0, 0, "a");
	screen.data[2] = 0;
	screen_put(&screen, 0, 2, "b");
	char line[81];
	verdict_screen_row(&screen, 0, line);
	cr_assert_str_eq(line, "a b");
	verdict_screen_row(&screen, 24, line);
	cr_assert_str_eq(line, "");
	struct bytes none = {0};
	verdict_screen_row(&none, 3, line);
	cr_assert_str_eq(line, "", "no screen reads as blank");
	bytes_free(&screen);
}
