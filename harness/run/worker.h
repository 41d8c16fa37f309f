/* worker: runs one case in a child process, so that whatever goes wrong
 * inside (a crash of the emulator, a wedged KVM call, memory exhaustion)
 * costs that case alone: it gets outcome `error` and the run goes on. */
#ifndef KVMCHECK_WORKER_H
#define KVMCHECK_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"
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

/* Appends r to out as worker_result_write sends it. 0, or -1. */
int worker_result_encode(const struct run_result *r, struct bytes *out);

/* At most this much of a failed worker's stderr goes into its case's
 * message, which fits in WORKER_WHY_MAX bytes. */
#define WORKER_STDERR_KEPT 1024
#define WORKER_WHY_MAX (WORKER_STDERR_KEPT + 300)

/* Why a process running a case's machine ended without its result (its
 * wait status, or killed when it outlived limit_ms), with what it wrote
 * to stderr_fd (a memfd; -1: nothing) appended. */
void worker_failure_explain(int status, bool killed, uint64_t limit_ms, int stderr_fd, char *why, size_t len);

/* Copies what a process that ended well wrote to stderr_fd to stderr;
 * returns how many bytes stderr_fd held (SIZE_MAX: it could not be read). */
size_t worker_stderr_pass_on(int stderr_fd);

/* Reads a result sent by worker_result_write from the len bytes at data,
 * with backend as the name of the backend that ran; *used is how many bytes
 * it took. False when they hold no whole result (r is then to be freed). */
bool worker_result_read(const uint8_t *data, size_t len, const struct backend_ops *backend, struct run_result *r,
			size_t *used);

#endif
