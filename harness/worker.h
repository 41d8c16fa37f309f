/* worker: runs one case in a child process, so that whatever goes wrong
 * inside (a crash of the emulator, a wedged KVM call, memory exhaustion)
 * costs that case alone: it gets outcome `error` and the run goes on. */
#ifndef KVMCHECK_WORKER_H
#define KVMCHECK_WORKER_H

#include "backend.h"
#include "case.h"
#include "result.h"
#include "runner.h"

/* Beyond the case's own timeouts, how long a worker may take before it is
 * killed: room for VM creation and teardown. */
#define WORKER_GRACE_MS 10000

void worker_run_case(const struct test_case *c, const struct backend_ops *backend, const struct runner_options *o,
		     struct run_result *result);

#endif
