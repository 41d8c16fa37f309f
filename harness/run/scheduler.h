/* scheduler: runs the cases of a suite, up to `jobs` at once. Each case is
 * assembled and run in a child process of its own (the case's runner,
 * which starts the VM's worker as runner_run_case does), so nasm and the
 * machines of several cases run in parallel; the parent only polls them
 * (core/proc), never blocks on one. A case's result is handed over as soon
 * as it is there, in whatever order they finish: putting them back in
 * suite order is the caller's.
 *
 * Results are what runner_run_case gives in kvmcheck's own process, so a
 * run's reports do not depend on `jobs`. */
#ifndef KVMCHECK_SCHEDULER_H
#define KVMCHECK_SCHEDULER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "case/case.h"
#include "machine/result.h"
#include "run/runner.h"

/* Takes result over (to run_result_free). */
typedef void scheduler_done_fn(void *ctx, size_t index, struct run_result *result);

struct scheduler {
	struct runner *runner;          /* its cache learns every assembly the children make */
	unsigned jobs;                  /* cases at once, at least 1 */
	const volatile sig_atomic_t *stop; /* nonzero: start no more cases, kill those running; or NULL */
	int wake_fd;                    /* readable when *stop may have changed (a signal's self-pipe); -1: none */
	const bool *skip;               /* skip[i]: case i is not to run; or NULL */
};

/* Runs every case of cases[0..count) not skipped, calling done for each as
 * it finishes. Returns 0 when all ran, 1 when *stop ended the run early
 * (cases not handed to done did not run; every child is killed and
 * reaped). */
int scheduler_run(const struct scheduler *s, const struct test_case *cases, size_t count, scheduler_done_fn *done,
		  void *ctx);

#endif
