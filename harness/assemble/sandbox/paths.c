/* The executable's lookup and the loader's files: see sandbox_paths.h. */
#include "assemble/sandbox/paths.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const struct sandbox_system_path sandbox_system_paths[] = {
	{ "/lib", true },
	{ "/lib64", true },
	{ "/lib32", true },
	{ "/libx32", true },
	{ "/usr/lib", true },
	{ "/usr/lib64", true },
	{ "/usr/lib32", true },
	{ "/usr/libx32", true },
	{ "/usr/local/lib", true },
	{ "/etc/ld.so.cache", false },
	{ "/etc/ld.so.preload", false },
	{ "/etc/localtime", false },
};
_Static_assert(sizeof(sandbox_system_paths) / sizeof(*sandbox_system_paths) == SANDBOX_SYSTEM_PATHS,
	       "SANDBOX_SYSTEM_PATHS does not match the table");

int sandbox_path_absolute(const char *cwd, const char *path, char *out, size_t len)
{
	int n = path[0] == '/' ? snprintf(out, len, "%s", path) : snprintf(out, len, "%s/%s", cwd, path);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

static bool is_executable_file(const char *path)
{
	struct stat st;
	if (access(path, X_OK) < 0 || stat(path, &st) < 0)
		return false;
	if (!S_ISREG(st.st_mode))
		errno = EACCES;
	return S_ISREG(st.st_mode);
}

int sandbox_exe_resolve(const char *name, const char *cwd, char *out, size_t len, char *err, size_t err_len)
{
	if (strchr(name, '/')) {
		errno = ENAMETOOLONG;
		if (sandbox_path_absolute(cwd, name, out, len) == 0 && is_executable_file(out))
			return 0;
		snprintf(err, err_len, "cannot run %s: %s", name, strerror(errno));
		return -1;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *dir = path; dir; dir = strchr(dir, ':') ? strchr(dir, ':') + 1 : NULL) {
		size_t dlen = strcspn(dir, ":");
		char cand[PATH_MAX];
		int n = dlen ? snprintf(cand, sizeof(cand), "%.*s/%s", (int)dlen, dir, name)
			     : snprintf(cand, sizeof(cand), "%s", name);
		if (n <= 0 || (size_t)n >= sizeof(cand) || sandbox_path_absolute(cwd, cand, out, len) < 0)
			continue;
		if (is_executable_file(out))
			return 0;
	}
	snprintf(err, err_len, "cannot run %s: not found in PATH", name);
	return -1;
}
