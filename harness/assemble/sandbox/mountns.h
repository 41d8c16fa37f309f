/* nasm's world of its own: a user namespace (with a network namespace
 * where seccomp cannot cut the network) and a mount namespace
 * whose root is an empty read-only tmpfs holding bind mounts of just the
 * allowed paths. The parent plans the bind list, the child enters. */
#ifndef KVMCHECK_SANDBOX_MOUNTNS_H
#define KVMCHECK_SANDBOX_MOUNTNS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "assemble/sandbox/sandbox.h"

struct sandbox_bind {
	char *path;   /* absolute, as the child will name it */
	char *source; /* absolute: what is shown there; NULL: path itself */
	bool is_dir;
	bool writable;
};

struct sandbox_binds {
	struct sandbox_bind *v; /* shortest first, so parents are mounted before children */
	size_t n;
};

/* The policy's paths, the executable and the loader's files that exist;
 * -1 with err for a policy path that does not. Free even on failure. */
int sandbox_binds_plan(struct sandbox_binds *binds, const struct sandbox_policy *policy, const char *cwd,
		       const char *exe, char *err, size_t err_len);
void sandbox_binds_free(struct sandbox_binds *binds);

/* Child side, async-signal-safe: enters the namespaces (a network one
 * too when cut_net) and makes the tmpfs the root, with cwd kept where it
 * still exists. -1 with errno and *stage (an enum sandbox_stage) naming
 * the step that failed. */
int sandbox_mountns_enter(const struct sandbox_binds *binds, const char *cwd, uid_t uid, gid_t gid, bool cut_net,
			  int *stage);

#endif
