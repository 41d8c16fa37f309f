/* unicorn_exception: what Unicorn 2.0.1 keeps of the last exception it
 * raised and tells no one. Its QEMU core records a fault's error code and,
 * for a contributory fault or #PF, the fault itself as "in flight"
 * (CPUX86State.error_code and .old_exception), forgotten only when QEMU
 * delivers it, which under Unicorn never happens: the next contributory
 * fault then arrives as #DF with its vector lost, and the one after stops
 * emulation as if by hlt (unicorn issue #1883).
 *
 * Neither field has an API. Both sit in the CPU state a saved context
 * copies byte for byte, a fixed distance from the debug registers, which
 * do: writing marker values to DR0-DR3 and finding them in a saved context
 * locates the two fields for this engine. If the markers are not found
 * exactly once (a Unicorn with another layout), nothing is located and
 * the caller falls back to what it can tell without them. */
#ifndef KVMCHECK_UNICORN_EXCEPTION_H
#define KVMCHECK_UNICORN_EXCEPTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <unicorn/unicorn.h>

struct unicorn_exception {
	bool tried;            /* located once, successfully or not */
	bool located;
	uc_context *context;   /* reused for every save */
	size_t size;           /* bytes of *context, its header included */
	size_t error_code_at;  /* offsets from the start of *context */
	size_t in_flight_at;
};

/* After Unicorn reported a fault (emulation stopped): its error code into
 * *error_code, and the fault forgotten, as a CPU forgets one it has
 * delivered. Locates the fields the first time. Returns false, changing
 * nothing, when they cannot be located or hold implausible values. */
bool unicorn_exception_take(uc_engine *uc, struct unicorn_exception *x, uint32_t *error_code);

void unicorn_exception_free(struct unicorn_exception *x);

#endif
