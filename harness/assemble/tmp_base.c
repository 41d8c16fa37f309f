#include "assemble/tmp_base.h"

#include <linux/magic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

const char *tmp_base_choose(const char *tmpdir, const char *const candidates[], bool (*usable)(const char *dir))
{
	if (tmpdir && *tmpdir)
		return tmpdir;
	for (size_t i = 0; candidates && candidates[i]; i++)
		if (*candidates[i] && usable(candidates[i]))
			return candidates[i];
	return "/tmp";
}

bool tmp_base_usable(const char *dir)
{
	struct statfs fs;
	struct statvfs vfs;
	struct stat st;
	if (dir[0] != '/' || statfs(dir, &fs) < 0 || fs.f_type != TMPFS_MAGIC || statvfs(dir, &vfs) < 0 ||
	    stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) < 0)
		return false;
	bool sticky = st.st_mode & S_ISVTX;
	bool private = st.st_uid == getuid() && !(st.st_mode & (S_IWGRP | S_IWOTH));
	bool private_or_sticky = sticky || private;
	return private_or_sticky && (unsigned long long)vfs.f_bavail * vfs.f_frsize >= TMP_BASE_MIN_FREE;
}

const char *tmp_base(void)
{
	const char *runtime = getenv("XDG_RUNTIME_DIR");
	const char *const candidates[] = { runtime ? runtime : "", "/dev/shm", NULL };
	return tmp_base_choose(getenv("TMPDIR"), candidates, tmp_base_usable);
}
