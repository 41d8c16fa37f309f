/* int 11h (equipment), 12h (memory size), 15h (system: the wait), 1Ah
 * (the clock) and 08h (the timer's tick). Time is the tick count in the
 * BIOS data area, 18.2 ticks a second from the case's `time:` (midnight by
 * default) at the start of the run, moved by the virtual timer
 * (machine/dev/timer.h): never the host's clock. */
#include "machine/firmware/firmware.h"

#define TICKS_PER_DAY 0x1800b0u
#define MICROSECONDS_PER_SECOND 1000000u

uint32_t firmware_ticks_at(uint32_t seconds_since_midnight)
{
	uint64_t scaled = (uint64_t)seconds_since_midnight * PIT_HZ;
	return (uint32_t)((scaled + PIT_BIOS_RELOAD - 1) / PIT_BIOS_RELOAD);
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

/* Ticks counted as the BIOS counts them: at a day's worth the count
 * starts again and the midnight flag is set. */
static void count_ticks(struct firmware *fw, uint64_t ticks)
{
	uint64_t count = fw_read32(fw, BDA_TICKS) + ticks;
	if (count >= TICKS_PER_DAY) {
		count %= TICKS_PER_DAY;
		fw_write8(fw, BDA_MIDNIGHT, 1);
	}
	fw_write32(fw, BDA_TICKS, (uint32_t)count);
}

/* AH=86h: wait cx:dx microseconds. Nothing runs meanwhile, so waiting is
 * virtual time moving on; the ticks that fall in the wait are counted, but
 * int 1Ch is not called for them (README, "The timer"). */
static void system_wait(struct firmware *fw, const struct doorbell_call *call)
{
	uint64_t us = (uint64_t)reg_x(call->in.ecx) << 16 | reg_x(call->in.edx);
	uint64_t scaled = us * PIT_HZ + fw->wait_rest;
	fw->wait_rest = scaled % MICROSECONDS_PER_SECOND;
	count_ticks(fw, pc_timer_skip(fw->timer, scaled / MICROSECONDS_PER_SECOND));
}

/* Int 08h, from the firmware's IRQ0 handler: one tick, acknowledged. */
int bios_timer_service(void *ctx, struct doorbell_call *call, struct dev_stop *stop)
{
	(void)call;
	(void)stop;
	struct firmware *fw = ctx;
	count_ticks(fw, 1);
	pc_timer_end_of_interrupt(fw->timer);
	return 0;
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
