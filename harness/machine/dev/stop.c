#include "machine/dev/stop.h"

#include <stdarg.h>
#include <stdio.h>

int dev_stop_set(struct dev_stop *stop, enum outcome outcome, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	stop->outcome = outcome;
	vsnprintf(stop->reason, sizeof(stop->reason), fmt, ap);
	va_end(ap);
	return -1;
}
