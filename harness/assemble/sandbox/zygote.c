/* The zygote: see zygote.h. A request is one SOCK_SEQPACKET message: a
 * head, the plan as the requesting process made it (the same build on both
 * sides: the head carries its size and a version), the arguments, the bind
 * list, and as SCM_RIGHTS the output pipe, the report pipe and the Landlock
 * ruleset. The answer is the child's pid, or a negative errno. */
#include "assemble/sandbox/zygote.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/bytes.h"

#define ZYGOTE_MAGIC 0x6b7a7967u
#define ZYGOTE_VERSION 1u
#define ZYGOTE_MSG_MAX (128u << 10)
#define ZYGOTE_MAX_BINDS 128
#define ZYGOTE_MAX_ARGS 32
#define ZYGOTE_ARGS_BYTES 8192
#define ZYGOTE_SLOTS 2
#define ZYGOTE_FDS 3
/* How long a zygote may take to say hello, or to answer: it only forks. */
#define ZYGOTE_ANSWER_MS 10000
#define ZYGOTE_LIBRARY "kvmcheck-zygote.so"

struct zygote_head {
	uint32_t magic;
	uint32_t version;
	uint32_t plan_size;
	uint32_t argc;
	uint32_t binds;
	uint32_t has_ruleset;
};

/* ---- the requesting process's side ---- */

struct zygote {
	pid_t owner; /* the process that started it; 0: a free slot */
	bool broken; /* it cannot serve: exec instead, without trying again */
	int argc;
	char exe[PATH_MAX];
	struct proc proc;
	int sock;
};

static struct zygote zygotes[ZYGOTE_SLOTS];
static unsigned long children_started;

unsigned long sandbox_zygote_children(void)
{
	return children_started;
}

static bool library_at(char *out, size_t len, const char *dir, const char *rel)
{
	int n = snprintf(out, len, "%s/%s" ZYGOTE_LIBRARY, dir, rel);
	return n > 0 && (size_t)n < len && access(out, R_OK) == 0;
}

const char *sandbox_zygote_library(void)
{
	static char path[PATH_MAX];
	static int found = -1;
	if (found >= 0)
		return found ? path : NULL;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash = n > 0 ? memrchr(exe, '/', (size_t)n) : NULL;
	found = 0;
	if (slash) {
		*slash = '\0';
		/* Beside the binary (build/), or where `make install` puts it. */
		found = library_at(path, sizeof(path), exe, "") || library_at(path, sizeof(path), exe, "../lib/kvmcheck/");
	}
	return found ? path : NULL;
}

/* A slot inherited from the process this one was forked from: its zygote
 * serves that process, so this one only lets go of its copies. */
static void zygote_forget(struct zygote *z)
{
	if (z->sock >= 0)
		close(z->sock);
	if (z->proc.out_fd >= 0)
		close(z->proc.out_fd);
	if (z->proc.exit_fd >= 0)
		close(z->proc.exit_fd);
	*z = (struct zygote){ .sock = -1 };
}

static void zygote_end(struct zygote *z)
{
	if (z->sock >= 0)
		close(z->sock);
	z->sock = -1;
	proc_free(&z->proc);
	z->broken = true;
}

void sandbox_zygote_stop(void)
{
	for (int i = 0; i < ZYGOTE_SLOTS; i++) {
		struct zygote *z = &zygotes[i];
		if (z->owner == getpid()) {
			zygote_end(z);
			*z = (struct zygote){ .sock = -1 };
		} else if (z->owner) {
			zygote_forget(z);
		}
	}
}

struct zygote_exec {
	const char *exe;
	char *const *argv;
	char *const *envp;
	int sock;
};

/* In the child of proc_spawn: async-signal-safe calls only. */
static void zygote_exec_body(void *ctx, int out_fd)
{
	const struct zygote_exec *job = ctx;
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0 ||
	    fcntl(job->sock, F_SETFD, 0) < 0)
		_exit(127);
	execve(job->exe, job->argv, job->envp);
	_exit(127);
}

static bool readable_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int rc;
	while ((rc = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	return rc == 1;
}

/* The zygote's first message says it is one, of this build. */
static bool hello_read(int sock)
{
	struct zygote_head hello;
	if (!readable_within(sock, ZYGOTE_ANSWER_MS) || recv(sock, &hello, sizeof(hello), 0) != (ssize_t)sizeof(hello))
		return false;
	return hello.magic == ZYGOTE_MAGIC && hello.version == ZYGOTE_VERSION &&
	       hello.plan_size == sizeof(struct sandbox_plan);
}

static int zygote_start(struct zygote *z, const char *exe, int argc)
{
	*z = (struct zygote){ .owner = getpid(), .broken = true, .argc = argc, .sock = -1 };
	snprintf(z->exe, sizeof(z->exe), "%s", exe);
	const char *lib = sandbox_zygote_library();
	int sv[2];
	if (!lib || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	/* Should the library not load, nasm -v prints its version and ends:
	 * nothing is assembled unconfined. */
	char *argv[ZYGOTE_MAX_ARGS + 1] = { "nasm" };
	for (int i = 1; i < argc; i++)
		argv[i] = "-v";
	char preload[PATH_MAX + 16], fd[64];
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", lib);
	snprintf(fd, sizeof(fd), SANDBOX_ZYGOTE_ENV "=%d", sv[1]);
	char *envp[] = { preload, fd, NULL };
	struct zygote_exec job = { exe, argv, envp, sv[1] };
	char err[256];
	int rc = proc_spawn(&z->proc, zygote_exec_body, &job, 0, 0, err, sizeof(err));
	close(sv[1]);
	z->sock = sv[0];
	if (rc < 0 || !hello_read(z->sock)) {
		zygote_end(z);
		return -1;
	}
	z->broken = false;
	return 0;
}

static struct zygote *zygote_for(const char *exe, int argc)
{
	struct zygote *free_slot = NULL;
	for (int i = 0; i < ZYGOTE_SLOTS; i++) {
		struct zygote *z = &zygotes[i];
		if (z->owner && z->owner != getpid())
			zygote_forget(z);
		if (!z->owner) {
			free_slot = free_slot ? free_slot : z;
			continue;
		}
		if (z->argc == argc && strcmp(z->exe, exe) == 0)
			return z->broken ? NULL : z;
	}
	if (!free_slot || zygote_start(free_slot, exe, argc) < 0)
		return NULL;
	return free_slot;
}

static int request_encode(const struct sandbox_plan *plan, char *const argv[], int argc, struct bytes *out)
{
	struct zygote_head head = { ZYGOTE_MAGIC, ZYGOTE_VERSION, sizeof(*plan), (uint32_t)argc,
				    (uint32_t)plan->binds.n, plan->ruleset_fd >= 0 };
	struct sandbox_plan flat = *plan;
	flat.binds = (struct sandbox_binds){0};
	flat.ruleset_fd = -1;
	int rc = bytes_append(out, &head, sizeof(head)) | bytes_append(out, &flat, sizeof(flat));
	for (int i = 0; i < argc; i++)
		rc |= bytes_append(out, argv[i], strlen(argv[i]) + 1);
	for (size_t i = 0; i < plan->binds.n; i++) {
		const struct sandbox_bind *b = &plan->binds.v[i];
		uint8_t flags[3] = { b->is_dir, b->writable, b->source != NULL };
		rc |= bytes_append(out, flags, sizeof(flags)) | bytes_append(out, b->path, strlen(b->path) + 1);
		if (b->source)
			rc |= bytes_append(out, b->source, strlen(b->source) + 1);
	}
	return rc < 0 || out->len > ZYGOTE_MSG_MAX ? -1 : 0;
}

static int request_send(int sock, const struct bytes *msg, const int *fds, int nfds)
{
	union {
		char buf[CMSG_SPACE(ZYGOTE_FDS * sizeof(int))];
		struct cmsghdr align;
	} control = { 0 };
	struct iovec iov = { msg->data, msg->len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			     .msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int)) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
	memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
	ssize_t n;
	while ((n = sendmsg(sock, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	return n == (ssize_t)msg->len ? 0 : -1;
}

static bool zygote_wanted(void)
{
	const char *hook = getenv(SANDBOX_ZYGOTE_TEST_HOOK);
	return !hook || strcmp(hook, "0") != 0;
}

/* Asks z for a child; its pid, or -1 when z could not start one. */
static pid_t zygote_ask(struct zygote *z, const struct bytes *msg, int out_fd, int report_fd, int ruleset_fd)
{
	int fds[ZYGOTE_FDS] = { out_fd, report_fd, ruleset_fd };
	int32_t answer = 0;
	if (request_send(z->sock, msg, fds, ruleset_fd >= 0 ? 3 : 2) < 0 || !readable_within(z->sock, ZYGOTE_ANSWER_MS) ||
	    recv(z->sock, &answer, sizeof(answer), 0) != (ssize_t)sizeof(answer)) {
		zygote_end(z); /* gone, or wedged: exec from now on */
		return -1;
	}
	return answer > 0 ? (pid_t)answer : -1;
}

int sandbox_zygote_spawn(const struct sandbox_plan *plan, char *const argv[], int report_fd, struct proc *child,
			 size_t out_cap, uint64_t deadline_ns)
{
	*child = (struct proc){0};
	int argc = 0;
	while (argv[argc])
		argc++;
	if (!zygote_wanted() || argc > ZYGOTE_MAX_ARGS || plan->binds.n > ZYGOTE_MAX_BINDS)
		return -1;
	struct zygote *z = zygote_for(plan->exe, argc);
	if (!z)
		return -1;
	struct bytes msg = {0};
	int out[2] = { -1, -1 };
	pid_t pid = -1;
	if (request_encode(plan, argv, argc, &msg) == 0 && pipe2(out, O_CLOEXEC) == 0)
		pid = zygote_ask(z, &msg, out[1], report_fd, plan->ruleset_fd);
	bytes_free(&msg);
	if (out[1] >= 0)
		close(out[1]);
	if (pid < 0) {
		if (out[0] >= 0)
			close(out[0]);
		return -1;
	}
	if (proc_adopt(child, pid, out[0], out_cap, deadline_ns) < 0) {
		proc_free(child); /* kills and reaps it */
		return -1;
	}
	children_started++;
	return 0;
}

/* ---- the zygote's side ---- */

/* Static: a child forgets them before main, and the zygote's heap holds
 * nothing of any request. */
static uint8_t request[ZYGOTE_MSG_MAX];
static struct sandbox_plan plan_in;
static struct sandbox_bind binds_in[ZYGOTE_MAX_BINDS];
static char args_in[ZYGOTE_ARGS_BYTES];

static ssize_t request_recv(int sock, int *fds, int *nfds)
{
	union {
		char buf[CMSG_SPACE(ZYGOTE_FDS * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { request, sizeof(request) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf) };
	ssize_t n;
	while ((n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	*nfds = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t got = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < got; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nfds < ZYGOTE_FDS)
				fds[(*nfds)++] = fd;
			else
				close(fd);
		}
	}
	return (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ? -1 : n;
}

/* A NUL-terminated string at *at within len, or NULL. */
static const char *string_take(size_t len, size_t *at)
{
	if (*at >= len)
		return NULL;
	const char *s = (const char *)request + *at;
	const char *end = memchr(s, '\0', len - *at);
	if (!end)
		return NULL;
	*at += (size_t)(end - s) + 1;
	return s;
}

/* Fills plan_in, binds_in and args (pointers into args_in) from the
 * request; -1 when it is not one this zygote can take. */
static int request_decode(size_t len, int argc, int nfds, char **args)
{
	struct zygote_head head;
	if (len < sizeof(head) + sizeof(plan_in))
		return -1;
	memcpy(&head, request, sizeof(head));
	if (head.magic != ZYGOTE_MAGIC || head.version != ZYGOTE_VERSION || head.plan_size != sizeof(plan_in) ||
	    head.argc != (uint32_t)argc || head.binds > ZYGOTE_MAX_BINDS || nfds != 2 + (head.has_ruleset != 0))
		return -1;
	memcpy(&plan_in, request + sizeof(head), sizeof(plan_in));
	size_t at = sizeof(head) + sizeof(plan_in), args_used = 0;
	for (int i = 0; i < argc; i++) {
		const char *s = string_take(len, &at);
		size_t n = s ? strlen(s) + 1 : 0;
		if (!s || args_used + n > sizeof(args_in))
			return -1;
		args[i] = memcpy(args_in + args_used, s, n);
		args_used += n;
	}
	for (uint32_t i = 0; i < head.binds; i++) {
		if (at + 3 > len)
			return -1;
		const uint8_t *flags = request + at;
		at += 3;
		binds_in[i] = (struct sandbox_bind){ .is_dir = flags[0], .writable = flags[1] };
		binds_in[i].path = (char *)string_take(len, &at);
		if (!binds_in[i].path || (flags[2] && !(binds_in[i].source = (char *)string_take(len, &at))))
			return -1;
	}
	plan_in.binds = (struct sandbox_binds){ binds_in, head.binds };
	return 0;
}

static void fds_close(int *fds, int nfds)
{
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
}

/* The child, begun as proc_start's are, then confined by the plan. */
static void child_begin(pid_t requester, int *fds, int nfds, int argc, char **argv, char **args, size_t len)
{
	proc_child_begin(requester);
	plan_in.ruleset_fd = nfds > 2 ? fds[2] : -1;
	clearenv();
	sandbox_child_enter(&plan_in, fds[0], fds[1]);
	for (int i = 0; i < argc; i++)
		argv[i] = args[i];
	/* Only what came: each page written is a page copied. */
	explicit_bzero(request, len);
	explicit_bzero(binds_in, sizeof(binds_in));
	explicit_bzero(&plan_in, sizeof(plan_in));
}

void sandbox_zygote_serve(int sock, int argc, char **argv)
{
	struct zygote_head hello = { ZYGOTE_MAGIC, ZYGOTE_VERSION, sizeof(struct sandbox_plan), 0, 0, 0 };
	if (argc > ZYGOTE_MAX_ARGS || send(sock, &hello, sizeof(hello), MSG_NOSIGNAL) != (ssize_t)sizeof(hello))
		_exit(1);
	pid_t requester = getppid();
	for (;;) {
		int fds[ZYGOTE_FDS], nfds;
		char *args[ZYGOTE_MAX_ARGS];
		ssize_t n = request_recv(sock, fds, &nfds);
		if (n == 0)
			_exit(0); /* the requesting process has gone */
		int32_t answer = -EPROTO;
		if (n > 0 && request_decode((size_t)n, argc, nfds, args) == 0) {
			/* fork() cannot make a sibling: the raw system call can. */
			long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
			if (pid == 0) {
				close(sock);
				child_begin(requester, fds, nfds, argc, argv, args, (size_t)n);
				return;
			}
			answer = pid > 0 ? (int32_t)pid : -errno;
		}
		fds_close(fds, nfds);
		explicit_bzero(request, n > 0 ? (size_t)n : 0);
		if (send(sock, &answer, sizeof(answer), MSG_NOSIGNAL) != (ssize_t)sizeof(answer))
			_exit(1);
		if (n < 0)
			_exit(1);
	}
}
