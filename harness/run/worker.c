#include "run/worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/fd_io.h"
#include "core/proc.h"

/* What crosses the pipe: this header, then the output, the console output,
 * the screen, the message and where the run stopped in the source. */
struct worker_header {
	enum outcome outcome;
	uint32_t exit_code;
	uint64_t exits;
	uint64_t firmware_exits;
	bool regs_valid;
	bool host_fault;
	bool backend_ran;
	struct cpu_state regs;
	struct stage_times times;
	uint64_t output_len;
	uint64_t console_len;
	uint64_t screen_len;
	uint64_t message_len;
	bool instructions_counted;
	uint64_t instructions;
	uint64_t binary_size;
	struct stop_info stop;
	uint64_t stopped_at_len;
	uint64_t stop_listing_len;
	uint64_t last_linear[RUN_LAST_INSNS];
	uint64_t last_count;
	uint64_t last_instructions_len;
	struct hlt_wake hlt_woke;
	uint64_t memory_place_count;
	uint64_t memory_len;
};

struct worker_job {
	const struct backend_ops *backend;
	const struct machine_config *cfg;
	int stderr_fd; /* the worker's stderr, kept for its case's message; -1: inherited */
};

int worker_result_encode(const struct run_result *r, struct bytes *out)
{
	struct worker_header h = {
		.outcome = r->outcome, .exit_code = r->exit_code, .exits = r->exits, .firmware_exits = r->firmware_exits, .regs_valid = r->regs_valid, .host_fault = r->host_fault,
		.backend_ran = r->backend != NULL, .regs = r->regs, .times = r->times,
		.output_len = r->output.len, .console_len = r->console.len, .screen_len = r->screen.len,
		.message_len = r->message ? strlen(r->message) : 0,
		.instructions_counted = r->instructions_counted, .instructions = r->instructions,
		.binary_size = r->binary_size,
		.stop = r->stop, .stopped_at_len = r->stopped_at ? strlen(r->stopped_at) : 0,
		.stop_listing_len = r->stop_listing ? strlen(r->stop_listing) : 0,
		.last_count = r->last_count, .hlt_woke = r->hlt_woke,
		.last_instructions_len = r->last_instructions ? strlen(r->last_instructions) : 0,
		.memory_place_count = r->memory_place_count, .memory_len = r->memory.len,
	};
	memcpy(h.last_linear, r->last_linear, sizeof(h.last_linear));
	int rc = bytes_append(out, &h, sizeof(h));
	rc |= bytes_append(out, r->output.data, r->output.len);
	rc |= bytes_append(out, r->console.data, r->console.len);
	rc |= bytes_append(out, r->screen.data, r->screen.len);
	rc |= bytes_append(out, r->message, h.message_len);
	rc |= bytes_append(out, r->stopped_at, h.stopped_at_len);
	rc |= bytes_append(out, r->stop_listing, h.stop_listing_len);
	rc |= bytes_append(out, r->last_instructions, h.last_instructions_len);
	rc |= bytes_append(out, r->memory_places, r->memory_place_count * sizeof(*r->memory_places));
	rc |= bytes_append(out, r->memory.data, r->memory.len);
	return rc == 0 ? 0 : -1;
}

int worker_result_write(int fd, const struct run_result *r)
{
	struct bytes data = {0};
	int rc = worker_result_encode(r, &data);
	if (rc == 0)
		rc = fd_write_all(fd, data.data, data.len);
	bytes_free(&data);
	return rc == 0 ? 0 : -1;
}

/* The child's side: runs the machine and sends the result. */
static void worker_child(void *ctx, int fd)
{
	const struct worker_job *job = ctx;
	/* A library's own complaint (Unicorn's, under a low ulimit -v) then
	 * reaches the case's message rather than kvmcheck's stderr, raw. */
	if (job->stderr_fd >= 0)
		dup2(job->stderr_fd, 2);
	struct run_result r = {0};
	machine_run(job->backend, job->cfg, &r);
	/* No exit handlers: they belong to the parent's libraries. */
	_exit(worker_result_write(fd, &r) == 0 ? 0 : 1);
}

/* Whatever the worker sent is dropped: only the host's fault is reported. */
static void worker_fail(struct run_result *r, const char *why)
{
	run_result_free(r);
	*r = (struct run_result){0};
	run_result_host_fault(r, why);
}

bool worker_result_read(const uint8_t *data, size_t len, const struct backend_ops *backend, struct run_result *r,
			size_t *used)
{
	struct worker_header h;
	*r = (struct run_result){0};
	if (len < sizeof(h))
		return false;
	memcpy(&h, data, sizeof(h));
	if (h.output_len > len || h.console_len > len || h.screen_len > len || h.message_len > len ||
	    h.stopped_at_len > len || h.stop_listing_len > len || h.last_count > RUN_LAST_INSNS ||
	    h.last_instructions_len > len || h.memory_place_count > len / sizeof(struct memory_place) ||
	    h.memory_len > len ||
	    sizeof(h) + h.output_len + h.console_len + h.screen_len + h.message_len + h.stopped_at_len +
			    h.stop_listing_len + h.last_instructions_len + h.memory_place_count * sizeof(struct memory_place) +
			    h.memory_len > len)
		return false;
	*r = (struct run_result){
		.outcome = h.outcome, .exit_code = h.exit_code, .exits = h.exits, .firmware_exits = h.firmware_exits, .regs_valid = h.regs_valid, .host_fault = h.host_fault,
		.regs = h.regs, .times = h.times, .backend = h.backend_ran ? backend->name : NULL, .stop = h.stop,
		.instructions_counted = h.instructions_counted, .instructions = h.instructions,
		.binary_size = h.binary_size, .last_count = (size_t)h.last_count, .hlt_woke = h.hlt_woke,
	};
	memcpy(r->last_linear, h.last_linear, sizeof(r->last_linear));
	const uint8_t *p = data + sizeof(h);
	if (bytes_append(&r->output, p, h.output_len) < 0)
		return false;
	p += h.output_len;
	if (bytes_append(&r->console, p, h.console_len) < 0)
		return false;
	p += h.console_len;
	if (bytes_append(&r->screen, p, h.screen_len) < 0)
		return false;
	p += h.screen_len;
	if (h.message_len) {
		r->message = strndup((const char *)p, h.message_len);
		if (!r->message)
			return false;
	}
	p += h.message_len;
	if (h.stopped_at_len && !(r->stopped_at = strndup((const char *)p, h.stopped_at_len)))
		return false;
	p += h.stopped_at_len;
	if (h.stop_listing_len && !(r->stop_listing = strndup((const char *)p, h.stop_listing_len)))
		return false;
	p += h.stop_listing_len;
	if (h.last_instructions_len && !(r->last_instructions = strndup((const char *)p, h.last_instructions_len)))
		return false;
	p += h.last_instructions_len;
	size_t places_len = (size_t)h.memory_place_count * sizeof(struct memory_place);
	if (places_len) {
		if (!(r->memory_places = malloc(places_len)))
			return false;
		memcpy(r->memory_places, p, places_len);
		r->memory_place_count = (size_t)h.memory_place_count;
	}
	p += places_len;
	if (bytes_append(&r->memory, p, h.memory_len) < 0)
		return false;
	*used = sizeof(h) + h.output_len + h.console_len + h.screen_len + h.message_len + h.stopped_at_len +
		h.stop_listing_len + h.last_instructions_len + places_len + h.memory_len;
	return true;
}

/* Rebuilds the result from what the worker sent; false when it is incomplete. */
static bool worker_decode(const struct bytes *data, const struct backend_ops *backend, struct run_result *r)
{
	size_t used = 0;
	return worker_result_read(data->data, data->len, backend, r, &used) && used == data->len;
}

static void worker_explain(int status, bool finished, uint64_t limit_ms, char *why, size_t len)
{
	if (!finished)
		snprintf(why, len, "kvmcheck's worker for this case did not finish within %llu ms and was killed",
			 (unsigned long long)limit_ms);
	else if (WIFSIGNALED(status))
		snprintf(why, len, "kvmcheck's worker for this case crashed (signal %d: %s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(why, len, "kvmcheck's worker for this case failed (exit status %d)", WEXITSTATUS(status));
}

/* What the worker wrote to stderr, at most WORKER_STDERR_KEPT bytes, with
 * its last newline dropped; "" when nothing. */
static void stderr_take(int fd, char *out, size_t len, size_t *total)
{
	struct stat st;
	*total = fd >= 0 && fstat(fd, &st) == 0 ? (size_t)st.st_size : 0;
	ssize_t n = *total ? pread(fd, out, len - 1, 0) : 0;
	out[n > 0 ? n : 0] = '\0';
	size_t end = strlen(out);
	while (end > 0 && (out[end - 1] == '\n' || out[end - 1] == '\r'))
		out[--end] = '\0';
}

/* A clean worker's stderr goes where it always went. */
size_t worker_stderr_pass_on(int fd)
{
	char buf[4096];
	ssize_t n = 0;
	off_t at = 0;
	for (; fd >= 0 && (n = pread(fd, buf, sizeof(buf), at)) > 0; at += n)
		if (fd_write_all(2, buf, (size_t)n) < 0)
			break;
	return n < 0 ? SIZE_MAX : (size_t)at;
}

void worker_failure_explain(int status, bool killed, uint64_t limit_ms, int stderr_fd, char *why, size_t len)
{
	char reason[200], said[WORKER_STDERR_KEPT + 1];
	size_t total;
	worker_explain(status, !killed, limit_ms, reason, sizeof(reason));
	stderr_take(stderr_fd, said, sizeof(said), &total);
	if (!said[0])
		snprintf(why, len, "%s", reason);
	else
		snprintf(why, len, "%s; it said: %s%s", reason, said, total >= sizeof(said) ? " [...]" : "");
}

void worker_run_machine(const struct backend_ops *backend, const struct machine_config *cfg, uint32_t grace_ms,
			struct run_result *r)
{
	*r = (struct run_result){0};
	uint64_t limit_ms = (uint64_t)cfg->timeout_ms + grace_ms;
	struct worker_job job = { backend, cfg, memfd_create("kvmcheck-worker-stderr", MFD_CLOEXEC) };
	struct proc child;
	char err[200];
	int rc = proc_start(&child, worker_child, &job, SIZE_MAX, clock_ns() + limit_ms * 1000000u, err, sizeof(err));
	if (rc < 0) {
		worker_fail(r, rc == PROC_ERR_PIPE ? "cannot create a pipe for the case's worker"
						   : "cannot start a worker for the case");
		proc_free(&child);
		if (job.stderr_fd >= 0)
			close(job.stderr_fd);
		return;
	}
	proc_wait(&child);
	bool clean = !child.killed && WIFEXITED(child.status) && WEXITSTATUS(child.status) == 0;
	if (!clean || !worker_decode(&child.out, backend, r)) {
		char why[WORKER_WHY_MAX];
		worker_failure_explain(child.status, child.killed, limit_ms, job.stderr_fd, why, sizeof(why));
		worker_fail(r, why);
	} else {
		worker_stderr_pass_on(job.stderr_fd);
	}
	proc_free(&child);
	if (job.stderr_fd >= 0)
		close(job.stderr_fd);
}
