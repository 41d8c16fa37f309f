/* Small helpers shared by unit tests: a private temporary folder, files in
 * it, and reading them back. Everything is static inline so that every test
 * file can include this without clashing in the one unit-test binary. */
#ifndef KVMCHECK_TESTUTIL_H
#define KVMCHECK_TESTUTIL_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdint.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "case/case.h"

/* Makes a fresh folder under $TMPDIR (or /tmp) into buf. */
static inline void tu_tmpdir_make(char *buf, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(buf, len, "%s/kvmcheck-unit.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(buf), "mkdtemp %s", buf);
}

static inline int tu_remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes the folder and all it holds; true when it is gone. */
static inline bool tu_tmpdir_remove(const char *dir)
{
	if (!dir || !*dir)
		return true;
	nftw(dir, tu_remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return access(dir, F_OK) != 0;
}

/* dir/name into out. */
static inline void tu_path(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s/%s", dir, name);
	cr_assert(n > 0 && (size_t)n < len, "path too long");
}

/* Writes len bytes of data to dir/name (a folder it names must exist). */
static inline void tu_write(const char *dir, const char *name, const void *data, size_t len)
{
	char path[512];
	tu_path(path, sizeof(path), dir, name);
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "cannot create %s", path);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

static inline void tu_write_str(const char *dir, const char *name, const char *text)
{
	tu_write(dir, name, text, strlen(text));
}

/* Number of entries (besides . and ..) in a folder, -1 when unreadable. */
/* Bytes from pairs of hex digits ("0f22c0"); returns how many. */
static inline size_t tu_unhex(const char *hex, uint8_t *out)
{
	size_t n = 0;
	for (; hex[0] && hex[1]; hex += 2) {
		unsigned v;
		sscanf(hex, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static inline int tu_dir_entries(const char *dir)
{
	int count = 0;
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			count++;
	closedir(d);
	return count;
}

/* Whether name is an item of the comma-separated list in environment
 * variable var. */
static inline bool tu_env_lists(const char *var, const char *name)
{
	const char *list = getenv(var);
	if (!list || !*list)
		return false;
	size_t len = strlen(name);
	for (const char *at = list; (at = strstr(at, name)) != NULL; at += len) {
		bool starts = at == list || at[-1] == ',';
		bool ends = at[len] == '\0' || at[len] == ',';
		if (starts && ends)
			return true;
	}
	return false;
}

/* Skips the row `name` on a host that says so (tests/kvm-in-qemu/
 * check-kvm.sh says which rows and why): one listed in
 * KVMCHECK_TEST_SKIP_ROWS, or, when KVMCHECK_TEST_ONLY_ROWS is set, one it
 * does not list. */
#define tu_skip_row_if_asked(name)                                                                          \
	do {                                                                                                \
		if (tu_env_lists("KVMCHECK_TEST_SKIP_ROWS", (name)))                                        \
			cr_skip_test("%s: skipped on this host (KVMCHECK_TEST_SKIP_ROWS)", (name));         \
		const char *only_ = getenv("KVMCHECK_TEST_ONLY_ROWS");                                      \
		if (only_ && *only_ && !tu_env_lists("KVMCHECK_TEST_ONLY_ROWS", (name)))                    \
			cr_skip_test("%s: not in KVMCHECK_TEST_ONLY_ROWS", (name));                         \
	} while (0)

/* Whether tests of backend `name` should run: all, unless
 * KVMCHECK_TEST_BACKENDS names some (e.g. "kvm", "kvm,emu"). Inside QEMU's
 * small guest Unicorn cannot allocate its translation buffer, so make
 * check-kvm asks for kvm alone there. */
static inline bool tu_backend_wanted(const char *name)
{
	const char *only = getenv("KVMCHECK_TEST_BACKENDS");
	return !only || !*only || tu_env_lists("KVMCHECK_TEST_BACKENDS", name);
}

/* Assembles `source` with nasm (a flat binary, `header` first, e.g.
 * "bits 16\norg 0x1000\n") into at most max bytes, returned in a malloc'd
 * buffer the caller frees; *len is how many. */
static inline uint8_t *tu_nasm(const char *header, const char *source, size_t max, size_t *len)
{
	char dir[512];
	tu_tmpdir_make(dir, sizeof(dir));
	char src[600], bin[600], cmd[1300];
	tu_path(src, sizeof(src), dir, "g.asm");
	tu_path(bin, sizeof(bin), dir, "g.bin");
	FILE *f = fopen(src, "w");
	cr_assert_not_null(f);
	fprintf(f, "%s%s\n", header, source);
	cr_assert_eq(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "nasm -f bin -o '%s' '%s'", bin, src);
	cr_assert_eq(system(cmd), 0, "nasm failed on:\n%s", source);
	f = fopen(bin, "rb");
	cr_assert_not_null(f);
	uint8_t *bytes = malloc(max);
	cr_assert_not_null(bytes);
	*len = fread(bytes, 1, max, f);
	fclose(f);
	cr_assert(tu_tmpdir_remove(dir), "cannot remove %s", dir);
	return bytes;
}

/* Loads text as a case file named name into list (emptied first), which
 * must hold exactly one case; error or not. */
static inline const struct test_case *tu_case_load_one(struct case_list *list, const char *name, const char *text)
{
	case_list_free(list);
	cr_assert_eq(case_text_load(name, text, strlen(text), list), 0);
	cr_assert_eq(list->count, 1);
	return &list->items[0];
}

/* The same, for a case that must load without an error. */
static inline const struct test_case *tu_case_load_ok(struct case_list *list, const char *name, const char *text)
{
	const struct test_case *c = tu_case_load_one(list, name, text);
	cr_assert_null(c->error, "unexpected error: %s", c->error);
	return c;
}

#endif
