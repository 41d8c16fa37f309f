/* The private copy nasm reads: see snapshot.h. */
#include "assemble/snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fd_io.h"

void (*snapshot_after_hook)(void);

struct walk {
	struct snapshot_stats *stats;
	dev_t work_dev; /* the folder the copy is made in, which may lie inside the original */
	ino_t work_ino;
	size_t entries;
	const char *src;
	char *err;
	size_t err_len;
};

static int walk_fail(struct walk *w, const char *what, int errnum)
{
	snprintf(w->err, w->err_len, "cannot copy %s for nasm: %s%s%s", w->src, what, errnum ? ": " : "",
		 errnum ? strerror(errnum) : "");
	return -1;
}

/* Copies in to the file out, or (out < 0) to the end of mem, at most what
 * is left of the byte budget. */
static int file_take(int in, int out, struct bytes *mem, struct walk *w)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return walk_fail(w, "a read failed", errno);
		if (n == 0)
			return 0;
		w->stats->bytes += (uint64_t)n;
		if (w->stats->bytes > SNAPSHOT_MAX_BYTES)
			return walk_fail(w, "the folder holds more than 64 MiB", 0);
		if (out >= 0 ? fd_write_all(out, buf, (size_t)n) < 0 : bytes_append(mem, buf, (size_t)n) < 0)
			return walk_fail(w, out >= 0 ? "a write failed" : "out of memory", out >= 0 ? errno : 0);
	}
}

static int file_copy(int in, int out, struct walk *w)
{
	return file_take(in, out, NULL, w);
}

/* Opens name in dir without following a symlink, and only when it is still
 * the object lstat saw: something swapped in between is skipped. */
static int entry_open(int dir, const char *name, const struct stat *seen, int flags)
{
	int fd = openat(dir, name, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat now;
	if (fd >= 0 && (fstat(fd, &now) < 0 || now.st_dev != seen->st_dev || now.st_ino != seen->st_ino ||
			(now.st_mode & S_IFMT) != (seen->st_mode & S_IFMT) || now.st_nlink != seen->st_nlink)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int file_snapshot(int src_dir, int dst_dir, const char *name, const struct stat *st, struct walk *w)
{
	int in = entry_open(src_dir, name, st, O_RDONLY);
	if (in < 0) {
		w->stats->skipped++;
		return 0;
	}
	int out = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int rc = out < 0 ? walk_fail(w, "cannot create a copy", errno) : file_copy(in, out, w);
	if (out >= 0 && close(out) < 0 && rc == 0)
		rc = walk_fail(w, "a write failed", errno);
	close(in);
	w->stats->files += rc == 0;
	return rc;
}

static int dir_walk(int src_dir, int dst_dir, int depth, struct walk *w);

static int dir_snapshot(int src_dir, int dst_dir, const char *name, const struct stat *st, int depth,
			struct walk *w)
{
	if (depth >= SNAPSHOT_MAX_DEPTH) {
		w->stats->skipped++;
		return 0;
	}
	int in = entry_open(src_dir, name, st, O_RDONLY | O_DIRECTORY);
	if (in < 0) {
		w->stats->skipped++;
		return 0;
	}
	int out = -1;
	if (mkdirat(dst_dir, name, 0700) == 0)
		out = openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc = out < 0 ? walk_fail(w, "cannot create a folder", errno) : dir_walk(in, out, depth + 1, w);
	if (out >= 0)
		close(out);
	close(in);
	return rc;
}

/* Only single-linked regular files and folders are copied: a symlink or a
 * hard link could stand for a file outside, and nasm has no use for a
 * device, a FIFO or a socket. */
static int entry_snapshot(int src_dir, int dst_dir, const char *name, int depth, struct walk *w)
{
	if (++w->entries > SNAPSHOT_MAX_ENTRIES)
		return walk_fail(w, "the folder holds more than 4096 entries", 0);
	struct stat st;
	if (fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		w->stats->skipped++;
		return 0;
	}
	if (S_ISDIR(st.st_mode) && st.st_dev == w->work_dev && st.st_ino == w->work_ino) {
		w->stats->skipped++;
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return dir_snapshot(src_dir, dst_dir, name, &st, depth, w);
	if (S_ISREG(st.st_mode) && st.st_nlink == 1)
		return file_snapshot(src_dir, dst_dir, name, &st, w);
	w->stats->skipped++;
	return 0;
}

static int dir_walk(int src_dir, int dst_dir, int depth, struct walk *w)
{
	int fd = dup(src_dir);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		int saved = errno;
		if (fd >= 0)
			close(fd);
		return walk_fail(w, "cannot list a folder", saved);
	}
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			rc = entry_snapshot(src_dir, dst_dir, e->d_name, depth, w);
	closedir(d);
	return rc;
}

int snapshot_folder(const char *src, const char *dst, struct snapshot_stats *stats, char *err, size_t err_len)
{
	*stats = (struct snapshot_stats){0};
	struct walk w = { .stats = stats, .src = src, .err = err, .err_len = err_len };
	if (mkdir(dst, 0700) < 0)
		return walk_fail(&w, "cannot create the copy", errno);
	/* The root itself is the case's own folder, named by kvmcheck's user. */
	int in = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (in < 0)
		return walk_fail(&w, "cannot open the folder", errno);
	int out = open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat work;
	if (out >= 0 && fstatat(out, "..", &work, 0) == 0) {
		w.work_dev = work.st_dev;
		w.work_ino = work.st_ino;
	}
	int rc = out < 0 ? walk_fail(&w, "cannot open the copy", errno) : dir_walk(in, out, 0, &w);
	if (out >= 0)
		close(out);
	close(in);
	return rc;
}

/* Opens the single file src as snapshot_file copies it: -1 when it is a
 * symlink, has more than one link or is no regular file. */
static int file_open_checked(const char *src, struct walk *w)
{
	const char *slash = strrchr(src, '/');
	char folder[4096];
	snprintf(folder, sizeof(folder), "%.*s", slash ? (int)(slash - src) + (slash == src) : 1,
		 slash ? src : ".");
	const char *name = slash ? slash + 1 : src;
	int dir = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return walk_fail(w, "cannot open its folder", errno);
	struct stat st;
	int rc = 0;
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		rc = walk_fail(w, "cannot read it", errno);
	else if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
		rc = walk_fail(w, S_ISLNK(st.st_mode) ? "it is now a symlink"
				  : !S_ISREG(st.st_mode) ? "it is not a regular file"
				  : "it has more than one hard link", 0);
	int in = rc == 0 ? entry_open(dir, name, &st, O_RDONLY) : -1;
	if (rc == 0 && in < 0)
		rc = walk_fail(w, "it changed while it was opened", 0);
	close(dir);
	return rc < 0 ? -1 : in;
}

int snapshot_file(const char *src, const char *dst, char *err, size_t err_len)
{
	struct snapshot_stats stats = {0};
	struct walk w = { .stats = &stats, .src = src, .err = err, .err_len = err_len };
	int in = file_open_checked(src, &w);
	if (in < 0)
		return -1;
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int rc = out < 0 ? walk_fail(&w, "cannot create a copy", errno) : file_copy(in, out, &w);
	if (out >= 0 && close(out) < 0 && rc == 0)
		rc = walk_fail(&w, "a write failed", errno);
	close(in);
	return rc;
}

int snapshot_file_read(const char *src, struct bytes *out, char *err, size_t err_len)
{
	struct snapshot_stats stats = {0};
	struct walk w = { .stats = &stats, .src = src, .err = err, .err_len = err_len };
	int in = file_open_checked(src, &w);
	if (in < 0)
		return -1;
	int rc = file_take(in, -1, out, &w);
	close(in);
	return rc;
}
