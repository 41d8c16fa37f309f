#include "case/submission_path.h"

#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int submission_path_check(const char *relative, char *why, size_t why_len)
{
	if (!relative[0]) {
		snprintf(why, why_len, "'submission' is empty: it names a file inside the submission folder");
		return -1;
	}
	if (relative[0] == '/') {
		snprintf(why, why_len, "'submission' is the absolute path '%s': it names a file inside the submission "
			 "folder", relative);
		return -1;
	}
	for (const char *part = relative; *part;) {
		size_t len = strcspn(part, "/");
		if (len == 2 && part[0] == '.' && part[1] == '.') {
			snprintf(why, why_len, "'submission' '%s' goes up with '..': it names a file inside the "
				 "submission folder", relative);
			return -1;
		}
		part += len + (part[len] == '/');
	}
	return 0;
}

/* Whether real is root or lies below it (both resolved). */
static bool real_under(const char *real, const char *root)
{
	size_t n = strlen(root);
	if (n == 1 && root[0] == '/')
		return true;
	return strncmp(real, root, n) == 0 && (real[n] == '/' || real[n] == '\0');
}

/* The resolved path, or for a missing file its resolved folder (*missing
 * set): the parts that exist must not lead out. NULL when not even the
 * folder resolves. */
static char *resolve_existing(const char *path, bool *missing)
{
	char *real = realpath(path, NULL);
	*missing = !real && errno == ENOENT;
	if (!*missing)
		return real;
	char *copy = strdup(path);
	char *folder = copy ? realpath(dirname(copy), NULL) : NULL;
	free(copy);
	return folder;
}

int submission_path_resolve(const char *folder, const char *relative, char **path, char *why, size_t why_len)
{
	*path = NULL;
	if (submission_path_check(relative, why, why_len) < 0)
		return -1;
	size_t len = strlen(folder) + strlen(relative) + 2;
	char *joined = malloc(len);
	char *root = realpath(folder, NULL);
	if (!joined || !root) {
		snprintf(why, why_len, "cannot read the submission folder '%s': %s", folder,
			 joined ? strerror(errno) : "out of memory");
		free(joined);
		free(root);
		return -1;
	}
	snprintf(joined, len, "%s/%s", folder, relative);
	bool missing;
	char *real = resolve_existing(joined, &missing);
	bool found = real != NULL;
	/* The folder itself is no file in it; a missing file's folder may be. */
	bool inside = found && real_under(real, root) && (missing || strcmp(real, root) != 0);
	free(real);
	free(root);
	if (!found) {
		snprintf(why, why_len, "'submission' '%s': its folder is not in the submission folder '%s'", relative,
			 folder);
		free(joined);
		return -1;
	}
	if (!inside) {
		snprintf(why, why_len, "'submission' '%s' leads out of the submission folder '%s' (a symlink): only "
			 "files inside it may be assembled", relative, folder);
		free(joined);
		return -1;
	}
	*path = joined;
	return 0;
}
