/* The child's setup sequence: see sandbox_child.h. It runs after fork in a
 * possibly threaded parent, so only async-signal-safe calls are allowed and
 * failures travel as numbers; the parent turns them into words. */
#include "assemble/sandbox/child.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/securebits.h>

#include "assemble/sandbox/landlock.h"

struct report {
	struct sandbox_record rec[SANDBOX_RECORDS_MAX];
	int n;
};

static void report_add(struct report *r, int stage, int err)
{
	if (r->n < SANDBOX_RECORDS_MAX)
		r->rec[r->n++] = (struct sandbox_record){ .stage = stage, .err = err };
}

static _Noreturn void child_fail(struct report *r, int fd)
{
	ssize_t unused = write(fd, r->rec, (size_t)r->n * sizeof(*r->rec));
	(void)unused;
	_exit(127);
}

/* Signals the parent ignores or blocks would stay so across exec, and an
 * ignored SIGXFSZ would turn the output limit into a silent EFBIG. */
static void signals_reset(void)
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
static int stdio_set(int out_fd, int *report_fd)
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

/* The mount namespace first: a world holding only the allowed paths, nasm
 * and the libraries it loads, where a file elsewhere does not exist (so
 * neither its contents nor its existence, size or type can be learnt).
 * Landlock on top where the kernel has it. True only when that world was
 * built: Landlock alone stops reads but not stat(), so it is applied
 * where it works but does not count (nasm then runs only when unsafe). */
static bool confine_fs(const struct sandbox_plan *plan, struct report *r, bool *net_cut)
{
	bool world = false;
	if (plan->pretend & SANDBOX_NO_USERNS)
		report_add(r, ST_USERNS, -1);
	else if (plan->binds.n > 0) {
		/* A network namespace costs more to make and to tear down than
		 * nasm takes to run; seccomp's ban on sockets is enough. */
		bool cut_net = plan->filter.len == 0;
		int stage;
		world = sandbox_mountns_enter(&plan->binds, plan->cwd, plan->uid, plan->gid, cut_net, &stage) == 0;
		if (!world)
			report_add(r, stage, errno);
		*net_cut = world && cut_net;
	}
	if (plan->ruleset_fd >= 0) {
		if (sandbox_landlock_restrict(plan->ruleset_fd) < 0)
			report_add(r, ST_LANDLOCK, errno);
	}
	return world;
}

static bool confine_net(const struct sandbox_plan *plan, struct report *r, bool net_cut)
{
	if (plan->filter.len) {
		if (sandbox_seccomp_install(&plan->filter) == 0)
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
static int caps_drop(void)
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
static int fds_cloexec(void)
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

static int range_close(unsigned first, unsigned last)
{
	if (first > last || syscall(SYS_close_range, first, last, 0u) == 0)
		return 0;
	if (errno != ENOSYS)
		return -1;
	/* Before Linux 5.9: one by one, as far as any fd can be. */
	for (unsigned fd = first; fd <= last && fd < 65536; fd++)
		close((int)fd);
	return 0;
}

/* Closes every fd above low but keep: the caller's last word. */
static int fds_close_above(int low, int keep)
{
	return range_close((unsigned)low + 1, (unsigned)keep - 1) | range_close((unsigned)keep + 1, ~0u);
}

static int limits_set(const struct sandbox_plan *plan)
{
	for (int i = 0; i < RLIM_NLIMITS; i++)
		if (plan->limit_set[i] && setrlimit(i, &plan->limits[i]) < 0)
			return -1;
	return 0;
}

/* Every step before the program starts: confined (or refused), in its
 * working folder, within its limits; on failure reports and exits. With
 * exec, every fd above 2 is marked close-on-exec (the report pipe must
 * live until the exec itself); without, they are closed now, the report
 * pipe last of all, which tells the parent that set-up worked. */
static void child_prepare(const struct sandbox_plan *plan, int out_fd, int *report_fd, bool exec)
{
	struct report r = { .n = 0 };
	signals_reset();
	if (stdio_set(out_fd, report_fd) < 0) {
		report_add(&r, ST_STDIO, errno);
		child_fail(&r, *report_fd);
	}
	/* Before seccomp, which needs it, and before Landlock, which needs it
	 * too unless we hold CAP_SYS_ADMIN. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		report_add(&r, ST_NNP, errno);
		child_fail(&r, *report_fd);
	}
	bool net_cut = false;
	bool fs_ok = confine_fs(plan, &r, &net_cut);
	bool net_ok = confine_net(plan, &r, net_cut);
	bool caps_ok = caps_drop() == 0;
	if (!caps_ok)
		report_add(&r, ST_CAPS, errno);
	if (!(fs_ok && net_ok && caps_ok) && !plan->unsafe) {
		report_add(&r, ST_REFUSED, 0);
		child_fail(&r, *report_fd);
	}
	r.n = 0; /* what failed above is accepted: unsafe */
	if (plan->workdir[0] && chdir(plan->workdir) < 0)
		report_add(&r, ST_EXEC, errno);
	else if (exec && fds_cloexec() < 0)
		report_add(&r, ST_FDS, errno);
	else if (limits_set(plan) < 0)
		report_add(&r, ST_RLIMIT, errno);
	if (r.n)
		child_fail(&r, *report_fd);
	if (!exec && fds_close_above(2, *report_fd) < 0) {
		report_add(&r, ST_FDS, errno);
		child_fail(&r, *report_fd);
	}
}

_Noreturn void sandbox_child_run(const struct sandbox_plan *plan, char *const argv[], int out_fd, int report_fd)
{
	child_prepare(plan, out_fd, &report_fd, true);
	char *const envp[] = { NULL };
	execve(plan->exe, argv, envp);
	struct report r = { .n = 0 };
	report_add(&r, ST_EXEC, errno);
	child_fail(&r, report_fd);
}

void sandbox_child_enter(const struct sandbox_plan *plan, int out_fd, int report_fd)
{
	child_prepare(plan, out_fd, &report_fd, false);
	close(report_fd);
}
