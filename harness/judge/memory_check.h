/* memory_check: the checks of expect.memory (the guest's RAM at an address
 * or a label at the end of the run) and expect.screen_attributes (the
 * attribute bytes of cells of the text screen), and why one failed. */
#ifndef KVMCHECK_MEMORY_CHECK_H
#define KVMCHECK_MEMORY_CHECK_H

#include <stdbool.h>

#include "case/case.h"
#include "judge/verdict.h"
#include "machine/result.h"

/* One check per entry, in the case's order. 0, or -1 when memory runs out. */
int judge_memory(const struct test_case *c, const struct run_result *r, struct verdict *v);
int judge_screen_attributes(const struct test_case *c, const struct run_result *r, struct verdict *v);

/* Sets v->reason from the first failed check of these kinds; false when none failed. */
bool judge_memory_explain(const struct test_case *c, const struct run_result *r, struct verdict *v);
bool judge_screen_attributes_explain(const struct test_case *c, const struct run_result *r, struct verdict *v);

#endif
