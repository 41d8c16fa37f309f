/* worker: runs one case in a child process, so that whatever goes wrong
 * inside (a crash of the emulator, a wedged KVM call, memory exhaustion)
 * costs that case alone: it gets outcome `error` and the run goes on. */
#ifndef KVMCHECK_WORKER_H
#define KVMCHECK_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine/backend.h"
#include "machine/machine.h"
#include "machine/result.h"

/* machine_run(backend, cfg, result), in a child process that is killed
 * when it takes grace_ms (WORKER_GRACE_MS, core/defaults.h) longer than
 * the case's timeout. */
void worker_run_machine(const struct backend_ops *backend, const struct machine_config *cfg, uint32_t grace_ms,
			struct run_result *result);

/* Sends r over fd as worker_result_read reads it. 0, or -1. */
int worker_result_write(int fd, const struct run_result *r);

/* Reads a result sent by worker_result_write from the len bytes at data,
 * with backend as the name of the backend that ran; *used is how many bytes
 * it took. False when they hold no whole result (r is then to be freed). */
bool worker_result_read(const uint8_t *data, size_t len, const struct backend_ops *backend, struct run_result *r,
			size_t *used);

#endif
