/* pio: the machine's I/O port space, a registry of devices in the manner of
 * kvmtool's kvm__register_pio. A device claims a range of ports with its
 * read and write functions; the run loop hands every port access here.
 *
 * An access wider than a byte reaches consecutive ports, as on the ISA bus:
 * it is split where the owner changes, and each device gets the part inside
 * its range in one call (so a 32-bit `out` to a device with four ports
 * arrives whole). Ports nobody claims read as 0xff (a floating bus) and
 * ignore writes. */
#ifndef KVMCHECK_DEV_PIO_H
#define KVMCHECK_DEV_PIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine/dev/stop.h"

#define PIO_UNCLAIMED_VALUE 0xff
#define PIO_MAX_DEVICES 16

/* Both serve len bytes at port .. port+len-1, all inside the device's range.
 * They return 0, or -1 to end the run with stop filled in. */
typedef int (*pio_read_fn)(void *ctx, uint16_t port, uint8_t *data, uint8_t len, struct dev_stop *stop);
typedef int (*pio_write_fn)(void *ctx, uint16_t port, const uint8_t *data, uint8_t len, struct dev_stop *stop);

struct pio_device {
	const char *name;   /* for messages */
	uint16_t base;
	uint32_t len;       /* ports claimed: base .. base+len-1, all below 0x10000 */
	pio_read_fn read;   /* NULL: reads as if unclaimed */
	pio_write_fn write; /* NULL: writes are dropped */
	void *ctx;
	bool firmware;      /* exits through it are the firmware's, not the guest's */
};

struct pio_bus {
	struct pio_device devices[PIO_MAX_DEVICES];
	size_t count;
};

void pio_bus_init(struct pio_bus *bus);

/* Claims dev's ports. Returns 0, or -1 with err filled when the range is
 * empty, runs past 0xffff, overlaps a claimed one, or the bus is full. */
int pio_register(struct pio_bus *bus, const struct pio_device *dev, char *err, size_t err_len);

/* The device claiming port, or NULL. */
const struct pio_device *pio_device_at(const struct pio_bus *bus, uint16_t port);

/* Whether an access starting at port is the firmware's to pay for. */
bool pio_is_firmware(const struct pio_bus *bus, uint16_t port);

/* One access of size bytes (1, 2 or 4) at port; return 0, or -1 with stop
 * filled when a device ended the run (later bytes are then not served). */
int pio_read(const struct pio_bus *bus, uint16_t port, uint8_t *data, uint8_t size, struct dev_stop *stop);
int pio_write(const struct pio_bus *bus, uint16_t port, const uint8_t *data, uint8_t size, struct dev_stop *stop);

#endif
