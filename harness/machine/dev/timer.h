/* timer: the PC's timer interrupt, from the PIT's channel 0 through a
 * minimal 8259 PIC to IRQ0, in virtual time. A run with firmware has one,
 * armed as a BIOS leaves it (18.2 Hz, IRQ0 unmasked, vectors 08h-0Fh).
 *
 * Time is virtual and deterministic: it is counted in the PIT's own input
 * clock (1193182 Hz) and moves only when the guest waits (a hlt or a
 * parked `jmp $` with interrupts enabled, int 15h AH=86h). The run loop
 * then moves it to the next timer event and delivers that IRQ0
 * (machine.c); nothing moves it while the guest computes, so a loop that
 * polls the tick count or the PIT's counter with interrupts disabled sees
 * time stand still (README, "The timer").
 *
 * The PIC is the part of an 8259 that guests of this kind touch: the
 * initialisation words (to move the vector base), the mask, end of
 * interrupt, and IRQ0's in-service bit, so that a handler that never
 * acknowledges its interrupt gets no second one. The slave's ports take
 * writes and read back its mask; it raises nothing. */
#ifndef KVMCHECK_DEV_TIMER_H
#define KVMCHECK_DEV_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#include "machine/dev/device.h"

#define PIT_HZ 1193182u
#define PIT_BIOS_RELOAD 0x10000u /* a count of 0: 65536, 18.2 Hz */

struct pit_channel0 {
	uint8_t mode;        /* 0-5, as the last control word set it */
	uint8_t access;      /* 1 low byte, 2 high byte, 3 low then high */
	bool high_next;      /* access 3: the next byte written or read is the high one */
	uint16_t written;    /* the low byte of a count being written */
	uint32_t reload;     /* 1-65536 */
	bool armed;          /* counting: a count was written */
	bool fired;          /* mode 0 and 1: the count ran out once */
	uint64_t start;      /* virtual time when the count was loaded */
	bool latched;
	uint16_t latch;
};

struct pic8259 {
	uint8_t mask;        /* IMR */
	uint8_t base;        /* vector of IRQ0 (ICW2) */
	uint8_t in_service;  /* ISR */
	uint8_t init_step;   /* 0: ready; 1-3: waiting for ICW2, ICW3, ICW4 */
	bool icw4;
};

struct pc_timer {
	bool present;        /* the run has a PC's timer (it has firmware) */
	uint64_t now;        /* virtual time, in PIT clocks */
	struct pit_channel0 pit;
	struct pic8259 master;
	struct pic8259 slave;
};

/* The state a BIOS leaves: channel 0 in mode 3 with a count of 65536
 * loaded at time 0, the master's base at 08h with IRQ0, 1, 2 and 6
 * unmasked, the slave's at 70h. */
void pc_timer_reset(struct pc_timer *t);

/* Whether IRQ0 can ever be raised again: the PIT counts and will reach an
 * event, the PIC does not mask it, and it is not still in service. */
bool pc_timer_can_interrupt(const struct pc_timer *t);

/* The next time (after now) the PIT raises IRQ0; pc_timer_can_interrupt
 * must hold. */
uint64_t pc_timer_next_event(const struct pc_timer *t);

/* Virtual time moves to the next event and IRQ0 is raised: it is now in
 * service. Returns the vector the CPU takes. */
uint8_t pc_timer_raise(struct pc_timer *t);

/* Virtual time moves on by clocks without any IRQ0 being delivered (the
 * BIOS's int 15h wait); returns how many timer events passed meanwhile. */
uint64_t pc_timer_skip(struct pc_timer *t, uint64_t clocks);

/* The BIOS's own timer handler acknowledges IRQ0 without an OUT. */
void pc_timer_end_of_interrupt(struct pc_timer *t);

/* Virtual time in milliseconds. */
uint64_t pc_timer_ms(const struct pc_timer *t);

/* The PIT's and the PICs' ports, for a run with firmware. */
extern const struct device_type timer_device;

#endif
