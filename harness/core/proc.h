/* proc: one child process (nasm, a case's worker) from fork to reaping,
 * without ever blocking on it: a pipe carries what it writes, a deadline
 * ends it, and proc_poll advances it by whatever has happened. A scheduler
 * running several children at once polls their proc_pollfds together and
 * calls proc_poll(p, 0) on each.
 *
 * The child leads a process group of its own, so that a deadline kills
 * whatever it started too, and it never writes a core file. */
#ifndef KVMCHECK_PROC_H
#define KVMCHECK_PROC_H

#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/bytes.h"

/* Runs in the child with the write end of its output pipe; should not
 * return (returning exits with status 127). After fork in a possibly
 * threaded parent: async-signal-safe calls only, unless it ends in exec. */
typedef void (*proc_body)(void *ctx, int out_fd);

struct proc {
	bool started;         /* proc_start ran: the fields below are set */
	pid_t pid;            /* the child, also its process group; 0 before start */
	int out_fd;           /* the parent's end of the output pipe; -1 after end of file */
	int exit_fd;          /* readable once the child exits (pidfd); -1 where the kernel has none */
	size_t out_cap;       /* output kept; more is read and dropped, so the child never blocks */
	uint64_t deadline_ns; /* clock_ns() at which the group is killed; 0: none */
	struct bytes out;     /* what the child wrote (stdout and stderr, for an exec) */
	bool exited;          /* it ended (a zombie until reaped, which keeps its group id taken) */
	bool reaped;          /* waited for: status is valid and the proc is done */
	bool killed;          /* the deadline passed first and the group was killed */
	int status;           /* the wait status, once reaped */
};

/* Why proc_start failed: no pipe, or no fork. */
enum { PROC_ERR_PIPE = -1, PROC_ERR_FORK = -2 };

/* Forks a child running body(ctx, out_fd). Returns 0, or PROC_ERR_* with
 * errno set and err saying "pipe: ..." or "fork: ...". Afterwards (even on
 * failure) proc_free must be called. */
int proc_start(struct proc *p, proc_body body, void *ctx, size_t out_cap, uint64_t deadline_ns, char *err,
	       size_t err_len);

/* proc_start for a body that ends in exec (or _exit): the child uses the
 * parent's memory, with the parent suspended, until then (posix_spawn's
 * way: no copy of a large parent's page tables). The body must leave the
 * parent's memory as it found it: async-signal-safe calls on its own
 * stack only. Under a sanitizer it forks instead. */
int proc_spawn(struct proc *p, proc_body body, void *ctx, size_t out_cap, uint64_t deadline_ns, char *err,
	       size_t err_len);

/* What every child started for a proc does first, before its body: dies
 * with parent (and at once if parent is gone already), default interrupt
 * handlers, a process group of its own, no core file. For a process that
 * starts children for another (clone's CLONE_PARENT), with that one as
 * parent. */
void proc_child_begin(pid_t parent);

/* Takes on a child of this process that another process started for it
 * (clone's CLONE_PARENT): pid, already running the way proc_start's
 * children do, and the read end of its output pipe, which the proc owns
 * from now on. Returns 0, or -1 with errno set; proc_free must be called
 * either way. */
int proc_adopt(struct proc *p, pid_t pid, int out_fd, size_t out_cap, uint64_t deadline_ns);

/* Waits up to timeout_ms (-1: without limit; never past the deadline) for
 * output or the child's end, takes what is there, kills the group at the
 * deadline, and reaps the child once it has ended and its output is
 * complete. True when the proc is done (reaped). */
bool proc_poll(struct proc *p, int timeout_ms);

/* proc_poll until done: the child ends, or is killed at the deadline. */
void proc_wait(struct proc *p);

/* The descriptors to poll() for this proc's next event (at most 2); 0 once
 * nothing more is to come from them. */
size_t proc_pollfds(const struct proc *p, struct pollfd fds[2]);

/* Kills the group now (when not yet reaped); proc_poll then reaps it. */
void proc_kill(struct proc *p);

/* Kills and reaps a child still there, closes every descriptor, frees the
 * output. Safe to call twice, on a proc whose start failed, and on a
 * zeroed proc never started. */
void proc_free(struct proc *p);

/* A child started before its answer is asked for (start-up work run
 * while the cases load), and what it was started for (an executable's
 * path). */
struct proc_ahead {
	struct proc proc;
	char key[PATH_MAX];
};

/* After proc_start(&a->proc, ...) returned rc: keeps the child for key,
 * or, when rc failed or key does not fit, ends it. */
void proc_ahead_keep(struct proc_ahead *a, const char *key, int rc);

/* Whether a child started ahead for key is waiting. */
bool proc_ahead_holds(const struct proc_ahead *a, const char *key);

/* Moves the child started ahead for key into *p and returns true; else
 * ends any child started ahead and returns false with *p zeroed. Either
 * way none is ahead afterwards. */
bool proc_ahead_take(struct proc_ahead *a, const char *key, struct proc *p);

/* Ends and reaps a child started ahead, if any. */
void proc_ahead_drop(struct proc_ahead *a);

#endif
