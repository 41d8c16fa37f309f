#include "machine/backend.h"

#include <stdio.h>
#include <string.h>

const struct backend_ops *backend_choose(const char *name, char *why, size_t why_len)
{
	if (strcmp(name, "kvm") == 0)
		return backend_kvm.available(why, why_len) ? &backend_kvm : NULL;
	if (strcmp(name, "emu") == 0)
		return &backend_emu;
	if (strcmp(name, "auto") != 0) {
		snprintf(why, why_len, "unknown backend '%s' (auto, kvm or emu)", name);
		return NULL;
	}
	char kvm_why[200] = "";
	if (backend_kvm.available(kvm_why, sizeof(kvm_why)))
		return &backend_kvm;
	snprintf(why, why_len, "kvm unavailable (%s), using emu", kvm_why);
	return &backend_emu;
}
