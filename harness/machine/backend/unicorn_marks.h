/* unicorn_marks: where fields of a Unicorn 2.0.1 engine's CPU state sit
 * in a saved context, for the fields no API reaches (unicorn_state.h,
 * unicorn_exception.h). A saved context copies QEMU's CPUX86State byte for
 * byte; writing marker values to registers the API does reach and finding
 * them in a save locates those registers, and the fields at a fixed
 * distance from them. */
#ifndef KVMCHECK_UNICORN_MARKS_H
#define KVMCHECK_UNICORN_MARKS_H

#include <stddef.h>
#include <stdint.h>

#include <unicorn/unicorn.h>

#define UNICORN_MARK_SLOT 8u  /* target_ulong: one x86-64 core for every mode */

struct unicorn_marks {
	const int *ids;          /* registers of consecutive slots */
	const uint32_t *values;  /* distinct values for their low halves */
	size_t count;
};

/* Allocates *context (NULL when it cannot; *size its bytes) and saves
 * uc's state into it with the markers in their registers, then puts the
 * engine's whole state back. Returns the one offset in *context where the
 * markers sit a slot apart, or 0 when they are not found exactly once (the
 * context starts with its own header, so 0 is never a match). The caller
 * frees *context and keeps it for its own saves. */
size_t unicorn_marks_locate(uc_engine *uc, const struct unicorn_marks *m, uc_context **context, size_t *size);

uint32_t unicorn_load32(const uint8_t *at);

#endif
