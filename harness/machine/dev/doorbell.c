#include "machine/dev/doorbell.h"

#include "core/le.h"

#include <inttypes.h>
#include <stdio.h>

/* The registers in the order the block holds them. */
static const size_t block_order[] = {
	offsetof(struct doorbell_regs, eax), offsetof(struct doorbell_regs, ebx),
	offsetof(struct doorbell_regs, ecx), offsetof(struct doorbell_regs, edx),
	offsetof(struct doorbell_regs, esi), offsetof(struct doorbell_regs, edi),
	offsetof(struct doorbell_regs, ebp), offsetof(struct doorbell_regs, ds),
	offsetof(struct doorbell_regs, es),  offsetof(struct doorbell_regs, eflags),
};
#define BLOCK_REGS (sizeof(block_order) / sizeof(block_order[0]))
_Static_assert(DOORBELL_IN_OFFSET + 4 * BLOCK_REGS == DOORBELL_OUT_OFFSET, "in is ten u32");
_Static_assert(DOORBELL_OUT_OFFSET + 4 * BLOCK_REGS == DOORBELL_BLOCK_SIZE, "out is ten u32");

static uint32_t *reg_slot(struct doorbell_regs *regs, size_t i)
{
	return (uint32_t *)((uint8_t *)regs + block_order[i]);
}

static void regs_decode(const uint8_t *from, struct doorbell_regs *regs)
{
	for (size_t i = 0; i < BLOCK_REGS; i++)
		*reg_slot(regs, i) = (uint32_t)le_load(from + 4 * i, 4);
}

static void regs_encode(struct doorbell_regs regs, uint8_t *to)
{
	for (size_t i = 0; i < BLOCK_REGS; i++)
		le_store(to + 4 * i, *reg_slot(&regs, i), 4);
}

void doorbell_table_init(struct doorbell_table *table)
{
	*table = (struct doorbell_table){0};
}

const struct doorbell_service *doorbell_lookup(const struct doorbell_table *table, uint16_t id)
{
	for (size_t i = 0; i < table->count; i++)
		if (table->services[i].id == id)
			return &table->services[i];
	return NULL;
}

int doorbell_register(struct doorbell_table *table, uint16_t id, doorbell_service_fn fn, void *ctx, char *err,
		      size_t err_len)
{
	if (!fn) {
		snprintf(err, err_len, "doorbell: service %u has no function", id);
		return -1;
	}
	if (doorbell_lookup(table, id)) {
		snprintf(err, err_len, "doorbell: service %u is registered already", id);
		return -1;
	}
	if (table->count == DOORBELL_MAX_SERVICES) {
		snprintf(err, err_len, "doorbell: no room for service %u: %d services at most", id,
			 DOORBELL_MAX_SERVICES);
		return -1;
	}
	table->services[table->count++] = (struct doorbell_service){ .id = id, .fn = fn, .ctx = ctx };
	return 0;
}

/* Checks the header; returns 0, or -1 with stop filled. */
static int doorbell_check(const uint8_t *block, uint64_t addr, struct dev_stop *stop)
{
	uint32_t magic = (uint32_t)le_load(block, 4);
	if (magic != DOORBELL_MAGIC)
		return dev_stop_set(stop, OUTCOME_ERROR,
				    "doorbell: no request block at 0x%" PRIx64 " (magic 0x%08" PRIx32 ", not 0x%08x)",
				    addr, magic, DOORBELL_MAGIC);
	uint16_t version = (uint16_t)le_load(block + 4, 2);
	if (version != DOORBELL_VERSION)
		return dev_stop_set(stop, OUTCOME_ERROR,
				    "doorbell: request block at 0x%" PRIx64 " is version %u; kvmcheck speaks %u",
				    addr, version, DOORBELL_VERSION);
	return 0;
}

int doorbell_ring(const struct doorbell_table *table, const struct guest_ram *ram, struct output_sink *output,
		  uint64_t addr, struct dev_stop *stop)
{
	uint8_t block[DOORBELL_BLOCK_SIZE];
	if (guest_ram_read(ram, addr, block, sizeof(block)) < 0)
		return dev_stop_set(stop, OUTCOME_ERROR,
				    "doorbell: request block at 0x%" PRIx64 " is not inside guest RAM (%" PRIu64 " bytes)",
				    addr, ram->size);
	if (doorbell_check(block, addr, stop) < 0)
		return -1;
	struct doorbell_call call = { .service = (uint16_t)le_load(block + 6, 2), .block = addr, .ram = ram, .output = output };
	const struct doorbell_service *service = doorbell_lookup(table, call.service);
	if (!service)
		return dev_stop_set(stop, OUTCOME_ERROR, "doorbell: unknown service %u", call.service);
	regs_decode(block + DOORBELL_IN_OFFSET, &call.in);
	call.out = call.in;
	if (service->fn(service->ctx, &call, stop) < 0)
		return -1;
	uint8_t out[DOORBELL_BLOCK_SIZE - DOORBELL_OUT_OFFSET];
	regs_encode(call.out, out);
	/* Inside RAM: the whole block was read from there. */
	return guest_ram_write(ram, addr + DOORBELL_OUT_OFFSET, out, sizeof(out));
}

static int doorbell_pio_write(void *ctx, uint16_t port, const uint8_t *data, uint8_t len, struct dev_stop *stop)
{
	const struct doorbell *db = ctx;
	if (port != DOORBELL_PORT || len != 4)
		return dev_stop_set(stop, OUTCOME_ERROR,
				    "doorbell: a ring is a 32-bit out to port 0x%x, not a %u-byte write to 0x%x",
				    DOORBELL_PORT, len, port);
	return doorbell_ring(db->table, &db->ram, db->output, (uint32_t)le_load(data, 4), stop);
}

static int doorbell_pio_read(void *ctx, uint16_t port, uint8_t *data, uint8_t len, struct dev_stop *stop)
{
	(void)ctx, (void)stop;
	for (uint8_t i = 0; i < len; i++)
		data[i] = (uint8_t)(DOORBELL_MAGIC >> (8 * (port - DOORBELL_PORT + i)));
	return 0;
}

int doorbell_claim(struct doorbell *db, struct pio_bus *bus, const struct doorbell_table *table,
		   struct guest_ram ram, struct output_sink *output, char *err, size_t err_len)
{
	*db = (struct doorbell){ .table = table, .ram = ram, .output = output };
	struct pio_device dev = { .name = "doorbell", .base = DOORBELL_PORT, .len = DOORBELL_PORTS,
				  .read = doorbell_pio_read, .write = doorbell_pio_write, .ctx = db,
				  .firmware = true };
	return pio_register(bus, &dev, err, err_len);
}

static int doorbell_attach(void *state, const struct device_env *env, char *err, size_t err_len)
{
	if (!env->services)
		return 0;
	return doorbell_claim(state, env->bus, env->services, env->ram, env->output, err, err_len);
}

const struct device_type doorbell_device = {
	.name = "doorbell", .state_size = sizeof(struct doorbell), .attach = doorbell_attach,
};
