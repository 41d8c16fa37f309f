/* The persistent assembly cache: see disk_cache.h. */
#include "assemble/disk_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "assemble/cache_prune.h"
#include "assemble/sandbox/paths.h"
#include "core/clock.h"
#include "core/fd_io.h"
#include "core/proc.h"

/* Bumped when what goes into a key changes. */
#define KEY_SCHEME "kvmcheck assembly cache key 1"
#define TMP_PREFIX "tmp."
#define NASM_VERSION_TIMEOUT_NS 10000000000ull

/* ---- the folder ---- */

int disk_cache_default_dir(char *out, size_t len, char *err, size_t err_len)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	int n;
	/* The XDG spec: a relative XDG_CACHE_HOME is invalid and to be ignored. */
	if (xdg && xdg[0] == '/')
		n = snprintf(out, len, "%s/kvmcheck", xdg);
	else if (home && *home)
		n = snprintf(out, len, "%s/.cache/kvmcheck", home);
	else {
		snprintf(err, err_len, "neither XDG_CACHE_HOME nor HOME is set");
		return -1;
	}
	if (n > 0 && (size_t)n < len)
		return 0;
	snprintf(err, err_len, "the cache folder's name is too long");
	return -1;
}

/* mkdir -p with mode 0700 for the folders it makes. */
static int dir_make(const char *dir)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s", dir);
	if (n <= 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(path, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

/* Only a folder of this user that nobody else may write in: an entry
 * someone else could plant would be a binary they chose. */
static int dir_check(const char *dir, char *err, size_t err_len)
{
	struct stat st;
	if (stat(dir, &st) < 0) {
		snprintf(err, err_len, "cannot use the cache folder %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 022)) {
		snprintf(err, err_len, "cannot use the cache folder %s: %s", dir,
			 !S_ISDIR(st.st_mode) ? "it is not a folder"
			 : st.st_uid != getuid() ? "another user owns it"
			 : "others may write in it");
		return -1;
	}
	return 0;
}

/* The PID in a temporary entry's name ("tmp.PID.XXXXXX"), or 0. */
static long tmp_owner_pid(const char *name)
{
	if (strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) != 0)
		return 0;
	char *end;
	long pid = strtol(name + strlen(TMP_PREFIX), &end, 10);
	return pid > 0 && *end == '.' ? pid : 0;
}

/* Temporary entries of runs killed before their rename. */
static void tmp_clean_stale(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		long pid = tmp_owner_pid(e->d_name);
		if (pid && kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	if (d)
		closedir(d);
}

/* ---- which nasm ---- */

static void nasm_version_body(void *ctx, int out_fd)
{
	const char *exe = ctx;
	if (dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(127);
	char *const argv[] = { "nasm", "-v", NULL };
	char *const envp[] = { "LC_ALL=C", NULL };
	execve(exe, argv, envp);
	_exit(127);
}

/* `nasm -v` started ahead (disk_cache_identify_start). */
static struct proc_ahead ahead;

static int nasm_version_start(struct proc *p, const char *exe, char *err, size_t err_len)
{
	return proc_start(p, nasm_version_body, (void *)exe, 4096, clock_ns() + NASM_VERSION_TIMEOUT_NS, err,
			  err_len);
}

/* The `nasm -v` started ahead if it was exe's, else a new one, in p. */
static int nasm_version_take(struct proc *p, const char *exe, char *err, size_t err_len)
{
	return proc_ahead_take(&ahead, exe, p) ? 0 : nasm_version_start(p, exe, err, err_len);
}

/* nasm's `-v` line and the executable's path, size and times: a nasm
 * rebuilt under the same version number is another nasm. */
static int nasm_identify(struct cache_key *id, char *err, size_t err_len)
{
	char cwd[PATH_MAX], exe[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)) || sandbox_exe_resolve("nasm", cwd, exe, sizeof(exe), err, err_len) < 0) {
		disk_cache_identify_abandon();
		return -1;
	}
	struct proc p;
	int rc = nasm_version_take(&p, exe, err, err_len);
	if (rc == 0)
		proc_wait(&p);
	struct stat st;
	if (rc == 0 && (p.killed || p.status != 0 || stat(exe, &st) < 0)) {
		snprintf(err, err_len, "`%s -v` failed", exe);
		rc = -1;
	}
	if (rc == 0) {
		char stamp[128];
		int n = snprintf(stamp, sizeof(stamp), "%llu %lld.%09ld %lld.%09ld", (unsigned long long)st.st_size,
				 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec,
				 st.st_ctim.tv_nsec);
		XXH3_state_t *h = XXH3_createState();
		rc = !h || XXH3_128bits_reset(h) != XXH_OK || XXH3_128bits_update(h, p.out.data, p.out.len) != XXH_OK ||
		     XXH3_128bits_update(h, exe, strlen(exe) + 1) != XXH_OK ||
		     XXH3_128bits_update(h, stamp, (size_t)n) != XXH_OK ? -1 : 0;
		if (rc == 0)
			XXH128_canonicalFromHash((XXH128_canonical_t *)id->bytes, XXH3_128bits_digest(h));
		else
			snprintf(err, err_len, "out of memory");
		XXH3_freeState(h);
	}
	proc_free(&p);
	return rc;
}

/* The folder made if need be, absolute in dc->dir, and safe to use. */
static int folder_open(struct disk_cache *dc, const char *dir, char *err, size_t err_len)
{
	if (dir_make(dir) < 0) {
		snprintf(err, err_len, "cannot create the cache folder %s: %s", dir, strerror(errno));
		return -1;
	}
	/* Absolute, so that a process that changes its folder still finds it. */
	if (!realpath(dir, dc->dir)) {
		snprintf(err, err_len, "cannot use the cache folder %s: %s", dir, strerror(errno));
		return -1;
	}
	return dir_check(dc->dir, err, err_len);
}

int disk_cache_open(struct disk_cache *dc, const char *dir, char *err, size_t err_len)
{
	*dc = (struct disk_cache){0};
	if (folder_open(dc, dir, err, err_len) < 0) {
		/* Else the pool processes forked next would inherit it. */
		disk_cache_identify_abandon();
		return -1;
	}
	if (nasm_identify(&dc->nasm, err, err_len) < 0)
		return -1;
	tmp_clean_stale(dc->dir);
	return 0;
}

void disk_cache_identify_start(void)
{
	char cwd[PATH_MAX], exe[PATH_MAX], err[PATH_MAX + 200];
	disk_cache_identify_abandon();
	if (!getcwd(cwd, sizeof(cwd)) || sandbox_exe_resolve("nasm", cwd, exe, sizeof(exe), err, sizeof(err)) < 0)
		return;
	proc_ahead_keep(&ahead, exe, nasm_version_start(&ahead.proc, exe, err, sizeof(err)));
}

void disk_cache_identify_abandon(void)
{
	proc_ahead_drop(&ahead);
}

/* ---- the key ---- */

static int hash_add(XXH3_state_t *h, const void *data, size_t len)
{
	return XXH3_128bits_update(h, data, len) == XXH_OK ? 0 : -1;
}

static int hash_add_u64(XXH3_state_t *h, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return hash_add(h, b, sizeof(b));
}

static int name_compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir but . and .., sorted bytewise (not by locale). */
static char **dir_names(int dir, size_t *count)
{
	int fd = dup(dir);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	char **names = NULL;
	size_t n = 0;
	bool ok = true;
	struct dirent *e;
	while (ok && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char **grown = realloc(names, (n + 1) * sizeof(*names));
		ok = grown && (grown[n] = strdup(e->d_name));
		if (grown)
			names = grown;
		n += ok;
	}
	closedir(d);
	if (ok) {
		if (n)
			qsort(names, n, sizeof(*names), name_compare);
		*count = n;
		return names ? names : calloc(1, sizeof(*names));
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return NULL;
}

static void names_free(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/* What opens an entry in a key: its kind ('f' or 'd') and its name; a
 * file's size follows, a folder's entries and its end mark ('e'). */
static int entry_head(XXH3_state_t *h, const char *kind, const char *name)
{
	return hash_add(h, kind, 1) | hash_add(h, name, strlen(name) + 1);
}

static int file_hash(XXH3_state_t *h, int dir, const char *name, const struct stat *st)
{
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = entry_head(h, "f", name) | hash_add_u64(h, (uint64_t)st->st_size);
	char buf[65536];
	uint64_t total = 0;
	ssize_t got;
	while (rc == 0 && (got = read(fd, buf, sizeof(buf))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		rc = got < 0 ? -1 : hash_add(h, buf, (size_t)got);
		total += got > 0 ? (uint64_t)got : 0;
	}
	close(fd);
	/* The length went in first: a file that changed size meanwhile is no key. */
	return rc == 0 && total == (uint64_t)st->st_size ? 0 : -1;
}

static int tree_hash(XXH3_state_t *h, int dir, int depth);

static int entry_hash(XXH3_state_t *h, int dir, const char *name, int depth)
{
	struct stat st;
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (S_ISREG(st.st_mode))
		return file_hash(h, dir, name, &st);
	if (!S_ISDIR(st.st_mode) || depth > 64)
		return -1;
	int sub = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc = sub < 0 ? -1 : entry_head(h, "d", name) | tree_hash(h, sub, depth + 1);
	if (sub >= 0)
		close(sub);
	return rc;
}

/* Every entry of dir, in name order, with a mark where a folder ends so
 * that no two trees hash alike by shifting a name between levels. */
static int tree_hash(XXH3_state_t *h, int dir, int depth)
{
	size_t count = 0;
	char **names = dir_names(dir, &count);
	if (!names)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < count && rc == 0; i++)
		rc = entry_hash(h, dir, names[i], depth);
	names_free(names, count);
	return rc == 0 ? hash_add(h, "e", 1) : -1;
}

/* What every key starts with: the scheme, nasm and the parameters. */
static int key_head(XXH3_state_t *h, const struct disk_cache *dc, const struct bytes *params)
{
	if (XXH3_128bits_reset(h) != XXH_OK)
		return -1;
	return hash_add(h, KEY_SCHEME, sizeof(KEY_SCHEME)) | hash_add(h, dc->nasm.bytes, sizeof(dc->nasm.bytes)) |
	       hash_add_u64(h, params->len) | hash_add(h, params->data, params->len);
}

static void key_take(XXH3_state_t *h, struct cache_key *key)
{
	XXH128_canonicalFromHash((XXH128_canonical_t *)key->bytes, XXH3_128bits_digest(h));
}

int disk_cache_key(const struct disk_cache *dc, const struct bytes *params, const char *workdir,
		   struct cache_key *key)
{
	XXH3_state_t *h = XXH3_createState();
	int dir = open(workdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = !h || dir < 0 ? -1 : key_head(h, dc, params) | tree_hash(h, dir, 0);
	if (rc == 0)
		key_take(h, key);
	if (dir >= 0)
		close(dir);
	XXH3_freeState(h);
	return rc;
}

/* As tree_hash and entry_hash hash these entries of a folder, in name order. */
int disk_cache_key_of_one_file(const struct disk_cache *dc, const struct bytes *params, const char *file_name,
			       const void *data, size_t len, const char *dir_name, struct cache_key *key)
{
	XXH3_state_t *h = XXH3_createState();
	int rc = !h ? -1 : key_head(h, dc, params);
	bool dir_first = strcmp(dir_name, file_name) < 0;
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		if ((pass == 0) == dir_first)
			rc = entry_head(h, "d", dir_name) | hash_add(h, "e", 1);
		else
			rc = entry_head(h, "f", file_name) |
			     hash_add_u64(h, (uint64_t)len) | hash_add(h, data, len);
	}
	rc = rc == 0 ? hash_add(h, "e", 1) : -1;
	if (rc == 0)
		key_take(h, key);
	XXH3_freeState(h);
	return rc;
}

/* ---- entries ---- */

static void entry_name(const struct cache_key *key, char out[2 * CACHE_KEY_BYTES + 1])
{
	for (int i = 0; i < CACHE_KEY_BYTES; i++)
		snprintf(out + 2 * i, 3, "%02x", key->bytes[i]);
}

static int entry_read(int fd, struct bytes *data)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > DISK_CACHE_MAX_ENTRY)
		return -1;
	char buf[65536];
	ssize_t got;
	while ((got = read(fd, buf, sizeof(buf))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 || data->len + (size_t)got > DISK_CACHE_MAX_ENTRY || bytes_append(data, buf, (size_t)got) < 0)
			return -1;
	}
	return 0;
}

int disk_cache_load(const struct disk_cache *dc, const struct cache_key *key, struct assembly *a)
{
	*a = (struct assembly){0};
	char name[2 * CACHE_KEY_BYTES + 1], path[PATH_MAX + 64];
	entry_name(key, name);
	snprintf(path, sizeof(path), "%s/%s", dc->dir, name);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct bytes data = {0};
	int rc = entry_read(fd, &data);
	if (rc == 0)
		rc = cache_entry_decode(key, data.data, data.len, a);
	if (rc == 0)
		cache_entry_touch(fd); /* used: the last to be pruned */
	close(fd);
	bytes_free(&data);
	return rc;
}

int disk_cache_store(const struct disk_cache *dc, const struct cache_key *key, const struct assembly *a)
{
	struct bytes data = {0};
	if (cache_entry_encode(key, a, &data) < 0 || data.len > DISK_CACHE_MAX_ENTRY) {
		bytes_free(&data);
		return -1;
	}
	char name[2 * CACHE_KEY_BYTES + 1], path[PATH_MAX + 64], tmp[PATH_MAX + 64];
	entry_name(key, name);
	snprintf(path, sizeof(path), "%s/%s", dc->dir, name);
	snprintf(tmp, sizeof(tmp), "%s/" TMP_PREFIX "%ld.XXXXXX", dc->dir, (long)getpid());
	int fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
	int rc = fd < 0 ? -1 : fd_write_all(fd, data.data, data.len);
	if (fd >= 0 && close(fd) < 0)
		rc = -1;
	if (fd >= 0 && (rc < 0 || rename(tmp, path) < 0)) {
		unlink(tmp);
		rc = -1;
	}
	bytes_free(&data);
	return rc;
}
