/* Unit tests for stop.c: the final cs:ip of a run, through nasm's listing,
 * to the file and line a student opens, or to words when the run had left
 * the program. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "run/stop.h"

/* main source: line 2 `mov dx`, 3 `out`, 4 `hlt`, then an included file. */
static const char listing[] =
	"     1                                  bits 16\n"
	"     2 00000000 BAF803                    mov dx, 0x3f8\n"
	"     3 00000003 EE                        out dx, al\n"
	"     4 00000004 F4                        hlt\n"
	"     5                                  %include \"lib/put.inc\"\n"
	"     1 00000005 EE                  <1> put: out dx, al\n"
	"     2 00000006 C3                  <1>  ret\n"
	"     6 00000007 4869                    msg: db \"Hi\"\n";

struct stop_row {
	const char *what;
	bool inline_source;
	uint32_t load_address;
	uint16_t cs;
	uint64_t ip;
	enum outcome outcome;
	const char *backend;
	const char *message;
	enum case_firmware firmware;
	enum stop_place place;
	const char *stopped_at;  /* NULL: none */
};

static const struct stop_row rows[] = {
	{ "inline source maps to the case file's lines", true, 0, 0, 3, OUTCOME_TIMEOUT, "kvm", NULL,
	  CASE_FIRMWARE_NONE, STOP_IN_CODE, "cases/x.yaml:13 `out dx, al`" },
	{ "after hlt, the hlt itself", false, 0, 0, 5, OUTCOME_HLT, "kvm", NULL, CASE_FIRMWARE_NONE, STOP_IN_CODE,
	  "guests/p.asm:4 `hlt`" },
	{ "an included file in the guest's folder", false, 0, 0, 6, OUTCOME_ERROR, "kvm", NULL, CASE_FIRMWARE_NONE,
	  STOP_IN_CODE, "guests/lib/put.inc:2 `ret`" },
	{ "data says so", false, 0, 0, 8, OUTCOME_SHUTDOWN, "kvm", NULL, CASE_FIRMWARE_NONE, STOP_IN_DATA,
	  "guests/p.asm:6 `msg: db \"Hi\"`, in data" },
	{ "a load address and cs:ip", false, 0x7c00, 0x07c0, 3, OUTCOME_TIMEOUT, "kvm", NULL, CASE_FIRMWARE_NONE,
	  STOP_IN_CODE, "guests/p.asm:3 `out dx, al`" },
	{ "past the end", false, 0, 0, 0x2f, OUTCOME_ERROR, "kvm", NULL, CASE_FIRMWARE_NONE, STOP_PAST_END,
	  "offset 0x2f, past the end of the program (0x9 bytes)" },
	{ "below the program", false, 0x7c00, 0, 0x100, OUTCOME_ERROR, "kvm", NULL, CASE_FIRMWARE_NONE, STOP_OUTSIDE,
	  "linear address 0x100, outside the program" },
	{ "inside the firmware: nothing to name", false, 0x7c00, 0xf000, 0x10, OUTCOME_ERROR, "kvm", NULL,
	  CASE_FIRMWARE_BIOS, STOP_UNKNOWN, NULL },
	/* Real mode without firmware: emu's limit hook keeps ip exact. */
	{ "emu's unmapped access in real mode names the instruction", false, 0, 0, 0, OUTCOME_ERROR, "emu",
	  "unmapped memory read at 0x00100000", CASE_FIRMWARE_NONE, STOP_IN_CODE, "guests/p.asm:2 `mov dx, 0x3f8`" },
	{ "emu's unmapped access under firmware names the block's start", false, 0, 0, 0, OUTCOME_ERROR, "emu",
	  "unmapped memory read at 0x00100000", CASE_FIRMWARE_BIOS, STOP_IN_CODE,
	  "guests/p.asm:2 `mov dx, 0x3f8` or a few instructions after it (emu names only where the block of "
	  "instructions began; --backend kvm names the instruction)" },
};

/* The program the listing above assembled: mov dx, 0x3f8 / out dx, al /
 * hlt / put: out dx, al / ret / db 'Hi'. */
static const uint8_t program[9] = { 0xba, 0xf8, 0x03, 0xee, 0xf4, 0xee, 0xc3, 'H', 'i' };

static struct assembly program_assembly(void)
{
	return (struct assembly){ .ok = true, .image = { .data = (uint8_t *)program, .len = sizeof(program) },
				  .listing = { .data = (uint8_t *)listing, .len = strlen(listing) } };
}

/* A flat case with nothing set but the default memory size. */
static struct test_case blank_case(void)
{
	struct test_case c;
	memset(&c, 0, sizeof(c));
	c.memory_size = CASE_DEFAULT_MEMORY;
	return c;
}

static void stop_check(const struct stop_row *row)
{
	struct test_case c = blank_case();
	c.load_address = row->load_address;
	c.firmware = row->firmware;
	struct asm_source src = { .path = row->inline_source ? NULL : "guests/p.asm",
				  .text = row->inline_source ? "..." : NULL, .text_origin = "cases/x.yaml",
				  .text_first_line = 11, .include_dir = "guests" };
	struct assembly a = program_assembly();
	struct run_result r = { .outcome = row->outcome, .regs_valid = true, .backend = row->backend,
				.message = (char *)row->message };
	cpu_state_reset(&r.regs);
	cpu_state_set_real_segment(&r.regs, SEG_CS, row->cs);
	r.regs.rip = row->ip;
	stop_locate(&c, &src, &a, &r);
	cr_expect_eq(r.stop.place, row->place, "%s: place %d", row->what, r.stop.place);
	cr_expect(r.stop.program_known && r.stop.program_has_hlt, "%s", row->what);
	if (row->stopped_at)
		cr_expect_str_eq(r.stopped_at ? r.stopped_at : "(none)", row->stopped_at, "%s", row->what);
	else
		cr_expect_null(r.stopped_at, "%s: %s", row->what, r.stopped_at);
	cr_expect_eq(r.stop_listing != NULL, row->place >= STOP_IN_CODE && row->place <= STOP_IN_RESERVED, "%s",
		     row->what);
	free(r.stopped_at);
	free(r.stop_listing);
}

/* The last instructions kept before a fault, named as stopped_at names a
 * place; an address outside the program said so. */
Test(stop, the_last_instructions_are_named)
{
	struct test_case c = blank_case();
	struct asm_source src = { .path = "guests/p.asm", .include_dir = "guests" };
	struct assembly a = program_assembly();
	struct run_result r = { .outcome = OUTCOME_ERROR, .backend = "emu", .last_count = 4,
				.last_linear = { 0, 3, 5, 0x200 } };
	stop_locate(&c, &src, &a, &r);
	cr_assert_str_eq(r.last_instructions ? r.last_instructions : "(none)",
			 "guests/p.asm:2 `mov dx, 0x3f8`\n"
			 "guests/p.asm:3 `out dx, al`\n"
			 "guests/lib/put.inc:1 `put: out dx, al`\n"
			 "linear address 0x200, outside the program\n");
	run_result_free(&r);
}

/* The lines around the stop, its own marked, named as stopped_at names them. */
Test(stop, the_listing_around_the_stop)
{
	struct test_case c = blank_case();
	struct asm_source src = { .path = "guests/p.asm", .include_dir = "guests" };
	struct assembly a = program_assembly();
	struct run_result r = { .outcome = OUTCOME_HLT, .regs_valid = true, .backend = "kvm" };
	cpu_state_reset(&r.regs);
	cpu_state_set_real_segment(&r.regs, SEG_CS, 0);
	r.regs.rip = 5; /* after the hlt at 4 */
	stop_locate(&c, &src, &a, &r);
	cr_assert_str_eq(r.stop_listing ? r.stop_listing : "(none)",
			 "  guests/p.asm:2  mov dx, 0x3f8\n"
			 "  guests/p.asm:3  out dx, al\n"
			 "> guests/p.asm:4  hlt\n"
			 "  guests/lib/put.inc:1  put: out dx, al\n"
			 "  guests/lib/put.inc:2  ret\n");
	run_result_free(&r);
}

Test(stop, each_place_is_named)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++)
		stop_check(&rows[i]);
}

Test(stop, no_registers_no_place)
{
	struct test_case c;
	memset(&c, 0, sizeof(c));
	struct asm_source src = { .path = "p.asm" };
	struct assembly a = { .ok = true, .listing = { .data = (uint8_t *)listing, .len = strlen(listing) } };
	struct run_result r = { .outcome = OUTCOME_ERROR };
	stop_locate(&c, &src, &a, &r);
	cr_expect_eq(r.stop.place, STOP_UNKNOWN);
	cr_expect_null(r.stopped_at);
}
