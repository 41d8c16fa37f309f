#include "machine/backend/unicorn_exception.h"

#include "machine/backend/unicorn_marks.h"

#include <string.h>

/* QEMU 5's CPUX86State (Unicorn 2.0.1) from error_code on:
 *   int error_code; int exception_is_int; target_ulong exception_next_eip;
 *   target_ulong dr[8]; void *breakpoints[4]; int old_exception;
 * target_ulong is 8 bytes: Unicorn builds one x86-64 core for every mode. */
#define DR_SLOT UNICORN_MARK_SLOT
#define ERROR_CODE_BEFORE_DR (4u + 4u + 8u)
#define IN_FLIGHT_AFTER_DR (8u * DR_SLOT + 4u * sizeof(void *))
#define MARKERS 4
#define NONE_IN_FLIGHT (-1)
#define LAST_EXCEPTION 31

static const int dr_ids[MARKERS] = { UC_X86_REG_DR0, UC_X86_REG_DR1, UC_X86_REG_DR2, UC_X86_REG_DR3 };
static const uint32_t markers[MARKERS] = { 0x6b766d31u, 0xc0ffee02u, 0x5eed1e03u, 0xfa17ed04u };

static const struct unicorn_marks marks = { dr_ids, markers, MARKERS };

static void locate(uc_engine *uc, struct unicorn_exception *x)
{
	x->tried = true;
	size_t dr = unicorn_marks_locate(uc, &marks, &x->context, &x->size);
	if (dr < ERROR_CODE_BEFORE_DR || dr + IN_FLIGHT_AFTER_DR + sizeof(int) > x->size)
		return;
	x->error_code_at = dr - ERROR_CODE_BEFORE_DR;
	x->in_flight_at = dr + IN_FLIGHT_AFTER_DR;
	x->located = true;
}

bool unicorn_exception_take(uc_engine *uc, struct unicorn_exception *x, uint32_t *error_code)
{
	if (!x->tried)
		locate(uc, x);
	if (!x->located || uc_context_save(uc, x->context) != UC_ERR_OK)
		return false;
	uint8_t *bytes = (uint8_t *)x->context;
	int32_t in_flight;
	memcpy(&in_flight, bytes + x->in_flight_at, sizeof(in_flight));
	if (in_flight != NONE_IN_FLIGHT && (in_flight < 0 || in_flight > LAST_EXCEPTION))
		return false;
	*error_code = unicorn_load32(bytes + x->error_code_at);
	const int32_t none = NONE_IN_FLIGHT;
	memcpy(bytes + x->in_flight_at, &none, sizeof(none));
	return uc_context_restore(uc, x->context) == UC_ERR_OK;
}

void unicorn_exception_free(struct unicorn_exception *x)
{
	if (x->context != NULL)
		uc_context_free(x->context);
	*x = (struct unicorn_exception){ 0 };
}
