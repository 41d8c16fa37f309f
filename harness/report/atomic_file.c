#include "report/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/strfmt.h"
/* As `mkdir -p $(dirname path)`. Returns 0, or the errno of the first
 * folder that is not there and could not be made (its name in failed), so
 * that a read-only or forbidden folder is named for what it is rather than
 * as the "No such file or directory" the file's creation then meets. */
static int parents_create(const char *path, char *failed, size_t failed_len)
{
	char *buf = strdup(path);
	int first = 0;
	for (char *p = buf ? buf + 1 : NULL; p && *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) < 0 && errno != EEXIST && !first) {
			first = errno;
			snprintf(failed, failed_len, "%s", buf);
		}
		*p = '/';
	}
	free(buf);
	return first;
}

/* A new file or a regular one is replaced; anything else is written
 * through: a device or FIFO cannot be replaced, and replacing a symbolic
 * link would cut it from the file it names. */
static bool is_replaceable(const char *path)
{
	struct stat st;
	return lstat(path, &st) != 0 || S_ISREG(st.st_mode);
}

/* Closes f; false with errno set when anything written to it was lost. */
static bool stream_close(FILE *f)
{
	bool ok = fflush(f) == 0 && !ferror(f);
	int saved = errno;
	ok &= fclose(f) == 0;
	if (!ok && saved)
		errno = saved;
	return ok;
}

static int fill_and_close(FILE *f, const char *path, atomic_fill_fn *fill, void *ctx, char *err, size_t err_len)
{
	char why[512] = "";
	errno = 0;
	int rc = fill(f, ctx, why, sizeof(why));
	int saved = errno;
	if (!stream_close(f) && rc == 0) {
		strfmt_err(err, err_len, "cannot write %s: %s", path, strerror(errno ? errno : EIO));
		return -1;
	}
	if (rc < 0) {
		if (why[0])
			strfmt_err(err, err_len, "cannot write %s: %s", path, why);
		else
			strfmt_err(err, err_len, "cannot write %s: %s", path, strerror(saved ? saved : EIO));
		return -1;
	}
	return 0;
}

static int write_in_place(const char *path, atomic_fill_fn *fill, void *ctx, char *err, size_t err_len)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		strfmt_err(err, err_len, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	return fill_and_close(f, path, fill, ctx, err, err_len);
}

/* "dir/.name.tmp-PID-N": beside path, so rename stays in one file system,
 * and hidden. Opened with O_EXCL and mode 0666, so the umask applies as it
 * does to any file. */
static FILE *temp_open(const char *path, char **temp_path)
{
	static unsigned counter;
	const char *slash = strrchr(path, '/');
	int dir_len = slash ? (int)(slash - path + 1) : 0;
	const char *base = slash ? slash + 1 : path;
	for (int attempt = 0; attempt < 100; attempt++) {
		char *temp = NULL;
		if (asprintf(&temp, "%.*s.%s.tmp-%ld-%u", dir_len, path, base, (long)getpid(), counter++) < 0)
			return NULL;
		int fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0) {
			FILE *f = fdopen(fd, "w");
			if (f) {
				*temp_path = temp;
				return f;
			}
			close(fd);
			unlink(temp);
		}
		int saved = errno;
		free(temp);
		errno = saved;
		if (fd >= 0 || errno != EEXIST)
			return NULL;
	}
	return NULL;
}

/* Makes path's folders and opens a temporary file beside it. NULL with err
 * filled in: a folder that could not be made is named for what went wrong
 * with it rather than as the ENOENT the file's creation then meets. */
static FILE *temp_create(const char *path, char **temp, char *err, size_t err_len)
{
	char folder[4096] = "";
	int folder_errno = parents_create(path, folder, sizeof(folder));
	FILE *f = temp_open(path, temp);
	if (f)
		return f;
	if (errno == ENOENT && folder_errno)
		strfmt_err(err, err_len, "cannot create %s: cannot create its folder %s: %s", path, folder,
			   strerror(folder_errno));
	else
		strfmt_err(err, err_len, "cannot create %s: %s", path, strerror(errno));
	return NULL;
}

int atomic_file_check(const char *path, char *err, size_t err_len)
{
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		strfmt_err(err, err_len, "cannot write %s: %s", path, strerror(EISDIR));
		return -1;
	}
	if (!is_replaceable(path)) {
		if (access(path, W_OK) == 0)
			return 0;
		strfmt_err(err, err_len, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	char *temp = NULL;
	FILE *f = temp_create(path, &temp, err, err_len);
	if (!f)
		return -1;
	fclose(f);
	unlink(temp);
	free(temp);
	return 0;
}

int atomic_file_write(const char *path, atomic_fill_fn *fill, void *ctx, char *err, size_t err_len)
{
	if (!is_replaceable(path))
		return write_in_place(path, fill, ctx, err, err_len);
	char *temp = NULL;
	FILE *f = temp_create(path, &temp, err, err_len);
	if (!f)
		return -1;
	int rc = fill_and_close(f, path, fill, ctx, err, err_len);
	if (rc == 0 && rename(temp, path) != 0) {
		strfmt_err(err, err_len, "cannot write %s: %s", path, strerror(errno));
		rc = -1;
	}
	if (rc < 0)
		unlink(temp);
	free(temp);
	return rc;
}
