#include "run/scheduler.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/defaults.h"
#include "core/fd_io.h"
#include "core/proc.h"
#include "assemble/assembler.h"
#include "run/worker.h"

/* One case in flight. */
struct slot {
	bool busy;
	size_t index;
	struct proc proc;
};

struct child_job {
	struct runner *runner;
	const struct test_case *c;
};

/* After the result, what the child assembled, so that later cases of the
 * same guest find it in the parent's cache (and their children with it). */
static int assembly_write(int fd, const struct assembly *a)
{
	uint8_t present = a != NULL;
	int rc = fd_write_all(fd, &present, 1);
	if (!a || rc < 0)
		return rc;
	uint8_t ok = a->ok;
	uint64_t image_len = a->image.len, messages_len = a->messages ? strlen(a->messages) : 0;
	uint64_t listing_len = a->listing.len;
	rc |= fd_write_all(fd, &ok, 1);
	rc |= fd_write_all(fd, &image_len, sizeof(image_len));
	rc |= fd_write_all(fd, a->image.data, image_len);
	rc |= fd_write_all(fd, &messages_len, sizeof(messages_len));
	rc |= fd_write_all(fd, a->messages, messages_len);
	rc |= fd_write_all(fd, &listing_len, sizeof(listing_len));
	rc |= fd_write_all(fd, a->listing.data, listing_len);
	return rc ? -1 : 0;
}

static void case_child(void *ctx, int fd)
{
	const struct child_job *job = ctx;
	struct run_result r = {0};
	runner_run_case(job->runner, job->c, &r);
	int rc = worker_result_write(fd, &r);
	rc |= assembly_write(fd, runner_case_assembly(job->runner, job->c));
	/* No exit handlers: they belong to the parent's libraries. */
	_exit(rc == 0 ? 0 : 1);
}

/* Reads what assembly_write wrote; false when it is not whole. */
static bool assembly_read(const uint8_t *p, size_t len, struct assembly *a, bool *present)
{
	uint64_t image_len, messages_len, listing_len;
	*present = false;
	if (len < 1)
		return false;
	if (!p[0])
		return len == 1;
	if (len < 2 + sizeof(image_len))
		return false;
	a->ok = p[1];
	memcpy(&image_len, p + 2, sizeof(image_len));
	size_t at = 2 + sizeof(image_len);
	if (image_len > len - at || len - at - image_len < sizeof(messages_len))
		return false;
	if (bytes_append(&a->image, p + at, image_len) < 0)
		return false;
	at += image_len;
	memcpy(&messages_len, p + at, sizeof(messages_len));
	at += sizeof(messages_len);
	if (messages_len > len - at || len - at - messages_len < sizeof(listing_len))
		return false;
	if (messages_len && !(a->messages = strndup((const char *)p + at, messages_len)))
		return false;
	at += messages_len;
	memcpy(&listing_len, p + at, sizeof(listing_len));
	at += sizeof(listing_len);
	if (listing_len != len - at || bytes_append(&a->listing, p + at, listing_len) < 0)
		return false;
	*present = true;
	return true;
}

/* The case's child has everything to finish on its own (nasm and the
 * worker have deadlines of their own): this one only catches a wedge of
 * the child itself. */
static uint64_t child_limit_ms(const struct runner *rn, const struct test_case *c)
{
	uint64_t asm_ms = c->asm_timeout_ms ? c->asm_timeout_ms : rn->opt.asm_timeout_ms;
	return asm_ms + c->timeout_ms + 2ull * WORKER_GRACE_MS;
}

static void child_explain(const struct proc *p, uint64_t limit_ms, char *why, size_t len)
{
	if (p->killed)
		snprintf(why, len, "kvmcheck's runner for this case did not finish within %llu ms and was killed",
			 (unsigned long long)limit_ms);
	else if (WIFSIGNALED(p->status))
		snprintf(why, len, "kvmcheck's runner for this case crashed (signal %d: %s)", WTERMSIG(p->status),
			 strsignal(WTERMSIG(p->status)));
	else
		snprintf(why, len, "kvmcheck's runner for this case failed (exit status %d)", WEXITSTATUS(p->status));
}

/* The result the child sent, its assembly kept in the runner's cache. */
static void slot_collect(struct slot *slot, const struct scheduler *s, const struct test_case *c,
			 struct run_result *r)
{
	const struct proc *p = &slot->proc;
	bool clean = !p->killed && WIFEXITED(p->status) && WEXITSTATUS(p->status) == 0;
	size_t used = 0;
	struct assembly a = {0};
	bool present = false;
	if (clean && worker_result_read(p->out.data, p->out.len, s->runner->backend, r, &used) &&
	    assembly_read(p->out.data + used, p->out.len - used, &a, &present)) {
		if (present)
			runner_keep_assembly(s->runner, c, &a);
		assembly_free(&a);
		return;
	}
	assembly_free(&a);
	run_result_free(r);
	*r = (struct run_result){0};
	char why[200];
	child_explain(p, child_limit_ms(s->runner, c), why, sizeof(why));
	run_result_host_fault(r, why);
}

static void slot_finish(struct slot *slot, const struct scheduler *s, const struct test_case *cases,
			scheduler_done_fn *done, void *ctx)
{
	struct run_result r = {0};
	slot_collect(slot, s, &cases[slot->index], &r);
	proc_free(&slot->proc);
	slot->busy = false;
	done(ctx, slot->index, &r);
}

/* Starts case i in slot, or (an invalid case, which runs nothing; a fork
 * that failed) finishes it at once. */
static void slot_start(struct slot *slot, const struct scheduler *s, const struct test_case *cases, size_t i,
		       scheduler_done_fn *done, void *ctx)
{
	const struct test_case *c = &cases[i];
	struct run_result r = {0};
	if (c->error) {
		runner_run_case(s->runner, c, &r);
		done(ctx, i, &r);
		return;
	}
	struct child_job job = { s->runner, c };
	char err[200];
	uint64_t deadline = clock_ns() + child_limit_ms(s->runner, c) * 1000000u;
	if (proc_start(&slot->proc, case_child, &job, SIZE_MAX, deadline, err, sizeof(err)) < 0) {
		proc_free(&slot->proc);
		run_result_host_fault(&r, "cannot start a worker for the case");
		done(ctx, i, &r);
		return;
	}
	slot->busy = true;
	slot->index = i;
}

static bool stopped(const struct scheduler *s)
{
	return s->stop && *s->stop;
}

/* How long to sleep: until the nearest deadline, and briefly where only a
 * periodic look tells that a child ended (no pidfd). */
static int wait_ms(const struct slot *slots, unsigned n)
{
	int64_t ms = -1;
	uint64_t now = clock_ns();
	for (unsigned i = 0; i < n; i++) {
		if (!slots[i].busy)
			continue;
		const struct proc *p = &slots[i].proc;
		int64_t left = p->deadline_ns > now ? (int64_t)((p->deadline_ns - now) / 1000000 + 1) : 0;
		if (p->exit_fd < 0 && left > 10)
			left = 10;
		ms = ms < 0 || left < ms ? left : ms;
	}
	return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* Sleeps until a child has something to say, a deadline passes or wake_fd
 * is readable (whose bytes are then drained). */
static void wait_any(const struct scheduler *s, const struct slot *slots, struct pollfd *fds)
{
	size_t n = 0;
	for (unsigned i = 0; i < s->jobs; i++)
		if (slots[i].busy)
			n += proc_pollfds(&slots[i].proc, fds + n);
	if (s->wake_fd >= 0)
		fds[n++] = (struct pollfd){ .fd = s->wake_fd, .events = POLLIN };
	int ms = wait_ms(slots, s->jobs);
	if (n && ms != 0 && !stopped(s))
		poll(fds, n, ms); /* EINTR: a signal, which the loop looks at */
	char drain[64];
	if (s->wake_fd >= 0)
		while (read(s->wake_fd, drain, sizeof(drain)) > 0)
			;
}

static size_t next_case(const struct scheduler *s, size_t i, size_t count)
{
	while (i < count && s->skip && s->skip[i])
		i++;
	return i;
}

int scheduler_run(const struct scheduler *s, const struct test_case *cases, size_t count, scheduler_done_fn *done,
		  void *ctx)
{
	unsigned jobs = s->jobs ? s->jobs : 1;
	struct scheduler sched = *s;
	sched.jobs = jobs;
	struct slot *slots = calloc(jobs, sizeof(*slots));
	struct pollfd *fds = calloc(2 * (size_t)jobs + 1, sizeof(*fds));
	if (!slots || !fds) {
		free(slots);
		free(fds);
		return -1;
	}
	assembler_warm();
	size_t next = next_case(&sched, 0, count);
	unsigned busy = 0;
	while ((next < count || busy) && !stopped(&sched)) {
		for (unsigned i = 0; i < jobs && next < count && !stopped(&sched); i++) {
			if (slots[i].busy)
				continue;
			slot_start(&slots[i], &sched, cases, next, done, ctx);
			next = next_case(&sched, next + 1, count);
		}
		busy = 0;
		for (unsigned i = 0; i < jobs; i++)
			busy += slots[i].busy;
		if (!busy)
			continue;
		wait_any(&sched, slots, fds);
		for (unsigned i = 0; i < jobs; i++)
			if (slots[i].busy && proc_poll(&slots[i].proc, 0))
				slot_finish(&slots[i], &sched, cases, done, ctx);
		busy = 0;
		for (unsigned i = 0; i < jobs; i++)
			busy += slots[i].busy;
	}
	int rc = stopped(&sched) && (next < count || busy) ? 1 : 0;
	for (unsigned i = 0; i < jobs; i++)
		proc_free(&slots[i].proc); /* kills and reaps what still runs */
	free(slots);
	free(fds);
	return rc;
}
