/* worker: runs one case in a child process, so that whatever goes wrong
 * inside (a crash of the emulator, a wedged KVM call, memory exhaustion)
 * costs that case alone: it gets outcome `error` and the run goes on. */
#ifndef KVMCHECK_WORKER_H
#define KVMCHECK_WORKER_H

#include "machine/backend.h"
#include "machine/machine.h"
#include "machine/result.h"

/* machine_run(backend, cfg, result), in a child process that is killed
 * when it takes grace_ms (WORKER_GRACE_MS, core/defaults.h) longer than
 * the case's timeout. */
void worker_run_machine(const struct backend_ops *backend, const struct machine_config *cfg, uint32_t grace_ms,
			struct run_result *result);

#endif
