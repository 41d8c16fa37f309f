/* The seccomp filter: sockets and new processes fail with an error, calls
 * that only serve an escape or a kernel exploit kill the process, and so
 * does any system call made through another architecture's convention. */
#ifndef KVMCHECK_SANDBOX_SECCOMP_H
#define KVMCHECK_SANDBOX_SECCOMP_H

#include <stdbool.h>

#include <linux/filter.h>

#define SANDBOX_FILTER_MAX 160

struct sandbox_filter {
	struct sock_filter insn[SANDBOX_FILTER_MAX];
	unsigned short len; /* 0: no filter for this architecture */
};

void sandbox_seccomp_build(struct sandbox_filter *filter);

/* Child side, async-signal-safe; needs no_new_privs set first. */
int sandbox_seccomp_install(const struct sandbox_filter *filter);

/* Whether this kernel and architecture can apply the filter. */
bool sandbox_seccomp_works(void);

#endif
