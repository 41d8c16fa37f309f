/* Unit tests for sandbox.c: real nasm (and tests/sandbox/probe.c, built on
 * the fly) run confined, against a case folder with a secret kept in a
 * separate folder next to it. Every leak test also has an unconfined twin
 * showing that the same source does leak without the sandbox. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "assemble/sandbox/landlock.h"
#include "assemble/sandbox/paths.h"
#include "assemble/sandbox/sandbox.h"
#include "assemble/sandbox/zygote.h"
#include "core/clock.h"
#include "testutil.h"

#define SECRET "TOP-SECRET-7f3a9c"

static char root[256];       /* holds case/, work/ and the probe */
static char case_dir[300];   /* what the assembler may read */
static char work_dir[300];   /* where it may write */
static char secret_dir[256]; /* a separate folder it must not see */
static char secret[300];     /* secret_dir/secret.asm */
static const char *reads[2];

struct run {
	int status;
	char messages[65536];
	size_t len;
};

static struct run got;
static bool zygote_mode; /* the policies ask for the zygote */

static void sb_init(void)
{
	tu_tmpdir_make(root, sizeof(root));
	tu_tmpdir_make(secret_dir, sizeof(secret_dir));
	tu_path(case_dir, sizeof(case_dir), root, "case");
	tu_path(work_dir, sizeof(work_dir), root, "work");
	tu_path(secret, sizeof(secret), secret_dir, "secret.asm");
	cr_assert_eq(mkdir(case_dir, 0755), 0);
	cr_assert_eq(mkdir(work_dir, 0755), 0);
	/* Valid assembly, so an %include that got through would copy it out. */
	tu_write_str(secret_dir, "secret.asm", "db \"" SECRET "\"\n");
	reads[0] = case_dir;
	reads[1] = NULL;
	memset(&got, 0, sizeof(got));
}

static void sb_fini(void)
{
	tu_tmpdir_remove(root);
	tu_tmpdir_remove(secret_dir);
}

static struct sandbox_policy policy_default(void)
{
	return (struct sandbox_policy){
		.read_paths = reads,
		.write_dir = work_dir,
		.cpu_seconds = 10,
		.address_space = 1ull << 30,
		.file_size = 16u << 20,
		.open_files = 32,
		.zygote = zygote_mode,
	};
}

/* The unconfined twin: what nasm does when nothing stops it. */
static struct sandbox_policy policy_unconfined(void)
{
	struct sandbox_policy p = policy_default();
	p.unsafe = true;
	p.pretend_missing = SANDBOX_NO_LANDLOCK | SANDBOX_NO_USERNS | SANDBOX_NO_SECCOMP;
	return p;
}

/* Runs argv confined; returns sandbox_spawn's result, err filled on -1.
 * The child is killed after 30 s, so a broken limit fails the test
 * instead of hanging it. */
static int spawn_run(const struct sandbox_policy *p, char *const argv[], char *err, size_t err_len)
{
	struct proc child;
	uint64_t deadline = clock_ns() + 30000000000ull;
	unsigned long forked = sandbox_zygote_children();
	int rc = sandbox_spawn(p, argv, &child, sizeof(got.messages) - 1, deadline, err, err_len);
	if (p->zygote && rc == 0)
		cr_assert_eq(sandbox_zygote_children(), forked + 1, "the zygote did not start %s", argv[0]);
	if (rc == 0) {
		proc_wait(&child);
		bool killed = child.killed;
		got.status = child.status;
		got.len = child.out.len;
		if (got.len)
			memcpy(got.messages, child.out.data, got.len);
		got.messages[got.len] = '\0';
		proc_free(&child);
		cr_assert_not(killed, "the child did not finish within 30 s");
	}
	return rc;
}

static void spawn_ok(const struct sandbox_policy *p, char *const argv[])
{
	char err[512] = "";
	cr_assert_eq(spawn_run(p, argv, err, sizeof(err)), 0, "sandbox_spawn: %s", err);
}

static void output_path(char *out, size_t len)
{
	tu_path(out, len, work_dir, "guest.bin");
}

/* Assembles text as case/guest.asm into work/guest.bin. */
static void nasm_run(const struct sandbox_policy *p, const char *text)
{
	char source[400], output[400], include[400];
	tu_write_str(case_dir, "guest.asm", text);
	tu_path(source, sizeof(source), case_dir, "guest.asm");
	output_path(output, sizeof(output));
	snprintf(include, sizeof(include), "-I%s/", case_dir);
	char *argv[] = { "nasm", "-f", "bin", include, "-o", output, source, NULL };
	spawn_ok(p, argv);
}

static bool exited_zero(void)
{
	return WIFEXITED(got.status) && WEXITSTATUS(got.status) == 0;
}

static bool file_contains(const char *path, const char *needle)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	return memmem(buf, n, needle, strlen(needle)) != NULL;
}

/* The secret is nowhere the student could see it: not in what nasm said,
 * not in any file it wrote. */
static void assert_no_secret(void)
{
	cr_assert_null(strstr(got.messages, SECRET), "the secret leaked into the messages: %s", got.messages);
	DIR *d = opendir(work_dir);
	cr_assert_not_null(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		char path[600];
		snprintf(path, sizeof(path), "%s/%s", work_dir, e->d_name);
		cr_assert_not(file_contains(path, SECRET), "the secret leaked into %s", path);
	}
	closedir(d);
}

static bool output_has_secret(void)
{
	char output[400];
	output_path(output, sizeof(output));
	return file_contains(output, SECRET);
}

/* Runs text confined (must fail without leaking) and unconfined (must
 * leak), so each test proves its attack is real. */
static void assert_leak_blocked(const char *text, unsigned pretend)
{
	struct sandbox_policy loose = policy_unconfined();
	nasm_run(&loose, text);
	cr_assert(exited_zero() && output_has_secret(), "the attack does not work even unconfined: %s", got.messages);
	tu_tmpdir_remove(work_dir);
	cr_assert_eq(mkdir(work_dir, 0755), 0);
	memset(&got, 0, sizeof(got));

	struct sandbox_policy p = policy_default();
	p.pretend_missing = pretend;
	nasm_run(&p, text);
	cr_assert_not(exited_zero(), "nasm read the secret: %s", got.messages);
	assert_no_secret();
}

/* Each SANDBOX_TEST runs twice: with the program exec'd (suite sandbox),
 * and forked from a started copy of it (suite sandbox_zygote, zygote.h),
 * whose confinement must be the same. */
static void zygote_init(void)
{
	sb_init();
	zygote_mode = true;
}

TestSuite(sandbox, .init = sb_init, .fini = sb_fini);
TestSuite(sandbox_zygote, .init = zygote_init, .fini = sb_fini);

#define SANDBOX_TEST(name)                                                                                   \
	static void name(void);                                                                              \
	Test(sandbox, name)                                                                                  \
	{                                                                                                    \
		name();                                                                                      \
	}                                                                                                    \
	Test(sandbox_zygote, name)                                                                           \
	{                                                                                                    \
		name();                                                                                      \
	}                                                                                                    \
	static void name(void)

SANDBOX_TEST(normal_source_assembles)
{
	struct sandbox_policy p = policy_default();
	nasm_run(&p, "bits 16\nmov al, 1\nhlt\n");
	cr_assert(exited_zero(), "nasm said: %s", got.messages);
	char output[400];
	output_path(output, sizeof(output));
	FILE *f = fopen(output, "rb");
	cr_assert_not_null(f);
	unsigned char buf[16];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	cr_assert_eq(n, 3);
	cr_assert_eq(memcmp(buf, "\xb0\x01\xf4", 3), 0);
}

SANDBOX_TEST(include_from_the_case_folder_works)
{
	tu_write_str(case_dir, "lib.inc", "%define VALUE 42\n");
	struct sandbox_policy p = policy_default();
	nasm_run(&p, "%include \"lib.inc\"\ndb VALUE\n");
	cr_assert(exited_zero(), "nasm said: %s", got.messages);
}

/* assembler.c's layout: the source sits in the write folder, includes come
 * from the case folder, both given as read paths. */
static void assert_source_in_write_dir_works(unsigned pretend)
{
	char source[400], output[400], include[400];
	tu_write_str(case_dir, "lib.inc", "db 7\n");
	tu_write_str(work_dir, "guest.asm", "%include \"lib.inc\"\ndb 9\n");
	tu_path(source, sizeof(source), work_dir, "guest.asm");
	output_path(output, sizeof(output));
	snprintf(include, sizeof(include), "-I%s/", case_dir);
	const char *both[] = { case_dir, source, NULL };
	struct sandbox_policy p = policy_default();
	p.read_paths = both;
	p.pretend_missing = pretend;
	char *argv[] = { "nasm", "-f", "bin", include, "-o", output, source, NULL };
	spawn_ok(&p, argv);
	cr_assert(exited_zero(), "nasm said: %s", got.messages);
	cr_assert(file_contains(output, "\x07\x09"));
}

SANDBOX_TEST(source_in_write_dir_works)
{
	assert_source_in_write_dir_works(0);
}

SANDBOX_TEST(source_in_write_dir_works_in_mount_namespace)
{
	assert_source_in_write_dir_works(SANDBOX_NO_LANDLOCK);
}

SANDBOX_TEST(incbin_absolute_path_is_denied)
{
	char text[600];
	snprintf(text, sizeof(text), "incbin \"%s\"\n", secret);
	assert_leak_blocked(text, 0);
}

SANDBOX_TEST(incbin_path_built_by_macros_is_denied)
{
	char text[800];
	snprintf(text, sizeof(text),
		 "%%define DIR '%s'\n%%strcat FILE DIR, '/sec', 'ret.asm'\nincbin FILE\n", secret_dir);
	assert_leak_blocked(text, 0);
}

SANDBOX_TEST(include_outside_is_denied)
{
	char text[600];
	snprintf(text, sizeof(text), "%%include \"%s\"\n", secret);
	assert_leak_blocked(text, 0);
}

SANDBOX_TEST(dotdot_relative_path_is_denied)
{
	/* Relative to the -I folder: case/../../<secret folder>/secret.asm. */
	char text[600];
	snprintf(text, sizeof(text), "incbin \"../../%s/secret.asm\"\n", strrchr(secret_dir, '/') + 1);
	assert_leak_blocked(text, 0);
}

SANDBOX_TEST(symlink_in_the_case_folder_is_denied)
{
	char link[400];
	tu_path(link, sizeof(link), case_dir, "innocent.bin");
	cr_assert_eq(symlink(secret, link), 0);
	assert_leak_blocked("incbin \"innocent.bin\"\n", 0);
}

SANDBOX_TEST(system_files_are_denied)
{
	struct sandbox_policy p = policy_default();
	nasm_run(&p, "incbin \"/etc/passwd\"\n");
	cr_assert_not(exited_zero(), "nasm read /etc/passwd");
}

SANDBOX_TEST(environment_is_empty)
{
	cr_assert_eq(setenv("KVMCHECK_TEST_SECRET", SECRET, 1), 0);
	const char *text = "%defstr E %!KVMCHECK_TEST_SECRET\n%defstr P %!PATH\n%defstr H %!HOME\ndb E, P, H, 0\n";
	struct sandbox_policy p = policy_default();
	nasm_run(&p, text);
	cr_assert(exited_zero(), "nasm said: %s", got.messages);
	assert_no_secret();
	char output[400];
	output_path(output, sizeof(output));
	FILE *f = fopen(output, "rb");
	cr_assert_not_null(f);
	char buf[64];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	cr_assert_eq(n, 1, "environment variables reached the output");
}

SANDBOX_TEST(map_file_outside_write_dir_is_denied)
{
	char inside[400], outside[400], text[1000];
	tu_path(inside, sizeof(inside), work_dir, "ok.map");
	tu_path(outside, sizeof(outside), secret_dir, "leak.map");
	snprintf(text, sizeof(text), "[map all %s]\ndb 1\n", inside);
	struct sandbox_policy p = policy_default();
	nasm_run(&p, text);
	cr_assert_eq(access(inside, F_OK), 0, "[map] does not write a file, so this test proves nothing");

	snprintf(text, sizeof(text), "[map all %s]\ndb 1\n", outside);
	nasm_run(&p, text);
	cr_assert_neq(access(outside, F_OK), 0, "nasm wrote %s", outside);
}

SANDBOX_TEST(output_size_limit_raises_sigxfsz)
{
	struct sandbox_policy p = policy_default();
	p.file_size = 1u << 20;
	/* nasm needs 8 s for times 100000000; 4 MB shows the same in 0.3 s. */
	nasm_run(&p, "times 4000000 db 0\n");
	cr_assert(WIFSIGNALED(got.status) && WTERMSIG(got.status) == SIGXFSZ, "status %#x: %s", got.status,
		  got.messages);
	cr_assert_str_eq(sandbox_explain_status(got.status), "assembler exceeded its output size limit");
}

SANDBOX_TEST(huge_reservation_hits_the_output_limit)
{
	struct sandbox_policy p = policy_default();
	p.file_size = 1u << 20;
	nasm_run(&p, "resb 100000000\n");
	cr_assert(WIFSIGNALED(got.status) && WTERMSIG(got.status) == SIGXFSZ, "status %#x", got.status);
}

SANDBOX_TEST(cpu_limit_stops_an_endless_macro_loop)
{
	struct sandbox_policy p = policy_default();
	p.cpu_seconds = 1;
	time_t start = time(NULL);
	nasm_run(&p, "%pragma limit rep unlimited\n%assign i 0\n%rep 1000000000\n%assign i i+1\n%endrep\n");
	cr_assert(WIFSIGNALED(got.status) && WTERMSIG(got.status) == SIGXCPU, "status %#x", got.status);
	cr_assert_str_eq(sandbox_explain_status(got.status), "assembler exceeded its CPU limit");
	cr_assert_leq(time(NULL) - start, 10);
}

/* ---- tests/sandbox/probe.c ---- */

static char probe[300];

static void probe_build(void)
{
	char src[512], cmd[1200];
	snprintf(src, sizeof(src), "%s", __FILE__);
	char *slash = strrchr(src, '/');
	snprintf(slash ? slash + 1 : src, sizeof(src) - (size_t)(slash ? slash + 1 - src : 0), "../sandbox/probe.c");
	tu_path(probe, sizeof(probe), root, "probe");
	snprintf(cmd, sizeof(cmd), "cc -O1 -o '%s' '%s'", probe, src);
	cr_assert_eq(system(cmd), 0, "cannot build %s", src);
}

static void probe_run(const struct sandbox_policy *p, const char *what, const char *arg)
{
	char *argv[] = { probe, (char *)what, (char *)arg, NULL };
	spawn_ok(p, argv);
}

static void assert_probe_passes(const struct sandbox_policy *p, const char *what, const char *arg)
{
	probe_run(p, what, arg);
	cr_assert(exited_zero(), "probe %s: status %#x: %s", what, got.status, got.messages);
}

SANDBOX_TEST(no_socket_can_be_opened)
{
	probe_build();
	struct sandbox_policy p = policy_default();
	assert_probe_passes(&p, "socket", NULL);
	struct sandbox_policy loose = policy_unconfined();
	probe_run(&loose, "socket", NULL);
	cr_assert_not(exited_zero(), "sockets fail even unconfined");
}

/* A listener on loopback that the confined probe must not reach, with the
 * seccomp filter (sockets fail) and without it (network namespace). */
static int listener_open(char *port, size_t len)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(addr);
	cr_assert_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	cr_assert_eq(listen(fd, 4), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&addr, &alen), 0);
	snprintf(port, len, "%u", ntohs(addr.sin_port));
	return fd;
}

SANDBOX_TEST(loopback_is_unreachable_with_seccomp_or_netns)
{
	probe_build();
	char port[16];
	int fd = listener_open(port, sizeof(port));
	struct sandbox_policy loose = policy_unconfined();
	probe_run(&loose, "connect", port);
	cr_assert_not(exited_zero(), "the listener cannot be reached even unconfined");

	struct sandbox_policy p = policy_default();
	assert_probe_passes(&p, "connect", port);
	p.pretend_missing = SANDBOX_NO_SECCOMP;
	assert_probe_passes(&p, "connect", port);
	p.pretend_missing = SANDBOX_NO_SECCOMP | SANDBOX_NO_LANDLOCK;
	assert_probe_passes(&p, "connect", port);
	close(fd);
}

SANDBOX_TEST(child_has_no_env_no_fds_no_caps_no_fork)
{
	probe_build();
	cr_assert_eq(setenv("KVMCHECK_TEST_SECRET", SECRET, 1), 0);
	int stray = open("/dev/null", O_RDONLY); /* not close-on-exec: must not reach the child */
	struct sandbox_policy p = policy_default();
	assert_probe_passes(&p, "env", NULL);
	assert_probe_passes(&p, "fds", NULL);
	assert_probe_passes(&p, "caps", NULL);
	assert_probe_passes(&p, "fork", NULL);
	close(stray);
}

SANDBOX_TEST(probe_cannot_read_or_write_outside)
{
	probe_build();
	char outside[400];
	tu_path(outside, sizeof(outside), secret_dir, "new.txt");
	struct sandbox_policy p = policy_default();
	assert_probe_passes(&p, "read", secret);
	assert_probe_passes(&p, "read", "/etc/passwd");
	assert_probe_passes(&p, "write", outside);
	cr_assert_neq(access(outside, F_OK), 0);
}

SANDBOX_TEST(forbidden_system_call_kills_with_sigsys)
{
	probe_build();
	struct sandbox_policy p = policy_default();
	probe_run(&p, "ptrace", NULL);
	cr_assert(WIFSIGNALED(got.status) && WTERMSIG(got.status) == SIGSYS, "status %#x", got.status);
	cr_assert_str_eq(sandbox_explain_status(got.status), "assembler made a forbidden system call");
}

/* ---- fallbacks and refusal ---- */

SANDBOX_TEST(mount_namespace_stands_in_for_landlock)
{
	struct sandbox_policy p = policy_default();
	p.pretend_missing = SANDBOX_NO_LANDLOCK;
	nasm_run(&p, "bits 16\nmov al, 1\nhlt\n");
	cr_assert(exited_zero(), "nasm said: %s", got.messages);

	char text[600], link[400];
	snprintf(text, sizeof(text), "incbin \"%s\"\n", secret);
	assert_leak_blocked(text, SANDBOX_NO_LANDLOCK);
	tu_path(link, sizeof(link), case_dir, "innocent.bin");
	cr_assert_eq(symlink(secret, link), 0);
	assert_leak_blocked("incbin \"innocent.bin\"\n", SANDBOX_NO_LANDLOCK);
	nasm_run(&p, "incbin \"/etc/passwd\"\n");
	cr_assert_not(exited_zero(), "nasm read /etc/passwd");
}

SANDBOX_TEST(mount_namespace_blocks_writes_outside)
{
	probe_build();
	char outside[400];
	tu_path(outside, sizeof(outside), secret_dir, "new.txt");
	struct sandbox_policy p = policy_default();
	p.pretend_missing = SANDBOX_NO_LANDLOCK;
	assert_probe_passes(&p, "write", outside);
	assert_probe_passes(&p, "read", "/etc/passwd");
	assert_probe_passes(&p, "caps", NULL);
	assert_probe_passes(&p, "socket", NULL);
}

static int fds_open(void)
{
	return tu_dir_entries("/proc/self/fd");
}

/* The spawn is refused, and leaves no fd and no child behind (but the
 * zygote, started by a first refusal, which stays for the next spawn). */
static void spawn_refused_cleanly(const struct sandbox_policy *p, char *argv[], char *err, size_t len)
{
	if (p->zygote)
		cr_assert_eq(spawn_run(p, argv, err, len), -1);
	int before = fds_open();
	cr_assert_eq(spawn_run(p, argv, err, len), -1);
	cr_assert_eq(fds_open(), before, "sandbox_spawn leaked an fd");
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), p->zygote ? 0 : -1, "sandbox_spawn left a child");
}

SANDBOX_TEST(refuses_without_any_filesystem_confinement)
{
	struct sandbox_policy p = policy_default();
	p.pretend_missing = SANDBOX_NO_LANDLOCK | SANDBOX_NO_USERNS;
	char *argv[] = { "nasm", "-v", NULL };
	char err[512] = "";
	spawn_refused_cleanly(&p, argv, err, sizeof(err));
	cr_assert(strstr(err, "nasm's private world cannot be built here: user namespaces are not available "
			      "(user namespace: turned off by the policy; landlock: turned off"), "%s", err);
	cr_assert(strstr(err, "pass --unsafe-assembler to run nasm with no filesystem confinement at all"), "%s", err);

	p.unsafe = true;
	spawn_ok(&p, argv);
	cr_assert(exited_zero());
	cr_assert(strstr(got.messages, "NASM version"), "%s", got.messages);
}

SANDBOX_TEST(refuses_without_any_network_confinement)
{
	struct sandbox_policy p = policy_default();
	p.pretend_missing = SANDBOX_NO_SECCOMP | SANDBOX_NO_USERNS;
	char *argv[] = { "nasm", "-v", NULL };
	char err[512] = "";
	cr_assert_eq(spawn_run(&p, argv, err, sizeof(err)), -1);
	cr_assert(strstr(err, "nasm's private world cannot be built here: "), "%s", err);
	cr_assert(strstr(err, "seccomp: turned off"), "%s", err);
	cr_assert(strstr(err, "--unsafe-assembler"), "%s", err);
}

/* Landlock alone stops reads but not stat(): where no mount namespace can
 * be made, nasm is refused, saying what is missing and the two ways on. */
SANDBOX_TEST(landlock_alone_is_refused_without_unsafe)
{
	if (sandbox_landlock_abi() <= 0)
		cr_skip_test("no Landlock here (%s)", sandbox_describe());
	struct sandbox_policy p = policy_default();
	p.pretend_missing = SANDBOX_NO_USERNS;
	char *argv[] = { "nasm", "-v", NULL };
	char err[1024] = "";
	spawn_refused_cleanly(&p, argv, err, sizeof(err));
	cr_assert_str_eq(err, "nasm's private world cannot be built here: user namespaces are not available "
			      "(user namespace: turned off by the policy); enable them (on Ubuntu 24.04: sysctl "
			      "kernel.apparmor_restrict_unprivileged_userns=0) or pass --unsafe-assembler to run nasm "
			      "with Landlock alone, where the existence and size of files outside can show");
}

/* With --unsafe-assembler nasm runs, and Landlock is still applied. */
SANDBOX_TEST(landlock_alone_with_unsafe_still_confines_reads)
{
	if (sandbox_landlock_abi() <= 0)
		cr_skip_test("no Landlock here (%s)", sandbox_describe());
	struct sandbox_policy p = policy_default();
	p.pretend_missing = SANDBOX_NO_USERNS;
	p.unsafe = true;
	nasm_run(&p, "bits 16\nmov al, 1\nhlt\n");
	cr_assert(exited_zero(), "nasm said: %s", got.messages);
	char text[600];
	snprintf(text, sizeof(text), "incbin \"%s\"\n", secret);
	struct sandbox_policy loose = policy_unconfined();
	nasm_run(&loose, text);
	cr_assert(exited_zero() && output_has_secret(), "the attack does not work even unconfined: %s", got.messages);
	tu_tmpdir_remove(work_dir);
	cr_assert_eq(mkdir(work_dir, 0755), 0);
	memset(&got, 0, sizeof(got));
	nasm_run(&p, text);
	cr_assert_not(exited_zero(), "nasm read the secret: %s", got.messages);
	assert_no_secret();
}

SANDBOX_TEST(bad_paths_are_errors_without_leaks)
{
	struct sandbox_policy p = policy_default();
	char *argv[] = { "kvmcheck-no-such-tool", NULL };
	char err[512] = "";
	int before = fds_open();
	cr_assert_eq(spawn_run(&p, argv, err, sizeof(err)), -1);
	cr_assert(strstr(err, "not found in PATH"), "%s", err);

	const char *missing[] = { "/nonexistent/kvmcheck", NULL };
	p.read_paths = missing;
	char *nasm[] = { "nasm", "-v", NULL };
	cr_assert_eq(spawn_run(&p, nasm, err, sizeof(err)), -1);
	cr_assert(strstr(err, "/nonexistent/kvmcheck"), "%s", err);
	cr_assert_eq(fds_open(), before, "sandbox_spawn leaked an fd");
}

Test(sandbox, describe_names_the_mechanisms)
{
	const char *d = sandbox_describe();
	cr_assert_not_null(d);
	cr_assert(strstr(d, "rlimits"), "%s", d);
	cr_assert(strstr(d, "landlock ABI") || strstr(d, "mount namespace"), "%s", d);
	cr_assert_eq(d, sandbox_describe(), "computed more than once");
}

Test(sandbox, explain_status_names_the_limit)
{
	cr_assert_null(sandbox_explain_status(0));
	cr_assert_null(sandbox_explain_status(1 << 8));
	cr_assert_str_eq(sandbox_explain_status(SIGXCPU), "assembler exceeded its CPU limit");
	cr_assert_str_eq(sandbox_explain_status(SIGXFSZ), "assembler exceeded its output size limit");
	cr_assert_str_eq(sandbox_explain_status(SIGSYS), "assembler made a forbidden system call");
	cr_assert_str_eq(sandbox_explain_status(SIGSEGV), "assembler crashed (signal 11), or its memory limit is too small");
	cr_assert_str_eq(sandbox_explain_status(SIGABRT), "assembler crashed (signal 6), or its memory limit is too small");
	cr_assert_null(sandbox_explain_status(SIGTERM));
}

/* ---- nothing about a file outside: not its existence, not its size ---- */

/* What nasm says about source, run with the secret file present and then
 * absent; both are kept whole so they can be compared byte for byte. */
static void oracle_runs(unsigned pretend, const char *text, char *present, char *absent, size_t len)
{
	struct sandbox_policy p = policy_default();
	p.pretend_missing = pretend;
	nasm_run(&p, text);
	snprintf(present, len, "%s", got.messages);
	assert_no_secret();
	cr_assert_eq(unlink(secret), 0);
	memset(&got, 0, sizeof(got));
	nasm_run(&p, text);
	snprintf(absent, len, "%s", got.messages);
	tu_write_str(secret_dir, "secret.asm", "db \"" SECRET "\"\n");
}

/* The mount namespace's world holds no file outside, so nasm's two
 * messages ("unable to open" for a file it may not read, "unable to get
 * length" for one that is not there) and the line numbers of errors that
 * arithmetic on an incbin's size gives are the same whether the file exists
 * or not. pretend: 0 (namespace and Landlock) or SANDBOX_NO_LANDLOCK. */
static void assert_no_oracle(unsigned pretend)
{
	char text[2048], present[8192], absent[8192];
	snprintf(text, sizeof(text), "incbin \"%s\"\n", secret);
	oracle_runs(pretend, text, present, absent, sizeof(present));
	cr_assert_str_eq(present, absent, "existence shows");
	int n = snprintf(text, sizeof(text), "start: incbin \"%s\"\nend:\n", secret);
	for (int bit = 0; bit < 8; bit++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "db 1/(((end-start)>>%d)&1)\n", bit);
	oracle_runs(pretend, text, present, absent, sizeof(present));
	cr_assert_str_eq(present, absent, "the size shows");
}

SANDBOX_TEST(existence_and_size_do_not_show_in_the_namespace_with_landlock)
{
	assert_no_oracle(0);
}

SANDBOX_TEST(existence_and_size_do_not_show_in_the_namespace_alone)
{
	assert_no_oracle(SANDBOX_NO_LANDLOCK);
}

/* Only the libraries nasm loads are there, not the folders they are in. */
SANDBOX_TEST(library_folders_are_not_readable)
{
	static const unsigned pretends[] = { 0, SANDBOX_NO_LANDLOCK, SANDBOX_NO_USERNS };
	for (size_t i = 0; i < sizeof(pretends) / sizeof(*pretends); i++) {
		if (pretends[i] == SANDBOX_NO_USERNS && sandbox_landlock_abi() <= 0)
			continue;
		memset(&got, 0, sizeof(got));
		struct sandbox_policy p = policy_default();
		p.pretend_missing = pretends[i];
		/* Landlock alone runs only when unsafe; it must still keep the folder shut. */
		p.unsafe = pretends[i] == SANDBOX_NO_USERNS;
		nasm_run(&p, "incbin \"/usr/lib/os-release\"\n");
		cr_assert_not(exited_zero(), "pretend %u: /usr/lib/os-release was read", pretends[i]);
	}
}

/* The test hook names each filesystem mechanism; anything else is an error,
 * so a misspelt value cannot run a test under the default unnoticed. */
Test(sandbox_test_hook, names_each_mechanism)
{
	static const struct {
		const char *value;
		int rc;
		unsigned pretend;
	} rows[] = {
		{ NULL, 0, 0 },
		{ "both", 0, 0 },
		{ "landlock", 0, SANDBOX_NO_USERNS },
		{ "mountns", 0, SANDBOX_NO_LANDLOCK },
		{ "Landlock", -1, 0 },
		{ "", -1, 0 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rows[i].value)
			setenv(SANDBOX_TEST_HOOK, rows[i].value, 1);
		else
			unsetenv(SANDBOX_TEST_HOOK);
		unsigned pretend = 99;
		char err[128] = "";
		cr_assert_eq(sandbox_test_pretend(&pretend, err, sizeof(err)), rows[i].rc, "row %zu", i);
		cr_assert_eq(pretend, rows[i].pretend, "row %zu", i);
		if (rows[i].rc < 0)
			cr_assert(strstr(err, SANDBOX_TEST_HOOK " must be landlock, mountns or both"), "row %zu: %s", i, err);
	}
	unsetenv(SANDBOX_TEST_HOOK);
}

/* ---- ldd started ahead (sandbox_libraries_start) ---- */

/* A copy of what sandbox_exe_libraries answers for exe, as one string. */
static void libraries_of(const char *exe, char *out, size_t len)
{
	char err[PATH_MAX + 200] = "";
	const char *const *libs = sandbox_exe_libraries(exe, err, sizeof(err));
	cr_assert_not_null(libs, "%s", err);
	out[0] = '\0';
	for (size_t i = 0; libs[i]; i++)
		cr_assert_lt(snprintf(out + strlen(out), len - strlen(out), "%s\n", libs[i]), (int)(len - strlen(out)));
}

/* nasm, and another executable that loads libraries nasm does not (perl's
 * own, libperl and libm). */
static void nasm_and_other(char *nasm, char *other)
{
	char cwd[PATH_MAX], err[PATH_MAX + 200] = "";
	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	cr_assert_eq(sandbox_exe_resolve("nasm", cwd, nasm, PATH_MAX, err, sizeof(err)), 0, "%s", err);
	if (sandbox_exe_resolve("/usr/bin/perl", cwd, other, PATH_MAX, err, sizeof(err)) < 0)
		cr_skip_test("no /usr/bin/perl here to compare with");
}

/* The answer of an ldd started ahead is the one a fresh ldd gives. */
Test(sandbox_libraries, started_ahead_answers_as_a_fresh_ldd)
{
	char nasm[PATH_MAX], other[PATH_MAX], fresh[8192], ahead[8192];
	nasm_and_other(nasm, other);
	libraries_of(nasm, fresh, sizeof(fresh));
	libraries_of(other, ahead, sizeof(ahead)); /* nasm's answer is forgotten */
	sandbox_libraries_start(nasm);
	libraries_of(nasm, ahead, sizeof(ahead));
	cr_assert_str_eq(ahead, fresh);
}

/* An ldd started for one executable never answers for another. */
Test(sandbox_libraries, started_ahead_for_another_executable_is_not_used)
{
	char nasm[PATH_MAX], other[PATH_MAX], of_nasm[8192], of_other[8192], got[8192];
	nasm_and_other(nasm, other);
	libraries_of(other, of_other, sizeof(of_other));
	libraries_of(nasm, of_nasm, sizeof(of_nasm));
	cr_assert_str_neq(of_other, of_nasm);
	libraries_of("/bin/sh", got, sizeof(got)); /* neither is remembered */
	sandbox_libraries_start(other);
	libraries_of(nasm, got, sizeof(got));
	cr_assert_str_eq(got, of_nasm);
}

/* A run that never asks (its cases all came from the cache, in one
 * process) leaves no ldd behind. */
Test(sandbox_libraries, started_ahead_and_abandoned_leaves_no_child)
{
	char nasm[PATH_MAX], other[PATH_MAX];
	nasm_and_other(nasm, other);
	sandbox_libraries_start(nasm);
	sandbox_libraries_abandon();
	errno = 0;
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1);
	cr_assert_eq(errno, ECHILD);
}

/* nasm no longer found when the pool is about to fork: the ldd started
 * ahead is ended, not left for the forked processes to inherit. */
Test(sandbox_libraries, warm_without_nasm_ends_the_ldd_started_ahead)
{
	char *path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	cr_assert_not_null(path);
	sandbox_warm_start("nasm");
	cr_assert_eq(setenv("PATH", "/nonexistent", 1), 0);
	sandbox_warm("nasm");
	setenv("PATH", path, 1);
	free(path);
	errno = 0;
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1);
	cr_assert_eq(errno, ECHILD);
}
