/* Confinement for the assembler. The parent prepares everything that can
 * fail with a readable reason (paths, the Landlock ruleset, the seccomp
 * program, the bind list) so that the forked child (child.c) only
 * makes system calls and reports failures as numbers through a
 * close-on-exec pipe, which this file turns into words.
 *
 * Filesystem: a user+mount namespace (mountns.c), with Landlock
 * (landlock.c) on top; Landlock alone only when unsafe. Network: a seccomp
 * filter (seccomp.c), else a network namespace. Always: rlimits,
 * no_new_privs, no capabilities, only fds 0-2, no env. */
#include "assemble/sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "assemble/sandbox/child.h"
#include "assemble/sandbox/landlock.h"
#include "assemble/sandbox/paths.h"
#include "assemble/sandbox/zygote.h"

/* ---- the plan ---- */

static void limit_plan(struct sandbox_plan *plan, int resource, uint64_t soft, uint64_t hard)
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

static void plan_limits(struct sandbox_plan *plan, const struct sandbox_policy *policy)
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
	/* RLIMIT_CORE is 0 in every child proc_start makes. */
}

static void plan_free(struct sandbox_plan *plan)
{
	if (!plan)
		return;
	if (plan->ruleset_fd >= 0)
		close(plan->ruleset_fd);
	sandbox_binds_free(&plan->binds);
	free(plan);
}

/* Decided in the parent, where the reason can be kept for the error
 * message when no other confinement works either. */
static int plan_landlock(struct sandbox_plan *plan, const struct sandbox_policy *policy, char *err, size_t err_len)
{
	if (policy->pretend_missing & SANDBOX_NO_LANDLOCK) {
		snprintf(plan->landlock_why, sizeof(plan->landlock_why), "turned off by the policy");
		return 0;
	}
	return sandbox_landlock_ruleset(policy, plan->exe, &plan->ruleset_fd, plan->landlock_why,
					sizeof(plan->landlock_why), err, err_len);
}

static struct sandbox_plan *plan_make(const struct sandbox_policy *policy, const char *name, char *err,
				      size_t err_len)
{
	struct sandbox_plan *plan = calloc(1, sizeof(*plan));
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
	if (policy->workdir)
		snprintf(plan->workdir, sizeof(plan->workdir), "%s", policy->workdir);
	plan_limits(plan, policy);
	if (!(policy->pretend_missing & SANDBOX_NO_SECCOMP))
		sandbox_seccomp_build(&plan->filter);
	/* Both layers: the namespace's world first, Landlock on top (child.c). */
	if (sandbox_exe_resolve(name, plan->cwd, plan->exe, sizeof(plan->exe), err, err_len) < 0 ||
	    plan_landlock(plan, policy, err, err_len) < 0 ||
	    (!(policy->pretend_missing & SANDBOX_NO_USERNS) &&
	     sandbox_binds_plan(&plan->binds, policy, plan->cwd, plan->exe, err, err_len) < 0)) {
		plan_free(plan);
		return NULL;
	}
	return plan;
}

void sandbox_warm(const char *name)
{
	char cwd[PATH_MAX], exe[PATH_MAX], err[PATH_MAX + 200];
	if (getcwd(cwd, sizeof(cwd)) && sandbox_exe_resolve(name, cwd, exe, sizeof(exe), err, sizeof(err)) == 0)
		(void)sandbox_exe_libraries(exe, err, sizeof(err));
	else
		sandbox_libraries_abandon(); /* not for the processes forked next */
}

void sandbox_warm_start(const char *name)
{
	char cwd[PATH_MAX], exe[PATH_MAX], err[PATH_MAX + 200];
	if (getcwd(cwd, sizeof(cwd)) && sandbox_exe_resolve(name, cwd, exe, sizeof(exe), err, sizeof(err)) == 0)
		sandbox_libraries_start(exe);
}

void sandbox_warm_abandon(void)
{
	sandbox_libraries_abandon();
}

int sandbox_test_pretend(unsigned *pretend, char *err, size_t err_len)
{
	static const struct {
		const char *name;
		unsigned pretend;
	} mechanisms[] = {
		{ "landlock", SANDBOX_NO_USERNS },
		{ "mountns", SANDBOX_NO_LANDLOCK },
		{ "both", 0 },
	};
	*pretend = 0;
	const char *wanted = getenv(SANDBOX_TEST_HOOK);
	if (!wanted)
		return 0;
	for (size_t i = 0; i < sizeof(mechanisms) / sizeof(mechanisms[0]); i++) {
		if (strcmp(wanted, mechanisms[i].name) == 0) {
			*pretend = mechanisms[i].pretend;
			return 0;
		}
	}
	snprintf(err, err_len, SANDBOX_TEST_HOOK " must be landlock, mountns or both, not '%.40s'", wanted);
	return -1;
}

/* ---- the child's failure records, in words ---- */

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

/* Appends "stage: reason" for each record (the refusal mark aside),
 * "; "-separated, at *len in err. */
static void records_list(const struct sandbox_record *rec, size_t n, char *err, size_t err_len, size_t *len)
{
	bool first = true;
	for (size_t i = 0; i < n && *len < err_len; i++) {
		if (rec[i].stage == ST_REFUSED)
			continue;
		int w = snprintf(err + *len, err_len - *len, "%s%s: %s", first ? "" : "; ", stage_name(rec[i].stage),
				 rec[i].err < 0 ? "turned off by the policy" : strerror(rec[i].err));
		*len += w > 0 ? (size_t)w : 0;
		first = false;
	}
}

static void text_add(char *err, size_t err_len, size_t *len, const char *text)
{
	if (*len >= err_len)
		return;
	int w = snprintf(err + *len, err_len - *len, "%s", text);
	*len += w > 0 ? (size_t)w : 0;
}

/* Whether the child could not build nasm's world: a user namespace and
 * the mount namespace in it, or the plan had none to build. */
static bool world_missing(const struct sandbox_plan *plan, const struct sandbox_record *rec, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rec[i].stage == ST_USERNS || rec[i].stage == ST_IDMAP || rec[i].stage == ST_MOUNT)
			return true;
	return plan->binds.n == 0;
}

/* The refusal where no world of its own can be built: Landlock alone
 * would let nasm stat() files outside, so the way out is to enable user
 * namespaces, or to accept that leak by name. */
static void refusal_no_world(const struct sandbox_plan *plan, const struct sandbox_record *rec, size_t n, char *err,
			     size_t err_len)
{
	size_t len = 0;
	text_add(err, err_len, &len, "nasm's private world cannot be built here: user namespaces are not available (");
	records_list(rec, n, err, err_len, &len);
	if (plan->ruleset_fd < 0) {
		text_add(err, err_len, &len, "; landlock: ");
		text_add(err, err_len, &len, plan->landlock_why);
	}
	text_add(err, err_len, &len, "); enable them (on Ubuntu 24.04: sysctl "
		 "kernel.apparmor_restrict_unprivileged_userns=0) or pass --unsafe-assembler to run nasm ");
	text_add(err, err_len, &len, plan->ruleset_fd >= 0
		 ? "with Landlock alone, where the existence and size of files outside can show"
		 : "with no filesystem confinement at all");
}

static void records_describe(const struct sandbox_plan *plan, const struct sandbox_record *rec, size_t n, char *err,
			     size_t err_len)
{
	bool refused = n > 0 && rec[n - 1].stage == ST_REFUSED;
	if (refused && world_missing(plan, rec, n)) {
		refusal_no_world(plan, rec, n, err, err_len);
		return;
	}
	size_t len = 0;
	if (refused)
		text_add(err, err_len, &len, "no sandbox can be set up here: ");
	else {
		text_add(err, err_len, &len, "cannot start ");
		text_add(err, err_len, &len, plan->exe);
		text_add(err, err_len, &len, ": ");
	}
	records_list(rec, n, err, err_len, &len);
	if (refused)
		text_add(err, err_len, &len, "; pass --unsafe-assembler to assemble anyway");
}

/* Reads the child's failure records; 0 bytes means exec succeeded. */
static size_t records_read(int fd, struct sandbox_record *rec)
{
	size_t got = 0, cap = SANDBOX_RECORDS_MAX * sizeof(*rec);
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

/* ---- spawn ---- */

struct spawn_job {
	const struct sandbox_plan *plan;
	char *const *argv;
	int report_fd;
};

static void spawn_child(void *ctx, int out_fd)
{
	const struct spawn_job *job = ctx;
	sandbox_child_run(job->plan, job->argv, out_fd, job->report_fd);
}

int sandbox_spawn(const struct sandbox_policy *policy, char *const argv[], struct proc *child, size_t out_cap,
		  uint64_t deadline_ns, char *err, size_t err_len)
{
	*child = (struct proc){0};
	if (!argv || !argv[0]) {
		snprintf(err, err_len, "nothing to run");
		return -1;
	}
	struct sandbox_plan *plan = plan_make(policy, argv[0], err, err_len);
	if (!plan)
		return -1;
	int report[2];
	if (pipe2(report, O_CLOEXEC) < 0) {
		snprintf(err, err_len, "pipe: %s", strerror(errno));
		plan_free(plan);
		return -1;
	}
	struct spawn_job job = { plan, argv, report[1] };
	int rc = 0;
	if (!policy->zygote || sandbox_zygote_spawn(plan, argv, report[1], child, out_cap, deadline_ns) < 0)
		rc = proc_spawn(child, spawn_child, &job, out_cap, deadline_ns, err, err_len) < 0 ? -1 : 0;
	close(report[1]);
	if (rc == 0) {
		/* Nothing comes through before the exec closes the pipe, unless setup failed. */
		struct sandbox_record rec[SANDBOX_RECORDS_MAX];
		size_t n = records_read(report[0], rec);
		if (n > 0) {
			records_describe(plan, rec, n, err, err_len);
			rc = -1;
		}
	}
	if (rc < 0)
		proc_free(child);
	close(report[0]);
	plan_free(plan);
	return rc;
}

/* ---- what the host offers ---- */

/* A mount in the new namespace, not the unshare alone: AppArmor's
 * restriction of unprivileged user namespaces (Ubuntu 24.04) lets the
 * unshare succeed and takes the capabilities that mounting needs. */
static void userns_probe(void *ctx, int out_fd)
{
	(void)ctx, (void)out_fd;
	_exit(unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 ? 0 : 1);
}

/* nasm's world, and the network namespace fallback, start with a user namespace. */
static bool userns_works(void)
{
	struct proc probe;
	char err[100];
	bool works = proc_start(&probe, userns_probe, NULL, 0, 0, err, sizeof(err)) == 0;
	if (works) {
		proc_wait(&probe);
		works = WIFEXITED(probe.status) && WEXITSTATUS(probe.status) == 0;
	}
	proc_free(&probe);
	return works;
}

static char description[200];
static pthread_once_t description_once = PTHREAD_ONCE_INIT;

static void describe_once(void)
{
	int abi = sandbox_landlock_abi();
	bool seccomp = sandbox_seccomp_works();
	bool userns = userns_works();
	char fs[96];
	if (userns && abi > 0)
		snprintf(fs, sizeof(fs), "a mount namespace of its own, landlock ABI %d", abi);
	else if (userns)
		snprintf(fs, sizeof(fs), "a mount namespace of its own (no landlock)");
	else if (abi > 0)
		snprintf(fs, sizeof(fs), "landlock ABI %d, no user namespaces (nasm needs --unsafe-assembler)", abi);
	else
		snprintf(fs, sizeof(fs), "NO filesystem confinement");
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
	static _Thread_local char crashed[96];
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
		/* nasm also dies this way when its memory limit is too small to start */
		snprintf(crashed, sizeof(crashed), "assembler crashed (signal %d), or its memory limit is too small", sig);
		return crashed;
	default: return NULL;
	}
}
