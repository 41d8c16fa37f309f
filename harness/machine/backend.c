#include "machine/backend.h"

#include <stdio.h>
#include <string.h>

#define BACKEND_AUTO "auto"

/* Every backend, in the order "auto" tries them; the last one always runs. */
static const struct backend_ops *const backends[] = { &backend_kvm, &backend_emu };
#define BACKEND_COUNT (sizeof(backends) / sizeof(backends[0]))

const char *backend_name(size_t i)
{
	if (i == 0)
		return BACKEND_AUTO;
	return i <= BACKEND_COUNT ? backends[i - 1]->name : NULL;
}

void backend_names_join(char *out, size_t len, const char *sep, const char *last_sep)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; backend_name(i) && used < len; i++) {
		const char *before = i == 0 ? "" : backend_name(i + 1) ? sep : last_sep;
		int n = snprintf(out + used, len - used, "%s%s", before, backend_name(i));
		used += n > 0 ? (size_t)n : 0;
	}
}

int backend_name_check(const char *name, char *why, size_t why_len)
{
	for (size_t i = 0; backend_name(i); i++)
		if (strcmp(name, backend_name(i)) == 0)
			return 0;
	char names[100];
	backend_names_join(names, sizeof(names), ", ", " or ");
	snprintf(why, why_len, "unknown backend '%s' (%s)", name, names);
	return -1;
}

/* The backend named, when it can run here; why says why not. */
static const struct backend_ops *backend_named(const struct backend_ops *b, char *why, size_t why_len)
{
	char reason[300] = "";
	if (b->available(reason, sizeof(reason)))
		return b;
	snprintf(why, why_len, "%s", reason);
	return NULL;
}

const struct backend_ops *backend_choose(const char *name, char *why, size_t why_len)
{
	if (backend_name_check(name, why, why_len) < 0)
		return NULL;
	for (size_t i = 0; i < BACKEND_COUNT; i++)
		if (strcmp(name, backends[i]->name) == 0)
			return backend_named(backends[i], why, why_len);
	char first_why[200] = "";
	for (size_t i = 0; i + 1 < BACKEND_COUNT; i++) {
		char reason[200] = "";
		if (backends[i]->available(reason, sizeof(reason)))
			return backends[i];
		if (i == 0)
			snprintf(first_why, sizeof(first_why), "%s", reason);
	}
	snprintf(why, why_len, "%s unavailable (%s), using %s", backends[0]->name, first_why,
		 backends[BACKEND_COUNT - 1]->name);
	return backends[BACKEND_COUNT - 1];
}
