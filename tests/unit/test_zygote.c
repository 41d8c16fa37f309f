/* Unit tests for zygote.c beyond what test_sandbox.c's sandbox_zygote suite
 * runs through it (every confinement test): the child is the caller's own,
 * killed at its deadline; a zygote that dies or is turned off leaves nasm
 * exec'd as before. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "assemble/sandbox/sandbox.h"
#include "assemble/sandbox/zygote.h"
#include "core/clock.h"
#include "testutil.h"

static char dir[256];
static const char *reads[2];

static void zy_init(void)
{
	tu_tmpdir_make(dir, sizeof(dir));
	reads[0] = dir;
	reads[1] = NULL;
}

static void zy_fini(void)
{
	tu_tmpdir_remove(dir);
}

TestSuite(zygote, .init = zy_init, .fini = zy_fini);

static struct sandbox_policy policy(void)
{
	return (struct sandbox_policy){ .read_paths = reads, .write_dir = dir, .cpu_seconds = 30,
					.address_space = 1ull << 30, .file_size = 1u << 20, .open_files = 32,
					.workdir = dir, .zygote = true };
}

/* Starts nasm on text (as guest.asm in dir) with deadline_ns; the proc runs. */
static void nasm_start(const char *text, uint64_t deadline_ns, struct proc *child)
{
	tu_write_str(dir, "guest.asm", text);
	char *argv[] = { "nasm", "-f", "bin", "-o", "guest.bin", "guest.asm", NULL };
	struct sandbox_policy p = policy();
	char err[512] = "";
	cr_assert_eq(sandbox_spawn(&p, argv, child, 4096, deadline_ns, err, sizeof(err)), 0, "%s", err);
}

/* Assembles "db 'ok'"; true when guest.bin holds it. */
static bool assembles(void)
{
	struct proc child;
	nasm_start("db 'ok'\n", clock_ns() + 30000000000ull, &child);
	proc_wait(&child);
	bool ok = WIFEXITED(child.status) && WEXITSTATUS(child.status) == 0;
	proc_free(&child);
	char path[400], buf[8] = "";
	tu_path(path, sizeof(path), dir, "guest.bin");
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
	if (f)
		fclose(f);
	unlink(path);
	return ok && n == 2 && memcmp(buf, "ok", 2) == 0;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], text[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "no %s", path);
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	/* pid (comm) state ppid: comm may hold spaces, not a ')'. */
	char *close = strrchr(text, ')');
	int ppid = 0;
	cr_assert(close && sscanf(close + 1, " %*c %d", &ppid) == 1, "%s", text);
	return ppid;
}

/* This process's children started as "nasm -v ...": its zygotes. */
static int zygotes_find(pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	cr_assert_not_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		pid_t pid = (pid_t)atoi(e->d_name);
		char path[64], cmd[64] = "";
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
		FILE *f = pid > 0 ? fopen(path, "r") : NULL;
		if (!f)
			continue;
		size_t len = fread(cmd, 1, sizeof(cmd), f);
		fclose(f);
		if (len >= 8 && memcmp(cmd, "nasm\0-v", 8) == 0 && parent_of(pid) == getpid())
			out[n++] = pid;
	}
	closedir(d);
	return n;
}

Test(zygote, the_child_is_the_callers_and_dies_at_its_deadline)
{
	cr_assert_not_null(sandbox_zygote_library(), "no kvmcheck-zygote.so beside the test binary");
	struct proc child;
	unsigned long before = sandbox_zygote_children();
	const char *endless = "%pragma limit rep unlimited\n%assign i 0\n%rep 1000000000\n%assign i i+1\n%endrep\n";
	nasm_start(endless, clock_ns() + 300000000ull, &child);
	cr_assert_eq(sandbox_zygote_children(), before + 1, "the zygote did not start nasm");
	cr_assert_eq(parent_of(child.pid), getpid(), "the child is not this process's own");
	proc_wait(&child);
	cr_assert(child.killed, "the deadline did not end the child (status %#x)", child.status);
	cr_assert(child.reaped && WIFSIGNALED(child.status) && WTERMSIG(child.status) == SIGKILL, "status %#x",
		  child.status);
	proc_free(&child);
}

Test(zygote, one_zygote_serves_every_run_of_the_same_command)
{
	unsigned long before = sandbox_zygote_children();
	for (int i = 0; i < 3; i++)
		cr_assert(assembles(), "run %d", i);
	cr_assert_eq(sandbox_zygote_children(), before + 3);
	pid_t zygotes[4];
	cr_assert_eq(zygotes_find(zygotes, 4), 1);
}

Test(zygote, a_dead_zygote_leaves_nasm_execd)
{
	cr_assert(assembles());
	pid_t zygotes[4];
	cr_assert_eq(zygotes_find(zygotes, 4), 1);
	cr_assert_eq(kill(zygotes[0], SIGKILL), 0);
	unsigned long before = sandbox_zygote_children();
	cr_assert(assembles(), "no nasm after the zygote died");
	cr_assert(assembles(), "no nasm the time after");
	cr_assert_eq(sandbox_zygote_children(), before, "a dead zygote served");
	cr_assert_eq(zygotes_find(zygotes, 4), 0, "the dead zygote was not reaped, or another started");
}

Test(zygote, the_test_hook_turns_it_off)
{
	cr_assert_eq(setenv(SANDBOX_ZYGOTE_TEST_HOOK, "0", 1), 0);
	unsigned long before = sandbox_zygote_children();
	cr_assert(assembles());
	cr_assert_eq(sandbox_zygote_children(), before);
	pid_t zygotes[4];
	cr_assert_eq(zygotes_find(zygotes, 4), 0);
}
