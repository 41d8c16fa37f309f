#include "assemble/assembler.h"
#include "assemble/tmp_base.h"

#include <ctype.h>
#include <dirent.h>
#include <ftw.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/defaults.h"
#include "core/fd_io.h"
#include "core/proc.h"
#include "assemble/disk_cache.h"
#include "assemble/snapshot.h"
#include "assemble/sandbox/paths.h"
#include "assemble/sandbox/sandbox.h"

/* Names inside the work folder, as nasm sees them from there. */
#define COPY_SOURCE "guest.asm"
#define COPY_INCLUDE "include"
#define COPY_OUTPUT "guest.bin"
#define COPY_LISTING "guest.lst"
#define COPY_MAP "guest.map"

struct workdir {
	char dir[256];
	char source[300];   /* the guest's source, a copy: nasm never reads the original */
	char include[300];  /* a copy of the folder %include and incbin look in */
	char output[300];
	char listing[300];
	char map[300];
	/* copies of the assembler.read paths, NULL-terminated: the mount
	 * namespace shows each under its original's name */
	char read_copy[CASE_MAX_READ_PATHS][300];
	const char *read_sources[CASE_MAX_READ_PATHS + 1];
};

/* "kvmcheck.PID.XXXXXX": the PID of the process that made it says, once
 * that process is gone, that nobody will remove it (assembler_clean_stale). */
static int workdir_create(struct workdir *w, char *err, size_t err_len)
{
	const char *tmp = tmp_base();
	snprintf(w->dir, sizeof(w->dir), "%s/kvmcheck.%ld.XXXXXX", tmp, (long)getpid());
	if (!mkdtemp(w->dir)) {
		snprintf(err, err_len, "cannot create a temporary folder in %s: %s", tmp, strerror(errno));
		return -1;
	}
	/* nasm starts there (a relative TMPDIR would not do) */
	char *real = realpath(w->dir, NULL);
	if (real && strlen(real) < sizeof(w->dir))
		snprintf(w->dir, sizeof(w->dir), "%s", real);
	free(real);
	snprintf(w->source, sizeof(w->source), "%s/" COPY_SOURCE, w->dir);
	snprintf(w->include, sizeof(w->include), "%s/" COPY_INCLUDE, w->dir);
	snprintf(w->output, sizeof(w->output), "%s/" COPY_OUTPUT, w->dir);
	snprintf(w->listing, sizeof(w->listing), "%s/" COPY_LISTING, w->dir);
	snprintf(w->map, sizeof(w->map), "%s/" COPY_MAP, w->dir);
	return 0;
}

static int tree_remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Removes the folder with the copies and whatever nasm left in it ([map]
 * files, ...), never following a link out of it. */
static void workdir_remove(struct workdir *w)
{
	nftw(w->dir, tree_remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
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

/* nasm starts in the work folder and names its copies relatively, so no
 * run's random folder name reaches the guest (%pathsearch, __?FILE?__)
 * or a report. */
#define NASM_ARGS "-f", "bin", "-I" COPY_INCLUDE "/", "-o", COPY_OUTPUT, COPY_SOURCE

static int nasm_spawn(const struct asm_source *src, bool listing, const struct workdir *w, struct proc *nasm,
		      char *err, size_t err_len)
{
	/* The listing maps where a run stopped back to the source (listing.h);
	 * the map says where its labels are (symbol_map.h). --before adds the
	 * directive ahead of the source without moving its line numbers, and
	 * nasm keeps the first [map] it sees, so the source cannot redirect it. */
	char *argv[] = { "nasm", NASM_ARGS, "--before", "[map brief symbols " COPY_MAP "]", "-l", COPY_LISTING, NULL };
	if (!listing)
		argv[7] = NULL;
	/* The source and its folder are copies in the work folder, which nasm may read anyway. */
	unsigned pretend_missing;
	if (sandbox_test_pretend(&pretend_missing, err, err_len) < 0)
		return -1;
	const char *read_paths[CASE_MAX_READ_PATHS + 1] = { NULL };
	for (size_t i = 0; src->read_paths && src->read_paths[i] && i < CASE_MAX_READ_PATHS; i++)
		read_paths[i] = src->read_paths[i];
	struct sandbox_policy policy = {
		.read_paths = read_paths,
		.read_sources = w->read_sources,
		.write_dir = w->dir,
		.cpu_seconds = src->cpu_seconds ? src->cpu_seconds : DEFAULT_ASM_CPU_SECONDS,
		.address_space = src->memory ? src->memory : DEFAULT_ASM_MEMORY,
		/* one byte over the largest binary that fits, so a too-large one is told apart */
		.file_size = (uint64_t)src->max_output + 1,
		.workdir = w->dir,
		.open_files = ASM_MAX_OPEN_FILES,
		.unsafe = src->unsafe,
		.zygote = true,
		.pretend_missing = pretend_missing,
	};
	uint64_t deadline = clock_ns() + (uint64_t)src->timeout_ms * 1000000u;
	return sandbox_spawn(&policy, argv, nasm, ASM_MAX_MESSAGES, deadline, err, err_len);
}

/* Runs nasm to completion or to its deadline; returns its wait status, -1
 * when it had to be killed, or -2 when it could not be started. */
static int nasm_run(const struct asm_source *src, bool listing, const struct workdir *w, struct bytes *messages,
		    char *err, size_t err_len)
{
	struct proc nasm;
	if (nasm_spawn(src, listing, w, &nasm, err, err_len) < 0)
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

struct rename {
	const char *from, *to;
};

/* The first mention of name in text from `from` on that starts a word of a
 * message (the line's start, or after a blank, quote or parenthesis), so
 * that "include/" inside some other path is left alone. */
static const char *name_find(const char *line_start, const char *from, const char *name)
{
	for (const char *hit = strstr(from, name); hit; hit = strstr(hit + 1, name))
		if (hit == line_start || strchr(" `'\"(", hit[-1]))
			return hit;
	return NULL;
}

/* Appends line with every mention of the work folder's copies replaced by
 * the names of their originals, and of the work folder itself by ".", so
 * that no report names it (it differs from run to run). At one place the
 * longest name wins: the source's copy lies inside the work folder. */
static void line_append_renamed(struct bytes *out, const char *line, const struct rename *r, size_t n)
{
	const char *start = line;
	for (;;) {
		const char *best = NULL;
		size_t best_i = 0;
		for (size_t i = 0; i < n; i++) {
			const char *hit = name_find(start, line, r[i].from);
			if (hit && (!best || hit < best || (hit == best && strlen(r[i].from) > strlen(r[best_i].from)))) {
				best = hit;
				best_i = i;
			}
		}
		if (!best)
			break;
		bytes_append(out, line, (size_t)(best - line));
		bytes_append(out, r[best_i].to, strlen(r[best_i].to));
		line = best + strlen(r[best_i].from);
	}
	bytes_append(out, line, strlen(line));
}

/* nasm names the source by its copy; name the guest file, or for inline
 * source the case file and its real line, instead. */
static char *messages_map(const struct asm_source *src, const struct workdir *w, struct bytes *raw)
{
	const char *tmp_source = COPY_SOURCE;
	char include_copy[310], include_orig[4200];
	snprintf(include_copy, sizeof(include_copy), "%s/", w->include);
	snprintf(include_orig, sizeof(include_orig), "%s/",
		 src->include_dir && *src->include_dir ? src->include_dir : ".");
	const char *origin = src->text ? src->text_origin : src->path;
	const struct rename renames[] = {
		{ w->source, origin },
		{ include_copy, include_orig },
		{ w->dir, "." },
		{ COPY_SOURCE, origin },
		{ COPY_INCLUDE "/", include_orig },
	};
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
		line_append_renamed(&out, line, renames, sizeof(renames) / sizeof(*renames));
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
	else if (WEXITSTATUS(status) != 0 && out->messages &&
		 (strstr(out->messages, "unable to open") || strstr(out->messages, "unable to get length")))
		/* Say what may be read, never whether the file exists elsewhere. */
		snprintf(why, sizeof(why), "nasm could not open a file: it may read only in %s and the folders the "
			 "case allows; reads outside are not allowed", src->include_dir && *src->include_dir ?
			 src->include_dir : ".");
	else if (WEXITSTATUS(status) != 0)
		snprintf(why, sizeof(why), "nasm rejected the source (exit status %d)", WEXITSTATUS(status));
	else if (image_read(w->output, src->max_output, &out->image, why, sizeof(why)) == 0)
		out->ok = true;
	/* Without a listing a run's stopping place goes unnamed, nothing worse. */
	char ignored[200];
	if (out->ok && image_read(w->listing, ASM_MAX_LISTING, &out->listing, ignored, sizeof(ignored)) < 0)
		bytes_free(&out->listing);
	/* Without a map, expect.memory finds no label: the check says so. */
	if (out->ok && image_read(w->map, ASM_MAX_LISTING, &out->symbols, ignored, sizeof(ignored)) < 0)
		bytes_free(&out->symbols);
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

/* The copies nasm reads: the source and the folder it may include from.
 * Returns 0, -1 when kvmcheck could not make them (err), or 1 when the
 * source's files cannot be given to nasm (why: the student's to fix). */
/* Whether a source may read other files: only %include, incbin, %depend
 * and %pathsearch name them, and a source that spells none of these words
 * (in any case) needs no copy of its folder, which then may be as large
 * as it likes (a case file among many others). A source that builds one
 * of them by pasting tokens finds an empty folder: less is readable,
 * never more. */
static bool source_reads_files(const char *text, size_t len)
{
	static const char *const words[] = { "include", "incbin", "depend", "pathsearch" };
	/* One pass, comparing only where a word's first letter stands: every
	 * warm case reads its source through here. */
	for (size_t at = 0; at < len; at++) {
		int first = tolower((unsigned char)text[at]);
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
			size_t n = strlen(words[i]);
			if (first == words[i][0] && n <= len - at && strncasecmp(text + at, words[i], n) == 0)
				return true;
		}
	}
	return false;
}

static bool copied_source_reads_files(const char *path)
{
	struct bytes text = {0};
	char ignored[200];
	/* A source that cannot be read back here cannot be judged: copy the folder. */
	bool reads = image_read(path, SNAPSHOT_MAX_BYTES, &text, ignored, sizeof(ignored)) < 0 ||
		     source_reads_files((const char *)text.data, text.len);
	bytes_free(&text);
	return reads;
}

/* The assembler.read paths, copied like the guest's folder (read0,
 * read1, ... beside it, so a read folder holding TMPDIR skips the work
 * folder as the guest's does). 0, or 1 when one cannot be copied (why). */
static int read_copies_make(const struct asm_source *src, struct workdir *w, char *why, size_t why_len)
{
	size_t n = 0;
	for (; src->read_paths && src->read_paths[n] && n < CASE_MAX_READ_PATHS; n++) {
		const char *original = src->read_paths[n];
		snprintf(w->read_copy[n], sizeof(w->read_copy[n]), "%s/read%zu", w->dir, n);
		struct stat st;
		struct snapshot_stats stats;
		int rc = stat(original, &st) == 0 && S_ISDIR(st.st_mode)
				 ? snapshot_folder(original, w->read_copy[n], &stats, why, why_len)
				 : snapshot_file(original, w->read_copy[n], why, why_len);
		if (rc < 0)
			return 1;
		w->read_sources[n] = w->read_copy[n];
	}
	w->read_sources[n] = NULL;
	return 0;
}

static int copies_make(const struct asm_source *src, struct workdir *w, char *why, size_t why_len, char *err,
		       size_t err_len)
{
	if (src->text && file_write_all(w->source, src->text, err, err_len) < 0)
		return -1;
	if (!src->text && snapshot_file(src->path, w->source, why, why_len) < 0)
		return 1;
	if (read_copies_make(src, w, why, why_len) != 0)
		return 1;
	struct snapshot_stats stats;
	bool reads = src->text ? source_reads_files(src->text, strlen(src->text)) : copied_source_reads_files(w->source);
	if (reads && src->include_dir && *src->include_dir)
		return snapshot_folder(src->include_dir, w->include, &stats, why, why_len) < 0 ? 1 : 0;
	if (mkdir(w->include, 0700) < 0) {
		snprintf(err, err_len, "cannot create %s: %s", w->include, strerror(errno));
		return -1;
	}
	return 0;
}

static int field_add(struct bytes *p, const char *field)
{
	const char *text = field ? field : "";
	return bytes_push(p, field ? '+' : '-') | bytes_append(p, text, strlen(text) + 1);
}

/* Everything but the work folder's files that shapes the assembly and its
 * messages: nasm's arguments, the limits it runs under, the size allowed
 * and the names messages are mapped to; each field marked present or
 * absent and NUL-ended (no field holds a NUL). The wall-clock timeout
 * is left out: an assembly it cut short is never stored. */
static int cache_params(const struct asm_source *src, struct bytes *p)
{
	static const char *const args[] = { NASM_ARGS };
	char numbers[160];
	/* The case file an inline source came from names its messages; a
	 * source file's messages do not depend on which case file named it. */
	snprintf(numbers, sizeof(numbers), "%d %u %u %llu", src->text ? src->text_first_line : 0, src->max_output,
		 src->cpu_seconds ? src->cpu_seconds : DEFAULT_ASM_CPU_SECONDS,
		 (unsigned long long)(src->memory ? src->memory : DEFAULT_ASM_MEMORY));
	const char *fields[] = { numbers, src->text ? "text" : "path", src->path, src->text ? src->text_origin : NULL,
				 src->include_dir };
	int rc = 0;
	for (size_t i = 0; i < sizeof(args) / sizeof(*args); i++)
		rc |= bytes_append(p, args[i], strlen(args[i]) + 1);
	for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++)
		rc |= field_add(p, fields[i]);
	return rc;
}

static bool has_read_paths(const struct asm_source *src)
{
	return src->read_paths && src->read_paths[0];
}

/* The names nasm finds the assembler.read copies under, which a source
 * spells: each read path as the mount namespace shows it (absolute), and
 * the folder the work folder lies in, which `..` from it reaches. The
 * copies' bytes are in the work folder, hashed with it (read0, ...). */
static int cache_params_read(const struct asm_source *src, const struct workdir *w, struct bytes *p)
{
	char cwd[PATH_MAX], abs[PATH_MAX], parent[sizeof(w->dir)];
	snprintf(parent, sizeof(parent), "%s", w->dir);
	char *last_slash = strrchr(parent, '/');
	if (!getcwd(cwd, sizeof(cwd)) || !last_slash)
		return -1;
	*last_slash = '\0';
	int rc = field_add(p, parent);
	for (size_t i = 0; rc == 0 && src->read_paths[i] && i < CASE_MAX_READ_PATHS; i++)
		rc = sandbox_path_absolute(cwd, src->read_paths[i], abs, sizeof(abs)) < 0 ? -1 : field_add(p, abs);
	return rc;
}

/* A cache may hold this assembly only when nasm reads nothing but the
 * work folder's copies: that is so in the mount namespace, which shows
 * the assembler.read copies under their originals' names, and the only
 * confinement kvmcheck runs nasm under unless unsafe. */
static bool cacheable(const struct asm_source *src, const struct disk_cache *cache)
{
	return cache && !src->unsafe;
}

/* The key of this assembly, when a cache may hold it. */
static bool cache_key_find(const struct asm_source *src, const struct disk_cache *cache, const struct workdir *w,
			   struct cache_key *key)
{
	if (!cacheable(src, cache))
		return false;
	struct bytes params = {0};
	bool found = cache_params(src, &params) == 0 &&
		     (!has_read_paths(src) || cache_params_read(src, w, &params) == 0) &&
		     disk_cache_key(cache, &params, w->dir, key) == 0;
	bytes_free(&params);
	return found;
}

/* A hit found without making nasm's private copy: when the source reads
 * no other file, the copy would hold just the source and an empty folder,
 * so its key is taken from the source in memory (read as snapshot_file
 * reads it). True when out holds the cached assembly. */
static bool cache_hit_in_memory(const struct asm_source *src, const struct disk_cache *cache, struct assembly *out)
{
	/* assembler.read copies are part of the work folder: it must be made. */
	if (!cacheable(src, cache) || has_read_paths(src))
		return false;
	struct bytes text = {0};
	char ignored[600];
	bool hit = false;
	if (src->text ? bytes_append(&text, src->text, strlen(src->text)) == 0
		      : snapshot_file_read(src->path, &text, ignored, sizeof(ignored)) == 0) {
		bool folder = src->include_dir && *src->include_dir &&
			      source_reads_files((const char *)text.data, text.len);
		struct bytes params = {0};
		struct cache_key key;
		hit = !folder && cache_params(src, &params) == 0 &&
		      disk_cache_key_of_one_file(cache, &params, COPY_SOURCE, text.data, text.len, COPY_INCLUDE,
						 &key) == 0 &&
		      disk_cache_load(cache, &key, out) == 0;
		bytes_free(&params);
	}
	bytes_free(&text);
	return hit;
}

int assemble_cached(const struct asm_source *src, const struct disk_cache *cache, struct assembly *out, char *err,
		    size_t err_len)
{
	struct workdir w;
	*out = (struct assembly){0};
	if (cache_hit_in_memory(src, cache, out))
		return 0;
	if (workdir_create(&w, err, err_len) < 0)
		return -1;
	char why[600] = "";
	int made = copies_make(src, &w, why, sizeof(why), err, err_len);
	if (made != 0) {
		workdir_remove(&w);
		out->messages = made > 0 ? strdup(why) : NULL;
		return made > 0 ? 0 : -1;
	}
	if (snapshot_after_hook)
		snapshot_after_hook();
	struct cache_key key;
	bool keyed = cache_key_find(src, cache, &w, &key);
	if (keyed && disk_cache_load(cache, &key, out) == 0) {
		workdir_remove(&w);
		return 0;
	}
	struct bytes raw = {0};
	int status = nasm_run(src, true, &w, &raw, err, err_len);
	/* The listing and the map share the binary's file size limit and can
	 * outgrow it where the binary fits (a program ending at the last byte
	 * of RAM, a long source): then assemble without them, as before there
	 * were any. */
	if (status > 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ) {
		bytes_free(&raw);
		unlink(w.listing);
		unlink(w.map);
		status = nasm_run(src, false, &w, &raw, err, err_len);
	}
	if (status == -2) {
		bytes_free(&raw);
		workdir_remove(&w);
		return -1;
	}
	out->messages = messages_map(src, &w, &raw);
	bytes_free(&raw);
	assembly_judge(src, status, &w, out);
	if (keyed && status >= 0 && WIFEXITED(status))
		disk_cache_store(cache, &key, out);
	workdir_remove(&w);
	return 0;
}

int assemble(const struct asm_source *src, struct assembly *out, char *err, size_t err_len)
{
	return assemble_cached(src, NULL, out, err, err_len);
}

void assembly_free(struct assembly *a)
{
	bytes_free(&a->image);
	bytes_free(&a->listing);
	bytes_free(&a->symbols);
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
	DIR *d = opendir(tmp_base());
	struct dirent *e;
	while (d && (e = readdir(d))) {
		long pid = workdir_owner_pid(e->d_name);
		struct stat st;
		/* Only ours, and only when its maker is dead (not merely another user's). */
		if (!pid || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
		    st.st_uid != getuid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		struct workdir w;
		int n = snprintf(w.dir, sizeof(w.dir), "%s/", tmp_base());
		if (n < 0 || (size_t)n + strlen(e->d_name) >= sizeof(w.dir))
			continue;
		memcpy(w.dir + n, e->d_name, strlen(e->d_name) + 1);
		workdir_remove(&w);
	}
	if (d)
		closedir(d);
}

void assembler_warm(void)
{
	sandbox_warm("nasm");
}

void assembler_warm_start(void)
{
	sandbox_warm_start("nasm");
}

void assembler_warm_abandon(void)
{
	sandbox_warm_abandon();
}
