/* The user+mount namespace fallback: see sandbox_mountns.h. */
#include "assemble/sandbox/mountns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "assemble/sandbox/child.h"
#include "assemble/sandbox/paths.h"

/* ---- parent: the bind list ---- */

/* path shown in the namespace with source's content (source NULL: its own). */
static int bind_add_from(struct sandbox_binds *binds, const char *cwd, const char *path, const char *source,
			 bool writable, bool required, char *err, size_t err_len)
{
	char abs[PATH_MAX], abs_source[PATH_MAX];
	struct stat st;
	int rc = sandbox_path_absolute(cwd, path, abs, sizeof(abs));
	if (rc == 0 && source)
		rc = sandbox_path_absolute(cwd, source, abs_source, sizeof(abs_source));
	if (rc < 0)
		errno = ENAMETOOLONG;
	else
		rc = stat(source ? abs_source : abs, &st);
	if (rc < 0) {
		if (required)
			snprintf(err, err_len, "cannot allow %s in the sandbox: %s", path, strerror(errno));
		return required ? -1 : 0;
	}
	char *copy = strdup(abs), *source_copy = source ? strdup(abs_source) : NULL;
	if (!copy || (source && !source_copy)) {
		free(copy);
		free(source_copy);
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	/* Insertion keeps shorter paths first: a folder before what is inside it. */
	size_t at = binds->n;
	while (at > 0 && strlen(binds->v[at - 1].path) > strlen(copy)) {
		binds->v[at] = binds->v[at - 1];
		at--;
	}
	binds->v[at] = (struct sandbox_bind){ .path = copy, .source = source_copy, .is_dir = S_ISDIR(st.st_mode),
					      .writable = writable };
	binds->n++;
	return 0;
}

static int bind_add(struct sandbox_binds *binds, const char *cwd, const char *path, bool writable, bool required,
		    char *err, size_t err_len)
{
	return bind_add_from(binds, cwd, path, NULL, writable, required, err, err_len);
}

int sandbox_binds_plan(struct sandbox_binds *binds, const struct sandbox_policy *policy, const char *cwd,
		       const char *exe, char *err, size_t err_len)
{
	const char *const *libs = sandbox_exe_libraries(exe, err, err_len);
	if (!libs)
		return -1;
	size_t n = SANDBOX_SYSTEM_PATHS + 2;
	for (const char *const *l = libs; *l; l++)
		n++;
	for (const char *const *p = policy->read_paths; p && *p; p++)
		n++;
	binds->n = 0;
	binds->v = calloc(n, sizeof(*binds->v));
	if (!binds->v) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	for (size_t i = 0; policy->read_paths && policy->read_paths[i]; i++) {
		const char *source = policy->read_sources ? policy->read_sources[i] : NULL;
		if (bind_add_from(binds, cwd, policy->read_paths[i], source, false, true, err, err_len) < 0)
			return -1;
	}
	if (policy->write_dir && bind_add(binds, cwd, policy->write_dir, true, true, err, err_len) < 0)
		return -1;
	if (bind_add(binds, cwd, exe, false, true, err, err_len) < 0)
		return -1;
	for (const char *const *l = libs; *l; l++)
		if (bind_add(binds, cwd, *l, false, true, err, err_len) < 0)
			return -1;
	for (size_t i = 0; i < SANDBOX_SYSTEM_PATHS; i++)
		bind_add(binds, cwd, sandbox_system_paths[i].path, false, false, err, err_len);
	return 0;
}

void sandbox_binds_free(struct sandbox_binds *binds)
{
	for (size_t i = 0; i < binds->n; i++) {
		free(binds->v[i].path);
		free(binds->v[i].source);
	}
	free(binds->v);
	*binds = (struct sandbox_binds){ 0 };
}

/* ---- child: only async-signal-safe calls from here on ---- */

#define NEW_ROOT "/tmp"

static size_t decimal(char *out, unsigned long v)
{
	char tmp[24];
	size_t n = 0, len = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	while (n > 0)
		out[len++] = tmp[--n];
	return len;
}

static int file_put(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

/* Writes "id id 1": maps our id to itself. */
static int id_map_write(const char *path, unsigned long id)
{
	char line[64];
	size_t n = decimal(line, id);
	line[n++] = ' ';
	n += decimal(line + n, id);
	memcpy(line + n, " 1\n", 3);
	return file_put(path, line, n + 3);
}

/* Our own ids, so files written in write_dir keep their owner. */
static int idmap(uid_t uid, gid_t gid)
{
	if (file_put("/proc/self/setgroups", "deny", 4) < 0 && errno != ENOENT)
		return -1;
	if (id_map_write("/proc/self/uid_map", uid) < 0)
		return -1;
	return id_map_write("/proc/self/gid_map", gid);
}

static int path_join(char *out, size_t len, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la + lb + 1 > len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(out, a, la);
	memcpy(out + la, b, lb + 1);
	return 0;
}

/* Creates the folders leading to a mount point below the new root, and the
 * mount point itself (an empty file for a file). */
static int mountpoint_make(char *path, bool is_dir)
{
	for (char *s = path + strlen(NEW_ROOT) + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		int rc = mkdir(path, 0755);
		*s = '/';
		if (rc < 0 && errno != EEXIST)
			return -1;
	}
	if (is_dir)
		return mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* Flags a bind mount must keep: in a user namespace the kernel refuses a
 * remount that would clear flags locked by the outer namespace. */
static unsigned long mount_flags_locked(const char *path)
{
	struct statvfs s;
	if (statvfs(path, &s) < 0)
		return 0;
	static const struct {
		unsigned long st, ms;
	} map[] = {
		{ ST_RDONLY, MS_RDONLY },	{ ST_NOSUID, MS_NOSUID },     { ST_NODEV, MS_NODEV },
		{ ST_NOEXEC, MS_NOEXEC },	{ ST_NOATIME, MS_NOATIME },   { ST_NODIRATIME, MS_NODIRATIME },
		{ ST_RELATIME, MS_RELATIME },
	};
	unsigned long flags = 0;
	for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++)
		if (s.f_flag & map[i].st)
			flags |= map[i].ms;
	return flags;
}

static int bind_one(const struct sandbox_bind *b, int src_fd)
{
	char target[PATH_MAX + 8], source[32] = "/proc/self/fd/";
	if (path_join(target, sizeof(target), NEW_ROOT, b->path) < 0)
		return -1;
	source[14 + decimal(source + 14, (unsigned long)src_fd)] = '\0';
	if (mount(source, target, NULL, MS_BIND, NULL) < 0)
		return -1;
	unsigned long flags = mount_flags_locked(target) | MS_NOSUID | MS_NODEV;
	flags |= b->writable ? MS_NOEXEC : MS_RDONLY;
	return mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | flags, NULL);
}

static void fds_close(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Mount points first (all inside the fresh tmpfs), then the binds. */
static int binds_mount(const struct sandbox_binds *binds, int *fds)
{
	char target[PATH_MAX + 8];
	for (size_t i = 0; i < binds->n; i++)
		if (path_join(target, sizeof(target), NEW_ROOT, binds->v[i].path) < 0 ||
		    mountpoint_make(target, binds->v[i].is_dir) < 0)
			return -1;
	for (size_t i = 0; i < binds->n; i++)
		if (bind_one(&binds->v[i], fds[i]) < 0)
			return -1;
	return 0;
}

/* Swaps the real root for the tmpfs and forgets the real one. */
static int root_pivot(const char *cwd)
{
	if (chdir(NEW_ROOT) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 ||
	    chdir("/") < 0)
		return -1;
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
		return -1;
	if (chdir(cwd) < 0 && chdir("/") < 0)
		return -1;
	return 0;
}

/* Sources are opened before the tmpfs is mounted over /tmp, where they may
 * live; the fds are closed before exec, as an O_PATH fd to the old root
 * would be a way back out. */
int sandbox_mountns_enter(const struct sandbox_binds *binds, const char *cwd, uid_t uid, gid_t gid, bool cut_net,
			  int *stage)
{
	int fds[SANDBOX_SYSTEM_PATHS + 64];
	if (binds->n > sizeof(fds) / sizeof(*fds)) {
		*stage = ST_MOUNT;
		errno = E2BIG;
		return -1;
	}
	for (size_t i = 0; i < binds->n; i++)
		fds[i] = -1;
	*stage = ST_USERNS;
	bool tmpfs = false;
	int rc = unshare(CLONE_NEWUSER | CLONE_NEWNS | (cut_net ? CLONE_NEWNET : 0));
	if (rc == 0) {
		*stage = ST_IDMAP;
		rc = idmap(uid, gid);
	}
	if (rc == 0) {
		*stage = ST_MOUNT; /* and keep our mounts from propagating to the host */
		rc = mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	}
	/* Only now: a bind source must be a mount of the new namespace. */
	for (size_t i = 0; rc == 0 && i < binds->n; i++)
		fds[i] = open(binds->v[i].source ? binds->v[i].source : binds->v[i].path, O_PATH | O_CLOEXEC);
	if (rc == 0)
		rc = mount("tmpfs", NEW_ROOT, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755");
	if (rc == 0) {
		tmpfs = true;
		rc = binds_mount(binds, fds);
	}
	int saved = errno;
	fds_close(fds, binds->n);
	errno = saved;
	if (rc == 0 && (rc = root_pivot(cwd)) == 0)
		return 0;
	/* With unsafe the tool still runs: give it back the real /tmp. */
	saved = errno;
	if (tmpfs)
		umount2(NEW_ROOT, MNT_DETACH);
	errno = saved;
	return -1;
}
