/* Unit tests for snapshot.c and its use by the assembler: nasm reads copies
 * taken once, so a file swapped for a symlink after the case was loaded, a
 * hard link or a symlink in the guest's folder never lets it read a file
 * outside. Runs the real nasm (unconfined where the host offers nothing:
 * the copies are what is tested here). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assemble/assembler.h"
#include "assemble/snapshot.h"
#include "assemble/sandbox/sandbox.h"
#include "testutil.h"

static char dir[256];      /* the guest's folder, inside root */
static char root[256];
static char outside[300];  /* a folder beside it, holding the secret */
static char tmpdir[300];
static struct assembly out;

static void snap_init(void)
{
	tu_tmpdir_make(root, sizeof(root));
	tu_path(dir, sizeof(dir), root, "case");
	tu_path(outside, sizeof(outside), root, "outside");
	tu_path(tmpdir, sizeof(tmpdir), root, "tmp");
	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(mkdir(outside, 0700), 0);
	cr_assert_eq(mkdir(tmpdir, 0700), 0);
	cr_assert_eq(setenv("TMPDIR", tmpdir, 1), 0);
	tu_write_str(outside, "secret.asm", "db \"SECRET\"\n");
	memset(&out, 0, sizeof(out));
}

static void snap_fini(void)
{
	snapshot_after_hook = NULL;
	assembly_free(&out);
	unsetenv("TMPDIR");
	tu_tmpdir_remove(root);
}

TestSuite(snapshot, .init = snap_init, .fini = snap_fini);

static void path_in(char *buf, size_t len, const char *folder, const char *name)
{
	tu_path(buf, len, folder, name);
}

/* Swaps name in the guest's folder for a symlink to the secret. */
static void swap_for_symlink(const char *name)
{
	char path[600], target[600];
	path_in(path, sizeof(path), dir, name);
	path_in(target, sizeof(target), outside, "secret.asm");
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(symlink(target, path), 0);
}

static void swap_guest(void) { swap_for_symlink("g.asm"); }
static void swap_include(void) { swap_for_symlink("part.inc"); }

static struct asm_source file_source(const char *path)
{
	return (struct asm_source){ .path = path, .include_dir = dir, .max_output = 4096, .timeout_ms = 30000,
				    .unsafe = true };
}

static void assert_no_secret(void)
{
	cr_assert(!out.image.len || !memmem(out.image.data, out.image.len, "SECRET", 6), "the secret was read");
	cr_assert(!out.messages || !strstr(out.messages, "SECRET"), "the secret is in: %s", out.messages);
}

static void assemble_file(const char *name)
{
	char path[600], err[300] = "";
	path_in(path, sizeof(path), dir, name);
	struct asm_source src = file_source(path);
	cr_assert_eq(assemble(&src, &out, err, sizeof(err)), 0, "%s", err);
}

Test(snapshot, guest_swapped_for_a_symlink_after_the_copy_is_not_read)
{
	tu_write_str(dir, "g.asm", "db \"inside\"\n");
	snapshot_after_hook = swap_guest;
	assemble_file("g.asm");
	cr_assert(out.ok, "%s", out.messages);
	cr_assert_eq(out.image.len, 6u);
	cr_assert_eq(memcmp(out.image.data, "inside", 6), 0);
	assert_no_secret();
}

Test(snapshot, include_swapped_for_a_symlink_after_the_copy_is_not_read)
{
	tu_write_str(dir, "g.asm", "%include \"part.inc\"\n");
	tu_write_str(dir, "part.inc", "db \"inside\"\n");
	snapshot_after_hook = swap_include;
	assemble_file("g.asm");
	cr_assert(out.ok, "%s", out.messages);
	cr_assert_eq(memcmp(out.image.data, "inside", 6), 0);
	assert_no_secret();
}

/* Swapped after the case was loaded but before the copy: refused by name. */
Test(snapshot, guest_that_became_a_symlink_is_refused)
{
	tu_write_str(dir, "g.asm", "db \"inside\"\n");
	swap_guest();
	assemble_file("g.asm");
	cr_assert_not(out.ok);
	cr_assert_not_null(out.messages);
	cr_assert_not_null(strstr(out.messages, "it is now a symlink"), "%s", out.messages);
	assert_no_secret();
}

Test(snapshot, hard_linked_guest_is_refused)
{
	char target[600], hard[600];
	path_in(target, sizeof(target), outside, "secret.asm");
	path_in(hard, sizeof(hard), dir, "g.asm");
	cr_assert_eq(link(target, hard), 0);
	assemble_file("g.asm");
	cr_assert_not(out.ok);
	cr_assert_not_null(strstr(out.messages, "more than one hard link"), "%s", out.messages);
	assert_no_secret();
}

/* Links inside the folder are not copied: to nasm they do not exist. */
Test(snapshot, hard_links_and_symlinks_in_the_folder_are_not_copied)
{
	static const char *const sources[] = {
		"%include \"hard.inc\"\n", "incbin \"hard.inc\"\n", "%include \"soft.inc\"\n", "incbin \"soft.inc\"\n",
		"incbin \"soft-dir/secret.asm\"\n",
	};
	char target[600], path[600];
	path_in(target, sizeof(target), outside, "secret.asm");
	path_in(path, sizeof(path), dir, "hard.inc");
	cr_assert_eq(link(target, path), 0);
	path_in(path, sizeof(path), dir, "soft.inc");
	cr_assert_eq(symlink(target, path), 0);
	path_in(path, sizeof(path), dir, "soft-dir");
	cr_assert_eq(symlink(outside, path), 0);
	for (size_t i = 0; i < sizeof(sources) / sizeof(*sources); i++) {
		tu_write_str(dir, "g.asm", sources[i]);
		assembly_free(&out);
		assemble_file("g.asm");
		cr_assert_not(out.ok, "%s was assembled", sources[i]);
		assert_no_secret();
	}
}

Test(snapshot, folder_copy_counts_and_bounds)
{
	char sub[600], dst[600], err[300] = "";
	tu_write_str(dir, "a.asm", "hlt\n");
	path_in(sub, sizeof(sub), dir, "lib");
	cr_assert_eq(mkdir(sub, 0700), 0);
	tu_write_str(sub, "b.inc", "nop\n");
	path_in(dst, sizeof(dst), tmpdir, "copy");
	struct snapshot_stats stats;
	cr_assert_eq(snapshot_folder(dir, dst, &stats, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(stats.files, 2u);
	cr_assert_eq(stats.bytes, 8u);
	char copied[700];
	path_in(copied, sizeof(copied), dst, "lib/b.inc");
	cr_assert_eq(access(copied, R_OK), 0);

	for (int i = 0; i < (int)SNAPSHOT_MAX_ENTRIES; i++) {
		char name[32];
		snprintf(name, sizeof(name), "f%d", i);
		tu_write_str(sub, name, "");
	}
	path_in(dst, sizeof(dst), tmpdir, "copy2");
	cr_assert_eq(snapshot_folder(dir, dst, &stats, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "more than 4096 entries"), "%s", err);
}

/* ---- assembler.read folders: copied like the guest's ---- */

static char lib[300]; /* an assembler.read folder beside the guest's */

/* Only a mount namespace can show a copy under its original's name: with
 * Landlock alone, or unconfined, nasm reads the originals. */
static void lib_make(void)
{
	if (!strstr(sandbox_describe(), "mount namespace"))
		cr_skip_test("no mount namespace here (%s)", sandbox_describe());
	tu_path(lib, sizeof(lib), root, "lib");
	cr_assert_eq(mkdir(lib, 0700), 0);
}

/* g.asm includes or incbins name, found in lib by its absolute path. */
static void assemble_with_lib(const char *directive, const char *name)
{
	char source[900], path[600], err[300] = "";
	snprintf(source, sizeof(source), "%s \"%s/%s\"\n", directive, lib, name);
	tu_write_str(dir, "g.asm", source);
	path_in(path, sizeof(path), dir, "g.asm");
	const char *read[] = { lib, NULL };
	struct asm_source src = file_source(path);
	src.read_paths = read;
	src.unsafe = false;
	assembly_free(&out);
	cr_assert_eq(assemble(&src, &out, err, sizeof(err)), 0, "%s", err);
}

static void swap_lib_file(void)
{
	char path[600], target[600];
	path_in(path, sizeof(path), lib, "part.inc");
	path_in(target, sizeof(target), outside, "secret.asm");
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(symlink(target, path), 0);
}

static void rewrite_lib_file(void)
{
	char path[600];
	path_in(path, sizeof(path), lib, "part.inc");
	cr_assert_eq(unlink(path), 0);
	tu_write_str(lib, "part.inc", "db \"SECRET\"\n");
}

Test(snapshot, read_folder_is_read_as_copied)
{
	lib_make();
	tu_write_str(lib, "part.inc", "db \"inside\"\n");
	void (*const swaps[])(void) = { swap_lib_file, rewrite_lib_file };
	for (size_t i = 0; i < sizeof(swaps) / sizeof(*swaps); i++) {
		tu_write_str(lib, "part.inc", "db \"inside\"\n");
		snapshot_after_hook = swaps[i];
		assemble_with_lib("%include", "part.inc");
		cr_assert(out.ok, "swap %zu: %s", i, out.messages);
		cr_assert_eq(out.image.len, 6u, "swap %zu", i);
		cr_assert_eq(memcmp(out.image.data, "inside", 6), 0, "swap %zu", i);
		assert_no_secret();
		char path[600];
		path_in(path, sizeof(path), lib, "part.inc");
		unlink(path);
	}
}

Test(snapshot, hard_links_and_symlinks_in_a_read_folder_are_not_copied)
{
	lib_make();
	char target[600], path[600];
	path_in(target, sizeof(target), outside, "secret.asm");
	path_in(path, sizeof(path), lib, "hard.inc");
	cr_assert_eq(link(target, path), 0);
	path_in(path, sizeof(path), lib, "soft.inc");
	cr_assert_eq(symlink(target, path), 0);
	static const char *const directives[] = { "%include", "incbin" };
	static const char *const names[] = { "hard.inc", "soft.inc" };
	for (size_t d = 0; d < 2; d++) {
		for (size_t n = 0; n < 2; n++) {
			assemble_with_lib(directives[d], names[n]);
			cr_assert_not(out.ok, "%s of %s was assembled", directives[d], names[n]);
			assert_no_secret();
		}
	}
}
