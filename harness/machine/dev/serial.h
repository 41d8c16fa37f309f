/* serial: a 16550-style UART at 0x3f8 as a polling guest sees it. Writes to
 * the data register are the case's output; reads return the next input byte;
 * the line status register says data-ready while input remains and
 * transmitter-empty always. */
#ifndef KVMCHECK_SERIAL_H
#define KVMCHECK_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"

#define SERIAL_BASE 0x3f8
#define SERIAL_PORTS 8
#define SERIAL_LSR_DATA_READY 0x01
#define SERIAL_LSR_THR_EMPTY 0x20
#define SERIAL_LSR_TX_IDLE 0x40

struct serial {
	const uint8_t *input;
	size_t input_len;
	size_t input_pos;
	struct bytes *output;
	uint8_t scratch; /* the scratch register (base+7), which guests use to probe for a UART */
	uint8_t lcr;     /* line control: bit 7 switches the data ports to the divisor latch */
	uint8_t ier;
	uint8_t mcr;
	uint16_t divisor;
};

void serial_init(struct serial *s, const uint8_t *input, size_t input_len, struct bytes *output);

bool serial_owns_port(uint16_t port);

/* Returns 0, or -1 when the output could not be stored (out of memory). */
int serial_write(struct serial *s, uint16_t port, uint8_t value);
uint8_t serial_read(struct serial *s, uint16_t port);

#endif
