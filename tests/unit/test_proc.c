/* Unit tests for proc.c: children started, polled, reaped and killed at a
 * deadline with their whole process group, leaving no descriptor and no
 * child behind. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/fd_io.h"
#include "core/proc.h"
#include "testutil.h"

#define MS 1000000ull

static struct proc child;

static void proc_test_fini(void)
{
	proc_free(&child);
}

TestSuite(proc, .fini = proc_test_fini);

static int fds_open(void)
{
	return tu_dir_entries("/proc/self/fd");
}

static void write_text(int fd, const char *text)
{
	fd_write_all(fd, text, strlen(text));
}

static _Noreturn void sleep_forever(void)
{
	signal(SIGTERM, SIG_IGN);
	for (;;)
		pause();
}

/* ---- bodies: what the children do ---- */

static void exits_with(void *ctx, int fd)
{
	(void)fd;
	_exit(*(int *)ctx);
}

static void returns(void *ctx, int fd)
{
	(void)ctx, (void)fd;
}

static void writes_bytes(void *ctx, int fd)
{
	size_t len = *(size_t *)ctx;
	static uint8_t buf[65536];
	for (size_t done = 0; done < len;) {
		size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)((done + i) * 7);
		if (fd_write_all(fd, buf, n) < 0)
			_exit(1);
		done += n;
	}
	_exit(0);
}

static void ignores_sigterm_and_sleeps(void *ctx, int fd)
{
	(void)ctx, (void)fd;
	sleep_forever();
}

/* Starts a grandchild that sleeps deaf to SIGTERM and tells its pid; then
 * exits when ctx says so (the grandchild keeps the pipe open), else sleeps. */
static void starts_a_grandchild(void *ctx, int fd)
{
	bool child_exits = *(bool *)ctx;
	pid_t grandchild = fork();
	if (grandchild == 0)
		sleep_forever();
	char text[32];
	snprintf(text, sizeof(text), "%d\n", (int)grandchild);
	write_text(fd, text);
	if (child_exits)
		_exit(0);
	sleep_forever();
}

static void tells_core_limit_and_group(void *ctx, int fd)
{
	(void)ctx;
	struct rlimit core;
	getrlimit(RLIMIT_CORE, &core);
	char text[96];
	snprintf(text, sizeof(text), "core %llu %llu leads its group %d", (unsigned long long)core.rlim_cur,
		 (unsigned long long)core.rlim_max, getpgid(0) == getpid());
	write_text(fd, text);
	_exit(0);
}

static void waits_then_writes(void *ctx, int fd)
{
	struct timespec pause_for = { 0, 100 * (long)MS };
	nanosleep(&pause_for, NULL);
	write_text(fd, ctx);
	_exit(5);
}

/* ---- helpers ---- */

static void start(proc_body body, void *ctx, size_t cap, uint64_t deadline_ns)
{
	char err[200] = "";
	cr_assert_eq(proc_start(&child, body, ctx, cap, deadline_ns, err, sizeof(err)), 0, "%s", err);
	cr_assert_gt(child.pid, 0);
}

static void assert_reaped(pid_t pid)
{
	cr_assert(child.reaped);
	errno = 0;
	cr_assert_eq(waitpid(pid, NULL, WNOHANG), -1, "the child is still there to reap");
	cr_assert_eq(errno, ECHILD);
}

/* True once pid is gone, or a zombie (dead, waiting for whoever adopted it). */
static bool gone(pid_t pid)
{
	char path[64], stat[256] = "";
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return true;
	size_t n = fread(stat, 1, sizeof(stat) - 1, f);
	fclose(f);
	stat[n] = '\0';
	const char *state = strrchr(stat, ')');
	return !state || state[1] == '\0' || state[2] == 'Z' || state[2] == 'X';
}

static bool gone_within(pid_t pid, int seconds)
{
	for (int i = 0; i < seconds * 100; i++) {
		if (gone(pid))
			return true;
		struct timespec ten_ms = { 0, 10 * (long)MS };
		nanosleep(&ten_ms, NULL);
	}
	return false;
}

/* ---- tests ---- */

Test(proc, a_child_exit_status_comes_back)
{
	static const int codes[] = { 0, 1, 3, 127, 255 };
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		int code = codes[i];
		start(exits_with, &code, 1024, 0);
		pid_t pid = child.pid;
		proc_wait(&child);
		assert_reaped(pid);
		cr_assert_not(child.killed);
		cr_assert(WIFEXITED(child.status), "code %d", code);
		cr_assert_eq(WEXITSTATUS(child.status), code);
		cr_assert_eq(child.out.len, 0u);
		proc_free(&child);
	}
}

Test(proc, a_body_that_returns_exits_127)
{
	start(returns, NULL, 1024, 0);
	proc_wait(&child);
	cr_assert(WIFEXITED(child.status));
	cr_assert_eq(WEXITSTATUS(child.status), 127);
}

Test(proc, output_is_captured_whole)
{
	static const size_t sizes[] = { 0, 1, 4096, 65536, 300001 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i];
		start(writes_bytes, &len, SIZE_MAX, clock_ns() + 60000 * MS);
		proc_wait(&child);
		cr_assert_not(child.killed);
		cr_assert_eq(WEXITSTATUS(child.status), 0, "size %zu", len);
		cr_assert_eq(child.out.len, len);
		for (size_t j = 0; j < len; j++)
			cr_assert_eq(child.out.data[j], (uint8_t)(j * 7), "byte %zu of %zu", j, len);
		proc_free(&child);
	}
}

Test(proc, output_beyond_the_cap_is_read_and_dropped)
{
	size_t len = 1u << 20;
	start(writes_bytes, &len, 1000, clock_ns() + 60000 * MS);
	proc_wait(&child);
	cr_assert_not(child.killed, "the child blocked on a full pipe");
	cr_assert_eq(WEXITSTATUS(child.status), 0);
	cr_assert_eq(child.out.len, 1000u);
	cr_assert_eq(child.out.data[999], (uint8_t)(999 * 7));
}

Test(proc, a_child_deaf_to_sigterm_is_killed_at_its_deadline, .timeout = 60)
{
	uint64_t begin = clock_ns();
	start(ignores_sigterm_and_sleeps, NULL, 1024, begin + 200 * MS);
	pid_t pid = child.pid;
	proc_wait(&child);
	uint64_t took = clock_ns() - begin;
	cr_assert(child.killed);
	cr_assert(WIFSIGNALED(child.status));
	cr_assert_eq(WTERMSIG(child.status), SIGKILL);
	assert_reaped(pid);
	cr_assert_geq(took, 200 * MS, "killed before its deadline");
	cr_assert_lt(took, 20000 * MS, "killed far too late");
}

Test(proc, a_grandchild_is_killed_with_its_group, .timeout = 60)
{
	static const bool child_exits[] = { true, false };
	for (size_t i = 0; i < 2; i++) {
		bool exits = child_exits[i];
		start(starts_a_grandchild, &exits, 1024, clock_ns() + 300 * MS);
		pid_t pid = child.pid;
		proc_wait(&child);
		/* Even a child that exited is not done while its grandchild holds the pipe. */
		cr_assert(child.killed, "child exits: %d", exits);
		assert_reaped(pid);
		cr_assert_gt(child.out.len, 0u);
		pid_t grandchild = (pid_t)strtol((const char *)child.out.data, NULL, 10);
		cr_assert_gt(grandchild, 0);
		cr_assert(gone_within(grandchild, 10), "grandchild %d survived its group's kill", (int)grandchild);
		proc_free(&child);
	}
}

Test(proc, polling_does_not_block)
{
	start(ignores_sigterm_and_sleeps, NULL, 1024, 0);
	uint64_t begin = clock_ns();
	cr_assert_not(proc_poll(&child, 0));
	cr_assert_not(proc_poll(&child, 50));
	cr_assert_lt(clock_ns() - begin, 10000 * MS);
	struct pollfd fds[2];
	cr_assert_geq(proc_pollfds(&child, fds), 1u, "nothing to wait on for a running child");
	proc_kill(&child);
	proc_wait(&child);
	cr_assert(child.killed);
	cr_assert_eq(proc_pollfds(&child, fds), 0u);
}

Test(proc, a_child_writes_no_core_and_leads_its_group)
{
	start(tells_core_limit_and_group, NULL, 1024, 0);
	proc_wait(&child);
	bytes_push(&child.out, '\0');
	cr_assert_str_eq((const char *)child.out.data, "core 0 0 leads its group 1");
}

/* What a scheduler does: one poll() over several children. */
Test(proc, two_children_polled_together)
{
	static struct proc slow;
	char err[200];
	cr_assert_eq(proc_start(&slow, waits_then_writes, "slow", 64, clock_ns() + 60000 * MS, err, sizeof(err)), 0);
	int code = 2;
	start(exits_with, &code, 64, 0);
	bool slow_done = false, fast_done = false;
	while (!(slow_done && fast_done)) {
		struct pollfd fds[4];
		size_t n = proc_pollfds(&slow, fds);
		n += proc_pollfds(&child, fds + n);
		poll(fds, n, 1000);
		slow_done = proc_poll(&slow, 0);
		fast_done = proc_poll(&child, 0);
	}
	cr_assert_eq(WEXITSTATUS(slow.status), 5);
	cr_assert_eq(slow.out.len, 4u);
	cr_assert_eq(memcmp(slow.out.data, "slow", 4), 0);
	cr_assert_eq(WEXITSTATUS(child.status), 2);
	proc_free(&slow);
}

Test(proc, no_descriptor_and_no_child_is_left, .timeout = 60)
{
	int before = fds_open();
	int code = 0;
	size_t len = 100000;
	start(exits_with, &code, 64, 0);
	proc_wait(&child);
	proc_free(&child);
	start(writes_bytes, &len, 10, 0);
	proc_wait(&child);
	proc_free(&child);
	start(ignores_sigterm_and_sleeps, NULL, 64, clock_ns() + 50 * MS);
	proc_wait(&child);
	proc_free(&child);
	/* Freed while still running: killed and reaped there. */
	start(ignores_sigterm_and_sleeps, NULL, 64, 0);
	proc_poll(&child, 0);
	proc_free(&child);
	proc_free(&child);
	cr_assert_eq(fds_open(), before, "a descriptor was left open");
	errno = 0;
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a child was left");
	cr_assert_eq(errno, ECHILD);
}

Test(proc, a_proc_never_started_is_safe_to_free)
{
	struct proc never = { 0 };
	int before = fds_open();
	proc_free(&never);
	cr_assert(proc_poll(&never, 0));
	cr_assert_eq(fds_open(), before);
}

/* ---- proc_spawn: a child that shares memory until it execs ---- */

#if defined(__SANITIZE_ADDRESS__)
#define SPAWN_SHARES 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPAWN_SHARES 0
#endif
#endif
#ifndef SPAWN_SHARES
#define SPAWN_SHARES 1
#endif

static volatile int touched_before_exec;

/* Runs sh with the command in ctx, its output into the pipe; marks the
 * flag first, which the parent sees only when the memory is shared. */
static void sh_exec(void *ctx, int fd)
{
	touched_before_exec = 1;
	dup2(fd, 1);
	char *const argv[] = { "sh", "-c", ctx, NULL };
	char *const envp[] = { NULL };
	execve("/bin/sh", argv, envp);
	_exit(126);
}

Test(proc, a_spawned_child_runs_its_program_in_a_group_of_its_own)
{
	touched_before_exec = 0;
	char err[200];
	cr_assert_eq(proc_spawn(&child, sh_exec, "echo $$ $(ps -o pgid= -p $$); exit 3", 1024, 0, err, sizeof(err)), 0,
		     "%s", err);
	/* The child has exec'd or ended: its memory is its own again. */
	cr_assert_eq(touched_before_exec, SPAWN_SHARES, "the child %s the parent's memory",
		     SPAWN_SHARES ? "did not share" : "shared");
	pid_t pid = child.pid;
	proc_wait(&child);
	assert_reaped(pid);
	cr_assert(WIFEXITED(child.status));
	cr_assert_eq(WEXITSTATUS(child.status), 3);
	long said_pid = 0, said_group = 0;
	char text[64];
	snprintf(text, sizeof(text), "%.*s", (int)child.out.len, (const char *)child.out.data);
	cr_assert_eq(sscanf(text, "%ld %ld", &said_pid, &said_group), 2, "%s", text);
	cr_assert_eq(said_pid, (long)pid);
	cr_assert_eq(said_group, (long)pid, "the child does not lead its group");
}

Test(proc, a_spawned_child_that_fails_before_exec_reports_it)
{
	int code = 9;
	char err[200];
	cr_assert_eq(proc_spawn(&child, exits_with, &code, 1024, 0, err, sizeof(err)), 0, "%s", err);
	proc_wait(&child);
	cr_assert(WIFEXITED(child.status));
	cr_assert_eq(WEXITSTATUS(child.status), 9);
}
