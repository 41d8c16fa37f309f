/* stop: why a device ended the run. A device that cannot go on (output over
 * its limit, a malformed firmware request) fills one in and returns -1; the
 * run loop finishes the run with that outcome and reason. */
#ifndef KVMCHECK_DEV_STOP_H
#define KVMCHECK_DEV_STOP_H

#include <stdint.h>

#include "core/outcome.h"

struct dev_stop {
	enum outcome outcome;
	uint32_t exit_code; /* the program's return code, with outcome exit */
	char reason[200];
};

/* Fills stop and returns -1, so a device can write `return dev_stop_set(...)`. */
int dev_stop_set(struct dev_stop *stop, enum outcome outcome, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The program ended itself with code: outcome exit. Returns -1 as dev_stop_set. */
int dev_stop_exit(struct dev_stop *stop, uint32_t code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
