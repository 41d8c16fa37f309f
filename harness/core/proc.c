#include "core/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"

/* Without a pidfd, how often proc_poll looks whether the child has ended. */
#define PROC_EXIT_CHECK_MS 10
/* Reads per proc_poll: a child writing without pause cannot hold the
 * parent past its deadline. */
#define PROC_READS_PER_POLL 16

static int pidfd_of(pid_t pid)
{
#ifdef SYS_pidfd_open
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd >= 0)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
#else
	(void)pid;
	return -1;
#endif
}

void proc_child_begin(pid_t parent)
{
	/* Dies with its parent, however the parent ends (even SIGKILL): no
	 * worker or nasm outlives kvmcheck. The parent may have died already. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	/* The parent's handlers (an interrupt's) are not the child's. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	/* Its own group, so that killing it kills what it started; the parent
	 * sets the same, whichever of the two runs first. */
	setpgid(0, 0);
	/* A crashing child (an emulator abort, nasm) must not leave a core file. */
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);
}

static _Noreturn void proc_child(proc_body body, void *ctx, int out_fd, pid_t parent)
{
	proc_child_begin(parent);
	body(ctx, out_fd);
	_exit(127);
}

/* What the child of proc_spawn starts with, on a stack of its own. */
struct spawn_start {
	proc_body body;
	void *ctx;
	int out_fd;
	pid_t parent;
};

static int spawn_child(void *arg)
{
	const struct spawn_start *start = arg;
	proc_child(start->body, start->ctx, start->out_fd, start->parent);
}

/* Sanitizers keep shadow state per stack and thread that a child sharing
 * memory on a stack of its own would corrupt: there, a plain fork. */
#if defined(__SANITIZE_ADDRESS__)
#define SPAWN_SHARES_MEMORY 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define SPAWN_SHARES_MEMORY 0
#endif
#endif
#ifndef SPAWN_SHARES_MEMORY
#define SPAWN_SHARES_MEMORY 1
#endif

#define SPAWN_STACK (256u << 10)

/* The child of a large parent, started the way posix_spawn does: it uses
 * the parent's memory (the parent waits) until it execs or exits, so no
 * page table is copied and none torn down at the exec. */
static pid_t fork_sharing_memory(proc_body body, void *ctx, int out_fd, pid_t parent)
{
	if (!SPAWN_SHARES_MEMORY) {
		pid_t pid = fork();
		if (pid == 0)
			proc_child(body, ctx, out_fd, parent);
		return pid;
	}
	void *stack = mmap(NULL, SPAWN_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return -1;
	struct spawn_start start = { body, ctx, out_fd, parent };
	pid_t pid = clone(spawn_child, (char *)stack + SPAWN_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &start);
	int saved = errno;
	munmap(stack, SPAWN_STACK);
	errno = saved;
	return pid;
}

/* A running child and its output pipe's read end, from now on the proc's. */
static int proc_track(struct proc *p, pid_t pid, int out_fd)
{
	/* Its own group: whichever of the child and this runs first makes it. */
	setpgid(pid, pid);
	p->pid = pid;
	p->out_fd = out_fd;
	p->exit_fd = pidfd_of(pid);
	return fcntl(out_fd, F_SETFL, fcntl(out_fd, F_GETFL) | O_NONBLOCK) < 0 ? -1 : 0;
}

static int proc_begin(struct proc *p, proc_body body, void *ctx, size_t out_cap, uint64_t deadline_ns,
		      bool share_memory, char *err, size_t err_len)
{
	*p = (struct proc){ .started = true, .out_fd = -1, .exit_fd = -1, .out_cap = out_cap,
			    .deadline_ns = deadline_ns };
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(err, err_len, "pipe: %s", strerror(errno));
		return PROC_ERR_PIPE;
	}
	fflush(NULL); /* nothing buffered may be written twice */
	pid_t parent = getpid();
	pid_t pid;
	if (share_memory) {
		pid = fork_sharing_memory(body, ctx, fds[1], parent);
	} else if ((pid = fork()) == 0) {
		close(fds[0]);
		proc_child(body, ctx, fds[1], parent);
	}
	int fork_errno = errno;
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		errno = fork_errno;
		snprintf(err, err_len, "fork: %s", strerror(fork_errno));
		return PROC_ERR_FORK;
	}
	proc_track(p, pid, fds[0]);
	return 0;
}

int proc_start(struct proc *p, proc_body body, void *ctx, size_t out_cap, uint64_t deadline_ns, char *err,
	       size_t err_len)
{
	return proc_begin(p, body, ctx, out_cap, deadline_ns, false, err, err_len);
}

int proc_spawn(struct proc *p, proc_body body, void *ctx, size_t out_cap, uint64_t deadline_ns, char *err,
	       size_t err_len)
{
	return proc_begin(p, body, ctx, out_cap, deadline_ns, true, err, err_len);
}

int proc_adopt(struct proc *p, pid_t pid, int out_fd, size_t out_cap, uint64_t deadline_ns)
{
	*p = (struct proc){ .started = true, .out_fd = -1, .exit_fd = -1, .out_cap = out_cap,
			    .deadline_ns = deadline_ns };
	return proc_track(p, pid, out_fd);
}

static void fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Takes what the pipe holds now; closes it at end of file. */
static void proc_drain(struct proc *p)
{
	uint8_t buf[65536];
	for (int i = 0; p->out_fd >= 0 && i < PROC_READS_PER_POLL; i++) {
		ssize_t n = read(p->out_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			fd_close(&p->out_fd);
			return;
		}
		size_t room = p->out.len < p->out_cap ? p->out_cap - p->out.len : 0;
		size_t keep = (size_t)n < room ? (size_t)n : room;
		if (keep && bytes_append(&p->out, buf, keep) < 0)
			p->out_cap = p->out.len; /* out of memory: keep reading, keep nothing more */
	}
}

/* Notices the child's end without reaping it: the zombie keeps its pid,
 * and so its group id, from being reused while the group may be killed. */
static void proc_check_exit(struct proc *p)
{
	if (p->exited)
		return;
	siginfo_t info = { 0 };
	int rc = waitid(P_PID, (id_t)p->pid, &info, WEXITED | WNOHANG | WNOWAIT);
	if ((rc == 0 && info.si_pid == p->pid) || (rc < 0 && errno == ECHILD))
		p->exited = true; /* ECHILD: reaped by someone else; proc_reap says so */
}

static void proc_reap(struct proc *p)
{
	int status = 0;
	pid_t got;
	while ((got = waitpid(p->pid, &status, 0)) < 0 && errno == EINTR)
		;
	/* Reaped elsewhere (a SIGCHLD handler): report a kill, never success. */
	p->status = got == p->pid ? status : SIGKILL;
	p->reaped = true;
	fd_close(&p->exit_fd);
}

void proc_kill(struct proc *p)
{
	if (!p->started || p->pid <= 0 || p->reaped)
		return;
	kill(-p->pid, SIGKILL);
	kill(p->pid, SIGKILL); /* in case it left its group */
	p->killed = true;
	/* What it wrote is complete now; a grandchild that escaped the group
	 * must not hold the pipe open. */
	proc_drain(p);
	fd_close(&p->out_fd);
}

size_t proc_pollfds(const struct proc *p, struct pollfd fds[2])
{
	size_t n = 0;
	if (p->out_fd >= 0)
		fds[n++] = (struct pollfd){ .fd = p->out_fd, .events = POLLIN };
	if (p->exit_fd >= 0 && !p->exited)
		fds[n++] = (struct pollfd){ .fd = p->exit_fd, .events = POLLIN };
	return n;
}

/* How long poll() may sleep: the caller's limit, cut at the deadline, and
 * short when only a periodic look can tell that the child ended. */
static int proc_wait_ms(const struct proc *p, int timeout_ms)
{
	int64_t ms = timeout_ms < 0 ? INT32_MAX : timeout_ms;
	if (p->deadline_ns && !p->killed) {
		uint64_t now = clock_ns();
		int64_t left = now >= p->deadline_ns ? 0 : (int64_t)((p->deadline_ns - now + 999999) / 1000000);
		ms = left < ms ? left : ms;
	}
	if (p->exit_fd < 0 && !p->exited)
		ms = ms < PROC_EXIT_CHECK_MS ? ms : PROC_EXIT_CHECK_MS;
	return (int)ms;
}

bool proc_poll(struct proc *p, int timeout_ms)
{
	if (!p->started || p->pid <= 0 || p->reaped)
		return true;
	struct pollfd fds[2];
	size_t n = proc_pollfds(p, fds);
	int ms = proc_wait_ms(p, timeout_ms);
	if (ms > 0)
		poll(fds, n, ms); /* an error or EINTR only means looking again */
	proc_drain(p);
	proc_check_exit(p);
	if (!p->killed && p->deadline_ns && clock_ns() >= p->deadline_ns && !(p->exited && p->out_fd < 0))
		proc_kill(p);
	if (p->exited && p->out_fd < 0)
		proc_reap(p);
	return p->reaped;
}

void proc_wait(struct proc *p)
{
	while (!proc_poll(p, -1))
		;
}

void proc_free(struct proc *p)
{
	if (!p->started)
		return;
	if (p->pid > 0 && !p->reaped) {
		proc_kill(p);
		proc_reap(p);
	}
	fd_close(&p->out_fd);
	fd_close(&p->exit_fd);
	bytes_free(&p->out);
	p->started = false;
}

void proc_ahead_drop(struct proc_ahead *a)
{
	proc_free(&a->proc);
	*a = (struct proc_ahead){0};
}

void proc_ahead_keep(struct proc_ahead *a, const char *key, int rc)
{
	if (rc == 0 && strlen(key) < sizeof(a->key))
		memcpy(a->key, key, strlen(key) + 1);
	else
		proc_ahead_drop(a);
}

bool proc_ahead_holds(const struct proc_ahead *a, const char *key)
{
	return a->proc.started && strcmp(a->key, key) == 0;
}

bool proc_ahead_take(struct proc_ahead *a, const char *key, struct proc *p)
{
	*p = (struct proc){0};
	bool held = proc_ahead_holds(a, key);
	if (held)
		*p = a->proc;
	else
		proc_free(&a->proc);
	*a = (struct proc_ahead){0};
	return held;
}
