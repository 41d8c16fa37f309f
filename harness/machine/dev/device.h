/* device: what a device file offers the run loop. Each device is one file
 * in dev/ exporting a `struct device_type`, and one line in machine.c's
 * table of devices: for every run the loop allocates the device's state
 * (zeroed), and attach claims its ports on the bus. */
#ifndef KVMCHECK_DEV_DEVICE_H
#define KVMCHECK_DEV_DEVICE_H

#include <stddef.h>

#include "core/bytes.h"
#include "machine/dev/pio.h"
#include "machine/dev/sink.h"
#include "machine/guest_ram.h"

struct doorbell_table;
struct firmware_config;
struct pc_timer;

/* What a device may use of the machine it is plugged into; it all lives as
 * long as the run. */
struct device_env {
	struct pio_bus *bus;
	const struct bytes *input;             /* the case's serial input, or NULL */
	struct output_sink *output;            /* the case's serial output */
	struct guest_ram ram;
	const struct doorbell_table *services; /* doorbell services of the run's own, or NULL */
	struct output_sink *console;           /* the firmware's character output */
	const struct firmware_config *firmware; /* the BIOS/DOS firmware the case asks for */
	struct pc_timer *timer;                /* the PIT and PIC of a run with firmware, else NULL */
};

struct device_type {
	const char *name;
	size_t state_size;
	/* Sets the state up and claims ports on env->bus (or none, when the run
	 * does not want the device). Returns 0, or -1 with err filled. */
	int (*attach)(void *state, const struct device_env *env, char *err, size_t err_len);
};

#endif
