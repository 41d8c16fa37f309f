/* sink: where a device's output goes, and the limit on how much is kept.
 * The serial port writes its data bytes here; the sink, not the port,
 * decides when there is too much. What was kept up to the limit stays. */
#ifndef KVMCHECK_DEV_SINK_H
#define KVMCHECK_DEV_SINK_H

#include <stdint.h>

#include "core/bytes.h"
#include "machine/dev/stop.h"

struct output_sink {
	struct bytes *bytes;
	uint32_t limit;   /* bytes kept; one more is refused */
	const char *what; /* names the output in reasons: "serial output" */
};

enum sink_status {
	SINK_KEPT,
	SINK_OVER_LIMIT,  /* the byte would exceed the limit: not kept */
	SINK_NO_MEMORY,
};

void output_sink_init(struct output_sink *sink, struct bytes *bytes, uint32_t limit, const char *what);

enum sink_status output_sink_put(struct output_sink *sink, uint8_t byte);

/* Turns a refusal into why the run ends (output_limit, or error when memory
 * ran out) and returns -1. */
int output_sink_stop(const struct output_sink *sink, enum sink_status status, struct dev_stop *stop);

#endif
