/* Unit tests for report/atomic_file.c: a report file is replaced whole or
 * not at all, folders are made, and errors name the path and the cause. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/atomic_file.h"
#include "testutil.h"

static char dir[256];

static void setup(void)
{
	tu_tmpdir_make(dir, sizeof(dir));
}

static void teardown(void)
{
	tu_tmpdir_remove(dir);
}

TestSuite(atomic_file, .init = setup, .fini = teardown);

static int fill_text(FILE *out, void *ctx, char *err, size_t err_len)
{
	(void)err, (void)err_len;
	return fputs(ctx, out) < 0 ? -1 : 0;
}

/* Writes half of what it was given, then fails: a renderer that breaks midway. */
static int fill_half_then_fail(FILE *out, void *ctx, char *err, size_t err_len)
{
	const char *text = ctx;
	fwrite(text, 1, strlen(text) / 2, out);
	fflush(out);
	snprintf(err, err_len, "renderer gave up");
	return -1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "cannot read %s", path);
	static char text[4096];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

Test(atomic_file, writes_the_file_and_leaves_nothing_else)
{
	char path[512];
	tu_path(path, sizeof(path), dir, "report.txt");
	char err[512] = "";
	cr_assert_eq(atomic_file_write(path, fill_text, "first\n", err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(slurp(path), "first\n");
	cr_assert_eq(atomic_file_write(path, fill_text, "second\n", err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(slurp(path), "second\n");
	cr_assert_eq(tu_dir_entries(dir), 1, "no temporary file is left beside the report");
}

Test(atomic_file, a_failed_write_keeps_the_old_file_whole)
{
	char path[512];
	tu_path(path, sizeof(path), dir, "report.txt");
	char err[512] = "";
	cr_assert_eq(atomic_file_write(path, fill_text, "the old report\n", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(atomic_file_write(path, fill_half_then_fail, "a new report, longer than the old\n", err,
				       sizeof(err)), -1);
	cr_assert_str_eq(slurp(path), "the old report\n", "a reader never sees half a file");
	cr_assert_eq(tu_dir_entries(dir), 1, "the temporary file is removed");
	cr_assert_not_null(strstr(err, path), "err: %s", err);
	cr_assert_not_null(strstr(err, "renderer gave up"), "err: %s", err);
}

Test(atomic_file, a_failed_first_write_leaves_no_file)
{
	char path[512];
	tu_path(path, sizeof(path), dir, "never.txt");
	char err[512] = "";
	cr_assert_eq(atomic_file_write(path, fill_half_then_fail, "some text", err, sizeof(err)), -1);
	cr_assert_eq(tu_dir_entries(dir), 0);
}

Test(atomic_file, makes_the_folders_above)
{
	char path[512];
	tu_path(path, sizeof(path), dir, "a/b/c/report.txt");
	char err[512] = "";
	cr_assert_eq(atomic_file_write(path, fill_text, "deep\n", err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(slurp(path), "deep\n");
}

Test(atomic_file, errors_name_the_path_and_the_cause)
{
	char file[512], path[512];
	tu_path(file, sizeof(file), dir, "plain");
	tu_write_str(dir, "plain", "x");
	tu_path(path, sizeof(path), dir, "plain/report.txt");
	char err[512] = "";
	cr_assert_eq(atomic_file_write(path, fill_text, "text", err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, path), "err: %s", err);
	cr_assert_not_null(strstr(err, strerror(ENOTDIR)), "err: %s", err);
	cr_assert_eq(atomic_file_write("/dev/full", fill_text, "text", err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "/dev/full"), "err: %s", err);
	cr_assert_not_null(strstr(err, strerror(ENOSPC)), "err: %s", err);
}

Test(atomic_file, devices_and_links_are_written_through)
{
	char err[512] = "";
	cr_assert_eq(atomic_file_write("/dev/null", fill_text, "gone", err, sizeof(err)), 0, "%s", err);
	struct stat st;
	cr_assert_eq(stat("/dev/null", &st), 0);
	cr_assert(S_ISCHR(st.st_mode), "/dev/null is still a device");

	char target[512], link[512];
	tu_path(target, sizeof(target), dir, "target.txt");
	tu_path(link, sizeof(link), dir, "link.txt");
	tu_write_str(dir, "target.txt", "old");
	cr_assert_eq(symlink(target, link), 0);
	cr_assert_eq(atomic_file_write(link, fill_text, "through the link", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(lstat(link, &st), 0);
	cr_assert(S_ISLNK(st.st_mode), "the link stays a link");
	cr_assert_str_eq(slurp(target), "through the link");
}

Test(atomic_file, the_umask_applies_as_to_any_file)
{
	char path[512];
	tu_path(path, sizeof(path), dir, "mode.txt");
	mode_t old = umask(022);
	char err[512] = "";
	int rc = atomic_file_write(path, fill_text, "x", err, sizeof(err));
	umask(old);
	cr_assert_eq(rc, 0, "%s", err);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0644);
}

/* A folder that cannot be made is named with its own cause, not with the
 * "No such file or directory" the file's creation meets afterwards. sysfs
 * refuses new folders to everyone, root included. */
Test(atomic_file, a_folder_that_cannot_be_made_is_named_for_what_it_is)
{
	char err[512] = "";
	const char *path = "/sys/kvmcheck-no-such-folder/reports/junit.xml";
	cr_assert_eq(atomic_file_write(path, fill_text, "text", err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "cannot create its folder /sys/kvmcheck-no-such-folder: "), "err: %s", err);
	cr_assert_null(strstr(err, strerror(ENOENT)), "err: %s", err);
}
