#include "assemble/cache_prune.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "assemble/cache_entry.h"

struct prune_entry {
	char name[2 * CACHE_KEY_BYTES + 1];
	uint64_t size;
	struct timespec used;
};

/* Entries are named by their key in hex; temporary files and anything
 * else a person put there are not the cache's to remove. */
static bool entry_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n != 2 * CACHE_KEY_BYTES)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)name[i]))
			return false;
	return true;
}

static int older_first(const void *a, const void *b)
{
	const struct timespec *x = &((const struct prune_entry *)a)->used, *y = &((const struct prune_entry *)b)->used;
	if (x->tv_sec != y->tv_sec)
		return x->tv_sec < y->tv_sec ? -1 : 1;
	return x->tv_nsec < y->tv_nsec ? -1 : x->tv_nsec > y->tv_nsec;
}

/* The entries of d and their total size; NULL with *count 0 when there
 * are none, or when memory runs out (then nothing is pruned). */
static struct prune_entry *entries_list(DIR *d, size_t *count, uint64_t *total)
{
	struct prune_entry *list = NULL;
	size_t cap = 0;
	struct dirent *e;
	*count = 0;
	*total = 0;
	while ((e = readdir(d))) {
		struct stat st;
		if (!entry_name_ok(e->d_name) || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (*count == cap) {
			size_t grown = cap ? 2 * cap : 256;
			struct prune_entry *bigger = realloc(list, grown * sizeof(*list));
			if (!bigger) {
				free(list);
				*count = 0;
				return NULL;
			}
			list = bigger;
			cap = grown;
		}
		struct prune_entry *p = &list[(*count)++];
		memcpy(p->name, e->d_name, sizeof(p->name));
		p->size = (uint64_t)st.st_size;
		p->used = st.st_mtim;
		*total += p->size;
	}
	return list;
}

long cache_prune(const char *dir, uint64_t max_bytes)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	size_t count;
	uint64_t total;
	struct prune_entry *list = entries_list(d, &count, &total);
	long removed = 0;
	if (total > max_bytes) {
		qsort(list, count, sizeof(*list), older_first);
		uint64_t target = max_bytes / 4 * 3;
		for (size_t i = 0; i < count && total > target; i++) {
			if (unlinkat(dirfd(d), list[i].name, 0) == 0) {
				total -= list[i].size;
				removed++;
			}
		}
	}
	free(list);
	closedir(d);
	return removed;
}

void cache_entry_touch(int fd)
{
	futimens(fd, NULL);
}
