/* int 11h (equipment), 12h (memory size), 15h (system: the wait) and 1Ah
 * (the clock). Time is the tick count in the BIOS data area, 18.2 ticks a
 * second from the case's `time:` (midnight by default) at the start of the
 * run: never the host's clock. */
#include "machine/firmware/firmware.h"

#define MICROSECONDS_PER_TICK 54925u /* 65536 / 1193182 Hz */
#define PIT_HZ 1193182u
#define TICK_DIVISOR 65536u

uint32_t firmware_ticks_at(uint32_t seconds_since_midnight)
{
	uint64_t scaled = (uint64_t)seconds_since_midnight * PIT_HZ;
	return (uint32_t)((scaled + TICK_DIVISOR - 1) / TICK_DIVISOR);
}

int bios_equipment_service(void *ctx, struct doorbell_call *call, struct dev_stop *stop)
{
	(void)stop;
	set_x(&call->out.eax, fw_read16(ctx, BDA_EQUIPMENT));
	return 0;
}

int bios_memory_size_service(void *ctx, struct doorbell_call *call, struct dev_stop *stop)
{
	(void)stop;
	set_x(&call->out.eax, fw_read16(ctx, BDA_MEMORY_KB));
	return 0;
}

/* AH=86h: wait cx:dx microseconds. Nothing runs meanwhile, so waiting is
 * only the clock moving on. */
static void system_wait(struct firmware *fw, const struct doorbell_call *call)
{
	uint64_t us = (uint64_t)reg_x(call->in.ecx) << 16 | reg_x(call->in.edx);
	us += fw->wait_us;
	fw_write32(fw, BDA_TICKS, fw_read32(fw, BDA_TICKS) + (uint32_t)(us / MICROSECONDS_PER_TICK));
	fw->wait_us = (uint32_t)(us % MICROSECONDS_PER_TICK);
}

int bios_system_service(void *ctx, struct doorbell_call *call, struct dev_stop *stop)
{
	struct firmware *fw = ctx;
	uint8_t ah = reg_hi(call->in.eax);
	if (ah != 0x86)
		return firmware_unsupported(stop, 0x15, ah);
	system_wait(fw, call);
	set_hi(&call->out.eax, 0);
	set_flag(&call->out.eflags, FLAG_CF, false);
	return 0;
}

int bios_clock_service(void *ctx, struct doorbell_call *call, struct dev_stop *stop)
{
	struct firmware *fw = ctx;
	uint8_t ah = reg_hi(call->in.eax);
	if (ah != 0x00)
		return firmware_unsupported(stop, 0x1a, ah);
	uint32_t ticks = fw_read32(fw, BDA_TICKS);
	set_x(&call->out.ecx, (uint16_t)(ticks >> 16));
	set_x(&call->out.edx, (uint16_t)ticks);
	set_lo(&call->out.eax, fw_read8(fw, BDA_MIDNIGHT));
	fw_write8(fw, BDA_MIDNIGHT, 0);
	return 0;
}
