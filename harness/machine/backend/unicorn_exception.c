#include "machine/backend/unicorn_exception.h"

#include <string.h>

/* QEMU 5's CPUX86State (Unicorn 2.0.1) from error_code on:
 *   int error_code; int exception_is_int; target_ulong exception_next_eip;
 *   target_ulong dr[8]; void *breakpoints[4]; int old_exception;
 * target_ulong is 8 bytes: Unicorn builds one x86-64 core for every mode. */
#define DR_SLOT 8u
#define ERROR_CODE_BEFORE_DR (4u + 4u + 8u)
#define IN_FLIGHT_AFTER_DR (8u * DR_SLOT + 4u * sizeof(void *))
#define MARKERS 4
#define NONE_IN_FLIGHT (-1)
#define LAST_EXCEPTION 31

static const int dr_ids[MARKERS] = { UC_X86_REG_DR0, UC_X86_REG_DR1, UC_X86_REG_DR2, UC_X86_REG_DR3 };
static const uint32_t markers[MARKERS] = { 0x6b766d31u, 0xc0ffee02u, 0x5eed1e03u, 0xfa17ed04u };

static uint32_t load32(const uint8_t *at)
{
	uint32_t v;
	memcpy(&v, at, sizeof(v));
	return v;
}

static bool markers_at(const uint8_t *bytes, size_t at)
{
	for (int i = 0; i < MARKERS; i++)
		if (load32(bytes + at + i * DR_SLOT) != markers[i])
			return false;
	return true;
}

/* The one offset where DR0-DR3 hold the markers, or 0 (never a match:
 * the context starts with its own header). */
static size_t find_markers(const uint8_t *bytes, size_t size)
{
	size_t found = 0, matches = 0;
	for (size_t at = 0; at + MARKERS * DR_SLOT <= size; at += 4) {
		if (markers_at(bytes, at)) {
			found = at;
			matches++;
		}
	}
	return matches == 1 ? found : 0;
}

/* Only 32 bits of a debug register are written outside 64-bit mode, so
 * only the low halves are marked and compared. */
static bool save_with_markers(uc_engine *uc, struct unicorn_exception *x)
{
	uint64_t saved[MARKERS] = { 0 };
	bool ok = true;
	for (int i = 0; i < MARKERS && ok; i++) {
		uint64_t marker = markers[i];
		ok = uc_reg_read(uc, dr_ids[i], &saved[i]) == UC_ERR_OK &&
		     uc_reg_write(uc, dr_ids[i], &marker) == UC_ERR_OK;
	}
	ok = ok && uc_context_save(uc, x->context) == UC_ERR_OK;
	for (int i = 0; i < MARKERS; i++)
		uc_reg_write(uc, dr_ids[i], &saved[i]);
	return ok;
}

static void locate(uc_engine *uc, struct unicorn_exception *x)
{
	x->tried = true;
	x->size = uc_context_size(uc);
	if (uc_context_alloc(uc, &x->context) != UC_ERR_OK) {
		x->context = NULL;
		return;
	}
	if (!save_with_markers(uc, x))
		return;
	size_t dr = find_markers((const uint8_t *)x->context, x->size);
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
	*error_code = load32(bytes + x->error_code_at);
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
