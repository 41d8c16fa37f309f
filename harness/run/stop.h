/* stop: where in the student's source a run stopped, from the final (or
 * faulting) cs:ip and nasm's listing of the program: "hello.asm:17 `out dx,
 * al`", or in words when the guest had left its program. */
#ifndef KVMCHECK_STOP_H
#define KVMCHECK_STOP_H

#include "assemble/assembler.h"
#include "case/case.h"
#include "machine/result.h"

/* Fills r->stop, r->stopped_at, r->stop_listing and r->last_instructions
 * (from r->last_linear) for a run of c's program a, assembled
 * from src. Leaves them unknown when no registers were read back. */
void stop_locate(const struct test_case *c, const struct asm_source *src, const struct assembly *a,
		 struct run_result *r);

#endif
