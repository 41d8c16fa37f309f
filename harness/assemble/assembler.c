#include "assemble/assembler.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/defaults.h"
#include "core/fd_io.h"
#include "core/proc.h"
#include "assemble/sandbox/sandbox.h"

struct workdir {
	char dir[256];
	char source[300];
	char output[300];
};

static const char *tmp_dir(void)
{
	const char *tmp = getenv("TMPDIR");
	return tmp && *tmp ? tmp : "/tmp";
}

/* "kvmcheck.PID.XXXXXX": the PID of the process that made it says, once
 * that process is gone, that nobody will remove it (assembler_clean_stale). */
static int workdir_create(struct workdir *w, char *err, size_t err_len)
{
	const char *tmp = tmp_dir();
	snprintf(w->dir, sizeof(w->dir), "%s/kvmcheck.%ld.XXXXXX", tmp, (long)getpid());
	if (!mkdtemp(w->dir)) {
		snprintf(err, err_len, "cannot create a temporary folder in %s: %s", tmp, strerror(errno));
		return -1;
	}
	snprintf(w->source, sizeof(w->source), "%s/guest.asm", w->dir);
	snprintf(w->output, sizeof(w->output), "%s/guest.bin", w->dir);
	return 0;
}

/* Removes the folder with whatever nasm left in it ([map] files, ...). */
static void workdir_remove(struct workdir *w)
{
	DIR *d = opendir(w->dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	}
	if (d)
		closedir(d);
	rmdir(w->dir);
}

static int file_write_all(const char *path, const char *text, char *err, size_t err_len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc = fd < 0 ? -1 : fd_write_all(fd, text, strlen(text));
	int saved = errno;
	if (fd >= 0 && close(fd) < 0 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	if (rc == 0)
		return 0;
	snprintf(err, err_len, "cannot write %s: %s", path, strerror(saved));
	return -1;
}

static int nasm_spawn(const struct asm_source *src, const char *source, const struct workdir *w,
		      struct proc *nasm, char *err, size_t err_len)
{
	char include[4200];
	const char *include_dir = src->include_dir && *src->include_dir ? src->include_dir : ".";
	snprintf(include, sizeof(include), "-I%s/", include_dir);
	char *argv[] = { "nasm", "-f", "bin", include, "-o", (char *)w->output, (char *)source, NULL };
	const char *read_paths[CASE_MAX_READ_PATHS + 3] = { source, include_dir };
	for (size_t i = 0; src->read_paths && src->read_paths[i] && i < CASE_MAX_READ_PATHS; i++)
		read_paths[2 + i] = src->read_paths[i];
	struct sandbox_policy policy = {
		.read_paths = read_paths,
		.write_dir = w->dir,
		.cpu_seconds = src->cpu_seconds ? src->cpu_seconds : DEFAULT_ASM_CPU_SECONDS,
		.address_space = src->memory ? src->memory : DEFAULT_ASM_MEMORY,
		/* one byte over the largest binary that fits, so a too-large one is told apart */
		.file_size = (uint64_t)src->max_output + 1,
		.open_files = ASM_MAX_OPEN_FILES,
		.unsafe = src->unsafe,
	};
	uint64_t deadline = clock_ns() + (uint64_t)src->timeout_ms * 1000000u;
	return sandbox_spawn(&policy, argv, nasm, ASM_MAX_MESSAGES, deadline, err, err_len);
}

/* Runs nasm to completion or to its deadline; returns its wait status, -1
 * when it had to be killed, or -2 when it could not be started. */
static int nasm_run(const struct asm_source *src, const char *source, const struct workdir *w,
		    struct bytes *messages, char *err, size_t err_len)
{
	struct proc nasm;
	if (nasm_spawn(src, source, w, &nasm, err, err_len) < 0)
		return -2;
	proc_wait(&nasm);
	int status = nasm.killed ? -1 : nasm.status;
	*messages = nasm.out;
	nasm.out = (struct bytes){0};
	proc_free(&nasm);
	return status;
}

static int image_read(const char *path, uint32_t max, struct bytes *image, char *why, size_t why_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(why, why_len, "nasm wrote no output");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int rc = 0;
	if ((uint64_t)st.st_size > max) {
		snprintf(why, why_len, "the binary is %lld bytes, more than the %u bytes of guest RAM from its load address on",
			 (long long)st.st_size, max);
		rc = -1;
	}
	char buf[65536];
	ssize_t n;
	while (rc == 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		if (bytes_append(image, buf, (size_t)n) < 0)
			rc = -1;
	close(fd);
	return rc;
}

/* nasm names inline source by its temporary file; name the case file and
 * its real line instead. */
/* Appends line with every mention of the work folder replaced, so that no
 * report names it (it differs from run to run). */
static void line_append_without(struct bytes *out, const char *line, const char *folder, const char *instead)
{
	size_t folder_len = strlen(folder);
	for (const char *hit; (hit = strstr(line, folder));) {
		bytes_append(out, line, (size_t)(hit - line));
		bytes_append(out, instead, strlen(instead));
		line = hit + folder_len;
	}
	bytes_append(out, line, strlen(line));
}

static char *messages_map(const struct asm_source *src, const struct workdir *w, struct bytes *raw)
{
	const char *tmp_source = w->source;
	struct bytes out = {0};
	size_t prefix_len = strlen(tmp_source);
	bytes_push(raw, '\0');
	for (char *line = (char *)raw->data; line && *line;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *rest;
		long n;
		if (src->text && strncmp(line, tmp_source, prefix_len) == 0 && line[prefix_len] == ':' &&
		    (n = strtol(line + prefix_len + 1, &rest, 10)) > 0 && *rest == ':') {
			char head[400];
			snprintf(head, sizeof(head), "%s:%ld", src->text_origin, n + src->text_first_line - 1);
			bytes_append(&out, head, strlen(head));
			line = rest;
		}
		line_append_without(&out, line, src->text ? tmp_source : w->dir, src->text ? src->text_origin : ".");
		bytes_push(&out, '\n');
		line = next;
	}
	if (out.len && bytes_push(&out, '\0') == 0)
		return (char *)out.data;
	bytes_free(&out);
	return NULL;
}

static void assembly_judge(const struct asm_source *src, int status, const struct workdir *w, struct assembly *out)
{
	char why[200] = "";
	if (status == -1)
		snprintf(why, sizeof(why), "nasm did not finish within %u ms", src->timeout_ms);
	else if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "%s", sandbox_explain_status(status) ? sandbox_explain_status(status)
					: "nasm was killed by a signal");
	else if (WEXITSTATUS(status) != 0 && out->messages && strstr(out->messages, "unable to open"))
		/* Say what may be read, never whether the file exists elsewhere. */
		snprintf(why, sizeof(why), "nasm could not open a file: it may read only in %s and the folders the "
			 "case allows; reads outside are not allowed", src->include_dir && *src->include_dir ?
			 src->include_dir : ".");
	else if (WEXITSTATUS(status) != 0)
		snprintf(why, sizeof(why), "nasm rejected the source (exit status %d)", WEXITSTATUS(status));
	else if (image_read(w->output, src->max_output, &out->image, why, sizeof(why)) == 0)
		out->ok = true;
	if (!out->ok && why[0]) {
		size_t len = (out->messages ? strlen(out->messages) : 0) + strlen(why) + 2;
		char *joined = malloc(len);
		if (joined) {
			snprintf(joined, len, "%s%s", out->messages ? out->messages : "", why);
			free(out->messages);
			out->messages = joined;
		}
	}
}

int assemble(const struct asm_source *src, struct assembly *out, char *err, size_t err_len)
{
	struct workdir w;
	*out = (struct assembly){0};
	if (workdir_create(&w, err, err_len) < 0)
		return -1;
	if (src->text && file_write_all(w.source, src->text, err, err_len) < 0) {
		workdir_remove(&w);
		return -1;
	}
	struct bytes raw = {0};
	int status = nasm_run(src, src->text ? w.source : src->path, &w, &raw, err, err_len);
	if (status == -2) {
		bytes_free(&raw);
		workdir_remove(&w);
		return -1;
	}
	out->messages = messages_map(src, &w, &raw);
	bytes_free(&raw);
	assembly_judge(src, status, &w, out);
	workdir_remove(&w);
	return 0;
}

void assembly_free(struct assembly *a)
{
	bytes_free(&a->image);
	free(a->messages);
	a->messages = NULL;
}

/* The PID in a working folder's name, or 0 when the name is not one. */
static long workdir_owner_pid(const char *name)
{
	if (strncmp(name, "kvmcheck.", 9) != 0)
		return 0;
	char *end;
	long pid = strtol(name + 9, &end, 10);
	return pid > 0 && *end == '.' && strlen(end + 1) == 6 ? pid : 0;
}

void assembler_clean_stale(void)
{
	DIR *d = opendir(tmp_dir());
	struct dirent *e;
	while (d && (e = readdir(d))) {
		long pid = workdir_owner_pid(e->d_name);
		struct stat st;
		/* Only ours, and only when its maker is dead (not merely another user's). */
		if (!pid || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
		    st.st_uid != getuid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		struct workdir w;
		int n = snprintf(w.dir, sizeof(w.dir), "%s/", tmp_dir());
		if (n < 0 || (size_t)n + strlen(e->d_name) >= sizeof(w.dir))
			continue;
		memcpy(w.dir + n, e->d_name, strlen(e->d_name) + 1);
		workdir_remove(&w);
	}
	if (d)
		closedir(d);
}
