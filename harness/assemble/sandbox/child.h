/* The forked child's side of sandbox_spawn: the plan the parent prepares,
 * the setup sequence the child runs with it, and the failure records it
 * sends back through the report pipe (nothing at all when exec works). */
#ifndef KVMCHECK_SANDBOX_CHILD_H
#define KVMCHECK_SANDBOX_CHILD_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "assemble/sandbox/mountns.h"
#include "assemble/sandbox/seccomp.h"

/* What the child tried; in its order. */
enum sandbox_stage {
	ST_STDIO = 1,
	ST_NNP,
	ST_LANDLOCK,
	ST_USERNS,
	ST_IDMAP,
	ST_MOUNT,
	ST_SECCOMP,
	ST_NETNS,
	ST_CAPS,
	ST_FDS,
	ST_RLIMIT,
	ST_EXEC,
	ST_REFUSED, /* not confined enough and not unsafe: the end of the list */
};

#define SANDBOX_RECORDS_MAX 8

/* One failure: err is an errno, or -1 for turned off by pretend_missing. */
struct sandbox_record {
	int32_t stage;
	int32_t err;
};

/* Everything the child needs, prepared by the parent. */
struct sandbox_plan {
	char exe[PATH_MAX];
	char cwd[PATH_MAX];
	char workdir[PATH_MAX]; /* where the child starts, when the policy says; "": cwd */
	int ruleset_fd; /* -1: no Landlock */
	char landlock_why[128];
	struct sandbox_filter filter;
	struct sandbox_binds binds; /* nasm's world; empty when user namespaces are pretended away */
	struct rlimit limits[RLIM_NLIMITS];
	bool limit_set[RLIM_NLIMITS];
	bool unsafe;
	unsigned pretend;
	uid_t uid;
	gid_t gid;
};

/* Confines itself, then execs plan->exe with argv; on failure writes its
 * records to report_fd and exits 127. Async-signal-safe throughout. */
_Noreturn void sandbox_child_run(const struct sandbox_plan *plan, char *const argv[], int out_fd, int report_fd);

/* sandbox_child_run's set-up without the exec, for a process that is
 * already the program (a nasm forked after its start-up, zygote.h):
 * returns confined, with stdio on out_fd, every other fd closed, and the
 * report pipe closed last, which tells the parent set-up worked. On
 * failure writes its records and exits 127. */
void sandbox_child_enter(const struct sandbox_plan *plan, int out_fd, int report_fd);

#endif
