/* Unit tests for assembler.c: nasm in a private folder, with messages
 * mapped back to the case file and a deadline. Runs the real nasm, confined
 * where the host allows it (the confinement itself is test_sandbox.c's).
 * Each test points TMPDIR at its own folder to check that nothing is left. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assemble/assembler.h"
#include "testutil.h"

static char dir[256];     /* sources and includes */
static char tmpdir[300];  /* the assembler's TMPDIR: must end up empty */
static struct assembly out;

static void asm_init(void)
{
	tu_tmpdir_make(dir, sizeof(dir));
	tu_path(tmpdir, sizeof(tmpdir), dir, "tmp");
	cr_assert_eq(mkdir(tmpdir, 0700), 0);
	cr_assert_eq(setenv("TMPDIR", tmpdir, 1), 0);
	memset(&out, 0, sizeof(out));
}

static void asm_fini(void)
{
	assembly_free(&out);
	unsetenv("TMPDIR");
	tu_tmpdir_remove(dir);
}

static void assert_image(const uint8_t *want, size_t len)
{
	cr_assert(out.ok, "nasm said: %s", out.messages ? out.messages : "(nothing)");
	cr_assert_eq(out.image.len, len);
	cr_assert_eq(memcmp(out.image.data, want, len), 0);
}

static void assert_work_folder_removed(void)
{
	cr_assert_eq(tu_dir_entries(tmpdir), 0, "the assembler's temporary folder is left behind");
}

static struct asm_source inline_source(const char *text)
{
	return (struct asm_source){
		.text = text,
		.text_origin = "cases/demo.yaml",
		.text_first_line = 10,
		.include_dir = dir,
		.max_output = 1u << 20,
		.timeout_ms = 30000,
		.unsafe = true, /* confined where the host allows; test_sandbox.c tests that */
	};
}

TestSuite(assembler_nasm, .init = asm_init, .fini = asm_fini);

Test(assembler_nasm, inline_text_gives_exact_bytes)
{
	struct asm_source src = inline_source("bits 16\nmov al, 1\nhlt\n");
	char err[200] = "";
	cr_assert_eq(assemble(&src, &out, err, sizeof(err)), 0, "%s", err);
	static const uint8_t want[] = { 0xb0, 0x01, 0xf4 };
	assert_image(want, sizeof(want));
	assert_work_folder_removed();
}

Test(assembler_nasm, inline_text_without_final_newline)
{
	struct asm_source src = inline_source("mov ax, 0x1234\nhlt");
	char err[200] = "";
	cr_assert_eq(assemble(&src, &out, err, sizeof(err)), 0, "%s", err);
	static const uint8_t want[] = { 0xb8, 0x34, 0x12, 0xf4 };
	assert_image(want, sizeof(want));
}

Test(assembler_nasm, source_file_gives_exact_bytes)
{
	tu_write_str(dir, "guest.asm", "bits 16\norg 0x7c00\nstart: jmp start\ndb 'A', 0\n");
	char path[512];
	tu_path(path, sizeof(path), dir, "guest.asm");
	struct asm_source src = { .path = path, .include_dir = dir, .max_output = 4096, .timeout_ms = 30000,
				  .unsafe = true };
	char err[200] = "";
	cr_assert_eq(assemble(&src, &out, err, sizeof(err)), 0, "%s", err);
	static const uint8_t want[] = { 0xeb, 0xfe, 'A', 0x00 };
	assert_image(want, sizeof(want));
	assert_work_folder_removed();
	cr_assert_eq(access(path, F_OK), 0, "the guest's own source is not removed");
}

Test(assembler_nasm, syntax_error_names_case_file_and_line)
{
	struct asm_source src = inline_source("bits 16\nmov al, 1\nthis is not an instruction\nhlt\n");
	char err[200] = "";
	cr_assert_eq(assemble(&src, &out, err, sizeof(err)), 0, "nasm ran: %s", err);
	cr_assert_not(out.ok);
	cr_assert_not_null(out.messages);
	/* Line 3 of the text is line 10 + 3 - 1 of the case file. */
	cr_assert_not_null(strstr(out.messages, "cases/demo.yaml:12: error:"), "messages: %s", out.messages);
	cr_assert_null(strstr(out.messages, "guest.asm"), "the temporary file is not named: %s", out.messages);
	cr_assert_null(strstr(out.messages, tmpdir), "the temporary folder is not named: %s", out.messages);
	cr_assert_not_null(strstr(out.messages, "nasm rejected the source (exit status 1)"), "%s", out.messages);
	assert_work_folder_removed();
}

Test(assembler_nasm, error_on_first_line_maps_to_first_line)
{
	struct asm_source src = inline_source("not an instruction\n");
	src.text_first_line = 1;
	src.text_origin = "x.yaml";
	char err[200] = "";
	cr_assert_eq(assemble(&src, &out, err, sizeof(err)), 0, "%s", err);
	cr_assert_not(out.ok);
	cr_assert_eq(strncmp(out.messages, "x.yaml:1: error:", 16), 0, "messages: %s", out.messages);
}

Test(assembler_nasm, error_in_a_source_file_names_that_file)
{
	tu_write_str(dir, "bad.asm", "hlt\nhlt\nnope nope\n");
	char path[512];
	tu_path(path, sizeof(path), dir, "bad.asm");
	struct asm_source src = { .path = path, .text_origin = "ignored.yaml", .text_first_line = 50,
				  .include_dir = dir, .max_output = 4096, .timeout_ms = 30000, .unsafe = true };
	char err[200] = "";
	cr_assert_eq(assemble(&src, &out, err, sizeof(err)), 0, "%s", err);
	cr_assert_not(out.ok);
	char want[600];
	snprintf(want, sizeof(want), "%s:3: error:", path);
	cr_assert_not_null(strstr(out.messages, want), "messages: %s", out.messages);
	cr_assert_null(strstr(out.messages, "ignored.yaml"));
}

Test(assembler_nasm, include_is_found_in_include_dir)
{
	tu_write_str(dir, "defs.inc", "%define ANSWER 42\n");
	tu_write_str(dir, "blob.bin", "\x01\x02\x03");
	struct asm_source src = inline_source("%include \"defs.inc\"\nmov al, ANSWER\nincbin \"blob.bin\"\n");
	char err[200] = "";
	cr_assert_eq(assemble(&src, &out, err, sizeof(err)), 0, "%s", err);
	static const uint8_t want[] = { 0xb0, 42, 1, 2, 3 };
	assert_image(want, sizeof(want));
}

Test(assembler_nasm, include_missing_from_include_dir_fails)
{
	struct asm_source src = inline_source("%include \"nowhere.inc\"\nhlt\n");
	char err[200] = "";
	cr_assert_eq(assemble(&src, &out, err, sizeof(err)), 0, "%s", err);
	cr_assert_not(out.ok);
	cr_assert_not_null(strstr(out.messages, "cases/demo.yaml:10:"), "messages: %s", out.messages);
}

Test(assembler_nasm, binary_up_to_max_output_is_accepted)
{
	struct asm_source src = inline_source("times 100 db 0x90\n");
	src.max_output = 100;
	char err[200] = "";
	cr_assert_eq(assemble(&src, &out, err, sizeof(err)), 0, "%s", err);
	cr_assert(out.ok, "%s", out.messages ? out.messages : "");
	cr_assert_eq(out.image.len, 100u);
	cr_assert_eq(out.image.data[99], 0x90);
}

Test(assembler_nasm, binary_larger_than_max_output_is_an_error)
{
	struct asm_source src = inline_source("times 100 db 0x90\n");
	src.max_output = 99;
	char err[200] = "";
	cr_assert_eq(assemble(&src, &out, err, sizeof(err)), 0, "%s", err);
	cr_assert_not(out.ok);
	cr_assert_not_null(out.messages);
	cr_assert_not_null(strstr(out.messages, "the binary is 100 bytes, more than the 99 bytes of guest RAM"),
			   "messages: %s", out.messages);
	assert_work_folder_removed();
}

Test(assembler_nasm, empty_source_gives_empty_image)
{
	struct asm_source src = inline_source("; nothing\n");
	char err[200] = "";
	cr_assert_eq(assemble(&src, &out, err, sizeof(err)), 0, "%s", err);
	cr_assert(out.ok, "%s", out.messages ? out.messages : "");
	cr_assert_eq(out.image.len, 0u);
}

/* The criterion timeout turns an assembler that never kills nasm into a
 * failure rather than a hang; it is far above the 300 ms deadline. */
Test(assembler_nasm, source_that_never_finishes_is_killed, .timeout = 60)
{
	/* A trillion preprocessor iterations: nasm spins far beyond the deadline.
	 * A CPU limit of an hour leaves the kill as the only way it ends soon. */
	struct asm_source src = inline_source("%assign i 0\n"
					      "%rep 1000000\n"
					      "%rep 1000000\n"
					      "%assign i i+1\n"
					      "%endrep\n"
					      "%endrep\n"
					      "hlt\n");
	src.timeout_ms = 300;
	src.cpu_seconds = 3600;
	char err[200] = "";
	cr_assert_eq(assemble(&src, &out, err, sizeof(err)), 0, "%s", err);
	cr_assert_not(out.ok);
	cr_assert_not_null(out.messages);
	cr_assert_not_null(strstr(out.messages, "nasm did not finish within 300 ms"), "messages: %s", out.messages);
	cr_assert_eq(out.image.len, 0u);
	assert_work_folder_removed();
}

Test(assembler_nasm, missing_nasm_is_reported)
{
	char *saved = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	cr_assert_eq(setenv("PATH", dir, 1), 0); /* a folder without nasm */
	struct asm_source src = inline_source("hlt\n");
	char err[200] = "";
	int rc = assemble(&src, &out, err, sizeof(err));
	if (saved) {
		setenv("PATH", saved, 1);
		free(saved);
	}
	cr_assert_eq(rc, -1);
	cr_assert_str_eq(err, "cannot run nasm: not found in PATH");
	cr_assert_not(out.ok);
	assert_work_folder_removed();
}

Test(assembler_nasm, unusable_tmpdir_is_reported)
{
	char missing[400];
	tu_path(missing, sizeof(missing), dir, "does-not-exist");
	cr_assert_eq(setenv("TMPDIR", missing, 1), 0);
	struct asm_source src = inline_source("hlt\n");
	char err[600] = "";
	cr_assert_eq(assemble(&src, &out, err, sizeof(err)), -1);
	char want[600];
	snprintf(want, sizeof(want), "cannot create a temporary folder in %s: No such file or directory", missing);
	cr_assert_str_eq(err, want);
}

Test(assembler_nasm, assembly_free_is_idempotent)
{
	struct asm_source src = inline_source("hlt\n");
	char err[200] = "";
	cr_assert_eq(assemble(&src, &out, err, sizeof(err)), 0, "%s", err);
	assembly_free(&out);
	cr_assert_null(out.messages);
	cr_assert_null(out.image.data);
	assembly_free(&out);
}

Test(assembler_nasm, keeps_the_listing_of_what_it_assembled)
{
	struct asm_source src = inline_source("bits 16\nmov dx, 0x3f8\nhlt\n");
	cr_assert_eq(assemble(&src, &out, NULL, 0), 0);
	assert_image((const uint8_t[]){ 0xba, 0xf8, 0x03, 0xf4 }, 4);
	cr_assert_gt(out.listing.len, 0);
	cr_assert_not_null(memmem(out.listing.data, out.listing.len, "mov dx, 0x3f8", 13));
	assert_work_folder_removed();
}

/* The listing has the binary's file size limit: where only the binary
 * fits, the program assembles as before, without a listing. */
Test(assembler_nasm, a_listing_larger_than_the_binary_may_be_is_left_out)
{
	struct asm_source src = inline_source("hlt\n");
	src.max_output = 1;
	cr_assert_eq(assemble(&src, &out, NULL, 0), 0);
	assert_image((const uint8_t[]){ 0xf4 }, 1);
	cr_assert_eq(out.listing.len, 0);
	assert_work_folder_removed();
}

/* A folder past the snapshot's bounds: a sparse file of more than 64 MiB. */
static void make_folder_too_large(void)
{
	char big[400];
	tu_path(big, sizeof(big), dir, "big.bin");
	FILE *f = fopen(big, "w");
	cr_assert_not_null(f);
	cr_assert_eq(ftruncate(fileno(f), 65 << 20), 0);
	fclose(f);
}

/* Only a source that may read files needs its folder copied: a case file in
 * a large folder still assembles, one that includes is told why it cannot. */
Test(assembler_nasm, a_source_that_reads_no_file_needs_no_copy_of_its_folder)
{
	make_folder_too_large();
	static const struct { const char *text; bool ok; } rows[] = {
		{ "mov al, 1\nhlt\n", true },
		{ "; no words that read a file\nhlt\n", true },
		{ "%include \"defs.inc\"\nhlt\n", false },
		{ "INCBIN \"big.bin\"\n", false },
		{ "%pathsearch p \"x\"\nhlt\n", false },
		{ "; incbin named in a comment: copied all the same\nhlt\n", false },
		{ "%DePend \"big.bin\"\nhlt\n", false },
		{ "hlt\n; the last word: Include", false },
		{ "hlt\n; only the start of one: inc", true },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct asm_source src = inline_source(rows[i].text);
		char err[200] = "";
		assembly_free(&out);
		cr_assert_eq(assemble(&src, &out, err, sizeof(err)), 0, "%s", err);
		cr_expect_eq(out.ok, rows[i].ok, "%s: %s", rows[i].text, out.messages ? out.messages : "");
		if (!rows[i].ok)
			cr_expect_not_null(out.messages && strstr(out.messages, "more than 64 MiB"), "%s: %s", rows[i].text,
					   out.messages ? out.messages : "");
	}
	assert_work_folder_removed();
}
