/* Landlock filesystem confinement: a ruleset that handles every access
 * right the running kernel knows (per ABI version) and grants only reading
 * the policy's read paths, writing in its write_dir, and reading and
 * executing the executable and the loader's files. */
#ifndef KVMCHECK_SANDBOX_LANDLOCK_H
#define KVMCHECK_SANDBOX_LANDLOCK_H

#include <stddef.h>

#include "assemble/sandbox/sandbox.h"

/* The kernel's Landlock ABI version, or -errno when there is none. */
int sandbox_landlock_abi(void);

/* Builds the ruleset into *fd, or sets *fd to -1 and says in why why this
 * host has none (not an error: the caller falls back). Returns -1 with err
 * only for a policy path that cannot be allowed. */
int sandbox_landlock_ruleset(const struct sandbox_policy *policy, const char *exe, int *fd, char *why,
			     size_t why_len, char *err, size_t err_len);

/* Child side, async-signal-safe: confines the calling process for good. */
int sandbox_landlock_restrict(int ruleset_fd);

#endif
