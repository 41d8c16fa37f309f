/* Unit tests for the BIOS/DOS firmware (machine/firmware/) and the exit
 * port: each service called as the doorbell calls it, over 1 MiB of RAM,
 * and real guests under the firmware on both backends. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/dev/debug_exit.h"
#include "machine/firmware/firmware.h"
#include "machine/machine.h"
#include "testutil.h"

#define RAM_SIZE (1u << 20)
#define DS 0x2000u

static uint8_t *ram_bytes;
static struct firmware fw;
static struct firmware_config cfg;
static struct bytes console_bytes, input_bytes;
static struct output_sink console;
static struct output_sink serial;
static struct bytes serial_bytes;
static struct pio_bus bus;
static uint8_t disk[3 * 512];
static struct pc_timer timer;

static void attach_with(enum firmware_kind kind, const char *input)
{
	ram_bytes = calloc(1, RAM_SIZE);
	cr_assert_not_null(ram_bytes);
	cfg.kind = kind;
	bytes_append(&input_bytes, input, strlen(input));
	output_sink_init(&console, &console_bytes, 64, "console output");
	output_sink_init(&serial, &serial_bytes, 64, "serial output");
	pio_bus_init(&bus);
	pc_timer_reset(&timer);
	struct device_env env = { .bus = &bus, .input = &input_bytes, .output = &serial,
				  .ram = { .base = ram_bytes, .size = RAM_SIZE }, .console = &console, .firmware = &cfg,
				  .timer = &timer };
	char err[200] = "";
	cr_assert_eq(firmware_device.attach(&fw, &env, err, sizeof(err)), 0, "%s", err);
}

static void setup(void)
{
	cfg = (struct firmware_config){ .drive = 0x80 };
}

static void teardown(void)
{
	free(ram_bytes);
	ram_bytes = NULL;
	bytes_free(&console_bytes);
	bytes_free(&input_bytes);
	bytes_free(&serial_bytes);
}

static struct doorbell_regs regs(uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	return (struct doorbell_regs){ .eax = eax, .ebx = ebx, .ecx = ecx, .edx = edx, .ds = DS, .es = DS,
				       .eflags = 0x202 };
}

/* Calls the service of vector as the doorbell would; *out gets the registers back. */
static int call(uint8_t vector, struct doorbell_regs in, struct doorbell_regs *out, struct dev_stop *stop)
{
	const struct doorbell_service *s = doorbell_lookup(&fw.table, vector);
	cr_assert_not_null(s, "no service for vector %02x", vector);
	struct doorbell_call c = { .service = vector, .in = in, .out = in, .ram = &fw.ram };
	*stop = (struct dev_stop){0};
	int rc = s->fn(s->ctx, &c, stop);
	*out = c.out;
	return rc;
}

static void call_ok(uint8_t vector, struct doorbell_regs in, struct doorbell_regs *out)
{
	struct dev_stop stop;
	cr_assert_eq(call(vector, in, out, &stop), 0, "int %02xh AH=%02xh: %s", vector, (in.eax >> 8) & 0xff,
		     stop.reason);
}

static uint16_t rd16(uint32_t at)
{
	return (uint16_t)(ram_bytes[at] | ram_bytes[at + 1] << 8);
}

static void console_is(const char *want)
{
	cr_assert_eq(console_bytes.len, strlen(want), "console has %zu bytes, want %zu", console_bytes.len,
		     strlen(want));
	cr_assert(console_bytes.len == 0 || memcmp(console_bytes.data, want, console_bytes.len) == 0);
}

/* Row of the screen as text, trailing blanks cut. */
static void screen_row(int row, char *line)
{
	int len = 0;
	for (int col = 0; col < SCREEN_COLUMNS; col++) {
		line[col] = (char)ram_bytes[SCREEN_BASE + 2 * (row * SCREEN_COLUMNS + col)];
		if (line[col] != ' ')
			len = col + 1;
	}
	line[len] = '\0';
}

static void screen_row_is(int row, const char *want)
{
	char line[SCREEN_COLUMNS + 1];
	screen_row(row, line);
	cr_assert_str_eq(line, want, "row %d", row);
}

static void put_string(uint32_t at, const char *s)
{
	memcpy(ram_bytes + at, s, strlen(s));
}

TestSuite(firmware, .init = setup, .fini = teardown);

/* ---- what the firmware sets up ------------------------------------------- */

Test(firmware, vectors_point_at_the_stubs_and_quiet_ones_at_an_iret)
{
	attach_with(FIRMWARE_DOS, "");
	for (unsigned v = 0; v < 256; v++) {
		bool quiet = (v >= 9 && v <= 0x0f) || (v >= 0x70 && v <= 0x77) || v == 0x1b || v == 0x1c || v == 0x23 ||
			     v == 0x24;
		unsigned expected = v == 8 ? FIRMWARE_TIMER_OFFSET : quiet ? FIRMWARE_IRET_OFFSET : v * FIRMWARE_STUB_SIZE;
		cr_assert_eq(rd16(v * 4), expected, "vector %02x", v);
		cr_assert_eq(rd16(v * 4 + 2), FIRMWARE_SEGMENT);
	}
	cr_assert_eq(memcmp(ram_bytes + FIRMWARE_BASE, firmware_image, firmware_image_len), 0);
	cr_assert_eq(ram_bytes[FIRMWARE_BASE + FIRMWARE_IRET_OFFSET], 0xcf, "iret");
	cr_assert_eq(ram_bytes[FIRMWARE_BASE + FIRMWARE_TIMER_OFFSET], 0x9c, "the timer handler's pushf");
	cr_assert(firmware_timer_unhooked(&(struct guest_ram){ .base = ram_bytes, .size = RAM_SIZE }));
	cr_assert(pio_is_firmware(&bus, DOORBELL_PORT));
}

Test(firmware, the_bios_data_area_and_a_blank_screen)
{
	attach_with(FIRMWARE_BIOS, "");
	cr_assert_eq(rd16(BDA_MEMORY_KB), 640);
	cr_assert_eq(rd16(BDA_COLUMNS), 80);
	cr_assert_eq(rd16(BDA_EQUIPMENT), 0x0020);
	cr_assert_eq(ram_bytes[BDA_VIDEO_MODE], 3);
	cr_assert_eq(ram_bytes[BDA_ROWS_MINUS_ONE], 24);
	cr_assert_eq(rd16(BDA_CURSOR), 0);
	for (unsigned i = 0; i < SCREEN_COLUMNS * SCREEN_ROWS; i++)
		cr_assert_eq(rd16(SCREEN_BASE + 2 * i), 0x0720);
}

Test(firmware, a_com_program_gets_its_psp)
{
	cfg.psp_segment = 0x1000;
	cfg.args = "one two";
	attach_with(FIRMWARE_DOS, "");
	cr_assert_eq(rd16(0x10000), 0x20cd, "int 20h at PSP:0000");
	cr_assert_eq(ram_bytes[0x10080], 7);
	cr_assert_eq(memcmp(ram_bytes + 0x10081, "one two\r", 8), 0);
	cr_assert_eq(rd16(0x1fffe), 0);
}

Test(firmware, no_firmware_claims_nothing)
{
	attach_with(FIRMWARE_NONE, "");
	cr_assert_null(pio_device_at(&bus, DOORBELL_PORT));
	cr_assert_eq(rd16(0x10 * 4 + 2), 0);
}

/* ---- services that are not there ------------------------------------------ */

struct missing {
	enum firmware_kind kind;
	uint8_t vector;
	uint8_t ah;
	const char *reason;
};

static const struct missing missing_services[] = {
	{ FIRMWARE_DOS, 0x21, 0x3d, "int 21h AH=3Dh (open file) is not provided" },
	{ FIRMWARE_DOS, 0x21, 0x99, "int 21h AH=99h is not provided" },
	{ FIRMWARE_DOS, 0x10, 0x0c, "int 10h AH=0Ch (write pixel) is not provided" },
	{ FIRMWARE_DOS, 0x13, 0x03, "int 13h AH=03h (write sectors) is not provided" },
	{ FIRMWARE_DOS, 0x15, 0xe8, "int 15h AH=E8h (memory map) is not provided" },
	{ FIRMWARE_DOS, 0x16, 0x05, "int 16h AH=05h (store keystroke) is not provided" },
	{ FIRMWARE_DOS, 0x1a, 0x02, "int 1Ah AH=02h (read RTC time) is not provided" },
	{ FIRMWARE_DOS, 0x05, 0x00, "int 05h (print screen / bound) is not provided" },
	{ FIRMWARE_DOS, 0x00, 0x00, "int 00h (divide error) is not provided" },
	{ FIRMWARE_DOS, 0x60, 0x00, "int 60h is not provided" },
	{ FIRMWARE_BIOS, 0x21, 0x09, "int 21h AH=09h is a DOS service, and the case's firmware is bios "
				     "(DOS needs `firmware: dos` or `preset: com`)" },
	{ FIRMWARE_BIOS, 0x20, 0x00, "int 20h AH=00h is a DOS service, and the case's firmware is bios "
				     "(DOS needs `firmware: dos` or `preset: com`)" },
};

Test(firmware, a_missing_service_ends_the_run_naming_it)
{
	for (size_t i = 0; i < sizeof(missing_services) / sizeof(missing_services[0]); i++) {
		const struct missing *m = &missing_services[i];
		attach_with(m->kind, "");
		struct doorbell_regs out;
		struct dev_stop stop;
		cr_assert_eq(call(m->vector, regs((uint32_t)m->ah << 8, 0, 0, 0), &out, &stop), -1, "case %zu", i);
		cr_assert_eq(stop.outcome, OUTCOME_ERROR);
		cr_assert_str_eq(stop.reason, m->reason);
		teardown();
	}
}

/* ---- DOS ------------------------------------------------------------------- */

struct termination {
	uint8_t vector;
	uint16_t ax;
	uint32_t code;
	const char *reason;
};

static const struct termination terminations[] = {
	{ 0x21, 0x4c2a, 42, "the program ended with int 21h AH=4Ch, code 42" },
	{ 0x21, 0x4c00, 0, "the program ended with int 21h AH=4Ch, code 0" },
	{ 0x21, 0x0000, 0, "the program ended with int 21h AH=00h" },
	{ 0x20, 0x0000, 0, "the program ended with int 20h" },
};

Test(firmware, dos_terminations_end_the_run_with_exit_and_the_code)
{
	attach_with(FIRMWARE_DOS, "");
	for (size_t i = 0; i < sizeof(terminations) / sizeof(terminations[0]); i++) {
		struct doorbell_regs out;
		struct dev_stop stop;
		cr_assert_eq(call(terminations[i].vector, regs(terminations[i].ax, 0, 0, 0), &out, &stop), -1);
		cr_assert_eq(stop.outcome, OUTCOME_EXIT);
		cr_assert_eq(stop.exit_code, terminations[i].code);
		cr_assert_str_eq(stop.reason, terminations[i].reason);
	}
}

Test(firmware, dos_output_goes_to_the_console_and_the_screen)
{
	attach_with(FIRMWARE_DOS, "");
	struct doorbell_regs out;
	put_string(DS * 16 + 0x100, "Hi $there");
	put_string(DS * 16 + 0x200, "abc");
	call_ok(0x21, regs(0x0200, 0, 0, '>'), &out);
	cr_assert_eq(out.eax & 0xff, '>');
	call_ok(0x21, regs(0x0900, 0, 0, 0x100), &out);
	call_ok(0x21, regs(0x0600, 0, 0, '!'), &out);
	call_ok(0x21, regs(0x4000, 1, 3, 0x200), &out);
	cr_assert_eq(out.eax & 0xffff, 3);
	cr_assert_eq(out.eflags & FLAG_CF, 0);
	call_ok(0x21, regs(0x4000, 2, 1, 0x200), &out);
	console_is(">Hi !abca");
	screen_row_is(0, ">Hi !abca");
	cr_assert_eq(ram_bytes[BDA_CURSOR], 9, "the cursor moved on");
}

Test(firmware, dos_write_to_another_handle_fails_with_cf)
{
	attach_with(FIRMWARE_DOS, "");
	struct doorbell_regs out;
	call_ok(0x21, regs(0x4000, 5, 3, 0x200), &out);
	cr_assert_eq(out.eflags & FLAG_CF, FLAG_CF);
	cr_assert_eq(out.eax & 0xffff, 6);
	console_is("");
}

Test(firmware, a_string_without_its_dollar_is_an_error)
{
	attach_with(FIRMWARE_DOS, "");
	memset(ram_bytes + DS * 16, 'x', 0x10000);
	struct doorbell_regs out;
	struct dev_stop stop;
	output_sink_init(&console, &console_bytes, 0x20000, "console output");
	cr_assert_eq(call(0x21, regs(0x0900, 0, 0, 0), &out, &stop), -1);
	cr_assert_str_eq(stop.reason, "int 21h AH=09h: no '$' ends the string at 2000:0000");
}

Test(firmware, console_output_beyond_its_limit_ends_the_run)
{
	attach_with(FIRMWARE_DOS, "");
	output_sink_init(&console, &console_bytes, 2, "console output");
	put_string(DS * 16, "abc$");
	struct doorbell_regs out;
	struct dev_stop stop;
	cr_assert_eq(call(0x21, regs(0x0900, 0, 0, 0), &out, &stop), -1);
	cr_assert_eq(stop.outcome, OUTCOME_OUTPUT_LIMIT);
	console_is("ab");
}

Test(firmware, dos_reads_keys_with_and_without_echo)
{
	attach_with(FIRMWARE_DOS, "ab\ncd");
	struct doorbell_regs out;
	call_ok(0x21, regs(0x0100, 0, 0, 0), &out);
	cr_assert_eq(out.eax & 0xff, 'a');
	call_ok(0x21, regs(0x0800, 0, 0, 0), &out);
	cr_assert_eq(out.eax & 0xff, 'b');
	call_ok(0x21, regs(0x0700, 0, 0, 0), &out);
	cr_assert_eq(out.eax & 0xff, '\r', "LF is typed as Enter");
	call_ok(0x21, regs(0x0b00, 0, 0, 0), &out);
	cr_assert_eq(out.eax & 0xff, 0xff, "a key is waiting");
	call_ok(0x21, regs(0x0c01, 0, 0, 0), &out);
	cr_assert_eq(out.eax & 0xff, 'c');
	call_ok(0x21, regs(0x0600, 0, 0, 0xff), &out);
	cr_assert_eq(out.eax & 0xff, 'd');
	cr_assert_eq(out.eflags & FLAG_ZF, 0);
	call_ok(0x21, regs(0x0600, 0, 0, 0xff), &out);
	cr_assert_eq(out.eflags & FLAG_ZF, FLAG_ZF, "nothing left");
	call_ok(0x21, regs(0x0b00, 0, 0, 0), &out);
	cr_assert_eq(out.eax & 0xff, 0);
	console_is("ac");
}

struct line_case {
	const char *input;
	uint8_t room;
	const char *line;    /* what the buffer holds */
	const char *echo;
};

static const struct line_case lines[] = {
	{ "hello\n", 20, "hello", "hello\r" },
	{ "\n", 20, "", "\r" },
	{ "ab\bc\n", 20, "ac", "ab\b \bc\r" },
	{ "\b\bx\n", 20, "x", "x\r" },
	{ "abcdef\n", 4, "abc", "abc\r" },
};

Test(firmware, dos_buffered_input_echoes_and_edits)
{
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		attach_with(FIRMWARE_DOS, lines[i].input);
		ram_bytes[DS * 16 + 0x80] = lines[i].room;
		struct doorbell_regs out;
		call_ok(0x21, regs(0x0a00, 0, 0, 0x80), &out);
		size_t len = strlen(lines[i].line);
		cr_assert_eq(ram_bytes[DS * 16 + 0x81], len, "case %zu", i);
		cr_assert_eq(memcmp(ram_bytes + DS * 16 + 0x82, lines[i].line, len), 0, "case %zu", i);
		cr_assert_eq(ram_bytes[DS * 16 + 0x82 + len], '\r');
		console_is(lines[i].echo);
		teardown();
	}
}

struct used_up {
	uint8_t vector;
	uint16_t ax;
	const char *reason;
};

static const struct used_up used_up_cases[] = {
	{ 0x16, 0x0000, "int 16h AH=00h waits for a key, and the case's input is used up" },
	{ 0x16, 0x1000, "int 16h AH=10h waits for a key, and the case's input is used up" },
	{ 0x21, 0x0100, "int 21h AH=01h waits for a key, and the case's input is used up" },
	{ 0x21, 0x0700, "int 21h AH=07h waits for a key, and the case's input is used up" },
	{ 0x21, 0x0800, "int 21h AH=08h waits for a key, and the case's input is used up" },
	{ 0x21, 0x0a00, "int 21h AH=0Ah waits for a key, and the case's input is used up" },
};

Test(firmware, input_running_out_ends_the_run_instead_of_hanging)
{
	for (size_t i = 0; i < sizeof(used_up_cases) / sizeof(used_up_cases[0]); i++) {
		attach_with(FIRMWARE_DOS, "x");
		ram_bytes[DS * 16 + 0x80] = 10;
		struct doorbell_regs out;
		struct dev_stop stop;
		/* the one key is typed, then the same call again finds none */
		if (used_up_cases[i].ax != 0x0a00)
			call_ok(used_up_cases[i].vector, regs(used_up_cases[i].ax, 0, 0, 0x80), &out);
		cr_assert_eq(call(used_up_cases[i].vector, regs(used_up_cases[i].ax, 0, 0, 0x80), &out, &stop), -1);
		cr_assert_eq(stop.outcome, OUTCOME_ERROR);
		cr_assert_str_eq(stop.reason, used_up_cases[i].reason);
		teardown();
	}
}

Test(firmware, dos_sets_and_gets_vectors)
{
	attach_with(FIRMWARE_DOS, "");
	struct doorbell_regs out, in = regs(0x2560, 0, 0, 0x1234);
	in.ds = 0x5678;
	call_ok(0x21, in, &out);
	cr_assert_eq(rd16(0x60 * 4), 0x1234);
	cr_assert_eq(rd16(0x60 * 4 + 2), 0x5678);
	call_ok(0x21, regs(0x3510, 0, 0, 0), &out);
	cr_assert_eq(out.ebx & 0xffff, 0x10 * FIRMWARE_STUB_SIZE);
	cr_assert_eq(out.es, FIRMWARE_SEGMENT);
}

Test(firmware, dos_date_time_and_version_are_fixed)
{
	attach_with(FIRMWARE_DOS, "");
	struct doorbell_regs out;
	call_ok(0x21, regs(0x2a00, 0, 0, 0), &out);
	cr_assert_eq(out.ecx & 0xffff, 2000);
	cr_assert_eq(out.edx & 0xffff, 0x0101);
	cr_assert_eq(out.eax & 0xff, 6);
	call_ok(0x21, regs(0x2c00, 0, 0, 0), &out);
	cr_assert_eq(out.ecx & 0xffff, 0);
	cr_assert_eq(out.edx & 0xffff, 0);
	ram_bytes[BDA_TICKS] = 0x12; /* 18 ticks: 0.98 s */
	ram_bytes[BDA_TICKS + 1] = 0x04; /* + 1024 ticks: 57.2 s in all */
	call_ok(0x21, regs(0x2c00, 0, 0, 0), &out);
	cr_assert_eq(out.ecx & 0xffff, 0x0000);
	cr_assert_eq((out.edx >> 8) & 0xff, 57);
	call_ok(0x21, regs(0x3000, 0, 0, 0), &out);
	cr_assert_eq(out.eax & 0xffff, 0x0005);
}

Test(firmware, the_date_and_time_of_the_case_with_the_day_of_the_week)
{
	cfg.year = 2024;
	cfg.month = 3;
	cfg.day = 15;
	cfg.seconds_since_midnight = 13 * 3600 + 45 * 60 + 30;
	attach_with(FIRMWARE_DOS, "");
	struct doorbell_regs out;
	call_ok(0x21, regs(0x2a00, 0, 0, 0), &out);
	cr_assert_eq(out.ecx & 0xffff, 2024);
	cr_assert_eq(out.edx & 0xffff, 0x030f);
	cr_assert_eq(out.eax & 0xff, 5, "a Friday");
	call_ok(0x21, regs(0x2c00, 0, 0, 0), &out);
	cr_assert_eq(out.ecx & 0xffff, 13 << 8 | 45);
	cr_assert_eq((out.edx >> 8) & 0xff, 30);
	/* the BIOS tick count says the same time */
	uint32_t ticks = (uint32_t)rd16(BDA_TICKS) | (uint32_t)rd16(BDA_TICKS + 2) << 16;
	cr_assert_eq(ticks, firmware_ticks_at(cfg.seconds_since_midnight));
	call_ok(0x1a, regs(0, 0, 0, 0), &out);
	cr_assert_eq((out.ecx & 0xffff) << 16 | (out.edx & 0xffff), ticks);
	cr_assert_eq(ticks, 901769, "49530 s at 1193182 / 65536 ticks a second is 901768.6 ticks, rounded up");
}

Test(firmware, every_second_of_the_day_reads_back_through_int_21h_2ch)
{
	attach_with(FIRMWARE_DOS, "");
	struct doorbell_regs out;
	for (uint32_t s = 0; s < 24 * 3600; s++) {
		uint32_t ticks = firmware_ticks_at(s);
		ram_bytes[BDA_TICKS] = (uint8_t)ticks;
		ram_bytes[BDA_TICKS + 1] = (uint8_t)(ticks >> 8);
		ram_bytes[BDA_TICKS + 2] = (uint8_t)(ticks >> 16);
		ram_bytes[BDA_TICKS + 3] = 0;
		call_ok(0x21, regs(0x2c00, 0, 0, 0), &out);
		uint32_t got = ((out.ecx >> 8) & 0xff) * 3600 + (out.ecx & 0xff) * 60 + ((out.edx >> 8) & 0xff);
		cr_assert_eq(got, s, "second %u reads back as %u", s, got);
	}
}

Test(firmware, days_of_the_week)
{
	static const struct {
		uint16_t year;
		uint8_t month, day, weekday;
	} days[] = {
		{ 2000, 1, 1, 6 }, { 1980, 1, 1, 2 }, { 2024, 2, 29, 4 }, { 2099, 12, 31, 4 },
		{ 2024, 3, 15, 5 }, { 1999, 12, 31, 5 },
	};
	for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++)
		cr_assert_eq(firmware_day_of_week(days[i].year, days[i].month, days[i].day), days[i].weekday,
			     "%u-%u-%u", days[i].year, days[i].month, days[i].day);
}

/* ---- BIOS keyboard, system, clock ------------------------------------------------ */

Test(firmware, keyboard_keys_carry_scan_codes)
{
	attach_with(FIRMWARE_BIOS, "aA1 \n\x1b");
	static const uint16_t keys[] = { 0x1e61, 0x1e41, 0x0231, 0x3920, 0x1c0d, 0x011b };
	struct doorbell_regs out;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		call_ok(0x16, regs(0x0100, 0, 0, 0), &out);
		cr_assert_eq(out.eflags & FLAG_ZF, 0);
		cr_assert_eq(out.eax & 0xffff, keys[i], "peek %zu", i);
		call_ok(0x16, regs(i % 2 ? 0x1000 : 0x0000, 0, 0, 0), &out);
		cr_assert_eq(out.eax & 0xffff, keys[i], "key %zu: %04x", i, out.eax & 0xffff);
	}
	call_ok(0x16, regs(0x1100, 0, 0, 0), &out);
	cr_assert_eq(out.eflags & FLAG_ZF, FLAG_ZF);
	call_ok(0x16, regs(0x02ff, 0, 0, 0), &out);
	cr_assert_eq(out.eax & 0xff, 0);
}

Test(firmware, equipment_memory_wait_and_ticks)
{
	attach_with(FIRMWARE_BIOS, "");
	struct doorbell_regs out;
	call_ok(0x11, regs(0, 0, 0, 0), &out);
	cr_assert_eq(out.eax & 0xffff, 0x0020);
	call_ok(0x12, regs(0, 0, 0, 0), &out);
	cr_assert_eq(out.eax & 0xffff, 640);
	call_ok(0x15, regs(0x8600, 0, 0x000f, 0x4240), &out); /* one second */
	cr_assert_eq(out.eflags & FLAG_CF, 0);
	call_ok(0x1a, regs(0, 0, 0, 0), &out);
	cr_assert_eq(out.ecx & 0xffff, 0);
	cr_assert_eq(out.edx & 0xffff, 18);
	call_ok(0x15, regs(0x8600, 0, 0, 54925u / 2 + 1), &out);
	call_ok(0x15, regs(0x8600, 0, 0, 54925u / 2 + 1), &out); /* two halves make a tick */
	call_ok(0x1a, regs(0, 0, 0, 0), &out);
	cr_assert_eq(out.edx & 0xffff, 19);
}

/* ---- BIOS video --------------------------------------------------------------------- */

Test(firmware, teletype_writes_moves_and_scrolls)
{
	attach_with(FIRMWARE_BIOS, "");
	struct doorbell_regs out;
	const char *text = "ab\bc\r\nxy\a";
	for (const char *p = text; *p; p++)
		call_ok(0x10, regs(0x0e00 | (uint8_t)*p, 0, 0, 0), &out);
	screen_row_is(0, "ac");
	screen_row_is(1, "xy");
	cr_assert_eq(rd16(BDA_CURSOR), 0x0102);
	console_is(text);
	for (int i = 0; i < 24; i++)
		call_ok(0x10, regs(0x0e0a, 0, 0, 0), &out);
	screen_row_is(0, "xy");
	screen_row_is(24, "");
	cr_assert_eq(ram_bytes[BDA_CURSOR + 1], 24);
}

Test(firmware, cursor_char_and_attribute_writes)
{
	attach_with(FIRMWARE_BIOS, "");
	struct doorbell_regs out;
	call_ok(0x10, regs(0x0200, 0, 0, 0x0305), &out);
	call_ok(0x10, regs(0x0300, 0, 0, 0), &out);
	cr_assert_eq(out.edx & 0xffff, 0x0305);
	cr_assert_eq(out.ecx & 0xffff, 0x0607);
	call_ok(0x10, regs(0x0941, 0x1e, 3, 0), &out);
	screen_row_is(3, "     AAA");
	cr_assert_eq(ram_bytes[SCREEN_BASE + 2 * (3 * 80 + 7) + 1], 0x1e);
	call_ok(0x10, regs(0x0a42, 0, 1, 0), &out);
	call_ok(0x10, regs(0x0800, 0, 0, 0), &out);
	cr_assert_eq(out.eax & 0xffff, 0x1e42, "B keeps the attribute");
	call_ok(0x10, regs(0x0f00, 0, 0, 0), &out);
	cr_assert_eq(out.eax & 0xffff, 0x5003);
	console_is("");
}

Test(firmware, scrolling_windows_and_set_mode)
{
	attach_with(FIRMWARE_BIOS, "");
	struct doorbell_regs out;
	for (int row = 0; row < 4; row++) {
		call_ok(0x10, regs(0x0200, 0, 0, (uint32_t)row << 8), &out);
		call_ok(0x10, regs(0x0a30 + (uint32_t)row, 0, 2, 0), &out);
	}
	call_ok(0x10, regs(0x0601, 0x0700, 0x0000, 0x0301), &out); /* rows 0-3, columns 0-1, up one */
	screen_row_is(0, "11");
	screen_row_is(2, "33");
	screen_row_is(3, "");
	call_ok(0x10, regs(0x0702, 0x0700, 0x0000, 0x0300), &out); /* down two, column 0 only */
	screen_row_is(0, " 1");
	screen_row_is(1, " 2");
	screen_row_is(2, "13");
	screen_row_is(3, "2");
	call_ok(0x10, regs(0x0003, 0, 0, 0), &out);
	for (int row = 0; row < 4; row++)
		screen_row_is(row, "");
	cr_assert_eq(rd16(BDA_CURSOR), 0);
}

Test(firmware, write_string_with_and_without_attributes)
{
	attach_with(FIRMWARE_BIOS, "");
	put_string(DS * 16 + 0x10, "Hey");
	put_string(DS * 16 + 0x20, "O\x4fK\x2f");
	struct doorbell_regs out, in = regs(0x1301, 0x0007, 3, 0x0102);
	in.ebp = 0x10;
	call_ok(0x10, in, &out);
	screen_row_is(1, "  Hey");
	cr_assert_eq(rd16(BDA_CURSOR), 0x0105, "mode 1 moves the cursor");
	in = regs(0x1302, 0, 2, 0x0400);
	in.ebp = 0x20;
	call_ok(0x10, in, &out);
	screen_row_is(4, "OK");
	cr_assert_eq(ram_bytes[SCREEN_BASE + 2 * 320 + 1], 0x4f);
	cr_assert_eq(ram_bytes[SCREEN_BASE + 2 * 321 + 1], 0x2f);
	cr_assert_eq(rd16(BDA_CURSOR), 0x0105, "mode 2 leaves it");
	console_is("HeyOK");
}

/* ---- BIOS disk --------------------------------------------------------------------- */

static void attach_disk(uint8_t drive)
{
	for (size_t i = 0; i < sizeof(disk); i++)
		disk[i] = (uint8_t)(i / 512 + 1);
	cfg.disk = disk;
	cfg.disk_len = sizeof(disk);
	cfg.drive = drive;
	attach_with(FIRMWARE_BIOS, "");
}

Test(firmware, disk_reads_by_chs_and_past_the_image_reads_zeros)
{
	attach_disk(0x80);
	struct doorbell_regs out;
	call_ok(0x13, regs(0x0203, 0x0300, 0x0002, 0x0080), &out); /* 3 sectors from sector 2 to es:300 */
	cr_assert_eq(out.eflags & FLAG_CF, 0);
	cr_assert_eq(out.eax & 0xffff, 0x0003);
	cr_assert_eq(ram_bytes[DS * 16 + 0x300], 2);
	cr_assert_eq(ram_bytes[DS * 16 + 0x300 + 512], 3);
	cr_assert_eq(ram_bytes[DS * 16 + 0x300 + 1024], 0);
	call_ok(0x13, regs(0x0201, 0x0300, 0x0040, 0x0080), &out); /* sector 0 does not exist */
	cr_assert_eq(out.eflags & FLAG_CF, FLAG_CF);
	cr_assert_eq((out.eax >> 8) & 0xff, 0x04);
	call_ok(0x13, regs(0x0201, 0x0300, 0x0001, 0x0000), &out); /* no floppy */
	cr_assert_eq(out.eflags & FLAG_CF, FLAG_CF);
	call_ok(0x13, regs(0x0000, 0, 0, 0x0080), &out);
	cr_assert_eq(out.eflags & FLAG_CF, 0);
}

Test(firmware, floppy_geometry_and_lba_extensions)
{
	attach_disk(0x00);
	struct doorbell_regs out;
	call_ok(0x13, regs(0x0800, 0, 0, 0x0000), &out);
	cr_assert_eq(out.ecx & 0xffff, 0x4f12, "79 cylinders, 18 sectors");
	cr_assert_eq(out.edx & 0xffff, 0x0101);
	call_ok(0x13, regs(0x0201, 0x0000, 0x0003, 0x0000), &out);
	cr_assert_eq(ram_bytes[DS * 16], 3);
	call_ok(0x13, regs(0x4100, 0x55aa, 0, 0x0000), &out);
	cr_assert_eq(out.eflags & FLAG_CF, FLAG_CF, "no extensions on a floppy");
	teardown();
	attach_disk(0x80);
	call_ok(0x13, regs(0x4100, 0x55aa, 0, 0x0080), &out);
	cr_assert_eq(out.eflags & FLAG_CF, 0);
	cr_assert_eq(out.ebx & 0xffff, 0xaa55);
	/* packet at ds:0x40: 16 bytes, 2 sectors from LBA 1 to 3000:0000 */
	static const uint8_t packet[16] = { 0x10, 0, 2, 0, 0, 0, 0x00, 0x30, 1 };
	memcpy(ram_bytes + DS * 16 + 0x40, packet, sizeof(packet));
	struct doorbell_regs in = regs(0x4200, 0, 0, 0x0080);
	in.esi = 0x40;
	call_ok(0x13, in, &out);
	cr_assert_eq(out.eflags & FLAG_CF, 0);
	cr_assert_eq(ram_bytes[0x30000], 2);
	cr_assert_eq(ram_bytes[0x30000 + 512], 3);
	call_ok(0x13, regs(0x0800, 0, 0, 0x0080), &out);
	cr_assert_eq((out.edx >> 8) & 0xff, 15, "16 heads");
	cr_assert_eq(out.ecx & 0x3f, 63);
}

/* ---- the exit port ------------------------------------------------------------------- */

Test(debug_exit, a_write_to_0xf4_ends_the_run_with_its_code)
{
	pio_bus_init(&bus);
	uint8_t state;
	struct device_env env = { .bus = &bus };
	char err[100];
	cr_assert_eq(debug_exit_device.attach(&state, &env, err, sizeof(err)), 0);
	struct dev_stop stop = {0};
	const uint8_t word[2] = { 0x34, 0x12 };
	cr_assert_eq(pio_write(&bus, 0xf4, word, 2, &stop), -1);
	cr_assert_eq(stop.outcome, OUTCOME_EXIT);
	cr_assert_eq(stop.exit_code, 0x1234);
	cr_assert_str_eq(stop.reason, "the program wrote 4660 to the exit port 0xf4");
	cr_assert_eq(pio_write(&bus, 0xf5, word, 1, &stop), 0, "only 0xf4 starts a code");
	uint8_t in = 0;
	cr_assert_eq(pio_read(&bus, 0xf4, &in, 1, &stop), 0);
	cr_assert_eq(in, 0xff);
}

/* ---- real guests under the firmware, on both backends --------------------------------- */

static uint8_t *assemble(const char *source, size_t *len)
{
	char dir[300], src[400], bin[400], cmd[1000];
	tu_tmpdir_make(dir, sizeof(dir));
	tu_path(src, sizeof(src), dir, "g.asm");
	tu_path(bin, sizeof(bin), dir, "g.bin");
	tu_write_str(dir, "g.asm", source);
	snprintf(cmd, sizeof(cmd), "nasm -f bin -o '%s' '%s'", bin, src);
	cr_assert_eq(system(cmd), 0, "nasm failed");
	FILE *f = fopen(bin, "rb");
	cr_assert_not_null(f);
	uint8_t *bytes = malloc(4096);
	cr_assert_not_null(bytes);
	*len = fread(bytes, 1, 4096, f);
	fclose(f);
	cr_assert(tu_tmpdir_remove(dir));
	return bytes;
}

static const struct backend_ops *backend_named(const char *name)
{
	if (strcmp(name, "emu") == 0)
		return &backend_emu;
	char why[200];
	if (!backend_kvm.available(why, sizeof(why)))
		cr_skip_test("no KVM here: %s", why);
	return &backend_kvm;
}

static const char com_guest[] =
	"org 0x100\n"
	"\tmov ah, 0x0a\n"
	"\tmov dx, buffer\n"
	"\tint 0x21\n"
	"\tmov ah, 0x09\n"
	"\tmov dx, message\n"
	"\tint 0x21\n"
	"\tmov ah, 0x0e\n"
	"\tmov al, [buffer + 2]\n"
	"\tint 0x10\n"
	"\tmov ax, 0x4c05\n"
	"\tint 0x21\n"
	"message db '|ok$'\n"
	"buffer db 8, 0\n"
	"\ttimes 9 db 0\n";

static void run_com(const char *backend, const char *source, const char *input, struct run_result *r)
{
	size_t len;
	uint8_t *image = assemble(source, &len);
	struct bytes in = {0};
	bytes_append(&in, input, strlen(input));
	struct machine_config mc = {
		.image = image, .image_len = len, .load_address = 0x10100, .memory_size = RAM_SIZE, .input = &in,
		.max_exits = 100, .timeout_ms = 5000, .output_limit = 1000, .keep_screen = true,
		.firmware = { .kind = FIRMWARE_DOS, .psp_segment = 0x1000 },
	};
	cpu_state_reset(&mc.initial);
	static const char *const segs[] = { "cs", "ds", "es", "ss" };
	struct reg_ref ref;
	for (size_t i = 0; i < 4; i++) {
		cr_assert(reg_lookup(segs[i], &ref));
		reg_set(&mc.initial, ref, 0x1000);
	}
	cr_assert(reg_lookup("ip", &ref));
	reg_set(&mc.initial, ref, 0x100);
	cr_assert(reg_lookup("sp", &ref));
	reg_set(&mc.initial, ref, 0xfffe);
	*r = (struct run_result){0};
	machine_run(backend_named(backend), &mc, r);
	free(image);
	bytes_free(&in);
}

static void com_runs_on(const char *backend)
{
	struct run_result r;
	run_com(backend, com_guest, "hi\n", &r);
	cr_assert_eq(r.outcome, OUTCOME_EXIT, "%s: %s", outcome_name(r.outcome), r.message ? r.message : "");
	cr_assert_eq(r.exit_code, 5);
	cr_assert_eq(r.exits, 0, "the firmware's exits are not the guest's");
	cr_assert_eq(r.firmware_exits, 4);
	cr_assert_eq(r.console.len, 7);
	cr_assert_eq(memcmp(r.console.data, "hi\r|okh", 7), 0);
	cr_assert_eq(r.screen.len, SCREEN_BYTES);
	cr_assert_eq(memcmp(r.screen.data, "|\007o\007k\007h\007", 8), 0, "the CR took the cursor back");
	run_result_free(&r);
}

Test(firmware_guest, a_com_program_reads_prints_and_exits_on_emu) { com_runs_on("emu"); }
Test(firmware_guest, a_com_program_reads_prints_and_exits_on_kvm) { com_runs_on("kvm"); }

static void missing_service_on(const char *backend)
{
	struct run_result r;
	run_com(backend, "org 0x100\n\tmov ah, 0x3d\n\tint 0x21\n\thlt\n", "", &r);
	cr_assert_eq(r.outcome, OUTCOME_ERROR);
	cr_assert_not_null(strstr(r.message, "int 21h AH=3Dh (open file) is not provided (int 21h called at 1000:0102)"),
			   "%s", r.message);
	run_result_free(&r);
	run_com(backend, "org 0x100\n\tmov ah, 0\n\tint 0x16\n\thlt\n", "", &r);
	cr_assert_eq(r.outcome, OUTCOME_ERROR);
	cr_assert_not_null(strstr(r.message, "int 16h AH=00h waits for a key, and the case's input is used up"));
	run_result_free(&r);
	run_com(backend, "org 0x100\n\tret\n", "", &r);
	cr_assert_eq(r.outcome, OUTCOME_EXIT, "ret goes to the int 20h at PSP:0000");
	run_result_free(&r);
}

Test(firmware_guest, missing_services_and_used_up_input_end_the_run_on_emu) { missing_service_on("emu"); }
Test(firmware_guest, missing_services_and_used_up_input_end_the_run_on_kvm) { missing_service_on("kvm"); }
