/* tmp_base: where nasm's private working folders go. Each cold case makes
 * a folder and a few files and removes them; on ext4 (Debian's /tmp) every
 * new inode then searches past the recently deleted ones, which made a
 * cold case cost twice what it does on a tmpfs. */
#ifndef KVMCHECK_TMP_BASE_H
#define KVMCHECK_TMP_BASE_H

#include <stdbool.h>

/* At least this much room, or a tmpfs is passed over: a container's
 * /dev/shm is often 64 MiB, less than the copies of a few large folders. */
#define TMP_BASE_MIN_FREE (256ull << 20)

/* $TMPDIR when set and not empty; else the first of candidates (a NULL-
 * terminated list; empty entries are skipped) that usable accepts;
 * else "/tmp". */
const char *tmp_base_choose(const char *tmpdir, const char *const candidates[], bool (*usable)(const char *dir));

/* A tmpfs folder this user may create folders in, private to the user or
 * sticky, with TMP_BASE_MIN_FREE free. */
bool tmp_base_usable(const char *dir);

/* tmp_base_choose over $TMPDIR, $XDG_RUNTIME_DIR and /dev/shm: a few
 * system calls when TMPDIR is not set, against a cold case's thousands. */
const char *tmp_base(void);

#endif
