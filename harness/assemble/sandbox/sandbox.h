/* Runs an untrusted-input tool (nasm) confined: it may read only the paths
 * it is given plus what its binary needs to load, write only in one folder,
 * open no network socket, see no environment variable, and stay within CPU,
 * memory, output size and open file limits.
 *
 * Mechanisms: for the filesystem a private mount namespace of read-only
 * bind mounts (required: only there is a file outside invisible even to
 * stat()), with Landlock on top where the kernel has it; a seccomp filter
 * for sockets and dangerous system calls (a network namespace where
 * seccomp is missing); rlimits, no_new_privs and dropped capabilities. */
#ifndef KVMCHECK_SANDBOX_H
#define KVMCHECK_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/proc.h"

/* Bits of sandbox_policy.pretend_missing: make sandbox_spawn behave as on a
 * host that lacks a mechanism, so tests can reach every fallback. */
enum {
	SANDBOX_NO_LANDLOCK = 1u << 0,
	SANDBOX_NO_USERNS = 1u << 1, /* so no mount or network namespace either */
	SANDBOX_NO_SECCOMP = 1u << 2,
};

/* Test hook, not a setting: KVMCHECK_TEST_SANDBOX=landlock, mountns or both
 * confines the filesystem with Landlock alone, the mount namespace alone,
 * or both (what a host offering both gets anyway), as sandbox_policy's
 * pretend_missing bits, so the hostile suite can run its property test
 * under each mechanism. 0 with *pretend 0 when it is not set; -1 with err
 * filled in when it names anything else, so a misspelt value cannot let
 * a test pass under the wrong mechanism. */
#define SANDBOX_TEST_HOOK "KVMCHECK_TEST_SANDBOX"
int sandbox_test_pretend(unsigned *pretend, char *err, size_t err_len);

struct sandbox_policy {
	const char *const *read_paths; /* NULL-terminated: files or folders the child may read */
	/* NULL, or one beside each read path: a private copy of it, which the
	 * mount namespace shows under the read path's name, so nothing swapped
	 * in the original after the copy is seen. Landlock alone cannot rename,
	 * and there the child reads the originals. */
	const char *const *read_sources;
	const char *write_dir;         /* the only folder it may create, write or remove files in */
	uint32_t cpu_seconds;          /* RLIMIT_CPU; 0 leaves the inherited limit (likewise below) */
	uint64_t address_space;        /* RLIMIT_AS bytes */
	uint64_t file_size;            /* RLIMIT_FSIZE bytes */
	uint32_t open_files;           /* RLIMIT_NOFILE */
	const char *workdir;           /* the child's working folder (absolute), or NULL: the parent's */
	bool unsafe;                   /* allowed to run with what the host has (Landlock alone, or nothing) */
	bool zygote;                   /* may be forked from a started copy of the program (zygote.h) */
	unsigned pretend_missing;      /* SANDBOX_NO_* bits, for tests; 0 in production */
};

/* Starts argv[0] (looked up in PATH as the parent sees it) confined by
 * policy, with an empty environment, stdin /dev/null and stdout+stderr
 * into child->out (at most out_cap bytes kept), killed at deadline_ns.
 * Returns 0 with the child running (the caller proc_polls or proc_waits
 * it, then proc_frees it), or -1 with err saying why and nothing left to
 * free. Without policy->unsafe it refuses where the mount namespace
 * cannot be built (err starts "nasm's private world cannot be built
 * here: " and says what is missing and how to enable it) or where the
 * network or capabilities cannot be cut (err starts "no sandbox can be
 * set up here: "); with it, whatever layers the host has are applied. */
int sandbox_spawn(const struct sandbox_policy *policy, char *const argv[], struct proc *child, size_t out_cap,
		  uint64_t deadline_ns, char *err, size_t err_len);

/* Finds the file name runs and the libraries it loads now, so that the
 * processes forked afterwards (a runner per case) inherit the answer
 * instead of each running ldd again. Best effort: a failure here is met
 * again, and reported, by sandbox_spawn. */
void sandbox_warm(const char *name);

/* Starts what sandbox_warm(name) waits for (ldd), so that it runs while
 * the caller does other work; sandbox_warm then takes its answer. */
void sandbox_warm_start(const char *name);

/* Ends what sandbox_warm_start began if sandbox_warm never came: after a
 * run, whatever it did. */
void sandbox_warm_abandon(void);

/* What this host offers, e.g. "landlock ABI 7, no network (seccomp),
 * rlimits"; computed once. */
const char *sandbox_describe(void);

/* Explains a child's death in terms of the policy (CPU or output limit,
 * forbidden system call, crash); NULL when there is nothing to add. */
const char *sandbox_explain_status(int wait_status);

#endif
