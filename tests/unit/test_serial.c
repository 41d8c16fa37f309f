/* Unit tests for serial.c: the 16550 a polling guest sees at 0x3f8. */
#include <criterion/criterion.h>
#include <string.h>

#include "machine/dev/serial.h"

/* The sink every test's output goes to: no limit that a test reaches. */
static struct output_sink sink;

static void serial_start(struct serial *s, const uint8_t *input, size_t input_len, struct bytes *out)
{
	output_sink_init(&sink, out, UINT32_MAX, "serial output");
	serial_init(s, input, input_len, &sink);
}

/* Whether the serial port, attached to a bus, is what answers at port. */
static bool serial_owns_port(uint16_t port)
{
	struct serial s;
	struct pio_bus bus;
	char err[200];
	pio_bus_init(&bus);
	cr_assert_eq(serial_attach(&s, &bus, err, sizeof(err)), 0, "%s", err);
	const struct pio_device *dev = pio_device_at(&bus, port);
	return dev && dev->ctx == &s;
}

#define DATA (SERIAL_BASE + 0)
#define IER (SERIAL_BASE + 1)
#define IIR (SERIAL_BASE + 2)
#define LCR (SERIAL_BASE + 3)
#define MCR (SERIAL_BASE + 4)
#define LSR (SERIAL_BASE + 5)
#define SCRATCH (SERIAL_BASE + 7)

Test(serial_uart, owns_exactly_its_eight_ports)
{
	cr_assert_not(serial_owns_port(SERIAL_BASE - 1));
	for (uint16_t p = SERIAL_BASE; p < SERIAL_BASE + 8; p++)
		cr_assert(serial_owns_port(p), "port 0x%x", p);
	cr_assert_not(serial_owns_port(SERIAL_BASE + 8));
	cr_assert_not(serial_owns_port(0));
	cr_assert_not(serial_owns_port(0x2f8));
	cr_assert_not(serial_owns_port(0xffff));
}

Test(serial_uart, data_writes_are_the_output)
{
	struct bytes out = {0};
	struct serial s;
	serial_start(&s, NULL, 0, &out);
	const char *msg = "hi\n\0\xff";
	for (size_t i = 0; i < 5; i++)
		cr_assert_eq(serial_write(&s, DATA, (uint8_t)msg[i]), 0);
	cr_assert_eq(out.len, 5u);
	cr_assert_eq(memcmp(out.data, msg, 5), 0);
	bytes_free(&out);
}

Test(serial_uart, writes_to_other_registers_are_not_output)
{
	struct bytes out = {0};
	struct serial s;
	serial_start(&s, NULL, 0, &out);
	for (uint16_t p = SERIAL_BASE + 1; p < SERIAL_BASE + 8; p++)
		cr_assert_eq(serial_write(&s, p, 'x'), 0, "port 0x%x", p);
	cr_assert_eq(out.len, 0u);
	bytes_free(&out);
}

Test(serial_uart, reads_return_input_in_order_then_zero)
{
	struct bytes out = {0};
	struct serial s;
	const uint8_t input[] = { 'a', 0x00, 0xff, 'z' };
	serial_start(&s, input, sizeof(input), &out);
	for (size_t i = 0; i < sizeof(input); i++)
		cr_assert_eq(serial_read(&s, DATA), input[i], "byte %zu", i);
	cr_assert_eq(serial_read(&s, DATA), 0);
	cr_assert_eq(serial_read(&s, DATA), 0);
	cr_assert_eq(out.len, 0u, "reading produces no output");
}

Test(serial_uart, data_ready_follows_the_input)
{
	struct serial s;
	struct bytes out = {0};
	const uint8_t input[] = { 'q', 'r' };
	serial_start(&s, input, sizeof(input), &out);
	uint8_t lsr = serial_read(&s, LSR);
	cr_assert(lsr & SERIAL_LSR_DATA_READY);
	cr_assert(lsr & SERIAL_LSR_THR_EMPTY);
	cr_assert_eq(serial_read(&s, LSR), lsr, "reading LSR consumes nothing");
	cr_assert_eq(serial_read(&s, DATA), 'q');
	cr_assert(serial_read(&s, LSR) & SERIAL_LSR_DATA_READY);
	cr_assert_eq(serial_read(&s, DATA), 'r');
	lsr = serial_read(&s, LSR);
	cr_assert_not(lsr & SERIAL_LSR_DATA_READY, "no input left");
	cr_assert(lsr & SERIAL_LSR_THR_EMPTY, "transmitter always empty");
	cr_assert(lsr & SERIAL_LSR_TX_IDLE);
}

Test(serial_uart, no_input_means_never_data_ready_and_thr_always_empty)
{
	struct serial s;
	struct bytes out = {0};
	serial_start(&s, NULL, 0, &out);
	for (int i = 0; i < 3; i++) {
		uint8_t lsr = serial_read(&s, LSR);
		cr_assert_not(lsr & SERIAL_LSR_DATA_READY);
		cr_assert(lsr & SERIAL_LSR_THR_EMPTY);
		cr_assert_eq(serial_write(&s, DATA, 'x'), 0);
	}
	cr_assert_eq(out.len, 3u);
	bytes_free(&out);
}

Test(serial_uart, dlab_selects_the_divisor_latch)
{
	struct serial s;
	struct bytes out = {0};
	const uint8_t input[] = { 'k' };
	serial_start(&s, input, sizeof(input), &out);
	cr_assert_eq(serial_write(&s, LCR, 0x83), 0); /* DLAB, 8N1 */
	cr_assert_eq(serial_read(&s, LCR), 0x83);
	cr_assert_eq(serial_write(&s, DATA, 0x0c), 0); /* 9600 baud */
	cr_assert_eq(serial_write(&s, IER, 0x01), 0);
	cr_assert_eq(out.len, 0u, "divisor writes are not output");
	cr_assert_eq(s.divisor, 0x010c);
	cr_assert_eq(serial_read(&s, DATA), 0x0c, "the divisor, not input");
	cr_assert_eq(serial_read(&s, IER), 0x01);
	cr_assert(serial_read(&s, LSR) & SERIAL_LSR_DATA_READY, "input not consumed under DLAB");

	cr_assert_eq(serial_write(&s, LCR, 0x03), 0);
	cr_assert_eq(serial_read(&s, IER), 0x00, "IER itself was never written");
	cr_assert_eq(serial_write(&s, DATA, 'o'), 0);
	cr_assert_eq(out.len, 1u);
	cr_assert_eq(out.data[0], 'o');
	cr_assert_eq(serial_read(&s, DATA), 'k');
	cr_assert_eq(s.divisor, 0x010c, "divisor kept after DLAB is cleared");
	bytes_free(&out);
}

Test(serial_uart, scratch_register_round_trips)
{
	struct serial s;
	struct bytes out = {0};
	serial_start(&s, NULL, 0, &out);
	cr_assert_eq(serial_read(&s, SCRATCH), 0);
	cr_assert_eq(serial_write(&s, SCRATCH, 0x5a), 0);
	cr_assert_eq(serial_read(&s, SCRATCH), 0x5a);
	cr_assert_eq(serial_write(&s, SCRATCH, 0xa5), 0);
	cr_assert_eq(serial_read(&s, SCRATCH), 0xa5);
	cr_assert_eq(out.len, 0u);
}

Test(serial_uart, ier_and_mcr_keep_their_defined_bits)
{
	struct serial s;
	struct bytes out = {0};
	serial_start(&s, NULL, 0, &out);
	cr_assert_eq(serial_write(&s, IER, 0xff), 0);
	cr_assert_eq(serial_read(&s, IER), 0x0f);
	cr_assert_eq(serial_write(&s, MCR, 0xff), 0);
	cr_assert_eq(serial_read(&s, MCR), 0x1f);
	cr_assert_eq(serial_read(&s, IIR) & 0x01, 0x01, "no interrupt pending");
}

Test(serial_uart, init_clears_previous_state)
{
	struct serial s;
	memset(&s, 0xff, sizeof(s));
	struct bytes out = {0};
	serial_start(&s, NULL, 0, &out);
	cr_assert_eq(s.lcr, 0);
	cr_assert_eq(s.scratch, 0);
	cr_assert_eq(s.input_pos, 0u);
	cr_assert_eq(serial_write(&s, DATA, 'a'), 0);
	cr_assert_eq(out.len, 1u, "DLAB is clear after init");
	bytes_free(&out);
}
