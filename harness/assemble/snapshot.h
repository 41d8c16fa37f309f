/* snapshot: a private copy of the folder nasm may read, taken once, so that
 * what nasm reads is what was checked. The folder is walked with
 * O_NOFOLLOW at every component below its root; only regular files with a
 * single link are copied (a symlink or a hard link may stand for any file
 * elsewhere), and anything swapped in the original afterwards is never seen. */
#ifndef KVMCHECK_SNAPSHOT_H
#define KVMCHECK_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"

/* Bounds of one snapshot: a folder larger than this is refused, not cut. */
#define SNAPSHOT_MAX_BYTES (64u << 20)
#define SNAPSHOT_MAX_ENTRIES 4096u
#define SNAPSHOT_MAX_DEPTH 16

struct snapshot_stats {
	uint64_t bytes;
	size_t files;   /* copied */
	size_t skipped; /* symlinks, hard links, devices, FIFOs, sockets: not copied */
};

/* Copies the folder src into dst (created, mode 0700). Returns 0, or -1 with
 * err saying why (a folder over the bounds, an I/O error). */
int snapshot_folder(const char *src, const char *dst, struct snapshot_stats *stats, char *err, size_t err_len);

/* Copies the single file src to dst the same way: refused when it is a
 * symlink, has more than one link or is no regular file. */
int snapshot_file(const char *src, const char *dst, char *err, size_t err_len);

/* Appends the single file src to out, checked as snapshot_file checks it;
 * 0, or -1 with err. */
int snapshot_file_read(const char *src, struct bytes *out, char *err, size_t err_len);

/* Test hook: called between the snapshot and nasm's start, so a test can
 * swap files in the original folder and see that nasm does not notice. */
extern void (*snapshot_after_hook)(void);

#endif
