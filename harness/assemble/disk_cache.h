/* disk_cache: assemblies kept across runs, one file per key in a private
 * folder ($XDG_CACHE_HOME/kvmcheck, by default ~/.cache/kvmcheck).
 *
 * The key is an XXH3-128 hash of nasm (its `-v` line and the executable's
 * identity), of the parameters that shape the result and its messages,
 * and of every file of the private work folder nasm runs in (names and
 * bytes, in a stable order): the copy of the source and of its folder is
 * all nasm can read there, so the key covers every byte it could have
 * read. This is coarser than nasm's dependency list (any file of the
 * folder changing is a miss) but exact: a dependency list leaves out the
 * files nasm looked for and did not find, whose later appearance changes
 * the result, and getting it costs a nasm run, which is what a hit saves.
 *
 * Entries are written to a temporary file in the folder and renamed into
 * place, so concurrent runs never see part of one; each is verified when
 * read (cache_entry.h), and anything wrong with it is a miss. */
#ifndef KVMCHECK_DISK_CACHE_H
#define KVMCHECK_DISK_CACHE_H

#include <limits.h>
#include <stddef.h>

#include "assemble/assembler.h"
#include "assemble/cache_entry.h"

/* A larger entry is neither stored nor read. */
#define DISK_CACHE_MAX_ENTRY (80u << 20)

struct disk_cache {
	char dir[PATH_MAX];
	struct cache_key nasm; /* which nasm: part of every key */
};

/* The default folder, from the environment; -1 with err when neither
 * XDG_CACHE_HOME nor HOME names one. */
int disk_cache_default_dir(char *out, size_t len, char *err, size_t err_len);

/* Makes dir (mode 0700, with its parents) unless it exists, refuses a
 * folder another user owns or others may write in, identifies nasm by
 * running `nasm -v` once, and removes temporary files that dead runs
 * left. 0, or -1 with err. */
int disk_cache_open(struct disk_cache *dc, const char *dir, char *err, size_t err_len);

/* Starts `nasm -v` now, so that it runs while the caller does other work
 * (loads the cases); the next disk_cache_open waits for it and uses its
 * answer, unless nasm is found elsewhere by then (another PATH or folder):
 * then that nasm is run. Best effort: a failure here is met again there. */
void disk_cache_identify_start(void);

/* Kills and reaps a `nasm -v` started ahead that no disk_cache_open took. */
void disk_cache_identify_abandon(void);

/* The key of assembling in workdir (nothing in it but what nasm may read)
 * with params (the flags, limits and names, encoded unambiguously). -1 when the folder holds
 * something that is not a file or a folder, or cannot be read. */
int disk_cache_key(const struct disk_cache *dc, const struct bytes *params, const char *workdir,
		   struct cache_key *key);

/* The key disk_cache_key gives a work folder holding nothing but an empty
 * folder named dir_name and a file named file_name with the len bytes at
 * data: taken without making that folder. */
int disk_cache_key_of_one_file(const struct disk_cache *dc, const struct bytes *params, const char *file_name,
			       const void *data, size_t len, const char *dir_name, struct cache_key *key);

/* 0 and a filled (the caller's to free) when an intact entry for key is
 * there; -1 (a miss, a left empty) otherwise. */
int disk_cache_load(const struct disk_cache *dc, const struct cache_key *key, struct assembly *a);

/* Stores a under key, replacing any entry there. 0, or -1 when it could
 * not (the run goes on without it). */
int disk_cache_store(const struct disk_cache *dc, const struct cache_key *key, const struct assembly *a);

#endif
