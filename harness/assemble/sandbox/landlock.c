/* Landlock rulesets: see sandbox_landlock.h. */
#include "assemble/sandbox/landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "assemble/sandbox/paths.h"

/* Spelled out here because distribution headers lag the kernels they run
 * on (Debian 12's headers stop at ABI 2). */
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif
#define LL_VERSION_FLAG (1u << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_FS_EXECUTE (1ull << 0)
#define LL_FS_WRITE_FILE (1ull << 1)
#define LL_FS_READ_FILE (1ull << 2)
#define LL_FS_READ_DIR (1ull << 3)
#define LL_FS_REMOVE_FILE (1ull << 5)
#define LL_FS_MAKE_REG (1ull << 8)
#define LL_FS_TRUNCATE (1ull << 14)
#define LL_FS_IOCTL_DEV (1ull << 15)
#define LL_NET_ALL_TCP (3ull) /* bind and connect */
#define LL_SCOPE_ALL (3ull)   /* abstract unix sockets and signals */
/* Rights that make sense on a file rather than a folder. */
#define LL_FS_FILE_RIGHTS (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

struct ll_ruleset_attr {
	uint64_t handled_fs;
	uint64_t handled_net; /* ABI 4 */
	uint64_t scoped;      /* ABI 6 */
};

struct ll_path_beneath {
	uint64_t allowed;
	int32_t parent_fd;
} __attribute__((packed));

int sandbox_landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_VERSION_FLAG);
	return v < 0 ? -errno : (int)v;
}

static uint64_t fs_rights(int abi)
{
	uint64_t all = (1ull << 13) - 1; /* ABI 1: execute .. make_sym */
	if (abi >= 2)
		all |= 1ull << 13; /* refer: never granted, so links and renames across folders fail */
	if (abi >= 3)
		all |= LL_FS_TRUNCATE;
	if (abi >= 5)
		all |= LL_FS_IOCTL_DEV;
	return all;
}

/* Handles every right the kernel knows, so whatever no rule grants is denied. */
static int ruleset_create(int abi, uint64_t *handled)
{
	struct ll_ruleset_attr attr = {
		.handled_fs = fs_rights(abi),
		.handled_net = abi >= 4 ? LL_NET_ALL_TCP : 0,
		.scoped = abi >= 6 ? LL_SCOPE_ALL : 0,
	};
	size_t size = abi >= 6 ? sizeof(attr) : abi >= 4 ? 2 * sizeof(uint64_t) : sizeof(uint64_t);
	*handled = attr.handled_fs;
	return (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
}

/* Grants rights beneath path; -1 with errno when it cannot be opened. */
static int allow(int ruleset, uint64_t handled, const char *path, uint64_t rights)
{
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	long rc = fstat(fd, &st);
	if (rc == 0) {
		struct ll_path_beneath rule = { .allowed = rights & handled, .parent_fd = fd };
		if (!S_ISDIR(st.st_mode))
			rule.allowed &= LL_FS_FILE_RIGHTS;
		rc = syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &rule, 0);
	}
	int saved = errno;
	close(fd);
	errno = saved;
	return rc < 0 ? -1 : 0;
}

static int allow_required(int ruleset, uint64_t handled, const char *path, uint64_t rights, char *err,
			  size_t err_len)
{
	if (allow(ruleset, handled, path, rights) == 0)
		return 0;
	snprintf(err, err_len, "cannot allow %s in the sandbox: %s", path, strerror(errno));
	return -1;
}

static int rules_add(int ruleset, uint64_t handled, const struct sandbox_policy *policy, const char *exe, char *err,
		     size_t err_len)
{
	const uint64_t read = LL_FS_READ_FILE | LL_FS_READ_DIR;
	const uint64_t write = read | LL_FS_WRITE_FILE | LL_FS_REMOVE_FILE | LL_FS_MAKE_REG | LL_FS_TRUNCATE;
	for (const char *const *p = policy->read_paths; p && *p; p++)
		if (allow_required(ruleset, handled, *p, read, err, err_len) < 0)
			return -1;
	/* In a mount namespace a copy shows under its original's name, and
	 * Landlock finds the copy's own folder on the way up, not the original. */
	for (const char *const *p = policy->read_sources; p && *p; p++)
		if (allow_required(ruleset, handled, *p, read, err, err_len) < 0)
			return -1;
	if (policy->write_dir && allow_required(ruleset, handled, policy->write_dir, write, err, err_len) < 0)
		return -1;
	if (allow_required(ruleset, handled, exe, LL_FS_READ_FILE | LL_FS_EXECUTE, err, err_len) < 0)
		return -1;
	const char *const *libs = sandbox_exe_libraries(exe, err, err_len);
	if (!libs)
		return -1;
	for (; *libs; libs++)
		if (allow_required(ruleset, handled, *libs, LL_FS_READ_FILE | LL_FS_EXECUTE, err, err_len) < 0)
			return -1;
	for (size_t i = 0; i < SANDBOX_SYSTEM_PATHS; i++) {
		const struct sandbox_system_path *s = &sandbox_system_paths[i];
		allow(ruleset, handled, s->path, LL_FS_READ_FILE | (s->libraries ? LL_FS_EXECUTE : 0));
	}
	return 0;
}

int sandbox_landlock_ruleset(const struct sandbox_policy *policy, const char *exe, int *fd, char *why,
			     size_t why_len, char *err, size_t err_len)
{
	int abi = sandbox_landlock_abi();
	uint64_t handled;
	*fd = abi > 0 ? ruleset_create(abi, &handled) : -1;
	if (*fd < 0) {
		int e = abi > 0 ? errno : -abi;
		snprintf(why, why_len, "%s",
			 e == ENOSYS ? "not in this kernel" : e == EOPNOTSUPP ? "disabled at boot" : strerror(e));
		return 0;
	}
	if (rules_add(*fd, handled, policy, exe, err, err_len) < 0) {
		close(*fd);
		*fd = -1;
		return -1;
	}
	return 0;
}

int sandbox_landlock_restrict(int ruleset_fd)
{
	return (int)syscall(SYS_landlock_restrict_self, ruleset_fd, 0);
}
