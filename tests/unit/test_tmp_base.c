/* Unit tests of assemble/tmp_base.c: where the working folders go. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include "assemble/tmp_base.h"

static bool only_b(const char *dir)
{
	return strcmp(dir, "b") == 0;
}

struct choose_case {
	const char *tmpdir;
	const char *candidates[3];
	const char *chosen;
};

static const struct choose_case choices[] = {
	{ "/set", { "b", NULL }, "/set" },   /* TMPDIR wins when set */
	{ "", { "a", "b", NULL }, "b" },     /* empty TMPDIR is unset */
	{ NULL, { "", "b", NULL }, "b" },    /* an empty candidate is skipped */
	{ NULL, { "a", "c", NULL }, "/tmp" }, /* nothing usable */
	{ NULL, { NULL }, "/tmp" },
};

Test(tmp_base, tmpdir_then_the_first_usable_then_tmp)
{
	for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++) {
		const struct choose_case *c = &choices[i];
		cr_assert_str_eq(tmp_base_choose(c->tmpdir, c->candidates, only_b), c->chosen, "row %zu", i);
	}
}

/* A folder on a disk file system is passed over, and so is one that is
 * not there; /dev/shm, where it is a roomy tmpfs, is taken. */
Test(tmp_base, only_a_roomy_tmpfs_is_usable)
{
	cr_assert_not(tmp_base_usable("/nonexistent-folder"));
	cr_assert_not(tmp_base_usable("relative"));
	char disk[] = "/var/tmp/kvmcheck-tmp-base-XXXXXX";
	struct statfs fs;
	struct statvfs vfs;
	if (statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC && statvfs("/dev/shm", &vfs) == 0 &&
	    (unsigned long long)vfs.f_bavail * vfs.f_frsize >= TMP_BASE_MIN_FREE && access("/dev/shm", W_OK) == 0)
		cr_assert(tmp_base_usable("/dev/shm"), "a roomy, sticky, writable tmpfs");
	if (mkdtemp(disk)) {
		if (statfs(disk, &fs) == 0 && fs.f_type != TMPFS_MAGIC)
			cr_assert_not(tmp_base_usable(disk), "a private folder on a disk file system");
		rmdir(disk);
	}
}

Test(tmp_base, tmpdir_is_honoured)
{
	cr_assert_eq(setenv("TMPDIR", "/some/where", 1), 0);
	cr_assert_str_eq(tmp_base(), "/some/where");
	unsetenv("TMPDIR");
	cr_assert_str_neq(tmp_base(), "/some/where");
}
