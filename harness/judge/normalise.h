/* normalise: serial output as a case's `compare:` options say to read it,
 * so that expected and actual are compared on equal terms. */
#ifndef KVMCHECK_NORMALISE_H
#define KVMCHECK_NORMALISE_H

#include "case/case.h"
#include "core/bytes.h"

/* Writes in, normalised by cmp, to out (emptied first). 0, or -1 when
 * memory runs out. */
int output_normalise(const struct bytes *in, const struct output_compare *cmp, struct bytes *out);

/* At least one option is set. */
bool output_compare_any(const struct output_compare *cmp);

#endif
