/* The executable's lookup and the loader's files: see sandbox_paths.h. */
#include "assemble/sandbox/paths.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/proc.h"

/* Library folders are not here: only the files the executable loads are
 * granted (sandbox_exe_libraries), so nothing else in /usr/lib is visible. */
const struct sandbox_system_path sandbox_system_paths[] = {
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

/* ---- the libraries an executable loads ---- */

static void ldd_body(void *ctx, int out_fd)
{
	const char *exe = ctx;
	if (dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(127);
	char *const argv[] = { "ldd", (char *)exe, NULL };
	char *const envp[] = { "PATH=/usr/bin:/bin", "LC_ALL=C", NULL };
	execve("/usr/bin/ldd", argv, envp);
	execve("/bin/ldd", argv, envp);
	/* Where there is no ldd (a minimal system such as busybox), the loader
	 * itself lists what it would load, as ldd asks it to. */
	char *const loader_argv[] = { "ld.so", "--list", (char *)exe, NULL };
	execve("/lib64/ld-linux-x86-64.so.2", loader_argv, envp);
	_exit(127);
}

/* Each absolute path in ldd's output ("libc.so.6 => /lib/.../libc.so.6 (0x...)",
 * "/lib64/ld-linux-x86-64.so.2 (0x...)"), as the loader will open it. */
static int ldd_parse(char *text, char **libs, size_t max)
{
	size_t n = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *path = strchr(line, '/');
		if (!path)
			continue;
		path[strcspn(path, " \t(")] = '\0';
		if (n == max || !(libs[n] = strdup(path)))
			return -1;
		n++;
	}
	return 0;
}

static pthread_mutex_t libraries_lock = PTHREAD_MUTEX_INITIALIZER;
static char libraries_exe[PATH_MAX];
static char *libraries[SANDBOX_MAX_LIBRARIES + 1];
/* ldd started ahead of the question (sandbox_libraries_start): it runs
 * while kvmcheck does other work. */
static struct proc_ahead ahead;

static void libraries_forget(void)
{
	for (size_t i = 0; libraries[i]; i++) {
		free(libraries[i]);
		libraries[i] = NULL;
	}
	libraries_exe[0] = '\0';
}

static int ldd_start(struct proc *ldd, const char *exe, char *err, size_t err_len)
{
	return proc_start(ldd, ldd_body, (void *)exe, 1u << 16, clock_ns() + 10000000000ull, err, err_len);
}

/* Waits for ldd of exe, started by ldd_start, and lists what it printed. */
static int ldd_collect(struct proc *ldd, const char *exe, char *err, size_t err_len)
{
	proc_wait(ldd);
	bool ok = !ldd->killed && WIFEXITED(ldd->status) && WEXITSTATUS(ldd->status) == 0;
	bool is_static = ldd->out.len && memmem(ldd->out.data, ldd->out.len, "not a dynamic", 13);
	int rc = -1;
	if ((ok || is_static) && bytes_push(&ldd->out, '\0') == 0)
		rc = is_static ? 0 : ldd_parse((char *)ldd->out.data, libraries, SANDBOX_MAX_LIBRARIES);
	if (rc < 0)
		snprintf(err, err_len, "cannot list the libraries %s loads (ldd, or the loader's --list)", exe);
	return rc;
}

/* The ldd started ahead, if it was for exe; else a new one. */
static int libraries_find(const char *exe, char *err, size_t err_len)
{
	struct proc ldd;
	int rc = proc_ahead_take(&ahead, exe, &ldd) ? 0 : ldd_start(&ldd, exe, err, err_len);
	if (rc == 0)
		rc = ldd_collect(&ldd, exe, err, err_len);
	proc_free(&ldd);
	return rc;
}

const char *const *sandbox_exe_libraries(const char *exe, char *err, size_t err_len)
{
	pthread_mutex_lock(&libraries_lock);
	const char *const *found = (const char *const *)libraries;
	if (strcmp(libraries_exe, exe) != 0) {
		libraries_forget();
		if (libraries_find(exe, err, err_len) == 0)
			snprintf(libraries_exe, sizeof(libraries_exe), "%s", exe);
		else {
			libraries_forget();
			found = NULL;
		}
	}
	pthread_mutex_unlock(&libraries_lock);
	return found;
}

void sandbox_libraries_start(const char *exe)
{
	char err[PATH_MAX + 200];
	pthread_mutex_lock(&libraries_lock);
	if (strcmp(libraries_exe, exe) != 0 && !proc_ahead_holds(&ahead, exe)) {
		proc_ahead_drop(&ahead);
		proc_ahead_keep(&ahead, exe, ldd_start(&ahead.proc, exe, err, sizeof(err)));
	}
	pthread_mutex_unlock(&libraries_lock);
}

void sandbox_libraries_abandon(void)
{
	pthread_mutex_lock(&libraries_lock);
	proc_ahead_drop(&ahead);
	pthread_mutex_unlock(&libraries_lock);
}
