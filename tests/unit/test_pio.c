/* Unit tests for the port registry (dev/pio.c) and the output sink
 * (dev/sink.c): claims and refusals, dispatch of every access width, ports
 * nobody claims, and where output stops. */
#include <criterion/criterion.h>
#include <string.h>

#include "machine/dev/pio.h"
#include "machine/dev/sink.h"

#define MAX_CALLS 8

struct pio_call {
	bool is_write;
	uint16_t port;
	uint8_t len;
	uint8_t data[4];
};

/* A device that records each call; reads return `fill` plus the offset of
 * the port in the access, so tests see which device served which byte. */
struct recorder {
	struct pio_call calls[MAX_CALLS];
	int count;
	uint8_t fill;
	int stop_on_call; /* 1-based; 0: never ends the run */
};

static int recorder_note(struct recorder *r, bool is_write, uint16_t port, const uint8_t *data, uint8_t len,
			 struct dev_stop *stop)
{
	cr_assert(r->count < MAX_CALLS);
	cr_assert(len >= 1 && len <= 4);
	struct pio_call *c = &r->calls[r->count++];
	*c = (struct pio_call){ .is_write = is_write, .port = port, .len = len };
	if (data)
		memcpy(c->data, data, len);
	if (r->count == r->stop_on_call)
		return dev_stop_set(stop, OUTCOME_ERROR, "recorder stops at call %d", r->count);
	return 0;
}

static int recorder_read(void *ctx, uint16_t port, uint8_t *data, uint8_t len, struct dev_stop *stop)
{
	struct recorder *r = ctx;
	for (uint8_t i = 0; i < len; i++)
		data[i] = (uint8_t)(r->fill + i);
	return recorder_note(r, false, port, NULL, len, stop);
}

static int recorder_write(void *ctx, uint16_t port, const uint8_t *data, uint8_t len, struct dev_stop *stop)
{
	return recorder_note(ctx, true, port, data, len, stop);
}

static struct pio_bus bus;
static char err[200];

static void bus_init(void)
{
	pio_bus_init(&bus);
	err[0] = '\0';
}

TestSuite(pio, .init = bus_init);

static void claim(struct recorder *r, const char *name, uint16_t base, uint32_t len)
{
	struct pio_device dev = { .name = name, .base = base, .len = len, .read = recorder_read,
				  .write = recorder_write, .ctx = r };
	cr_assert_eq(pio_register(&bus, &dev, err, sizeof(err)), 0, "%s", err);
}

static void assert_call(const struct recorder *r, int i, bool is_write, uint16_t port, uint8_t len)
{
	cr_assert(i < r->count, "call %d was not made (%d calls)", i, r->count);
	const struct pio_call *c = &r->calls[i];
	cr_assert_eq(c->is_write, is_write, "call %d", i);
	cr_assert_eq(c->port, port, "call %d: port 0x%x, want 0x%x", i, c->port, port);
	cr_assert_eq(c->len, len, "call %d: %u bytes, want %u", i, c->len, len);
}

Test(pio, unclaimed_ports_read_all_ones_at_every_width)
{
	static const uint8_t sizes[] = { 1, 2, 4 };
	for (size_t i = 0; i < sizeof(sizes); i++) {
		uint8_t data[4] = {0};
		struct dev_stop stop;
		cr_assert_eq(pio_read(&bus, 0x80, data, sizes[i], &stop), 0);
		for (uint8_t b = 0; b < 4; b++)
			cr_assert_eq(data[b], b < sizes[i] ? PIO_UNCLAIMED_VALUE : 0, "size %u byte %u", sizes[i], b);
	}
}

Test(pio, unclaimed_ports_drop_writes)
{
	struct recorder r = {0};
	claim(&r, "beside", 0x81, 1);
	const uint8_t data[4] = { 1, 2, 3, 4 };
	struct dev_stop stop;
	cr_assert_eq(pio_write(&bus, 0x7c, data, 4, &stop), 0);
	cr_assert_eq(pio_write(&bus, 0x80, data, 1, &stop), 0);
	cr_assert_eq(r.count, 0, "a neighbour hears nothing");
}

Test(pio, a_claimed_range_gets_its_ports_and_no_others)
{
	struct recorder r = { .fill = 0x40 };
	claim(&r, "dev", 0x100, 8);
	struct dev_stop stop;
	uint8_t v = 0x5a;
	cr_assert_eq(pio_write(&bus, 0x0ff, &v, 1, &stop), 0);
	cr_assert_eq(pio_write(&bus, 0x108, &v, 1, &stop), 0);
	cr_assert_eq(r.count, 0);
	cr_assert_eq(pio_write(&bus, 0x100, &v, 1, &stop), 0);
	cr_assert_eq(pio_write(&bus, 0x107, &v, 1, &stop), 0);
	cr_assert_eq(pio_read(&bus, 0x103, &v, 1, &stop), 0);
	cr_assert_eq(v, 0x40);
	assert_call(&r, 0, true, 0x100, 1);
	assert_call(&r, 1, true, 0x107, 1);
	assert_call(&r, 2, false, 0x103, 1);
	cr_assert_eq(r.calls[0].data[0], 0x5a);
	cr_assert_eq(pio_device_at(&bus, 0x104)->ctx, &r);
	cr_assert_null(pio_device_at(&bus, 0x108));
}

Test(pio, a_wide_access_inside_one_device_arrives_whole)
{
	struct recorder r = {0};
	claim(&r, "dev", 0x510, 4);
	const uint8_t data[4] = { 0x78, 0x56, 0x34, 0x12 };
	struct dev_stop stop;
	cr_assert_eq(pio_write(&bus, 0x510, data, 4, &stop), 0);
	cr_assert_eq(r.count, 1);
	assert_call(&r, 0, true, 0x510, 4);
	cr_assert_eq(memcmp(r.calls[0].data, data, 4), 0);
}

Test(pio, a_wide_access_reaches_consecutive_ports_across_devices)
{
	struct recorder a = { .fill = 0xa0 }, b = { .fill = 0xb0 };
	claim(&a, "a", 0x10, 2);
	claim(&b, "b", 0x12, 2);
	const uint8_t data[4] = { 1, 2, 3, 4 };
	struct dev_stop stop;
	cr_assert_eq(pio_write(&bus, 0x11, data, 4, &stop), 0);
	assert_call(&a, 0, true, 0x11, 1);
	assert_call(&b, 0, true, 0x12, 2);
	cr_assert_eq(a.calls[0].data[0], 1);
	cr_assert_eq(b.calls[0].data[0], 2);
	cr_assert_eq(b.calls[0].data[1], 3);
	cr_assert_eq(a.count + b.count, 2, "the byte at 0x14 is nobody's");

	uint8_t in[4] = {0};
	cr_assert_eq(pio_read(&bus, 0x11, in, 4, &stop), 0);
	const uint8_t want[4] = { 0xa0, 0xb0, 0xb1, 0xff };
	cr_assert_eq(memcmp(in, want, 4), 0, "read %02x %02x %02x %02x", in[0], in[1], in[2], in[3]);
}

Test(pio, a_wide_access_at_the_top_wraps_to_port_zero)
{
	struct recorder top = {0}, zero = {0};
	claim(&top, "top", 0xffff, 1);
	claim(&zero, "zero", 0x0000, 1);
	const uint8_t data[2] = { 7, 8 };
	struct dev_stop stop;
	cr_assert_eq(pio_write(&bus, 0xffff, data, 2, &stop), 0);
	assert_call(&top, 0, true, 0xffff, 1);
	assert_call(&zero, 0, true, 0x0000, 1);
	cr_assert_eq(zero.calls[0].data[0], 8);
}

Test(pio, a_device_that_stops_the_run_ends_the_access_there)
{
	struct recorder a = { .stop_on_call = 1 }, b = {0};
	claim(&a, "a", 0x20, 1);
	claim(&b, "b", 0x21, 1);
	const uint8_t data[2] = { 1, 2 };
	struct dev_stop stop = {0};
	cr_assert_eq(pio_write(&bus, 0x20, data, 2, &stop), -1);
	cr_assert_eq(stop.outcome, OUTCOME_ERROR);
	cr_assert_str_eq(stop.reason, "recorder stops at call 1");
	cr_assert_eq(b.count, 0, "the byte after the stop is not served");

	uint8_t in[2];
	a.count = 0;
	cr_assert_eq(pio_read(&bus, 0x20, in, 2, &stop), -1);
	cr_assert_eq(b.count, 0);
}

Test(pio, a_device_without_read_or_write_acts_unclaimed_that_way)
{
	struct recorder r = {0};
	struct pio_device dev = { .name = "write-only", .base = 0x30, .len = 1, .write = recorder_write, .ctx = &r };
	cr_assert_eq(pio_register(&bus, &dev, err, sizeof(err)), 0, "%s", err);
	struct pio_device mute = { .name = "read-only", .base = 0x31, .len = 1, .read = recorder_read, .ctx = &r };
	cr_assert_eq(pio_register(&bus, &mute, err, sizeof(err)), 0, "%s", err);
	uint8_t v = 0;
	struct dev_stop stop;
	cr_assert_eq(pio_read(&bus, 0x30, &v, 1, &stop), 0);
	cr_assert_eq(v, 0xff);
	cr_assert_eq(pio_write(&bus, 0x31, &v, 1, &stop), 0);
	cr_assert_eq(r.count, 0);
}

struct claim_case {
	uint16_t base;
	uint32_t len;
	bool accepted;
	const char *why; /* part of the refusal */
};

/* Against a device holding 0x100..0x107. */
static const struct claim_case claims[] = {
	{ 0x0ff, 2, false, "overlaps held at 0x100-0x107" },
	{ 0x107, 1, false, "overlaps" },
	{ 0x102, 1, false, "overlaps" },
	{ 0x100, 8, false, "overlaps" },
	{ 0x000, 0x200, false, "overlaps" },
	{ 0x108, 4, true, NULL },
	{ 0x0f8, 8, true, NULL },
	{ 0x200, 0, false, "outside the port space" },
	{ 0xffff, 2, false, "outside the port space" },
	{ 0xffff, 1, true, NULL },
};

Test(pio, overlapping_or_impossible_claims_are_refused)
{
	for (size_t i = 0; i < sizeof(claims) / sizeof(claims[0]); i++) {
		const struct claim_case *c = &claims[i];
		struct recorder held = {0}, r = {0};
		bus_init();
		claim(&held, "held", 0x100, 8);
		struct pio_device dev = { .name = "new", .base = c->base, .len = c->len, .ctx = &r };
		int rc = pio_register(&bus, &dev, err, sizeof(err));
		cr_assert_eq(rc == 0, c->accepted, "0x%x+%u: %s", c->base, c->len, err);
		if (!c->accepted) {
			cr_assert_not_null(strstr(err, c->why), "0x%x+%u: %s", c->base, c->len, err);
			cr_assert_eq(bus.count, 1, "a refused claim holds nothing");
			cr_assert_eq(pio_device_at(&bus, 0x100)->ctx, &held);
		}
	}
}

Test(pio, a_full_bus_refuses_more)
{
	struct recorder r = {0};
	for (uint16_t i = 0; i < PIO_MAX_DEVICES; i++)
		claim(&r, "dev", (uint16_t)(0x1000 + i), 1);
	struct pio_device dev = { .name = "one more", .base = 0x2000, .len = 1 };
	cr_assert_eq(pio_register(&bus, &dev, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "no room for one more"), "%s", err);
}

Test(pio, firmware_devices_are_told_apart)
{
	struct recorder r = {0};
	claim(&r, "guest's", 0x40, 2);
	struct pio_device fw = { .name = "firmware", .base = 0x42, .len = 2, .ctx = &r, .firmware = true };
	cr_assert_eq(pio_register(&bus, &fw, err, sizeof(err)), 0, "%s", err);
	cr_assert_not(pio_is_firmware(&bus, 0x41));
	cr_assert(pio_is_firmware(&bus, 0x42));
	cr_assert(pio_is_firmware(&bus, 0x43));
	cr_assert_not(pio_is_firmware(&bus, 0x44));
}

/* ---- the output sink --------------------------------------------------- */

struct sink_case {
	uint32_t limit;
	size_t puts;
	size_t kept; /* bytes kept; a refusal, if any, is the put after them */
};

static const struct sink_case sink_cases[] = {
	{ 0, 1, 0 }, { 1, 1, 1 }, { 1, 2, 1 }, { 3, 3, 3 }, { 3, 5, 3 }, { 1024, 10, 10 },
};

Test(output_sink, keeps_up_to_its_limit_and_refuses_the_byte_beyond)
{
	for (size_t i = 0; i < sizeof(sink_cases) / sizeof(sink_cases[0]); i++) {
		const struct sink_case *c = &sink_cases[i];
		struct bytes out = {0};
		struct output_sink sink;
		output_sink_init(&sink, &out, c->limit, "serial output");
		size_t n = 0;
		enum sink_status status = SINK_KEPT;
		while (n < c->puts && (status = output_sink_put(&sink, (uint8_t)('a' + n))) == SINK_KEPT)
			n++;
		cr_assert_eq(n, c->kept, "limit %u: kept %zu", c->limit, n);
		cr_assert_eq(out.len, c->kept, "limit %u", c->limit);
		cr_assert_eq(status, c->puts > c->kept ? SINK_OVER_LIMIT : SINK_KEPT, "limit %u", c->limit);
		for (size_t b = 0; b < out.len; b++)
			cr_assert_eq(out.data[b], 'a' + b);
		bytes_free(&out);
	}
}

Test(output_sink, says_why_it_refused)
{
	struct bytes out = {0};
	struct output_sink sink;
	output_sink_init(&sink, &out, 2, "serial output");
	struct dev_stop stop;
	cr_assert_eq(output_sink_stop(&sink, SINK_OVER_LIMIT, &stop), -1);
	cr_assert_eq(stop.outcome, OUTCOME_OUTPUT_LIMIT);
	cr_assert_str_eq(stop.reason, "serial output beyond its limit of 2 bytes");
	cr_assert_eq(output_sink_stop(&sink, SINK_NO_MEMORY, &stop), -1);
	cr_assert_eq(stop.outcome, OUTCOME_ERROR);
	cr_assert_str_eq(stop.reason, "out of memory storing serial output");
}
