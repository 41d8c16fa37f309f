/* case: one test case as read from a YAML case file, validated, with every
 * default filled in. A case that could not be read keeps `error` set
 * ("file:line:column: cause") and is reported as a failing test point. */
#ifndef KVMCHECK_CASE_H
#define KVMCHECK_CASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "core/bytes.h"
#include "core/defaults.h"
#include "core/outcome.h"
#include "x86/mode.h"
#include "x86/regs.h"

#define CASE_MAX_REGS 64

/* How the binary is loaded and started (README "Presets"). */
enum case_preset {
	CASE_PRESET_FLAT, /* at load_address, all registers 0: no firmware unless asked for */
	CASE_PRESET_BOOT, /* a disk image whose first sector boots at 0000:7C00 under the BIOS */
	CASE_PRESET_COM,  /* a DOS .COM program at CASE_COM_SEGMENT:0100 with its PSP */
};

/* The firmware in the VM (machine/firmware/). */
enum case_firmware {
	CASE_FIRMWARE_NONE,
	CASE_FIRMWARE_BIOS,
	CASE_FIRMWARE_DOS,
};

#define CASE_COM_SEGMENT 0x1000
#define CASE_BOOT_ADDRESS 0x7c00
#define CASE_SCREEN_ROWS 25
#define CASE_SCREEN_COLUMNS 80

/* expect.screen: the text of some rows, or of the whole screen (then the
 * rows not given must be blank). Trailing blanks never count. */
struct screen_expect {
	bool set;
	bool whole;
	char *rows[CASE_SCREEN_ROWS]; /* NULL: that row is not checked (unless whole) */
};

/* One entry of expect.memory: bytes the guest's RAM must hold at the end
 * of the run, at a physical address or at a label of the program (found in
 * nasm's map of that assembly once it is made: run/memory_places.h). */
struct memory_expect {
	char *where;          /* the key as the case wrote it: "total", "0x7c10", "b800:0000", "buffer+2" */
	char *label;          /* the program's label, or NULL: address is physical */
	uint64_t address;     /* label NULL: the physical address; else bytes past the label */
	struct bytes bytes;   /* the expected bytes (a typed value little-endian) */
	unsigned width;       /* a typed value's bytes (1, 2, 4, 8), 0: bytes or a string */
	bool text;            /* written as a string: reports show it as one */
	char *typed;          /* a typed value as written, "word 5050"; NULL when not typed */
};

#define CASE_MAX_MEMORY_EXPECTS 64
#define CASE_MAX_MEMORY_EXPECT_BYTES 4096

/* One entry of expect.screen_attributes: the attribute byte every cell of
 * columns first..last of a row must have. */
struct screen_attribute_expect {
	uint8_t row;
	uint8_t first_column;
	uint8_t last_column;
	uint8_t attribute;
};

struct reg_list {
	struct reg_value items[CASE_MAX_REGS];
	size_t count;
};

/* `expect.compare:` how the serial output is compared: each set option
 * normalises expected and actual alike before they are compared. */
struct output_compare {
	bool newlines_any;        /* CRLF and CR read as LF */
	bool trailing_space_ignore; /* spaces and tabs before a line end or the end are dropped */
	bool case_ignore;         /* ASCII letters compare without case */
};

/* One part of a case's points (`points: {serial: 2}`): the points a group of
 * checks earns when every check of that group passed. The group's name is
 * checked against judge/grade.c's table once the case is loaded; line and
 * column point at the key for that error. */
struct case_points_part {
	char *group;
	double points;
	int line;
	int column;
};

struct test_case {
	char *file;           /* the case file, as named on the command line */
	int index;            /* 0-based position of the document in the file */
	int line;             /* line where the document starts, 1-based */
	char *name;

	char *guest_path;     /* `guest:` resolved against the case file's folder */
	char *source;         /* `source:` inline nasm, when guest_path is NULL */
	int source_line;      /* line of the case file where inline source starts */
	/* `submission:` the student's file, a path inside the submission folder
	 * (--submission). Alone it is the guest; beside `source:` the inline
	 * source is the instructor's harness that %includes it by name. */
	char *submission;
	/* The student's folder this case runs against, when it is not the
	 * run's: set (not owned) where one run grades several students at
	 * once, their cases side by side. NULL: the run's --submission. */
	const char *submission_dir;

	enum x86_mode mode;   /* `mode:` real (default), protected or long */
	struct bytes input;
	struct reg_list initial_regs;
	uint32_t memory_size;
	uint32_t load_address;
	uint64_t max_exits;
	uint32_t timeout_ms;
	uint32_t output_limit;          /* 0: the run's default */
	enum case_preset preset;
	enum case_firmware firmware;
	char *args;                     /* a .COM program's command tail, or NULL */
	uint8_t drive;                  /* the boot drive: 0x80 hard disk, 0x00 with `drive: floppy` */
	/* `date:` and `time:`, the firmware's clock at the start; year 0: the
	 * default 2000-01-01; time 0: midnight */
	uint16_t date_year;
	uint8_t date_month, date_day;
	uint32_t time_seconds;          /* since midnight */

	/* `assembler:` settings; 0 and NULL leave the run's defaults */
	char *asm_read[CASE_MAX_READ_PATHS + 1]; /* more folders nasm may read, NULL-terminated */
	uint32_t asm_timeout_ms;
	uint32_t asm_cpu_seconds;
	uint64_t asm_memory;

	enum outcome expect_exit;
	bool expect_serial_set;
	struct bytes expect_serial;
	struct reg_list expect_regs;
	bool expect_regs_decimal[CASE_MAX_REGS]; /* the case wrote that value in decimal */

	/* Flexible output checks: substrings that must appear, a PCRE2 pattern
	 * the whole output must match, and how output is normalised first. */
	struct bytes *expect_contains;
	size_t expect_contains_count;
	bool expect_matches_set;
	struct bytes expect_matches;
	struct output_compare compare;

	/* FLAGS bits checked by name (`expect.flags: {cf: 1}`): mask and values */
	uint32_t expect_flags_mask;
	uint32_t expect_flags_value;
	bool expect_exit_code_set;
	uint32_t expect_exit_code;
	bool expect_console_set;
	struct bytes expect_console;
	struct screen_expect expect_screen;
	struct screen_attribute_expect *expect_screen_attributes; /* expect.screen_attributes */
	size_t expect_screen_attribute_count;
	struct memory_expect *expect_memory; /* expect.memory, in the order written */
	size_t expect_memory_count;

	/* Grading (README "Grading"): what the case is worth, and who sees it */
	double points;                       /* default 1; 0: ungraded */
	struct case_points_part *point_parts; /* partial credit; points is their sum */
	size_t point_part_count;
	bool hidden;                         /* students see name, pass/fail and points only */
	char *visibility;                    /* visible, hidden, after_due_date, after_published; NULL: default */
	char **tags;
	size_t tag_count;

	/* Metrics (README "Metrics"): at most this many bytes of assembled
	 * binary, at most this many instructions executed until the outcome. */
	uint64_t expect_max_size;
	bool expect_max_size_set;
	uint64_t expect_max_instructions;
	bool expect_max_instructions_set;
	bool leaderboard;               /* `leaderboard: true`: its size and instructions go to Gradescope's leaderboard */

	char *error;          /* set: the case is invalid and does not run */
};

struct case_list {
	struct test_case *items;
	size_t count;
};

/* Appends every case of the YAML file at path to list. A file that cannot be
 * read or parsed still adds one case, carrying the error. Returns 0, 1 when
 * the file could not be read, or -1 when memory runs out. */
int case_file_load(const char *path, struct case_list *list);

/* Same, from text in memory (named `path` in messages and for relative guests). */
int case_text_load(const char *path, const char *text, size_t len, struct case_list *list);

/* What a case file may reach beyond its own folder. Every path in a case
 * (`guest`, `assembler.read`) must resolve, through any `..` and symlinks,
 * inside the case file's folder or one of allow_read; else it is an error
 * naming the key. */
struct case_load_options {
	const char *const *allow_read; /* NULL-terminated folders, or NULL */
};

/* case_file_load and case_text_load with options; NULL: the defaults. */
int case_file_load_with(const char *path, const struct case_load_options *opt, struct case_list *list);
int case_text_load_with(const char *path, const char *text, size_t len, const struct case_load_options *opt,
			struct case_list *list);

/* The initial CPU state the case asks for: the defaults plus `registers:`. */
void case_initial_state(const struct test_case *c, struct cpu_state *state);

void case_list_free(struct case_list *list);

#endif
