/* Paths the sandbox grants beyond the policy's own: the executable, found
 * the way execvp would find it, and the files the dynamic loader and libc
 * open on the way to main(). */
#ifndef KVMCHECK_SANDBOX_PATHS_H
#define KVMCHECK_SANDBOX_PATHS_H

#include <stdbool.h>
#include <stddef.h>

struct sandbox_system_path {
	const char *path;
	bool libraries; /* a folder of shared libraries: read+execute, not listing; else a file: read */
};

/* Missing ones are skipped by both Landlock and the bind list. */
enum { SANDBOX_SYSTEM_PATHS = 3, SANDBOX_MAX_LIBRARIES = 32 };
extern const struct sandbox_system_path sandbox_system_paths[];

/* path made absolute against cwd into out; -1 when it does not fit. */
int sandbox_path_absolute(const char *cwd, const char *path, char *out, size_t len);

/* Resolves name (looked up in PATH unless it holds a '/') to an absolute
 * executable file, so the rule covers the very file run; -1 with err. */
int sandbox_exe_resolve(const char *name, const char *cwd, char *out, size_t len, char *err, size_t err_len);

/* The shared objects exe loads, at the paths the dynamic loader opens them
 * (from ldd, computed once per executable): NULL-terminated, owned here
 * and valid until the next call with another exe; NULL with err when they
 * cannot be listed. */
const char *const *sandbox_exe_libraries(const char *exe, char *err, size_t err_len);

/* Starts ldd on exe now, so that it runs while the caller does other work
 * (loads the cases); the next sandbox_exe_libraries(exe) waits for it and
 * reads its answer as it would a fresh one's. A start for another exe, or
 * one that fails, is dropped there and ldd runs then. Best effort. */
void sandbox_libraries_start(const char *exe);

/* Kills and reaps an ldd started ahead whose answer was never asked for
 * (a run whose cases all came from the cache, in one process). */
void sandbox_libraries_abandon(void);

#endif
