/* Confinement for the assembler. The parent prepares everything that can
 * fail with a readable reason (paths, the Landlock ruleset, the seccomp
 * program, the bind list) so that the forked child only makes system calls
 * and reports failures as numbers through a close-on-exec pipe: after fork
 * in a possibly threaded parent, only async-signal-safe calls are allowed.
 *
 * Filesystem: Landlock (read-only rules for the read paths and the loader's
 * files, read-write in write_dir), else a user+mount namespace whose root is
 * an empty read-only tmpfs holding bind mounts of just those paths.
 * Network: a seccomp filter refusing socket(), else a network namespace.
 * Always: rlimits, no_new_privs, no capabilities, only fds 0-2, no env. */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>

/* Landlock, spelled out here because distribution headers lag the kernels
 * they run on (Debian 12's headers stop at ABI 2). */
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

#if defined(__x86_64__)
#define SB_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SB_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

/* Files the dynamic loader and libc open on the way to main(); the
 * folders get read+execute but not listing. Missing ones are skipped. */
static const char *const system_dirs[] = {
	"/lib", "/lib64", "/lib32", "/libx32", "/usr/lib", "/usr/lib64", "/usr/lib32", "/usr/libx32", "/usr/local/lib",
};
static const char *const system_files[] = { "/etc/ld.so.cache", "/etc/ld.so.preload", "/etc/localtime" };

#define SYSTEM_PATHS (sizeof(system_dirs) / sizeof(*system_dirs) + sizeof(system_files) / sizeof(*system_files))
#define FILTER_MAX 160
#define RECORDS_MAX 8

/* What the child tried and how it failed; err -1 means turned off by
 * policy->pretend_missing. */
enum stage {
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
	ST_REFUSED, /* no confinement and not unsafe: the end of the list */
};

static const char *stage_name(int stage)
{
	switch (stage) {
	case ST_STDIO: return "standard streams";
	case ST_NNP: return "no_new_privs";
	case ST_LANDLOCK: return "landlock";
	case ST_USERNS: return "user namespace";
	case ST_IDMAP: return "user namespace id map";
	case ST_MOUNT: return "mount namespace";
	case ST_SECCOMP: return "seccomp";
	case ST_NETNS: return "network namespace";
	case ST_CAPS: return "dropping capabilities";
	case ST_FDS: return "closing file descriptors";
	case ST_RLIMIT: return "rlimits";
	case ST_EXEC: return "exec";
	default: return "setup";
	}
}

struct record {
	int32_t stage;
	int32_t err;
};

struct report {
	struct record rec[RECORDS_MAX];
	int n;
};

struct bind {
	char *path; /* absolute, as the child will name it */
	bool is_dir;
	bool writable;
};

/* Everything the child needs, prepared by the parent. */
struct plan {
	char exe[PATH_MAX];
	char cwd[PATH_MAX];
	int ruleset_fd; /* -1: no Landlock */
	char landlock_why[128];
	struct sock_filter filter[FILTER_MAX];
	unsigned short filter_len; /* 0: no seccomp */
	struct bind *binds;        /* shortest first, so parents are mounted before children */
	size_t nbinds;
	struct rlimit limits[RLIM_NLIMITS];
	bool limit_set[RLIM_NLIMITS];
	bool unsafe;
	unsigned pretend;
	uid_t uid;
	gid_t gid;
};

/* ---- parent: paths ---- */

static int path_absolute(const char *cwd, const char *path, char *out, size_t len)
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

/* Finds name the way execvp would, so the rule covers the very file run. */
static int exe_resolve(const char *name, const char *cwd, char *out, size_t len, char *err, size_t err_len)
{
	if (strchr(name, '/')) {
		errno = ENAMETOOLONG;
		if (path_absolute(cwd, name, out, len) == 0 && is_executable_file(out))
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
		if (n <= 0 || (size_t)n >= sizeof(cand) || path_absolute(cwd, cand, out, len) < 0)
			continue;
		if (is_executable_file(out))
			return 0;
	}
	snprintf(err, err_len, "cannot run %s: not found in PATH", name);
	return -1;
}

/* ---- parent: Landlock ruleset ---- */

static int landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_VERSION_FLAG);
	return v < 0 ? -errno : (int)v;
}

static uint64_t landlock_fs_rights(int abi)
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
static int landlock_ruleset_create(int abi, uint64_t *handled)
{
	struct ll_ruleset_attr attr = {
		.handled_fs = landlock_fs_rights(abi),
		.handled_net = abi >= 4 ? LL_NET_ALL_TCP : 0,
		.scoped = abi >= 6 ? LL_SCOPE_ALL : 0,
	};
	size_t size = abi >= 6 ? sizeof(attr) : abi >= 4 ? 2 * sizeof(uint64_t) : sizeof(uint64_t);
	*handled = attr.handled_fs;
	return (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
}

/* Grants rights beneath path; -1 with errno when it cannot be opened. */
static int landlock_allow(int ruleset, uint64_t handled, const char *path, uint64_t rights)
{
	int fd = open(path, O_PATH | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	struct ll_path_beneath rule = { .allowed = rights & handled, .parent_fd = fd };
	if (!S_ISDIR(st.st_mode))
		rule.allowed &= LL_FS_FILE_RIGHTS;
	long rc = syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &rule, 0);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc < 0 ? -1 : 0;
}

static int landlock_allow_required(int ruleset, uint64_t handled, const char *path, uint64_t rights, char *err,
				   size_t err_len)
{
	if (landlock_allow(ruleset, handled, path, rights) == 0)
		return 0;
	snprintf(err, err_len, "cannot allow %s in the sandbox: %s", path, strerror(errno));
	return -1;
}

static int landlock_rules_add(int ruleset, uint64_t handled, const struct sandbox_policy *policy,
			      const char *exe, char *err, size_t err_len)
{
	const uint64_t read = LL_FS_READ_FILE | LL_FS_READ_DIR;
	const uint64_t write = read | LL_FS_WRITE_FILE | LL_FS_REMOVE_FILE | LL_FS_MAKE_REG | LL_FS_TRUNCATE;
	for (const char *const *p = policy->read_paths; p && *p; p++)
		if (landlock_allow_required(ruleset, handled, *p, read, err, err_len) < 0)
			return -1;
	if (policy->write_dir && landlock_allow_required(ruleset, handled, policy->write_dir, write, err, err_len) < 0)
		return -1;
	if (landlock_allow_required(ruleset, handled, exe, LL_FS_READ_FILE | LL_FS_EXECUTE, err, err_len) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(system_dirs) / sizeof(*system_dirs); i++)
		landlock_allow(ruleset, handled, system_dirs[i], LL_FS_READ_FILE | LL_FS_EXECUTE);
	for (size_t i = 0; i < sizeof(system_files) / sizeof(*system_files); i++)
		landlock_allow(ruleset, handled, system_files[i], LL_FS_READ_FILE);
	return 0;
}

/* Builds the ruleset into plan->ruleset_fd, or says in landlock_why why
 * this host has none (not an error: the child falls back). -1 only for a
 * policy path that cannot be allowed. */
static int plan_landlock(struct plan *plan, const struct sandbox_policy *policy, char *err, size_t err_len)
{
	plan->ruleset_fd = -1;
	if (policy->pretend_missing & SANDBOX_NO_LANDLOCK) {
		snprintf(plan->landlock_why, sizeof(plan->landlock_why), "turned off by the policy");
		return 0;
	}
	int abi = landlock_abi();
	uint64_t handled;
	int fd = abi > 0 ? landlock_ruleset_create(abi, &handled) : -1;
	if (fd < 0) {
		int e = abi > 0 ? errno : -abi;
		snprintf(plan->landlock_why, sizeof(plan->landlock_why), "%s",
			 e == ENOSYS ? "not in this kernel" : e == EOPNOTSUPP ? "disabled at boot" : strerror(e));
		return 0;
	}
	if (landlock_rules_add(fd, handled, policy, plan->exe, err, err_len) < 0) {
		close(fd);
		return -1;
	}
	plan->ruleset_fd = fd;
	return 0;
}

/* ---- parent: seccomp program ---- */

#define DENY (SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))
#define KILL SECCOMP_RET_KILL_PROCESS

struct sys_rule {
	long nr;
	uint32_t action;
};

/* Sockets and new processes fail softly (a tool may probe and carry on);
 * calls that only serve an escape or a kernel exploit kill the process. */
static const struct sys_rule sys_rules[] = {
	{ SYS_socket, DENY }, { SYS_socketpair, DENY }, { SYS_clone, DENY }, { SYS_unshare, DENY },
	{ SYS_setns, DENY },
#ifdef SYS_fork
	{ SYS_fork, DENY }, { SYS_vfork, DENY },
#endif
#ifdef SYS_clone3
	{ SYS_clone3, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA) },
#endif
	{ SYS_ptrace, KILL }, { SYS_process_vm_readv, KILL }, { SYS_process_vm_writev, KILL }, { SYS_bpf, KILL },
	{ SYS_perf_event_open, KILL }, { SYS_userfaultfd, KILL }, { SYS_keyctl, KILL }, { SYS_add_key, KILL },
	{ SYS_request_key, KILL }, { SYS_kexec_load, KILL }, { SYS_init_module, KILL }, { SYS_finit_module, KILL },
	{ SYS_delete_module, KILL }, { SYS_mount, KILL }, { SYS_umount2, KILL }, { SYS_pivot_root, KILL },
	{ SYS_chroot, KILL }, { SYS_swapon, KILL }, { SYS_swapoff, KILL }, { SYS_reboot, KILL }, { SYS_acct, KILL },
	{ SYS_open_by_handle_at, KILL }, { SYS_syslog, KILL }, { SYS_personality, KILL },
#ifdef SYS_iopl
	{ SYS_iopl, KILL }, { SYS_ioperm, KILL },
#endif
#ifdef SYS_kexec_file_load
	{ SYS_kexec_file_load, KILL },
#endif
#ifdef SYS_io_uring_setup
	{ SYS_io_uring_setup, KILL }, { SYS_io_uring_enter, KILL }, { SYS_io_uring_register, KILL },
#endif
#ifdef SYS_open_tree
	{ SYS_open_tree, KILL }, { SYS_move_mount, KILL }, { SYS_fsopen, KILL }, { SYS_fsconfig, KILL },
	{ SYS_fsmount, KILL }, { SYS_fspick, KILL },
#endif
#ifdef SYS_mount_setattr
	{ SYS_mount_setattr, KILL },
#endif
};

static void filter_push(struct plan *plan, struct sock_filter insn)
{
	plan->filter[plan->filter_len++] = insn;
}

/* Another architecture's calling convention (int 0x80, x32) would name
 * different system calls by the same numbers: those are killed outright. */
static void plan_seccomp(struct plan *plan, const struct sandbox_policy *policy)
{
	plan->filter_len = 0;
#ifdef SB_AUDIT_ARCH
	_Static_assert(5 + 2 * sizeof(sys_rules) / sizeof(*sys_rules) + 1 <= FILTER_MAX, "seccomp program too long");
	if (policy->pretend_missing & SANDBOX_NO_SECCOMP)
		return;
	filter_push(plan, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
	filter_push(plan, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SB_AUDIT_ARCH, 1, 0));
	filter_push(plan, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, KILL));
	filter_push(plan, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
#ifdef __x86_64__
	filter_push(plan, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1));
	filter_push(plan, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, KILL));
#endif
	for (size_t i = 0; i < sizeof(sys_rules) / sizeof(*sys_rules); i++) {
		filter_push(plan, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)sys_rules[i].nr, 0, 1));
		filter_push(plan, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, sys_rules[i].action));
	}
	filter_push(plan, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
#else
	(void)policy;
#endif
}

/* ---- parent: bind list for the mount namespace fallback ---- */

static int bind_add(struct plan *plan, const char *path, bool writable, bool required, char *err, size_t err_len)
{
	char abs[PATH_MAX];
	struct stat st;
	int rc = path_absolute(plan->cwd, path, abs, sizeof(abs));
	if (rc < 0)
		errno = ENAMETOOLONG;
	else
		rc = stat(abs, &st);
	if (rc < 0) {
		if (required)
			snprintf(err, err_len, "cannot allow %s in the sandbox: %s", path, strerror(errno));
		return required ? -1 : 0;
	}
	char *copy = strdup(abs);
	if (!copy) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	/* Insertion keeps shorter paths first: a folder before what is inside it. */
	size_t at = plan->nbinds;
	while (at > 0 && strlen(plan->binds[at - 1].path) > strlen(copy)) {
		plan->binds[at] = plan->binds[at - 1];
		at--;
	}
	plan->binds[at] = (struct bind){ .path = copy, .is_dir = S_ISDIR(st.st_mode), .writable = writable };
	plan->nbinds++;
	return 0;
}

static int plan_binds(struct plan *plan, const struct sandbox_policy *policy, char *err, size_t err_len)
{
	size_t n = SYSTEM_PATHS + 2;
	for (const char *const *p = policy->read_paths; p && *p; p++)
		n++;
	plan->binds = calloc(n, sizeof(*plan->binds));
	if (!plan->binds) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	for (const char *const *p = policy->read_paths; p && *p; p++)
		if (bind_add(plan, *p, false, true, err, err_len) < 0)
			return -1;
	if (policy->write_dir && bind_add(plan, policy->write_dir, true, true, err, err_len) < 0)
		return -1;
	if (bind_add(plan, plan->exe, false, true, err, err_len) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(system_dirs) / sizeof(*system_dirs); i++)
		bind_add(plan, system_dirs[i], false, false, err, err_len);
	for (size_t i = 0; i < sizeof(system_files) / sizeof(*system_files); i++)
		bind_add(plan, system_files[i], false, false, err, err_len);
	return 0;
}

/* ---- parent: limits ---- */

static void limit_plan(struct plan *plan, int resource, uint64_t soft, uint64_t hard)
{
	struct rlimit old;
	if (getrlimit(resource, &old) < 0)
		return;
	/* An unprivileged process may only lower its hard limit. */
	rlim_t s = (rlim_t)soft, h = (rlim_t)hard;
	if (old.rlim_max != RLIM_INFINITY && h > old.rlim_max)
		h = old.rlim_max;
	if (s > h)
		s = h;
	plan->limits[resource] = (struct rlimit){ .rlim_cur = s, .rlim_max = h };
	plan->limit_set[resource] = true;
}

static void plan_limits(struct plan *plan, const struct sandbox_policy *policy)
{
	/* The hard CPU limit is a second later, so SIGXCPU says why before SIGKILL. */
	if (policy->cpu_seconds)
		limit_plan(plan, RLIMIT_CPU, policy->cpu_seconds, (uint64_t)policy->cpu_seconds + 1);
	if (policy->address_space)
		limit_plan(plan, RLIMIT_AS, policy->address_space, policy->address_space);
	if (policy->file_size)
		limit_plan(plan, RLIMIT_FSIZE, policy->file_size, policy->file_size);
	if (policy->open_files)
		limit_plan(plan, RLIMIT_NOFILE, policy->open_files, policy->open_files);
	limit_plan(plan, RLIMIT_CORE, 0, 0); /* a crashing assembler must not fill the disk */
}

static void plan_free(struct plan *plan)
{
	if (!plan)
		return;
	if (plan->ruleset_fd >= 0)
		close(plan->ruleset_fd);
	for (size_t i = 0; i < plan->nbinds; i++)
		free(plan->binds[i].path);
	free(plan->binds);
	free(plan);
}

static struct plan *plan_make(const struct sandbox_policy *policy, const char *name, char *err, size_t err_len)
{
	struct plan *plan = calloc(1, sizeof(*plan));
	if (!plan) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	plan->ruleset_fd = -1;
	plan->unsafe = policy->unsafe;
	plan->pretend = policy->pretend_missing;
	plan->uid = getuid();
	plan->gid = getgid();
	if (!getcwd(plan->cwd, sizeof(plan->cwd)))
		snprintf(plan->cwd, sizeof(plan->cwd), "/");
	plan_limits(plan, policy);
	plan_seccomp(plan, policy);
	/* The bind list only serves hosts without Landlock; elsewhere it would
	 * cost every spawn a dozen stat calls for nothing. */
	if (exe_resolve(name, plan->cwd, plan->exe, sizeof(plan->exe), err, err_len) < 0 ||
	    plan_landlock(plan, policy, err, err_len) < 0 ||
	    (plan->ruleset_fd < 0 && plan_binds(plan, policy, err, err_len) < 0)) {
		plan_free(plan);
		return NULL;
	}
	return plan;
}

/* ---- child: only async-signal-safe calls from here on ---- */

static void report_add(struct report *r, int stage, int err)
{
	if (r->n < RECORDS_MAX)
		r->rec[r->n++] = (struct record){ .stage = stage, .err = err };
}

static _Noreturn void child_fail(struct report *r, int fd)
{
	ssize_t unused = write(fd, r->rec, (size_t)r->n * sizeof(*r->rec));
	(void)unused;
	_exit(127);
}

/* Signals the parent ignores or blocks would stay so across exec, and an
 * ignored SIGXFSZ would turn the output limit into a silent EFBIG. */
static void child_signals_reset(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* out_fd and the report pipe may themselves be 0-2: move them out first. */
static int child_stdio(int out_fd, int *report_fd)
{
	int out = fcntl(out_fd, F_DUPFD_CLOEXEC, 3);
	int rep = fcntl(*report_fd, F_DUPFD_CLOEXEC, 3);
	if (out < 0 || rep < 0)
		return -1;
	*report_fd = rep;
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		return -1;
	return 0;
}

static int child_landlock(const struct plan *plan, struct report *r)
{
	if (plan->ruleset_fd < 0)
		return -1;
	if (syscall(SYS_landlock_restrict_self, plan->ruleset_fd, 0) == 0)
		return 0;
	report_add(r, ST_LANDLOCK, errno);
	return -1;
}

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

/* Maps our ids to themselves: files written in write_dir keep their owner. */
static int child_idmap(const struct plan *plan)
{
	char line[64];
	size_t n = decimal(line, plan->uid);
	line[n++] = ' ';
	n += decimal(line + n, plan->uid);
	memcpy(line + n, " 1\n", 3);
	if (file_put("/proc/self/setgroups", "deny", 4) < 0 && errno != ENOENT)
		return -1;
	if (file_put("/proc/self/uid_map", line, n + 3) < 0)
		return -1;
	n = decimal(line, plan->gid);
	line[n++] = ' ';
	n += decimal(line + n, plan->gid);
	memcpy(line + n, " 1\n", 3);
	return file_put("/proc/self/gid_map", line, n + 3);
}

#define NEW_ROOT "/tmp"

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

static int bind_one(const struct bind *b, int src_fd)
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
static int binds_mount(const struct plan *plan, int *fds)
{
	char target[PATH_MAX + 8];
	for (size_t i = 0; i < plan->nbinds; i++)
		if (path_join(target, sizeof(target), NEW_ROOT, plan->binds[i].path) < 0 ||
		    mountpoint_make(target, plan->binds[i].is_dir) < 0)
			return -1;
	for (size_t i = 0; i < plan->nbinds; i++)
		if (bind_one(&plan->binds[i], fds[i]) < 0)
			return -1;
	return 0;
}

/* Swaps the real root for the tmpfs and forgets the real one. */
static int root_pivot(const struct plan *plan)
{
	if (chdir(NEW_ROOT) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 ||
	    chdir("/") < 0)
		return -1;
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
		return -1;
	if (chdir(plan->cwd) < 0 && chdir("/") < 0)
		return -1;
	return 0;
}

/* Sources are opened before the tmpfs is mounted over /tmp, where they may
 * live; the fds are closed before exec, as an O_PATH fd to the old root
 * would be a way back out. */
static int child_mount_ns(const struct plan *plan, struct report *r)
{
	int fds[SYSTEM_PATHS + 64];
	if (plan->pretend & SANDBOX_NO_USERNS) {
		report_add(r, ST_USERNS, -1);
		return -1;
	}
	if (plan->nbinds > sizeof(fds) / sizeof(*fds)) {
		report_add(r, ST_MOUNT, E2BIG);
		return -1;
	}
	for (size_t i = 0; i < plan->nbinds; i++)
		fds[i] = -1;
	int stage = ST_USERNS;
	bool tmpfs = false;
	int rc = unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET);
	if (rc == 0) {
		stage = ST_IDMAP;
		rc = child_idmap(plan);
	}
	if (rc == 0) {
		stage = ST_MOUNT; /* and keep our mounts from propagating to the host */
		rc = mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	}
	/* Only now: a bind source must be a mount of the new namespace. */
	for (size_t i = 0; rc == 0 && i < plan->nbinds; i++)
		fds[i] = open(plan->binds[i].path, O_PATH | O_CLOEXEC);
	if (rc == 0)
		rc = mount("tmpfs", NEW_ROOT, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755");
	if (rc == 0) {
		tmpfs = true;
		rc = binds_mount(plan, fds);
	}
	int saved = errno;
	fds_close(fds, plan->nbinds);
	errno = saved;
	if (rc == 0 && (rc = root_pivot(plan)) == 0)
		return 0;
	report_add(r, stage, errno);
	/* With unsafe the tool still runs: give it back the real /tmp. */
	if (tmpfs)
		umount2(NEW_ROOT, MNT_DETACH);
	return -1;
}

static bool child_confine_fs(const struct plan *plan, struct report *r, bool *net_cut)
{
	if (child_landlock(plan, r) == 0)
		return true;
	/* No bind list: Landlock was there but refused (nesting limit): give up. */
	if (plan->nbinds > 0 && child_mount_ns(plan, r) == 0) {
		*net_cut = true;
		return true;
	}
	return false;
}

static bool child_confine_net(const struct plan *plan, struct report *r, bool net_cut)
{
	if (plan->filter_len) {
		struct sock_fprog prog = { .len = plan->filter_len, .filter = (struct sock_filter *)plan->filter };
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
			return true;
		report_add(r, ST_SECCOMP, errno);
	} else {
		report_add(r, ST_SECCOMP, plan->pretend & SANDBOX_NO_SECCOMP ? -1 : ENOSYS);
	}
	if (net_cut)
		return true;
	if (plan->pretend & SANDBOX_NO_USERNS) {
		report_add(r, ST_NETNS, -1);
		return false;
	}
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0)
		return true;
	report_add(r, ST_NETNS, errno);
	return false;
}

/* Root (or a namespace's root) would otherwise keep every capability
 * across exec: Landlock does not stop ioperm, raw I/O or kill. */
static int child_caps_drop(void)
{
	struct __user_cap_header_struct head = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &head, data) < 0)
		return -1;
	if (!(data[0].permitted | data[1].permitted))
		return 0;
	int bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
		   SECBIT_KEEP_CAPS_LOCKED;
	if (prctl(PR_SET_SECUREBITS, bits) < 0)
		return -1;
	memset(data, 0, sizeof(data));
	return (int)syscall(SYS_capset, &head, data);
}

/* Marks every fd but 0-2 close-on-exec: the report pipe must live until
 * the exec itself. */
static int child_fds_close(void)
{
	if (syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) < 0)
		return -1;
	rlim_t top = nofile.rlim_cur < 65536 ? nofile.rlim_cur : 65536;
	for (rlim_t fd = 3; fd < top; fd++)
		fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	return 0;
}

static int child_limits(const struct plan *plan)
{
	for (int i = 0; i < RLIM_NLIMITS; i++)
		if (plan->limit_set[i] && setrlimit(i, &plan->limits[i]) < 0)
			return -1;
	return 0;
}

static _Noreturn void child_run(const struct plan *plan, char *const argv[], int out_fd, int report_fd)
{
	struct report r = { .n = 0 };
	child_signals_reset();
	if (child_stdio(out_fd, &report_fd) < 0) {
		report_add(&r, ST_STDIO, errno);
		child_fail(&r, report_fd);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		report_add(&r, ST_NNP, errno);
		child_fail(&r, report_fd);
	}
	bool net_cut = false;
	bool fs_ok = child_confine_fs(plan, &r, &net_cut);
	bool net_ok = child_confine_net(plan, &r, net_cut);
	bool caps_ok = child_caps_drop() == 0;
	if (!caps_ok)
		report_add(&r, ST_CAPS, errno);
	if (!(fs_ok && net_ok && caps_ok) && !plan->unsafe) {
		report_add(&r, ST_REFUSED, 0);
		child_fail(&r, report_fd);
	}
	r.n = 0; /* what failed above is accepted: unsafe */
	if (child_fds_close() < 0)
		report_add(&r, ST_FDS, errno);
	else if (child_limits(plan) < 0)
		report_add(&r, ST_RLIMIT, errno);
	else {
		char *const envp[] = { NULL };
		execve(plan->exe, argv, envp);
		report_add(&r, ST_EXEC, errno);
	}
	child_fail(&r, report_fd);
}

/* ---- parent: spawn ---- */

static void records_describe(const struct plan *plan, const struct record *rec, size_t n, char *err, size_t err_len)
{
	bool refused = n > 0 && rec[n - 1].stage == ST_REFUSED;
	size_t len = 0;
	int w = refused ? snprintf(err, err_len, "no sandbox can be set up here: ")
			: snprintf(err, err_len, "cannot start %s: ", plan->exe);
	len = w > 0 ? (size_t)w : 0;
	if (refused && plan->ruleset_fd < 0 && len < err_len) {
		w = snprintf(err + len, err_len - len, "landlock: %s; ", plan->landlock_why);
		len += w > 0 ? (size_t)w : 0;
	}
	for (size_t i = 0; i < n && len < err_len; i++) {
		if (rec[i].stage == ST_REFUSED)
			continue;
		w = snprintf(err + len, err_len - len, "%s%s: %s", i ? "; " : "", stage_name(rec[i].stage),
			     rec[i].err < 0 ? "turned off by the policy" : strerror(rec[i].err));
		len += w > 0 ? (size_t)w : 0;
	}
	if (refused && len < err_len)
		snprintf(err + len, err_len - len, "; pass --unsafe-assembler to assemble anyway");
}

/* Reads the child's failure records; 0 bytes means exec succeeded. */
static size_t records_read(int fd, struct record *rec)
{
	size_t got = 0, cap = RECORDS_MAX * sizeof(*rec);
	char *buf = (char *)rec;
	for (;;) {
		ssize_t n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == cap)
			break;
	}
	return got / sizeof(*rec);
}

static void child_reap(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

int sandbox_spawn(const struct sandbox_policy *policy, char *const argv[], int out_fd, pid_t *pid, char *err,
		  size_t err_len)
{
	if (!argv || !argv[0]) {
		snprintf(err, err_len, "nothing to run");
		return -1;
	}
	struct plan *plan = plan_make(policy, argv[0], err, err_len);
	if (!plan)
		return -1;
	int report[2];
	if (pipe2(report, O_CLOEXEC) < 0) {
		snprintf(err, err_len, "pipe: %s", strerror(errno));
		plan_free(plan);
		return -1;
	}
	pid_t child = fork();
	if (child == 0)
		child_run(plan, argv, out_fd, report[1]);
	int fork_errno = errno;
	close(report[1]);
	int rc = 0;
	if (child < 0) {
		snprintf(err, err_len, "fork: %s", strerror(fork_errno));
		rc = -1;
	} else {
		struct record rec[RECORDS_MAX];
		size_t n = records_read(report[0], rec);
		if (n > 0) {
			records_describe(plan, rec, n, err, err_len);
			child_reap(child);
			rc = -1;
		} else {
			*pid = child;
		}
	}
	close(report[0]);
	plan_free(plan);
	return rc;
}

/* ---- what the host offers ---- */

static bool userns_works(void)
{
	pid_t child = fork();
	if (child == 0)
		_exit(unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0 ? 0 : 1);
	if (child < 0)
		return false;
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static bool seccomp_works(void)
{
#ifdef SB_AUDIT_ARCH
	uint32_t action = SECCOMP_RET_KILL_PROCESS;
	return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
#else
	return false;
#endif
}

static char description[200];
static pthread_once_t description_once = PTHREAD_ONCE_INIT;

static void describe_once(void)
{
	int abi = landlock_abi();
	bool seccomp = seccomp_works();
	bool userns = (abi <= 0 || !seccomp) && userns_works();
	char fs[64];
	if (abi > 0)
		snprintf(fs, sizeof(fs), "landlock ABI %d", abi);
	else
		snprintf(fs, sizeof(fs), "%s", userns ? "mount namespace (no landlock)" : "NO filesystem confinement");
	snprintf(description, sizeof(description), "%s, %s, rlimits", fs,
		 seccomp ? "no network (seccomp)" : userns ? "no network (netns)" : "NETWORK NOT CUT");
}

const char *sandbox_describe(void)
{
	pthread_once(&description_once, describe_once);
	return description;
}

const char *sandbox_explain_status(int wait_status)
{
	static _Thread_local char crashed[48];
	if (!WIFSIGNALED(wait_status))
		return NULL;
	int sig = WTERMSIG(wait_status);
	switch (sig) {
	case SIGXCPU: return "assembler exceeded its CPU limit";
	case SIGXFSZ: return "assembler exceeded its output size limit";
	case SIGSYS: return "assembler made a forbidden system call";
	case SIGKILL: return "assembler was killed (signal 9), perhaps at its hard CPU limit or out of memory";
	case SIGSEGV:
	case SIGABRT:
	case SIGBUS:
	case SIGILL:
	case SIGFPE:
		snprintf(crashed, sizeof(crashed), "assembler crashed (signal %d)", sig);
		return crashed;
	default: return NULL;
	}
}
