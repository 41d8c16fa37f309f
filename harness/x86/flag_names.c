#include "x86/flag_names.h"

#include <stdio.h>
#include <strings.h>

static const struct {
	const char *name;
	uint32_t bit;
} flags[] = {
	{ "cf", 1u << 0 },  { "pf", 1u << 2 },  { "af", 1u << 4 },  { "zf", 1u << 6 },
	{ "sf", 1u << 7 },  { "tf", 1u << 8 },  { "if", 1u << 9 },  { "df", 1u << 10 },
	{ "of", 1u << 11 }, { "nt", 1u << 14 }, { "rf", 1u << 16 }, { "vm", 1u << 17 },
	{ "ac", 1u << 18 }, { "vif", 1u << 19 }, { "vip", 1u << 20 }, { "id", 1u << 21 },
};

bool flag_lookup(const char *name, uint32_t *bit)
{
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (strcasecmp(flags[i].name, name) == 0) {
			*bit = flags[i].bit;
			return true;
		}
	}
	return false;
}

char *flag_names_set(uint32_t value, char *out, size_t len)
{
	size_t used = 0;
	if (len)
		out[0] = '\0';
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (!(value & flags[i].bit) || used >= len)
			continue;
		char upper[4] = "";
		for (size_t k = 0; flags[i].name[k] && k < 3; k++)
			upper[k] = (char)(flags[i].name[k] - 'a' + 'A');
		int n = snprintf(out + used, len - used, "%s%s", used ? " " : "", upper);
		used += n > 0 ? (size_t)n : 0;
	}
	return out;
}

const char *flag_names_help(void)
{
	return "cf, pf, af, zf, sf, tf, if, df, of, nt, rf, vm, ac, vif, vip, id";
}
