#include "machine/dev/pio.h"

#include <stdio.h>
#include <string.h>

#define PORT_SPACE 0x10000u

void pio_bus_init(struct pio_bus *bus)
{
	memset(bus, 0, sizeof(*bus));
}

static uint32_t pio_end(const struct pio_device *dev)
{
	return (uint32_t)dev->base + dev->len;
}

static bool pio_overlap(const struct pio_device *a, const struct pio_device *b)
{
	return a->base < pio_end(b) && b->base < pio_end(a);
}

int pio_register(struct pio_bus *bus, const struct pio_device *dev, char *err, size_t err_len)
{
	const char *name = dev->name ? dev->name : "?";
	if (dev->len == 0 || pio_end(dev) > PORT_SPACE) {
		snprintf(err, err_len, "pio: %s claims %u ports at 0x%x, outside the port space", name, dev->len,
			 dev->base);
		return -1;
	}
	for (size_t i = 0; i < bus->count; i++) {
		const struct pio_device *other = &bus->devices[i];
		if (pio_overlap(dev, other)) {
			snprintf(err, err_len, "pio: %s at 0x%x-0x%x overlaps %s at 0x%x-0x%x", name, dev->base,
				 pio_end(dev) - 1, other->name ? other->name : "?", other->base, pio_end(other) - 1);
			return -1;
		}
	}
	if (bus->count == PIO_MAX_DEVICES) {
		snprintf(err, err_len, "pio: no room for %s: %d devices at most", name, PIO_MAX_DEVICES);
		return -1;
	}
	bus->devices[bus->count++] = *dev;
	return 0;
}

const struct pio_device *pio_device_at(const struct pio_bus *bus, uint16_t port)
{
	for (size_t i = 0; i < bus->count; i++) {
		const struct pio_device *dev = &bus->devices[i];
		if (port >= dev->base && port < pio_end(dev))
			return dev;
	}
	return NULL;
}

bool pio_is_firmware(const struct pio_bus *bus, uint16_t port)
{
	const struct pio_device *dev = pio_device_at(bus, port);
	return dev && dev->firmware;
}

/* How many of the `left` bytes from port go to dev in one call: those inside
 * its range, or one when nobody claims the port. */
static uint8_t pio_span(const struct pio_device *dev, uint16_t port, uint8_t left)
{
	if (!dev)
		return 1;
	uint32_t inside = pio_end(dev) - port;
	return inside < left ? (uint8_t)inside : left;
}

int pio_read(const struct pio_bus *bus, uint16_t port, uint8_t *data, uint8_t size, struct dev_stop *stop)
{
	for (uint8_t done = 0; done < size;) {
		uint16_t p = (uint16_t)(port + done);
		const struct pio_device *dev = pio_device_at(bus, p);
		uint8_t span = pio_span(dev, p, (uint8_t)(size - done));
		if (dev && dev->read) {
			if (dev->read(dev->ctx, p, data + done, span, stop) < 0)
				return -1;
		} else {
			memset(data + done, PIO_UNCLAIMED_VALUE, span);
		}
		done = (uint8_t)(done + span);
	}
	return 0;
}

int pio_write(const struct pio_bus *bus, uint16_t port, const uint8_t *data, uint8_t size, struct dev_stop *stop)
{
	for (uint8_t done = 0; done < size;) {
		uint16_t p = (uint16_t)(port + done);
		const struct pio_device *dev = pio_device_at(bus, p);
		uint8_t span = pio_span(dev, p, (uint8_t)(size - done));
		if (dev && dev->write && dev->write(dev->ctx, p, data + done, span, stop) < 0)
			return -1;
		done = (uint8_t)(done + span);
	}
	return 0;
}
