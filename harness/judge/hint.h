/* hint: a sentence for the bugs students make most, read off a failed run:
 * what was observed, then the likely cause ("Observed: the program calls
 * int 0x10 ... Likely cause: ..."). A table of detectors, each a small
 * function over the case, the result and the verdict; the first that
 * recognises the run gives the hint. */
#ifndef KVMCHECK_HINT_H
#define KVMCHECK_HINT_H

#include <stdbool.h>
#include <stddef.h>

#include "case/case.h"
#include "judge/verdict.h"
#include "machine/result.h"

/* Writes the hint for a run that did not pass into out and returns the
 * name of the detector that gave it ("no_hlt", ...), or returns NULL and
 * leaves out "" when none recognises the run. */
const char *hint_find(const struct test_case *c, const struct run_result *r, const struct verdict *v, char *out,
		      size_t out_len);

#endif
