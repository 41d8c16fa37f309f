/* Unit tests for the persistent assembly cache (disk_cache.c, its entry
 * format cache_entry.c, and assemble_cached): hits and misses, entries
 * that are corrupt or truncated, concurrent writers, and the folder's
 * permissions. Runs the real nasm, confined; every test has its own cache
 * folder, source folder and TMPDIR. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "assemble/assembler.h"
#include "assemble/cache_entry.h"
#include "assemble/cache_prune.h"
#include "assemble/disk_cache.h"
#include "assemble/sandbox/sandbox.h"
#include "cli/cli.h"
#include "testutil.h"

static char root[256];
static char srcdir[300];   /* the guest's folder: %include and incbin look here */
static char tmpdir[300];   /* the assembler's TMPDIR */
static char cachedir[300];
static char *saved_path;
static struct disk_cache cache;
static struct assembly out;

static void dc_init(void)
{
	tu_tmpdir_make(root, sizeof(root));
	tu_path(srcdir, sizeof(srcdir), root, "src");
	tu_path(tmpdir, sizeof(tmpdir), root, "tmp");
	tu_path(cachedir, sizeof(cachedir), root, "cache");
	cr_assert_eq(mkdir(srcdir, 0700), 0);
	cr_assert_eq(mkdir(tmpdir, 0700), 0);
	cr_assert_eq(setenv("TMPDIR", tmpdir, 1), 0);
	saved_path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	memset(&out, 0, sizeof(out));
	char err[PATH_MAX + 200] = "";
	cr_assert_eq(disk_cache_open(&cache, cachedir, err, sizeof(err)), 0, "%s", err);
}

static void dc_fini(void)
{
	assembly_free(&out);
	setenv("PATH", saved_path, 1);
	free(saved_path);
	unsetenv("TMPDIR");
	tu_tmpdir_remove(root);
}

TestSuite(disk_cache, .init = dc_init, .fini = dc_fini);

static struct asm_source inline_source(const char *text)
{
	return (struct asm_source){
		.text = text,
		.text_origin = "cases/demo.yaml",
		.text_first_line = 10,
		.include_dir = srcdir,
		.max_output = 1u << 20,
		.timeout_ms = 30000,
	};
}

static int run_cached(const struct asm_source *src)
{
	assembly_free(&out);
	out = (struct assembly){0};
	char err[300] = "";
	return assemble_cached(src, &cache, &out, err, sizeof(err));
}

/* No nasm can be started: only a hit assembles anything. */
static void nasm_hide(void)
{
	cr_assert_eq(setenv("PATH", "/nonexistent", 1), 0);
}

static void nasm_show(void)
{
	cr_assert_eq(setenv("PATH", saved_path, 1), 0);
}

static const char hello[] = "bits 16\n%include \"msg.inc\"\nmov al, MSG\nhlt\n";

static void assert_hello_image(uint8_t msg)
{
	cr_assert(out.ok, "nasm said: %s", out.messages ? out.messages : "(nothing)");
	const uint8_t want[] = { 0xb0, msg, 0xf4 };
	cr_assert_eq(out.image.len, sizeof(want));
	cr_assert_eq(memcmp(out.image.data, want, sizeof(want)), 0);
}

/* The one entry file in the cache folder. */
static void entry_path(char *path, size_t len)
{
	DIR *d = opendir(cachedir);
	cr_assert_not_null(d);
	struct dirent *e;
	path[0] = '\0';
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			snprintf(path, len, "%s/%s", cachedir, e->d_name);
	closedir(d);
	cr_assert(path[0], "no entry in the cache");
}

Test(disk_cache, second_assembly_is_a_hit)
{
	tu_write_str(srcdir, "msg.inc", "MSG equ 7\n");
	struct asm_source src = inline_source(hello);
	cr_assert_eq(run_cached(&src), 0);
	assert_hello_image(7);
	cr_assert_eq(tu_dir_entries(cachedir), 1);
	nasm_hide();
	cr_assert_eq(run_cached(&src), 0, "a hit needs no nasm");
	assert_hello_image(7);
	cr_assert_eq(tu_dir_entries(tmpdir), 0, "the work folder is removed after a hit");
}

Test(disk_cache, any_byte_changed_is_a_miss)
{
	tu_write_str(srcdir, "msg.inc", "MSG equ 7\n");
	struct asm_source src = inline_source(hello);
	cr_assert_eq(run_cached(&src), 0);
	nasm_hide();
	/* In a file the source includes. */
	tu_write_str(srcdir, "msg.inc", "MSG equ 8\n");
	cr_assert_eq(run_cached(&src), -1, "a changed include must not hit");
	/* In a file of the folder the source does not name (nasm could have read it). */
	tu_write_str(srcdir, "msg.inc", "MSG equ 7\n");
	cr_assert_eq(run_cached(&src), 0);
	tu_write_str(srcdir, "other.bin", "x");
	cr_assert_eq(run_cached(&src), -1, "a new file in the folder must not hit");
	char other[400];
	tu_path(other, sizeof(other), srcdir, "other.bin");
	unlink(other);
	/* In the source itself. */
	struct asm_source changed = inline_source("bits 16\n%include \"msg.inc\"\nmov al, MSG \nhlt\n");
	cr_assert_eq(run_cached(&changed), -1, "a changed source must not hit");
	/* In the names messages are mapped to. */
	struct asm_source origin = src;
	origin.text_origin = "cases/other.yaml";
	cr_assert_eq(run_cached(&origin), -1, "another case file must not hit");
	origin = src;
	origin.text_first_line = 11;
	cr_assert_eq(run_cached(&origin), -1, "another first line must not hit");
	origin = src;
	origin.max_output = 2;
	cr_assert_eq(run_cached(&origin), -1, "another size limit must not hit");
	cr_assert_eq(run_cached(&src), 0, "the original still hits");
	assert_hello_image(7);
}

Test(disk_cache, assembler_errors_are_cached_with_their_messages)
{
	struct asm_source src = inline_source("bits 16\nnot an instruction\n");
	cr_assert_eq(run_cached(&src), 0);
	cr_assert_not(out.ok);
	char *first = strdup(out.messages);
	nasm_hide();
	cr_assert_eq(run_cached(&src), 0);
	cr_assert_not(out.ok);
	cr_assert_str_eq(out.messages, first);
	cr_assert_not_null(strstr(first, "cases/demo.yaml:11: error:"), "%s", first);
	free(first);
}

static void entry_rewrite(const char *path, const uint8_t *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static size_t entry_read_all(const char *path, uint8_t *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0);
	ssize_t n = read(fd, buf, cap);
	close(fd);
	cr_assert_gt(n, 0);
	return (size_t)n;
}

/* A damaged entry is assembled afresh (so nasm must be there) and replaced. */
static void assert_damage_is_a_miss(void (*damage)(uint8_t *buf, size_t *len))
{
	tu_write_str(srcdir, "msg.inc", "MSG equ 7\n");
	struct asm_source src = inline_source(hello);
	cr_assert_eq(run_cached(&src), 0);
	char path[600];
	entry_path(path, sizeof(path));
	uint8_t buf[4096];
	size_t len = entry_read_all(path, buf, sizeof(buf));
	uint8_t good[4096];
	memcpy(good, buf, len);
	size_t good_len = len;
	damage(buf, &len);
	entry_rewrite(path, buf, len);
	nasm_hide();
	cr_assert_eq(run_cached(&src), -1, "a damaged entry must be a miss");
	nasm_show();
	cr_assert_eq(run_cached(&src), 0);
	assert_hello_image(7);
	len = entry_read_all(path, buf, sizeof(buf));
	cr_assert(len == good_len && memcmp(buf, good, len) == 0, "the damaged entry is replaced");
}

static void flip_image_byte(uint8_t *buf, size_t *len)
{
	/* The image's last byte (hlt) lies before messages and checksum: find it. */
	for (size_t i = 0; i < *len; i++)
		if (buf[i] == 0xf4) {
			buf[i] = 0x90;
			return;
		}
	cr_assert_fail("no hlt in the entry");
}

static void truncate_half(uint8_t *buf, size_t *len)
{
	(void)buf;
	*len /= 2;
}

static void truncate_all(uint8_t *buf, size_t *len)
{
	(void)buf;
	*len = 0;
}

Test(disk_cache, corrupt_entry_is_a_miss_and_replaced) { assert_damage_is_a_miss(flip_image_byte); }
Test(disk_cache, truncated_entry_is_a_miss_and_replaced) { assert_damage_is_a_miss(truncate_half); }
Test(disk_cache, empty_entry_is_a_miss_and_replaced) { assert_damage_is_a_miss(truncate_all); }

Test(disk_cache, entry_under_another_key_is_a_miss)
{
	tu_write_str(srcdir, "msg.inc", "MSG equ 7\n");
	struct asm_source src = inline_source(hello);
	cr_assert_eq(run_cached(&src), 0);
	char path[600];
	entry_path(path, sizeof(path));
	tu_write_str(srcdir, "msg.inc", "MSG equ 9\n");
	cr_assert_eq(run_cached(&src), 0);
	assert_hello_image(9);
	/* Copy the first entry over the second: its name no longer matches the key inside. */
	uint8_t buf[4096];
	size_t len = entry_read_all(path, buf, sizeof(buf));
	DIR *d = opendir(cachedir);
	struct dirent *e;
	char other[600] = "";
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && strcmp(strrchr(path, '/') + 1, e->d_name) != 0)
			snprintf(other, sizeof(other), "%s/%s", cachedir, e->d_name);
	closedir(d);
	cr_assert(other[0]);
	entry_rewrite(other, buf, len);
	nasm_hide();
	cr_assert_eq(run_cached(&src), -1, "an entry filed under another key must be a miss");
}

/* Every shorter prefix and every single-bit change of an entry is refused. */
Test(disk_cache, decode_refuses_every_prefix_and_bit_flip)
{
	struct cache_key key = { .bytes = { 1, 2, 3 } };
	struct assembly a = { .ok = true, .messages = strdup("warning: x") };
	bytes_append(&a.image, "\xb0\x07\xf4", 3);
	struct bytes enc = {0};
	cr_assert_eq(cache_entry_encode(&key, &a, &enc), 0);
	struct assembly back;
	cr_assert_eq(cache_entry_decode(&key, enc.data, enc.len, &back), 0);
	cr_assert(back.ok);
	cr_assert_eq(back.image.len, 3);
	cr_assert_str_eq(back.messages, "warning: x");
	assembly_free(&back);
	for (size_t len = 0; len < enc.len; len++)
		cr_assert_eq(cache_entry_decode(&key, enc.data, len, &back), -1, "prefix of %zu bytes", len);
	for (size_t i = 0; i < enc.len * 8; i++) {
		enc.data[i / 8] ^= (uint8_t)(1u << (i % 8));
		cr_assert_eq(cache_entry_decode(&key, enc.data, enc.len, &back), -1, "bit %zu flipped", i);
		cr_assert_null(back.messages);
		enc.data[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	bytes_free(&enc);
	assembly_free(&a);
}

Test(disk_cache, no_messages_and_empty_messages_stay_apart)
{
	struct cache_key key = {0};
	struct assembly none = { .ok = true }, empty = { .ok = false, .messages = strdup("") }, back;
	struct bytes enc = {0};
	cr_assert_eq(cache_entry_encode(&key, &none, &enc), 0);
	cr_assert_eq(cache_entry_decode(&key, enc.data, enc.len, &back), 0);
	cr_assert_null(back.messages);
	cr_assert(back.ok);
	assembly_free(&back);
	enc.len = 0;
	cr_assert_eq(cache_entry_encode(&key, &empty, &enc), 0);
	cr_assert_eq(cache_entry_decode(&key, enc.data, enc.len, &back), 0);
	cr_assert_not_null(back.messages);
	cr_assert_str_eq(back.messages, "");
	cr_assert_not(back.ok);
	assembly_free(&back);
	assembly_free(&empty);
	bytes_free(&enc);
}

#define WRITES 300

static void writer(const struct cache_key *key, uint8_t fill)
{
	struct assembly a = { .ok = true };
	/* Large enough that a torn write would be seen. */
	for (int i = 0; i < 65536; i++)
		bytes_push(&a.image, fill);
	for (int i = 0; i < WRITES; i++)
		if (disk_cache_store(&cache, key, &a) < 0)
			_exit(1);
	_exit(0);
}

/* Two processes store the same key over and over while this one reads:
 * every read is a miss (before the first rename) or one writer's whole
 * entry, and no temporary file is left. */
Test(disk_cache, concurrent_writers_of_one_key)
{
	struct cache_key key = { .bytes = { 0xaa } };
	pid_t a = fork();
	if (a == 0)
		writer(&key, 'a');
	pid_t b = fork();
	if (b == 0)
		writer(&key, 'b');
	cr_assert(a > 0 && b > 0);
	int whole = 0;
	for (int i = 0; i < WRITES; i++) {
		struct assembly got;
		if (disk_cache_load(&cache, &key, &got) < 0)
			continue;
		cr_assert_eq(got.image.len, 65536);
		uint8_t first = got.image.data[0];
		cr_assert(first == 'a' || first == 'b');
		for (size_t j = 0; j < got.image.len; j++)
			cr_assert_eq(got.image.data[j], first, "an entry mixes two writers");
		whole++;
		assembly_free(&got);
	}
	int status;
	cr_assert_eq(waitpid(a, &status, 0), a);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_eq(waitpid(b, &status, 0), b);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	struct assembly got;
	cr_assert_eq(disk_cache_load(&cache, &key, &got), 0);
	assembly_free(&got);
	cr_assert_eq(tu_dir_entries(cachedir), 1, "only the entry is left, no temporary file");
	(void)whole;
}

Test(disk_cache, folder_is_private_and_entries_0600)
{
	tu_write_str(srcdir, "msg.inc", "MSG equ 7\n");
	struct asm_source src = inline_source(hello);
	cr_assert_eq(run_cached(&src), 0);
	struct stat st;
	cr_assert_eq(stat(cachedir, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
	char path[600];
	entry_path(path, sizeof(path));
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
}

Test(disk_cache, folder_others_may_write_in_is_refused)
{
	char open_dir[400];
	tu_path(open_dir, sizeof(open_dir), root, "shared");
	cr_assert_eq(mkdir(open_dir, 0700), 0);
	cr_assert_eq(chmod(open_dir, 0777), 0);
	struct disk_cache other;
	char err[PATH_MAX + 200] = "";
	cr_assert_eq(disk_cache_open(&other, open_dir, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "others may write in it"), "%s", err);
}

/* `nasm -v` started ahead, while the cases load, names the same nasm as
 * one run when the cache is opened. */
Test(disk_cache, nasm_identified_ahead_is_the_same_nasm)
{
	struct disk_cache other;
	char err[PATH_MAX + 200] = "";
	disk_cache_identify_start();
	cr_assert_eq(disk_cache_open(&other, cachedir, err, sizeof(err)), 0, "%s", err);
	cr_assert_arr_eq(other.nasm.bytes, cache.nasm.bytes, sizeof(cache.nasm.bytes));
}

/* Started for one nasm, then PATH names another: the answer started ahead
 * is not the nasm that assembles, so it is not used. */
Test(disk_cache, nasm_identified_ahead_of_another_nasm_is_not_used)
{
	char bin[400];
	tu_path(bin, sizeof(bin), root, "bin");
	cr_assert_eq(mkdir(bin, 0700), 0);
	tu_write_str(bin, "nasm", "#!/bin/sh\necho 'NASM version 0.0 (not this one)'\n");
	char fake[500];
	tu_path(fake, sizeof(fake), bin, "nasm");
	cr_assert_eq(chmod(fake, 0700), 0);
	cr_assert_eq(setenv("PATH", bin, 1), 0);
	disk_cache_identify_start();
	nasm_show();
	struct disk_cache other;
	char err[PATH_MAX + 200] = "";
	cr_assert_eq(disk_cache_open(&other, cachedir, err, sizeof(err)), 0, "%s", err);
	cr_assert_arr_eq(other.nasm.bytes, cache.nasm.bytes, sizeof(cache.nasm.bytes));
}

/* A run that never opens the cache (it failed, or --list) leaves no
 * `nasm -v` behind. */
Test(disk_cache, nasm_identified_ahead_and_abandoned_leaves_no_child)
{
	disk_cache_identify_start();
	disk_cache_identify_abandon();
	errno = 0;
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1);
	cr_assert_eq(errno, ECHILD);
}

/* A cache folder that cannot be used leaves no `nasm -v` behind for the
 * pool processes forked next to inherit. */
Test(disk_cache, unusable_folder_ends_the_nasm_identified_ahead)
{
	char under_a_file[400];
	tu_write_str(root, "file", "");
	tu_path(under_a_file, sizeof(under_a_file), root, "file/cache");
	disk_cache_identify_start();
	struct disk_cache other;
	char err[PATH_MAX + 200] = "";
	cr_assert_eq(disk_cache_open(&other, under_a_file, err, sizeof(err)), -1);
	errno = 0;
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1);
	cr_assert_eq(errno, ECHILD);
}

/* The copies of assembler.read folders are made only in the mount
 * namespace's world, which nasm needs here; none, none to test. */
static void read_folder_make(char *lib, size_t len)
{
	if (!strstr(sandbox_describe(), "a mount namespace of its own"))
		cr_skip_test("no mount namespace here (%s)", sandbox_describe());
	tu_path(lib, len, root, "lib");
	cr_assert_eq(mkdir(lib, 0700), 0);
	tu_write_str(lib, "msg.inc", "MSG equ 7\n");
}

/* An assembler.read folder outside the guest's: only its copy in the work
 * folder lets nasm read it, and the key covers that copy's bytes. */
Test(disk_cache, read_folders_are_keyed_by_their_contents)
{
	char lib[300], text[600];
	read_folder_make(lib, sizeof(lib));
	snprintf(text, sizeof(text), "bits 16\n%%include \"%s/msg.inc\"\nmov al, MSG\nhlt\n", lib);
	const char *read_paths[] = { lib, NULL };
	struct asm_source src = inline_source(text);
	src.read_paths = read_paths;
	cr_assert_eq(run_cached(&src), 0);
	assert_hello_image(7);
	cr_assert_eq(tu_dir_entries(cachedir), 1, "a source with assembler.read folders is cached");
	nasm_hide();
	cr_assert_eq(run_cached(&src), 0, "a hit needs no nasm");
	assert_hello_image(7);
	/* A file of the read folder, the one included and another. */
	tu_write_str(lib, "msg.inc", "MSG equ 8\n");
	cr_assert_eq(run_cached(&src), -1, "a changed file of a read folder must not hit");
	tu_write_str(lib, "msg.inc", "MSG equ 7\n");
	cr_assert_eq(run_cached(&src), 0);
	tu_write_str(lib, "other.bin", "x");
	cr_assert_eq(run_cached(&src), -1, "a new file in a read folder must not hit");
	nasm_show();
	cr_assert_eq(run_cached(&src), 0);
	assert_hello_image(7);
	tu_write_str(lib, "msg.inc", "MSG equ 8\n");
	cr_assert_eq(run_cached(&src), 0);
	assert_hello_image(8);
	cr_assert_eq(tu_dir_entries(cachedir), 3);
}

/* The same bytes under another name are another key: a source spells the
 * name it reads a read folder by. */
Test(disk_cache, read_folders_are_keyed_by_their_names)
{
	char lib[300], lib2[300];
	read_folder_make(lib, sizeof(lib));
	tu_path(lib2, sizeof(lib2), root, "lib2");
	cr_assert_eq(mkdir(lib2, 0700), 0);
	tu_write_str(lib2, "msg.inc", "MSG equ 7\n");
	const char *read_paths[] = { lib, NULL };
	struct asm_source src = inline_source("bits 16\nhlt\n");
	src.read_paths = read_paths;
	cr_assert_eq(run_cached(&src), 0);
	nasm_hide();
	read_paths[0] = lib2;
	cr_assert_eq(run_cached(&src), -1, "a read folder of the same bytes elsewhere must not hit");
}

/* Unsafe, nasm may run under Landlock alone and read the originals. */
Test(disk_cache, unsafe_sources_are_not_cached)
{
	struct asm_source src = inline_source("bits 16\nhlt\n");
	src.unsafe = true;
	cr_assert_eq(run_cached(&src), 0);
	cr_assert(out.ok);
	cr_assert_eq(tu_dir_entries(cachedir), 0);
}

Test(disk_cache, stale_temporary_files_are_removed_on_open)
{
	/* PID 2^22+1 is above the kernel's largest: nobody runs under it. */
	tu_write_str(cachedir, "tmp.4194305.abcdef", "partial");
	tu_write_str(cachedir, "tmp.1.abcdef", "a live process's");
	char err[PATH_MAX + 200] = "";
	cr_assert_eq(disk_cache_open(&cache, cachedir, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(tu_dir_entries(cachedir), 1);
}

Test(disk_cache, default_folder_follows_xdg_then_home)
{
	char dirname_out[PATH_MAX], err[200];
	setenv("XDG_CACHE_HOME", "/x/cache", 1);
	cr_assert_eq(disk_cache_default_dir(dirname_out, sizeof(dirname_out), err, sizeof(err)), 0);
	cr_assert_str_eq(dirname_out, "/x/cache/kvmcheck");
	setenv("XDG_CACHE_HOME", "relative", 1); /* invalid by the spec: ignored */
	setenv("HOME", "/home/u", 1);
	cr_assert_eq(disk_cache_default_dir(dirname_out, sizeof(dirname_out), err, sizeof(err)), 0);
	cr_assert_str_eq(dirname_out, "/home/u/.cache/kvmcheck");
}

Test(disk_cache, cli_options)
{
	struct cli_options opt;
	char err[300] = "";
	char *with_dir[] = { "kvmcheck", "--cache-dir", "/c", "x.yaml", NULL };
	cr_assert_eq(cli_parse(4, with_dir, &opt, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(opt.cache_dir, "/c");
	cr_assert_not(opt.no_cache);
	char *without[] = { "kvmcheck", "--no-cache", "x.yaml", NULL };
	cr_assert_eq(cli_parse(3, without, &opt, err, sizeof(err)), 0, "%s", err);
	cr_assert(opt.no_cache);
	cr_assert_null(opt.cache_dir);
}

/* A source that reads no other file hits from memory: the key taken there
 * equals the one its private copy gave when the entry was stored (no nasm,
 * and no temporary folder can be made, yet the hit comes). */
static void assert_hit_without_work_folder(const struct asm_source *src, const uint8_t *want, size_t want_len)
{
	cr_assert_eq(run_cached(src), 0);
	cr_assert(out.ok, "nasm said: %s", out.messages ? out.messages : "(nothing)");
	cr_assert_eq(tu_dir_entries(cachedir), 1);
	nasm_hide();
	cr_assert_eq(setenv("TMPDIR", "/nonexistent/tmp", 1), 0);
	int rc = run_cached(src);
	setenv("TMPDIR", tmpdir, 1);
	nasm_show();
	cr_assert_eq(rc, 0, "the hit needed a work folder");
	cr_assert(out.ok);
	cr_assert_eq(out.image.len, want_len);
	cr_assert_eq(memcmp(out.image.data, want, want_len), 0);
}

Test(disk_cache, inline_source_reading_no_file_hits_from_memory)
{
	static const uint8_t want[] = { 0xb0, 5, 0xf4 };
	struct asm_source src = inline_source("bits 16\nmov al, 5\nhlt\n");
	assert_hit_without_work_folder(&src, want, sizeof(want));
}

Test(disk_cache, guest_file_reading_no_file_hits_from_memory)
{
	static const uint8_t want[] = { 0xb0, 6, 0xf4 };
	tu_write_str(srcdir, "guest.asm", "bits 16\nmov al, 6\nhlt\n");
	char path[400];
	tu_path(path, sizeof(path), srcdir, "guest.asm");
	struct asm_source src = inline_source(NULL);
	src.path = path;
	assert_hit_without_work_folder(&src, want, sizeof(want));
}

/* ---- pruning (cache_prune.h) ---- */

static void prune_entry_write(const char *dir, char fill, size_t size, time_t used)
{
	char name[2 * CACHE_KEY_BYTES + 1];
	memset(name, fill, 2 * CACHE_KEY_BYTES);
	name[2 * CACHE_KEY_BYTES] = '\0';
	char *data = calloc(1, size);
	cr_assert_not_null(data);
	tu_write(dir, name, data, size);
	free(data);
	char path[PATH_MAX];
	tu_path(path, sizeof(path), dir, name);
	struct timespec times[2] = { { .tv_sec = used }, { .tv_sec = used } };
	cr_assert_eq(utimensat(AT_FDCWD, path, times, 0), 0);
}

static bool prune_entry_there(const char *dir, char fill)
{
	char name[2 * CACHE_KEY_BYTES + 1], path[PATH_MAX];
	memset(name, fill, 2 * CACHE_KEY_BYTES);
	name[2 * CACHE_KEY_BYTES] = '\0';
	tu_path(path, sizeof(path), dir, name);
	return access(path, F_OK) == 0;
}

Test(cache_prune, the_least_recently_used_go_first_down_to_three_quarters)
{
	char dir[PATH_MAX];
	tu_tmpdir_make(dir, sizeof(dir));
	/* a..e, 1000 bytes each, used in the order c a e b d */
	const char order[] = "caebd";
	for (int i = 0; i < 5; i++)
		prune_entry_write(dir, order[i], 1000, 1000000 + i * 60);
	tu_write_str(dir, "tmp.1.abcdef", "a temporary file is not an entry");
	tu_write_str(dir, "notes.txt", "nor is anything else");
	cr_assert_eq(cache_prune(dir, 5000), 0, "5000 bytes fit in 5000");
	cr_assert_eq(cache_prune(dir, 4000), 2, "down to 3000 bytes: the 2 least recently used go");
	cr_assert_not(prune_entry_there(dir, 'c'));
	cr_assert_not(prune_entry_there(dir, 'a'));
	cr_assert(prune_entry_there(dir, 'e'));
	cr_assert(prune_entry_there(dir, 'b'));
	cr_assert(prune_entry_there(dir, 'd'));
	cr_assert_eq(tu_dir_entries(dir), 5, "the temporary file and the notes stay");
	cr_assert_eq(cache_prune("/nonexistent/kvmcheck-cache", 1), -1);
	cr_assert(tu_tmpdir_remove(dir));
}

Test(cache_prune, a_hit_makes_its_entry_the_most_recently_used)
{
	char dir[PATH_MAX];
	tu_tmpdir_make(dir, sizeof(dir));
	prune_entry_write(dir, 'a', 10, 1000000);
	char path[PATH_MAX];
	memset(path, 0, sizeof(path));
	char name[2 * CACHE_KEY_BYTES + 1];
	memset(name, 'a', 2 * CACHE_KEY_BYTES);
	name[2 * CACHE_KEY_BYTES] = '\0';
	tu_path(path, sizeof(path), dir, name);
	int fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0);
	cache_entry_touch(fd);
	close(fd);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_gt(st.st_mtim.tv_sec, 1000000, "the touch moved its time to now");
	cr_assert(tu_tmpdir_remove(dir));
}
