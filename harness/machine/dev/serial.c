#include "machine/dev/serial.h"

/* Register offsets from SERIAL_BASE. With LCR bit 7 (DLAB) set, offsets 0
 * and 1 are the baud divisor instead of data and interrupt enable. */
enum { REG_DATA, REG_IER, REG_IIR, REG_LCR, REG_MCR, REG_LSR, REG_MSR, REG_SCRATCH };
#define LCR_DLAB 0x80
#define IIR_NO_INTERRUPT 0x01

void serial_init(struct serial *s, const uint8_t *input, size_t input_len, struct output_sink *output)
{
	*s = (struct serial){ .input = input, .input_len = input_len, .output = output };
}

static bool serial_dlab(const struct serial *s)
{
	return s->lcr & LCR_DLAB;
}

enum sink_status serial_write(struct serial *s, uint16_t port, uint8_t value)
{
	switch (port - SERIAL_BASE) {
	case REG_DATA:
		if (serial_dlab(s)) {
			s->divisor = (uint16_t)((s->divisor & 0xff00) | value);
			return SINK_KEPT;
		}
		return output_sink_put(s->output, value);
	case REG_IER:
		if (serial_dlab(s))
			s->divisor = (uint16_t)((s->divisor & 0x00ff) | (value << 8));
		else
			s->ier = value & 0x0f;
		return SINK_KEPT;
	case REG_LCR: s->lcr = value; return SINK_KEPT;
	case REG_MCR: s->mcr = value & 0x1f; return SINK_KEPT;
	case REG_SCRATCH: s->scratch = value; return SINK_KEPT;
	default: return SINK_KEPT; /* FCR and the read-only status registers ignore writes */
	}
}

static uint8_t serial_line_status(const struct serial *s)
{
	uint8_t lsr = SERIAL_LSR_THR_EMPTY | SERIAL_LSR_TX_IDLE; /* output never backs up */
	if (s->input_pos < s->input_len)
		lsr |= SERIAL_LSR_DATA_READY;
	return lsr;
}

static uint8_t serial_next_input(struct serial *s)
{
	if (s->input_pos >= s->input_len)
		return 0; /* an empty receive buffer reads as 0 on a 16550 */
	return s->input[s->input_pos++];
}

uint8_t serial_read(struct serial *s, uint16_t port)
{
	switch (port - SERIAL_BASE) {
	case REG_DATA: return serial_dlab(s) ? (uint8_t)s->divisor : serial_next_input(s);
	case REG_IER: return serial_dlab(s) ? (uint8_t)(s->divisor >> 8) : s->ier;
	case REG_IIR: return IIR_NO_INTERRUPT;
	case REG_LCR: return s->lcr;
	case REG_MCR: return s->mcr;
	case REG_LSR: return serial_line_status(s);
	case REG_MSR: return 0xb0; /* CTS, DSR and DCD asserted: the line is up */
	default: return s->scratch;
	}
}

static int serial_pio_read(void *ctx, uint16_t port, uint8_t *data, uint8_t len, struct dev_stop *stop)
{
	(void)stop;
	for (uint8_t i = 0; i < len; i++)
		data[i] = serial_read(ctx, (uint16_t)(port + i));
	return 0;
}

static int serial_pio_write(void *ctx, uint16_t port, const uint8_t *data, uint8_t len, struct dev_stop *stop)
{
	struct serial *s = ctx;
	for (uint8_t i = 0; i < len; i++) {
		enum sink_status status = serial_write(s, (uint16_t)(port + i), data[i]);
		if (status != SINK_KEPT)
			return output_sink_stop(s->output, status, stop);
	}
	return 0;
}

int serial_attach(struct serial *s, struct pio_bus *bus, char *err, size_t err_len)
{
	struct pio_device dev = { .name = "serial", .base = SERIAL_BASE, .len = SERIAL_PORTS,
				  .read = serial_pio_read, .write = serial_pio_write, .ctx = s };
	return pio_register(bus, &dev, err, err_len);
}

static int serial_device_attach(void *state, const struct device_env *env, char *err, size_t err_len)
{
	struct serial *s = state;
	serial_init(s, env->input ? env->input->data : NULL, env->input ? env->input->len : 0, env->output);
	return serial_attach(s, env->bus, err, err_len);
}

const struct device_type serial_device = {
	.name = "serial", .state_size = sizeof(struct serial), .attach = serial_device_attach,
};
