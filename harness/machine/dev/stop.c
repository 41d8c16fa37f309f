#include "machine/dev/stop.h"

#include <stdarg.h>
#include <stdio.h>

int dev_stop_set(struct dev_stop *stop, enum outcome outcome, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	stop->outcome = outcome;
	stop->exit_code = 0;
	vsnprintf(stop->reason, sizeof(stop->reason), fmt, ap);
	va_end(ap);
	return -1;
}

int dev_stop_exit(struct dev_stop *stop, uint32_t code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	stop->outcome = OUTCOME_EXIT;
	stop->exit_code = code;
	vsnprintf(stop->reason, sizeof(stop->reason), fmt, ap);
	va_end(ap);
	return -1;
}
