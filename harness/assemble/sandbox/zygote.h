/* A program forked after its start-up instead of exec'd for each run: the
 * zygote. nasm spends about as long starting (exec, the dynamic loader
 * relocating its tables) as it takes to assemble a small guest, so each
 * process that assembles keeps one nasm started with a small library
 * preloaded (zygote_preload.c) that stops before nasm's main and waits for
 * requests. For each, it forks a child as a child of the requesting
 * process (clone's CLONE_PARENT, so that process waits for it, kills its
 * group at the deadline and reads its output as it does an exec'd one's);
 * the child confines itself with the same plan and the same steps as an
 * exec'd one (child.c), takes the request's arguments and goes on into
 * main. The zygote never reads a guest's source or a case, and a child
 * forgets the request (folder names) before main, so what one assembly
 * sees of another is what an exec'd nasm would.
 *
 * Wherever the zygote cannot serve (no preload library beside kvmcheck,
 * it did not start, a request it cannot take) the caller execs as before:
 * the same confinement, only slower. */
#ifndef KVMCHECK_SANDBOX_ZYGOTE_H
#define KVMCHECK_SANDBOX_ZYGOTE_H

#include <stddef.h>
#include <stdint.h>

#include "assemble/sandbox/child.h"
#include "core/proc.h"

/* The environment variable naming the zygote's end of its socket. */
#define SANDBOX_ZYGOTE_ENV "KVMCHECK_ZYGOTE_FD"
/* Test hook, not a setting: "0" makes every run exec its program. */
#define SANDBOX_ZYGOTE_TEST_HOOK "KVMCHECK_TEST_ZYGOTE"

/* Starts plan->exe with argv through this process's zygote for that
 * program and argument count (starting the zygote first if need be): 0
 * with *child running (adopted, as proc_spawn leaves it) and set up or
 * reporting its set-up's failure through report_fd, as an exec'd child
 * does; -1 when no zygote can serve it, with nothing started: the caller
 * then execs. report_fd is only lent. */
int sandbox_zygote_spawn(const struct sandbox_plan *plan, char *const argv[], int report_fd, struct proc *child,
			 size_t out_cap, uint64_t deadline_ns);

/* Ends this process's zygotes (killed and reaped); the next spawn starts
 * one again. */
void sandbox_zygote_stop(void);

/* How many children this process's zygotes have started. */
unsigned long sandbox_zygote_children(void);

/* The path of the preload library kvmcheck uses, or NULL when there is
 * none beside the running binary (build/) or in its lib/kvmcheck. */
const char *sandbox_zygote_library(void);

/* The zygote's side, from the preload library's constructor, with nasm's
 * own argc and argv: serves requests on sock until the requesting process
 * goes away (then exits); returns only in a child, confined, with argv's
 * entries replaced by the request's, to go on into main. */
void sandbox_zygote_serve(int sock, int argc, char **argv);

#endif
