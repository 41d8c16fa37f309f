/* flag_names: the FLAGS bits by their usual names (cf, zf, ...), for cases
 * that check flags one by one and reports that name the flags set. */
#ifndef KVMCHECK_FLAG_NAMES_H
#define KVMCHECK_FLAG_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The bit of the flag called name ("cf", "ZF": case-insensitive); false when there is none. */
bool flag_lookup(const char *name, uint32_t *bit);

/* The names of the flags set in flags, upper case, space-separated, in bit
 * order ("CF ZF IF"); "" when none is. Returns out. */
char *flag_names_set(uint32_t flags, char *out, size_t len);

/* "cf, pf, af, ...", for error messages. */
const char *flag_names_help(void);

#endif
