/* cache_prune: keeps the persistent assembly cache (disk_cache.h) within a
 * size. A run's entries are a few KiB each, but a course CI that grades on
 * every push makes new ones forever; the least recently used go first. */
#ifndef KVMCHECK_CACHE_PRUNE_H
#define KVMCHECK_CACHE_PRUNE_H

#include <stddef.h>
#include <stdint.h>

#define CACHE_DEFAULT_MAX_MB 512u  /* --cache-max-mb */
#define CACHE_MAX_MAX_MB 1048576u  /* 1 TiB */

/* When the entries in dir (files named by a key) hold more than max_bytes,
 * removes the least recently used (oldest modification time: a hit
 * touches its entry) until they hold at most three quarters of it, so the
 * next runs do not prune again at once. Other files are left alone. The
 * number of entries removed, or -1 when dir cannot be read. */
long cache_prune(const char *dir, uint64_t max_bytes);

/* Marks the entry open on fd as just used (its modification time). */
void cache_entry_touch(int fd);

#endif
