#include "machine/dev/sink.h"

void output_sink_init(struct output_sink *sink, struct bytes *bytes, uint32_t limit, const char *what)
{
	*sink = (struct output_sink){ .bytes = bytes, .limit = limit, .what = what };
}

enum sink_status output_sink_put(struct output_sink *sink, uint8_t byte)
{
	if (sink->bytes->len >= sink->limit)
		return SINK_OVER_LIMIT;
	return bytes_push(sink->bytes, byte) == 0 ? SINK_KEPT : SINK_NO_MEMORY;
}

int output_sink_stop(const struct output_sink *sink, enum sink_status status, struct dev_stop *stop)
{
	if (status == SINK_OVER_LIMIT)
		return dev_stop_set(stop, OUTCOME_OUTPUT_LIMIT, "%s beyond its limit of %u bytes", sink->what,
				    sink->limit);
	return dev_stop_set(stop, OUTCOME_ERROR, "out of memory storing %s", sink->what);
}
