#include "run/scheduler.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/defaults.h"
#include "core/fd_io.h"
#include "core/proc.h"
#include "assemble/assembler.h"
#include "run/worker.h"

/* A member runs this many cases, then a fresh one takes its place: what a
 * library leaks or keeps from one machine to the next stays bounded. */
#define MEMBER_CASES 256

/* ... or sooner, once its peak memory has grown this much since it began:
 * a heap that thousands of Unicorn engines came and went through can
 * fragment, and one member measured 130 MiB after 256 hello-sized cases
 * whose engines were all freed. */
#define MEMBER_GROWTH_KIB (32 * 1024)

/* What a member sends at the end of a case, in one write: FRAME_RESULT, a
 * byte saying whether it retires now, the payload's length (uint64_t) and
 * the payload: the result, then the assembly (assembly_encode). */
enum { FRAME_RESULT = 'R' };
#define RESULT_HEAD (1 + 1 + sizeof(uint64_t))

/* What the parent sends a member: the case to run. The parent sends a
 * member its next case ahead, while the member still runs one, so that the
 * member need not wait for kvmcheck to take a result in hand before it
 * starts the next. Such a case carries a ticket (not 0), and the member
 * runs it only if it claims the ticket first (struct pool's claims): until
 * then the parent may take it back for another member, so that cases start
 * in the order of the suite as members come free, and none waits behind a
 * slow one. A case sent to a member with none in hand has ticket 0. */
struct case_order {
	uint64_t index;
	uint64_t ticket;
};

/* Where a member says that its case's machine has started, and when (the
 * machine's deadline runs from then): a page shared with the parent,
 * which looks at it when it wakes anyway, so that no case costs the
 * parent a wake-up of its own for it. Written by the member alone. */
struct member_board {
	_Atomic uint64_t started_case; /* the case's index + 1; 0 before the first */
	_Atomic uint64_t started_ns;   /* clock_ns() then */
};

/* One process of the pool, and the case it has in hand. */
struct member {
	struct proc proc;      /* the process (proc.started: there is one, maybe ended) */
	int cmd_fd;            /* the parent's end: numbers of the cases to run */
	int stderr_fd;         /* memfd: the member's stderr while a machine runs */
	struct member_board *board;
	uint64_t assigned_ns;  /* when the case in hand was handed over */
	size_t taken;          /* bytes of proc.out handled */
	bool busy;             /* a case is in hand */
	bool running;          /* its machine has started */
	bool retiring;         /* it said it ends after its last case */
	size_t index;
	/* The case it takes up next, sent ahead so that it need not wait for
	 * kvmcheck to take the result in hand first; it was not started yet. */
	bool queued;
	size_t queued_index;
	uint64_t queued_ticket;
	bool queued_claimed;   /* the parent could not take it back: the member has it */
};

struct pool {
	const struct scheduler *s;
	const struct test_case *cases;
	struct member *members;
	unsigned count;
	scheduler_done_fn *done;
	void *ctx;
	/* Queued cases handed back by members that ended first (at most
	 * one each), to run before the suite's next ones. */
	size_t *returned;
	size_t returned_count;
	/* claims[t]: 0 while the case sent ahead with ticket t is nobody's
	 * yet; set once by whoever takes it, its member or the parent.
	 * Shared with the members. A case taken back and sent ahead again
	 * has a new ticket: its first copy, still in the first member's
	 * socket, finds its own ticket claimed. */
	_Atomic uint8_t *claims;
	size_t claim_count;
	uint64_t tickets;
	size_t case_count;      /* handed out so far; the next is tickets + 1 */
};

/* ---- the member's side ---- */

struct member_job {
	const struct pool *pool;
	unsigned self;
	int cmd_fd;    /* the member's end */
	int stderr_fd;
	struct member_board *board;
};

struct member_stderr {
	struct member_board *board;
	uint64_t index; /* the case in hand */
	int memfd;      /* where stderr goes while a machine runs */
	int saved;      /* stderr as it was */
	bool started;
	bool dirty;     /* the memfd may hold bytes, or not be at its start */
};

/* After the result, what the member assembled, so that later cases of the
 * same guest find it in the parent's cache (and members started later
 * with it). */
static int assembly_encode(const struct assembly *a, struct bytes *out)
{
	uint8_t present = a != NULL;
	int rc = bytes_push(out, present);
	if (!a || rc < 0)
		return rc;
	uint8_t ok = a->ok;
	uint64_t image_len = a->image.len, messages_len = a->messages ? strlen(a->messages) : 0;
	uint64_t listing_len = a->listing.len;
	rc |= bytes_push(out, ok);
	rc |= bytes_append(out, &image_len, sizeof(image_len));
	rc |= bytes_append(out, a->image.data, image_len);
	rc |= bytes_append(out, &messages_len, sizeof(messages_len));
	rc |= bytes_append(out, a->messages, messages_len);
	rc |= bytes_append(out, &listing_len, sizeof(listing_len));
	rc |= bytes_append(out, a->listing.data, listing_len);
	return rc ? -1 : 0;
}

/* The machine's own complaints (Unicorn's, under a low ulimit -v) go to
 * the memfd, so that a crash can name them in its case's message. A
 * memfd nothing was written to is empty and at its start already. */
static void member_machine_starting(void *ctx)
{
	struct member_stderr *e = ctx;
	e->started = true;
	if (!e->dirty || (ftruncate(e->memfd, 0) == 0 && lseek(e->memfd, 0, SEEK_SET) == 0)) {
		e->dirty = false;
		dup2(e->memfd, 2);
	}
	atomic_store_explicit(&e->board->started_ns, clock_ns(), memory_order_relaxed);
	atomic_store_explicit(&e->board->started_case, e->index + 1, memory_order_release);
}

/* A case that ended well: its machine's stderr goes where it always went. */
static void member_stderr_restore(struct member_stderr *e)
{
	if (!e->started)
		return;
	dup2(e->saved, 2);
	e->dirty = worker_stderr_pass_on(e->memfd) != 0;
	e->started = false;
}

static int member_send(int fd, struct runner *rn, const struct test_case *c, const struct run_result *r,
		       bool retiring)
{
	/* One write: one wake-up of the parent per case. */
	struct bytes frame = {0};
	uint64_t len = 0;
	int rc = bytes_push(&frame, FRAME_RESULT);
	rc |= bytes_push(&frame, retiring);
	rc |= bytes_append(&frame, &len, sizeof(len));
	rc |= worker_result_encode(r, &frame);
	rc |= assembly_encode(runner_case_assembly(rn, c), &frame);
	if (rc == 0) {
		len = frame.len - RESULT_HEAD;
		memcpy(frame.data + 2, &len, sizeof(len));
		rc = fd_write_all(fd, frame.data, frame.len);
	}
	bytes_free(&frame);
	return rc == 0 ? 0 : -1;
}

/* What the member inherited of its siblings is theirs. */
static void member_close_siblings(const struct member_job *job)
{
	for (unsigned i = 0; i < job->pool->count; i++) {
		const struct member *m = &job->pool->members[i];
		if (i == job->self || !m->proc.started)
			continue;
		close(m->cmd_fd);
		close(m->stderr_fd);
		if (m->proc.out_fd >= 0)
			close(m->proc.out_fd);
		if (m->proc.exit_fd >= 0)
			close(m->proc.exit_fd);
		munmap(m->board, sizeof(*m->board));
	}
}

/* The most memory this process has held, in KiB (getrusage's ru_maxrss). */
static long peak_rss_kib(void)
{
	struct rusage u;
	return getrusage(RUSAGE_SELF, &u) == 0 ? u.ru_maxrss : 0;
}

/* Runs the cases the parent names, one after another, each machine in
 * this process; retires after MEMBER_CASES, once it grew by
 * MEMBER_GROWTH_KIB, or after a case that ended in
 * a fault of the host (what it leaves behind is not to be trusted). */
/* Takes the case sent ahead with ticket t for whoever calls (a member,
 * or the parent taking it back); false when the other side was first. */
static bool ticket_claim(const struct pool *pool, uint64_t t)
{
	uint8_t nobodys = 0;
	return atomic_compare_exchange_strong(&pool->claims[t], &nobodys, 1);
}

/* Whether the case the parent sent is this member's to run. */
static bool member_claim(const struct pool *pool, const struct case_order *o)
{
	return o->ticket == 0 || (o->ticket < pool->claim_count && ticket_claim(pool, o->ticket));
}

static void member_main(void *ctx, int out_fd)
{
	const struct member_job *job = ctx;
	member_close_siblings(job);
	struct member_stderr e = { .board = job->board, .memfd = job->stderr_fd, .saved = dup(2) };
	struct runner rn = *job->pool->s->runner;
	rn.in_process = true;
	rn.machine_starting = member_machine_starting;
	rn.machine_starting_ctx = &e;
	struct case_order order;
	long start_kib = peak_rss_kib();
	unsigned n = 0;
	while (fd_read_exact(job->cmd_fd, &order, sizeof(order)) == 0) {
		if (order.index >= job->pool->case_count || !member_claim(job->pool, &order))
			continue;
		n++;
		uint64_t index = order.index;
		const struct test_case *c = &job->pool->cases[index];
		struct run_result r;
		e.index = index;
		runner_run_case(&rn, c, &r);
		member_stderr_restore(&e);
		bool retiring = n >= MEMBER_CASES || r.host_fault || peak_rss_kib() - start_kib > MEMBER_GROWTH_KIB;
		int rc = member_send(out_fd, &rn, c, &r, retiring);
		run_result_free(&r);
		if (rc < 0 || retiring)
			break;
	}
	/* No exit handlers: they belong to the parent's libraries. */
	_exit(0);
}

/* ---- the parent's side ---- */

/* Reads what assembly_encode wrote; false when it is not whole. */
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

/* Until its machine starts, a case has nasm's time and a grace: only a
 * wedge of the member itself outlasts it (nasm has a deadline of its own). */
static uint64_t assemble_limit_ms(const struct runner *rn, const struct test_case *c)
{
	uint64_t asm_ms = c->asm_timeout_ms ? c->asm_timeout_ms : rn->opt.asm_timeout_ms;
	return asm_ms + 2ull * WORKER_GRACE_MS;
}

/* Once it starts, the machine has the case's timeout and a grace, as a
 * worker of its own would (worker.h). */
static uint64_t machine_limit_ms(const struct test_case *c)
{
	return (uint64_t)c->timeout_ms + WORKER_GRACE_MS;
}

static void runner_explain(const struct proc *p, uint64_t limit_ms, char *why, size_t len)
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

static void member_free(struct member *m)
{
	proc_free(&m->proc); /* kills and reaps it if it is still there */
	if (m->proc.started) {
		close(m->cmd_fd);
		close(m->stderr_fd);
		munmap(m->board, sizeof(*m->board));
	}
	*m = (struct member){0};
}

static struct member_board *board_make(void)
{
	void *p = mmap(NULL, sizeof(struct member_board), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p; /* zeros: no case started */
}

static int member_start(struct pool *pool, unsigned i)
{
	struct member *m = &pool->members[i];
	int sv[2];
	struct member_board *board = board_make();
	if (!board)
		return -1;
	int memfd = memfd_create("kvmcheck-member-stderr", MFD_CLOEXEC);
	if (memfd < 0) {
		munmap(board, sizeof(*board));
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		close(memfd);
		munmap(board, sizeof(*board));
		return -1;
	}
	struct member_job job = { pool, i, sv[1], memfd, board };
	char err[200];
	int rc = proc_start(&m->proc, member_main, &job, SIZE_MAX, 0, err, sizeof(err));
	close(sv[1]);
	m->cmd_fd = sv[0];
	m->stderr_fd = memfd;
	m->board = board;
	if (rc < 0) {
		member_free(m);
		return -1;
	}
	return 0;
}

/* Whether the machine of the case in hand has started, and the deadline
 * that follows: what the board says now. */
static void member_refresh(const struct pool *pool, struct member *m)
{
	const struct test_case *c = &pool->cases[m->index];
	if (!m->running &&
	    atomic_load_explicit(&m->board->started_case, memory_order_acquire) == (uint64_t)m->index + 1) {
		uint64_t started = atomic_load_explicit(&m->board->started_ns, memory_order_relaxed);
		m->running = true;
		m->proc.deadline_ns = started + machine_limit_ms(c) * 1000000u;
	}
	if (!m->running)
		m->proc.deadline_ns = m->assigned_ns + assemble_limit_ms(pool->s->runner, c) * 1000000u;
}

/* The queued case goes back to the pool: the member will not run it
 * (should it have claimed it after all, it is killed before it can send a
 * result). */
static void member_give_back(struct pool *pool, struct member *m)
{
	if (m->queued) {
		ticket_claim(pool, m->queued_ticket);
		pool->returned[pool->returned_count++] = m->queued_index;
	}
	m->queued = false;
}

/* Case i is over: its result to the caller, and the member on to the case
 * it has queued, or free for the next. */
static void member_done(struct pool *pool, struct member *m, struct run_result *r)
{
	size_t i = m->index;
	m->busy = m->running = false;
	m->proc.deadline_ns = 0;
	if (m->retiring)
		member_give_back(pool, m);
	if (m->queued) {
		m->busy = true;
		m->index = m->queued_index;
		m->queued = m->queued_claimed = false;
		m->assigned_ns = clock_ns();
		member_refresh(pool, m);
	}
	pool->done(pool->ctx, i, r);
}

static void member_result(struct pool *pool, struct member *m, const uint8_t *p, size_t len)
{
	const struct test_case *c = &pool->cases[m->index];
	struct run_result r = {0};
	struct assembly a = {0};
	size_t used = 0;
	bool present = false;
	if (worker_result_read(p, len, pool->s->runner->backend, &r, &used) &&
	    assembly_read(p + used, len - used, &a, &present)) {
		if (present)
			runner_keep_assembly(pool->s->runner, c, &a);
	} else {
		run_result_free(&r);
		r = (struct run_result){0};
		run_result_host_fault(&r, "kvmcheck's runner for this case sent an incomplete result");
		m->retiring = true;
	}
	assembly_free(&a);
	member_done(pool, m, &r);
}

/* Handles every whole frame the member has sent so far. */
static void member_take(struct pool *pool, struct member *m)
{
	struct bytes *out = &m->proc.out;
	while (m->busy && out->len > m->taken) {
		const uint8_t *p = out->data + m->taken;
		size_t len = out->len - m->taken;
		uint64_t payload;
		if (p[0] != FRAME_RESULT) {
			proc_kill(&m->proc); /* not ours to understand: its case fails with it */
			break;
		}
		if (len < RESULT_HEAD)
			break;
		memcpy(&payload, p + 2, sizeof(payload));
		if (payload > len - RESULT_HEAD)
			break;
		m->retiring |= p[1] != 0;
		m->taken += RESULT_HEAD + payload;
		member_result(pool, m, p + RESULT_HEAD, (size_t)payload);
	}
	if (m->taken == out->len)
		out->len = m->taken = 0;
}

/* The member ended (or was killed) with a case in hand: the case fails,
 * named for where it was, as a worker or a runner of its own would be. */
static void member_lost(struct pool *pool, struct member *m)
{
	const struct test_case *c = &pool->cases[m->index];
	struct run_result r = {0};
	char why[WORKER_WHY_MAX];
	member_refresh(pool, m);
	if (m->running)
		worker_failure_explain(m->proc.status, m->proc.killed, machine_limit_ms(c), m->stderr_fd, why,
				       sizeof(why));
	else
		runner_explain(&m->proc, assemble_limit_ms(pool->s->runner, c), why, sizeof(why));
	run_result_host_fault(&r, why);
	member_give_back(pool, m);
	member_done(pool, m, &r);
}

/* Advances member m by what has happened; a member that has ended is
 * freed, its case (if any) failed. */
static void member_poll(struct pool *pool, struct member *m)
{
	member_refresh(pool, m);
	bool ended = proc_poll(&m->proc, 0);
	member_take(pool, m);
	if (!ended)
		return;
	if (m->busy)
		member_lost(pool, m);
	member_free(m);
}

/* Whether member m, with a case in hand, can have one queued behind it:
 * none is, it is not about to end, and a ticket is left. */
static bool member_has_room(const struct pool *pool, const struct member *m)
{
	return m->busy && !m->queued && !m->retiring && !m->proc.reaped && pool->tickets + 1 < pool->claim_count;
}

/* Hands case i to member m, starting a member first where there is none
 * (or the last one retires); behind the case in hand, it is queued. A
 * case no member can take fails at once. */
static void member_assign(struct pool *pool, unsigned slot, size_t i)
{
	struct member *m = &pool->members[slot];
	const struct test_case *c = &pool->cases[i];
	if (c->error) {
		struct run_result r = {0};
		runner_run_case(pool->s->runner, c, &r);
		pool->done(pool->ctx, i, &r);
		return;
	}
	if (!m->busy && m->proc.started && (m->retiring || m->proc.reaped))
		member_free(m);
	struct case_order order = { .index = i, .ticket = m->busy ? ++pool->tickets : 0 };
	if ((!m->proc.started && member_start(pool, slot) < 0) ||
	    send(m->cmd_fd, &order, sizeof(order), MSG_NOSIGNAL) != (ssize_t)sizeof(order)) {
		if (m->busy) { /* it has ended: the case waits for the next one */
			pool->returned[pool->returned_count++] = i;
			m->retiring = true;
			return;
		}
		struct run_result r = {0};
		run_result_host_fault(&r, "cannot start a worker for the case");
		member_free(m);
		pool->done(pool->ctx, i, &r);
		return;
	}
	if (m->busy) { /* sent ahead (member_has_room) */
		m->queued = true;
		m->queued_claimed = false;
		m->queued_index = i;
		m->queued_ticket = order.ticket;
		return;
	}
	m->busy = true;
	m->index = i;
	m->assigned_ns = clock_ns();
	member_refresh(pool, m);
}

static bool stopped(const struct scheduler *s)
{
	return s->stop && *s->stop;
}

/* How long to sleep: until the nearest deadline, and briefly where only a
 * periodic look tells that a child ended (no pidfd). A machine that has
 * not started yet may start any moment, its deadline then no sooner than
 * its limit from now: no sleep is longer, and a wake-up looks again. */
static int wait_ms(struct pool *pool)
{
	int64_t ms = -1;
	uint64_t now = clock_ns();
	for (unsigned i = 0; i < pool->count; i++) {
		struct member *m = &pool->members[i];
		if (!m->busy)
			continue;
		member_refresh(pool, m);
		const struct proc *p = &m->proc;
		int64_t left = p->deadline_ns > now ? (int64_t)((p->deadline_ns - now) / 1000000 + 1) : 0;
		int64_t machine = (int64_t)machine_limit_ms(&pool->cases[m->index]);
		if (!m->running && left > machine)
			left = machine;
		if (p->exit_fd < 0 && left > 10)
			left = 10;
		ms = ms < 0 || left < ms ? left : ms;
	}
	return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* Sleeps until a member has something to say, a deadline passes or
 * wake_fd is readable (whose bytes are then drained). */
static void wait_any(struct pool *pool, struct pollfd *fds)
{
	const struct scheduler *s = pool->s;
	size_t n = 0;
	for (unsigned i = 0; i < pool->count; i++)
		if (pool->members[i].busy)
			n += proc_pollfds(&pool->members[i].proc, fds + n);
	if (s->wake_fd >= 0)
		fds[n++] = (struct pollfd){ .fd = s->wake_fd, .events = POLLIN };
	int ms = wait_ms(pool);
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

/* The cases not handed to a member yet: those given back, then the suite's from *next. */
static bool cases_left(const struct pool *pool, size_t next, size_t count)
{
	return pool->returned_count || next < count;
}

/* Where the case that waits longest is: given back, queued behind the
 * case of a member other than slot (and not claimed by it yet), or the
 * suite's next. For slot's own queue, only a case queued behind one that
 * began before slot's: taken back the other way, two members would pass
 * a case to and fro. */
enum waiting_from { FROM_NONE, FROM_RETURNED, FROM_MEMBER, FROM_SUITE };
struct waiting {
	enum waiting_from from;
	size_t index;
	unsigned member;  /* FROM_MEMBER: whose queue */
	size_t returned;  /* FROM_RETURNED: where in the list */
};

static void waiting_consider(struct waiting *w, enum waiting_from from, size_t index, unsigned member,
			     size_t returned)
{
	if (w->from == FROM_NONE || index < w->index)
		*w = (struct waiting){ from, index, member, returned };
}

static struct waiting case_oldest(const struct pool *pool, unsigned slot, size_t next, size_t count)
{
	struct waiting w = { FROM_NONE, 0, 0, 0 };
	for (size_t k = 0; k < pool->returned_count; k++)
		waiting_consider(&w, FROM_RETURNED, pool->returned[k], 0, k);
	const struct member *self = &pool->members[slot];
	for (unsigned k = 0; k < pool->count; k++) {
		const struct member *m = &pool->members[k];
		if (k != slot && m->queued && !m->queued_claimed && (!self->busy || m->assigned_ns < self->assigned_ns))
			waiting_consider(&w, FROM_MEMBER, m->queued_index, k, 0);
	}
	if (next < count)
		waiting_consider(&w, FROM_SUITE, next, 0, 0);
	return w;
}

/* Takes the case that waits longest for member slot: false when there is
 * none. One queued behind another member's case is taken back unless that
 * member claimed it first; then the next oldest is looked for. */
static bool case_take_oldest(struct pool *pool, unsigned slot, size_t *next, size_t count, size_t *i)
{
	for (;;) {
		struct waiting w = case_oldest(pool, slot, *next, count);
		struct member *m = &pool->members[w.member];
		*i = w.index;
		switch (w.from) {
		case FROM_NONE:
			return false;
		case FROM_RETURNED:
			pool->returned_count--;
			memmove(pool->returned + w.returned, pool->returned + w.returned + 1,
				(pool->returned_count - w.returned) * sizeof(*pool->returned));
			return true;
		case FROM_MEMBER:
			if (ticket_claim(pool, m->queued_ticket)) {
				m->queued = false;
				return true;
			}
			m->queued_claimed = true;
			continue;
		case FROM_SUITE:
			*next = next_case(pool->s, w.index + 1, count);
			return true;
		}
	}
}

/* Hands out cases, the longest waiting first: one in hand to every member
 * without one, then one queued behind each member's case. */
static void pool_fill(struct pool *pool, size_t *next, size_t count)
{
	size_t i;
	for (unsigned k = 0; k < pool->count && !stopped(pool->s); k++)
		while (!pool->members[k].busy && !stopped(pool->s) && case_take_oldest(pool, k, next, count, &i))
			member_assign(pool, k, i);
	for (unsigned k = 0; k < pool->count && !stopped(pool->s); k++)
		if (member_has_room(pool, &pool->members[k]) && case_take_oldest(pool, k, next, count, &i))
			member_assign(pool, k, i);
}

/* How many tickets a run may hand out: one for each case sent ahead, and
 * again for each time one is taken back and sent ahead to another member
 * (in a steady run about once a case, the queue of the member that came
 * free last being the one that waits longest). Once they run out, cases go
 * to members with none in hand alone. Only the pages used take memory. */
static size_t claims_size(size_t count)
{
	return 16 * count + 4096;
}

/* The claim bytes, shared with the members (struct pool). */
static _Atomic uint8_t *claims_make(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p; /* zeros: nobody's */
}

static void pool_free(struct pool *pool)
{
	free(pool->members);
	free(pool->returned);
	if (pool->claims)
		munmap(pool->claims, pool->claim_count);
}

static unsigned busy_count(const struct pool *pool)
{
	unsigned busy = 0;
	for (unsigned i = 0; i < pool->count; i++)
		busy += pool->members[i].busy;
	return busy;
}

int scheduler_run(const struct scheduler *s, const struct test_case *cases, size_t count, scheduler_done_fn *done,
		  void *ctx)
{
	unsigned jobs = s->jobs ? s->jobs : 1;
	struct pool pool = { .s = s, .cases = cases, .count = jobs, .done = done, .ctx = ctx,
			     .members = calloc(jobs, sizeof(struct member)),
			     .returned = calloc(jobs, sizeof(size_t)), .claims = claims_make(claims_size(count)),
			     .claim_count = claims_size(count), .case_count = count };
	struct pollfd *fds = calloc(2 * (size_t)jobs + 1, sizeof(*fds));
	if (!pool.members || !pool.returned || !pool.claims || !fds) {
		pool_free(&pool);
		free(fds);
		return -1;
	}
	assembler_warm();
	size_t next = next_case(s, 0, count);
	while ((cases_left(&pool, next, count) || busy_count(&pool)) && !stopped(s)) {
		pool_fill(&pool, &next, count);
		if (!busy_count(&pool))
			continue;
		wait_any(&pool, fds);
		for (unsigned i = 0; i < jobs; i++)
			if (pool.members[i].busy)
				member_poll(&pool, &pool.members[i]);
	}
	int rc = stopped(s) && (cases_left(&pool, next, count) || busy_count(&pool)) ? 1 : 0;
	/* All killed before any is reaped: the kernel tears their memory down
	 * on every core at once, not one process after the other. */
	for (unsigned i = 0; i < jobs; i++)
		proc_kill(&pool.members[i].proc);
	for (unsigned i = 0; i < jobs; i++)
		member_free(&pool.members[i]);
	pool_free(&pool);
	free(fds);
	return rc;
}
