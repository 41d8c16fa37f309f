/* runner: one case from start to result: assemble its guest, run it on a
 * backend in a fresh machine, and fill in the run_result. */
#ifndef KVMCHECK_RUNNER_H
#define KVMCHECK_RUNNER_H

#include "backend.h"
#include "case.h"
#include "result.h"

#define RUNNER_ASSEMBLE_TIMEOUT_MS 10000

void runner_run_case(const struct test_case *c, const struct backend_ops *backend, struct run_result *result);

#endif
