/* doorbell: the guest-to-host request channel, in the manner of the KVM
 * selftests' ucall. Code running in the guest (the firmware) fills a request
 * block in guest RAM and writes the block's physical address to
 * DOORBELL_PORT with one 32-bit `out dx, eax`. kvmcheck reads the block,
 * calls the service it names, writes the registers the service returns back
 * into the block, and the guest goes on after its `out`. `in eax, dx` from
 * the port reads DOORBELL_MAGIC, so firmware can tell the doorbell is there.
 *
 * The request block: DOORBELL_BLOCK_SIZE bytes, little-endian, anywhere in
 * guest RAM (no alignment needed):
 *
 *   offset  size     field
 *    0      u32      magic    DOORBELL_MAGIC, the bytes "KVDB"
 *    4      u16      version  DOORBELL_VERSION
 *    6      u16      service  the service's number
 *    8      u32[10]  in       eax ebx ecx edx esi edi ebp ds es eflags, as passed
 *   48      u32[10]  out      the same registers as the service returns them
 *
 * Segment registers take the low 16 bits of their slot. kvmcheck writes only
 * `out`; the firmware loads the registers it wants from there.
 *
 * A block outside RAM, a wrong magic or version, a ring that is not a 32-bit
 * write to DOORBELL_PORT, or an unknown service ends the run with outcome
 * error and says why. Exits through the doorbell are the firmware's: the run
 * loop counts them apart (run_result.firmware_exits) and does not charge
 * them to max_exits; the case's timeout bounds them.
 *
 * The port is claimed only when the run has services (machine_config's
 * doorbell); otherwise it is an unclaimed port like any other. */
#ifndef KVMCHECK_DEV_DOORBELL_H
#define KVMCHECK_DEV_DOORBELL_H

#include <stddef.h>
#include <stdint.h>

#include "machine/dev/device.h"
#include "machine/dev/sink.h"
#include "machine/dev/stop.h"
#include "machine/guest_ram.h"

#define DOORBELL_PORT 0x0510
#define DOORBELL_PORTS 4 /* the 32-bit ring covers 0x510..0x513 */
#define DOORBELL_MAGIC 0x4244564bu
#define DOORBELL_VERSION 1
#define DOORBELL_IN_OFFSET 8
#define DOORBELL_OUT_OFFSET 48
#define DOORBELL_BLOCK_SIZE 88
#define DOORBELL_MAX_SERVICES 256 /* the firmware registers one per interrupt vector */

struct doorbell_regs {
	uint32_t eax, ebx, ecx, edx, esi, edi, ebp, ds, es, eflags;
};

/* One request, as a service sees it. */
struct doorbell_call {
	uint16_t service;
	uint64_t block;               /* physical address of the request block */
	struct doorbell_regs in;
	struct doorbell_regs out;     /* starts as a copy of in: set what the service returns */
	const struct guest_ram *ram;  /* the only guest memory a service touches, via guest_ram_* */
	struct output_sink *output;   /* the case's serial output */
};

/* Serves one call: reads call->in and guest RAM, sets call->out. Returns 0,
 * or -1 with stop filled to end the run (dev_stop_set). A service may write
 * data into RAM, but not over code the guest has already run: the emu
 * backend keeps its translation of that code and would not see the change. */
typedef int (*doorbell_service_fn)(void *ctx, struct doorbell_call *call, struct dev_stop *stop);

struct doorbell_service {
	uint16_t id;
	doorbell_service_fn fn;
	void *ctx;
};

/* The services a run offers, registered by code (the firmware's side). */
struct doorbell_table {
	struct doorbell_service services[DOORBELL_MAX_SERVICES];
	size_t count;
};

void doorbell_table_init(struct doorbell_table *table);

/* Returns 0, or -1 with err filled (no function, a number taken, table full). */
int doorbell_register(struct doorbell_table *table, uint16_t id, doorbell_service_fn fn, void *ctx, char *err,
		      size_t err_len);

/* The service numbered id, or NULL. */
const struct doorbell_service *doorbell_lookup(const struct doorbell_table *table, uint16_t id);

/* Serves the request block at physical address block. Returns 0, or -1 with
 * stop filled (outcome error for a malformed block or an unknown service). */
int doorbell_ring(const struct doorbell_table *table, const struct guest_ram *ram, struct output_sink *output,
		  uint64_t block, struct dev_stop *stop);

/* A doorbell on the port bus: what a ring needs to be served. */
struct doorbell {
	const struct doorbell_table *table;
	struct guest_ram ram;
	struct output_sink *output;
};

/* Claims DOORBELL_PORT on bus for table (the firmware device does, with its
 * own services). Returns 0, or -1 with err filled. */
int doorbell_claim(struct doorbell *db, struct pio_bus *bus, const struct doorbell_table *table,
		   struct guest_ram ram, struct output_sink *output, char *err, size_t err_len);

/* The run loop's doorbell (device.h): claims DOORBELL_PORT when
 * env->services is set, nothing otherwise. */
extern const struct device_type doorbell_device;

#endif
