#include "machine/backend/unicorn_marks.h"

#include <stdbool.h>
#include <string.h>

uint32_t unicorn_load32(const uint8_t *at)
{
	uint32_t v;
	memcpy(&v, at, sizeof(v));
	return v;
}

static bool marked_at(const uint8_t *bytes, size_t at, const struct unicorn_marks *m)
{
	for (size_t i = 0; i < m->count; i++)
		if (unicorn_load32(bytes + at + i * UNICORN_MARK_SLOT) != m->values[i])
			return false;
	return true;
}

static size_t find_markers(const uint8_t *bytes, size_t size, const struct unicorn_marks *m)
{
	size_t found = 0, matches = 0;
	for (size_t at = 0; at + m->count * UNICORN_MARK_SLOT <= size; at += 4) {
		if (marked_at(bytes, at, m)) {
			found = at;
			matches++;
		}
	}
	return matches == 1 ? found : 0;
}

/* The whole state is saved first and put back after: a register write in
 * a 16- or 32-bit engine clears the upper half the guest may still use. */
size_t unicorn_marks_locate(uc_engine *uc, const struct unicorn_marks *m, uc_context **context, size_t *size)
{
	*size = uc_context_size(uc);
	if (uc_context_alloc(uc, context) != UC_ERR_OK) {
		*context = NULL;
		return 0;
	}
	uc_context *before = NULL;
	if (uc_context_alloc(uc, &before) != UC_ERR_OK)
		return 0;
	bool saved = uc_context_save(uc, before) == UC_ERR_OK, ok = saved;
	for (size_t i = 0; i < m->count && ok; i++)
		ok = uc_reg_write(uc, m->ids[i], &m->values[i]) == UC_ERR_OK;
	ok = ok && uc_context_save(uc, *context) == UC_ERR_OK;
	if (saved)
		ok = uc_context_restore(uc, before) == UC_ERR_OK && ok;
	uc_context_free(before);
	return ok ? find_markers((const uint8_t *)*context, *size, m) : 0;
}
