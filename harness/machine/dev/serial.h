/* serial: a 16550-style UART at 0x3f8 as a polling guest sees it. Writes to
 * the data register go to the output sink (which enforces the output limit);
 * reads return the next input byte; the line status register says
 * data-ready while input remains and transmitter-empty always. */
#ifndef KVMCHECK_SERIAL_H
#define KVMCHECK_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"
#include "machine/dev/device.h"
#include "machine/dev/sink.h"

#define SERIAL_BASE 0x3f8
#define SERIAL_PORTS 8
#define SERIAL_LSR_DATA_READY 0x01
#define SERIAL_LSR_THR_EMPTY 0x20
#define SERIAL_LSR_TX_IDLE 0x40

struct serial {
	const uint8_t *input;
	size_t input_len;
	size_t input_pos;
	struct output_sink *output;
	uint8_t scratch; /* the scratch register (base+7), which guests use to probe for a UART */
	uint8_t lcr;     /* line control: bit 7 switches the data ports to the divisor latch */
	uint8_t ier;
	uint8_t mcr;
	uint16_t divisor;
};

void serial_init(struct serial *s, const uint8_t *input, size_t input_len, struct output_sink *output);

/* Claims SERIAL_BASE .. SERIAL_BASE+7 on bus. Returns 0, or -1 with err. */
int serial_attach(struct serial *s, struct pio_bus *bus, char *err, size_t err_len);

/* One byte to one register: SINK_KEPT (0), or why the sink refused a data byte. */
enum sink_status serial_write(struct serial *s, uint16_t port, uint8_t value);
uint8_t serial_read(struct serial *s, uint16_t port);

/* The run loop's serial port: the case's input and output sink (device.h). */
extern const struct device_type serial_device;

#endif
