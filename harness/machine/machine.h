/* machine: runs one assembled guest in a fresh VM on a backend, with its
 * devices on the port bus (the serial port; the doorbell when the run has
 * firmware), the exit budget and the timeout enforced, and turns what
 * happened into a run_result. */
#ifndef KVMCHECK_MACHINE_H
#define KVMCHECK_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#include "machine/backend.h"
#include "core/bytes.h"
#include "x86/regs.h"
#include "machine/result.h"
#include "machine/firmware/firmware.h"

struct doorbell_table;

/* A range of guest RAM kept at the end of a run (expect.memory). */
struct memory_range {
	uint64_t address;
	uint64_t length;
};

struct machine_config {
	const uint8_t *image;      /* the flat binary */
	size_t image_len;
	uint32_t load_address;     /* physical address of the image's first byte */
	uint32_t memory_size;      /* bytes of RAM at physical 0 */
	enum x86_mode mode;        /* real (0, the default), protected or long */
	struct cpu_state initial;  /* x86_mode_setup adds the mode's part to it */
	const struct bytes *input; /* what the guest reads from the serial port */
	uint64_t max_exits;
	uint32_t timeout_ms;
	uint32_t output_limit;     /* bytes of serial output kept; one more ends the run */
	/* Services the guest's firmware may call through the doorbell
	 * (dev/doorbell.h); NULL, the default: no doorbell, its port unclaimed. */
	const struct doorbell_table *doorbell;
	/* The BIOS/DOS firmware (firmware/firmware.h); kind FIRMWARE_NONE, the
	 * default: none, and the guest owns all of RAM. */
	struct firmware_config firmware;
	bool keep_screen;          /* copy the text screen into the result at the end */
	/* Ranges of RAM copied into the result's memory at the end, one after
	 * another; a range beyond RAM is the caller's mistake: a host fault. */
	const struct memory_range *keep_memory;
	size_t keep_memory_count;
	/* Count the guest's instructions (README "Metrics"); the run stops
	 * with outcome max_instructions once the count exceeds
	 * instruction_limit (UINT64_MAX: never). */
	bool count_instructions;
	uint64_t instruction_limit;
	/* Keep the addresses of the last instructions (backend trace_last);
	 * machine_run sets it itself for its second run of a fault. */
	bool trace_last;
};

/* Once per process, before the first VM: fresh VMs are created by the
 * thousand, and Unicorn asks for transparent huge pages for its
 * translation buffer, so each one would clear 2 MiB it never fills.
 * Children inherit the setting. */
void machine_process_setup(void);

/* Fills result (outcome, exits, output, registers, message, times.create/run/
 * teardown). Never fails as a function: every problem is an outcome. */
void machine_run(const struct backend_ops *backend, const struct machine_config *cfg,
		 struct run_result *result);

#endif
