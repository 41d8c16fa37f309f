/* runner: one case from start to result: assemble its guest (once per
 * distinct source in a run), run it on a backend in a fresh machine (in a
 * worker process unless told otherwise), and fill in the run_result. */
#ifndef KVMCHECK_RUNNER_H
#define KVMCHECK_RUNNER_H

#include <stdbool.h>
#include <stdint.h>

#include "assemble/assembly_cache.h"
#include "machine/backend.h"
#include "case/case.h"
#include "machine/result.h"

/* What holds for every case of a run unless the case says otherwise;
 * runner_options_default fills in core/defaults.h's DEFAULT_*. */
struct runner_options {
	uint32_t output_limit;      /* bytes of serial output */
	uint32_t asm_timeout_ms;    /* wall clock for nasm */
	uint32_t asm_cpu_seconds;
	uint64_t asm_memory;        /* nasm's address space */
	bool unsafe_assembler;      /* run nasm with what the host has where its own world cannot be built */
	const char *submission_dir; /* --submission: the student's folder, or NULL */
};

struct runner {
	struct runner_options opt;
	const struct backend_ops *backend;
	struct assembly_cache *cache; /* NULL: assemble every case afresh */
	const struct disk_cache *disk_cache; /* assemblies kept across runs, or NULL */
	bool in_process;              /* run machines in this process, not a worker each */
	/* Called just before a case's machine starts, once it is assembled
	 * (a pool process starts its case's time limit there); or NULL. */
	void (*machine_starting)(void *ctx);
	void *machine_starting_ctx;
};

void runner_options_default(struct runner_options *o);

/* Leaves result->stop and what stop_locate fills unknown: see
 * runner_locate_stop. */
void runner_run_case(struct runner *rn, const struct test_case *c, struct run_result *result);

/* Fills in where c's run stopped in its source (run/stop.h), from the
 * assembly of c's guest the run holds; nothing without one (a runner with
 * no cache). Apart from runner_run_case because it walks nasm's whole
 * listing, and only a case that did not pass shows the place or a hint
 * drawn from it: a run of thousands of passing cases skips the walk. */
void runner_locate_stop(const struct runner *rn, const struct test_case *c, struct run_result *result);

/* The assembly of c's guest this run already holds, or NULL. */
const struct assembly *runner_case_assembly(const struct runner *rn, const struct test_case *c);

/* Keeps a (made elsewhere, e.g. in a scheduler's child) as the assembly of
 * c's guest for the rest of the run, unless one is held already; a is left
 * to the caller to free either way. */
void runner_keep_assembly(struct runner *rn, const struct test_case *c, struct assembly *a);

#endif
