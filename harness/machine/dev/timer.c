#include "machine/dev/timer.h"

#include <string.h>

#define PIT_CHANNEL0_PORT 0x40
#define PIT_CONTROL_PORT 0x43
#define PIC_MASTER_PORT 0x20
#define PIC_SLAVE_PORT 0xa0

#define PIC_ICW1 0x10       /* in a command: an initialisation starts */
#define PIC_ICW1_ICW4 0x01  /* ... and an ICW4 will follow */
#define PIC_ICW1_SINGLE 0x02 /* ... and no ICW3, there is no cascade */
#define PIC_OCW3 0x08
#define PIC_OCW3_READ_ISR 0x03
#define PIC_EOI 0x20
#define PIC_SPECIFIC_EOI 0x60

/* ---- the PIT's channel 0 --------------------------------------------- */

/* Modes 2 and 3 reload and count again (pit_control makes 6 and 7 these). */
static bool pit_periodic(const struct pit_channel0 *p)
{
	return p->mode == 2 || p->mode == 3;
}

/* How many events have happened from the load up to time `at`. */
static uint64_t pit_events_until(const struct pit_channel0 *p, uint64_t at)
{
	if (!p->armed || at < p->start)
		return 0;
	uint64_t periods = (at - p->start) / p->reload;
	return pit_periodic(p) ? periods : (periods > 0);
}

static void pit_load(struct pit_channel0 *p, uint32_t count, uint64_t now)
{
	p->reload = count ? count : 0x10000u;
	p->start = now;
	p->armed = true;
	p->fired = false;
}

/* The counter as a read sees it: each mode counts down from its reload
 * (mode 3's halving steps are not modelled: it reads as mode 2). */
static uint16_t pit_count(const struct pit_channel0 *p, uint64_t now)
{
	if (!p->armed)
		return (uint16_t)p->reload;
	uint64_t elapsed = now - p->start;
	if (pit_periodic(p))
		elapsed %= p->reload;
	return (uint16_t)(p->reload - elapsed);
}

static void pit_control(struct pit_channel0 *p, uint8_t value, uint64_t now)
{
	if (value >> 6 != 0)
		return; /* channels 1 and 2, and the read-back command: nothing here raises IRQ0 */
	uint8_t access = (value >> 4) & 3;
	if (access == 0) {
		p->latched = true;
		p->latch = pit_count(p, now);
		return;
	}
	p->access = access;
	p->mode = (value >> 1) & 7;
	if (p->mode > 5)
		p->mode &= 3;
	p->high_next = false;
	p->armed = false; /* a new mode waits for its count */
}

static void pit_write_count(struct pit_channel0 *p, uint8_t value, uint64_t now)
{
	switch (p->access) {
	case 1: pit_load(p, value, now); break;
	case 2: pit_load(p, (uint32_t)value << 8, now); break;
	default:
		if (!p->high_next) {
			p->written = value;
			p->high_next = true;
		} else {
			p->high_next = false;
			pit_load(p, p->written | (uint32_t)value << 8, now);
		}
	}
}

static uint8_t pit_read_count(struct pit_channel0 *p, uint64_t now)
{
	uint16_t count = p->latched ? p->latch : pit_count(p, now);
	bool high = p->access == 2 || (p->access == 3 && p->high_next);
	if (p->access == 3)
		p->high_next = !p->high_next;
	if (p->access != 3 || !p->high_next)
		p->latched = false; /* the latch is read whole */
	return high ? (uint8_t)(count >> 8) : (uint8_t)count;
}

/* ---- the 8259 PIC ---------------------------------------------------- */

static void pic_command(struct pic8259 *pic, uint8_t value, bool *read_isr)
{
	if (value & PIC_ICW1) {
		pic->mask = 0;
		pic->in_service = 0;
		pic->icw4 = value & PIC_ICW1_ICW4;
		pic->init_step = (value & PIC_ICW1_SINGLE) ? 4 : 1; /* 4: ICW2, then straight to ICW4 */
		return;
	}
	if (value & PIC_OCW3) {
		if ((value & 3) >= 2)
			*read_isr = (value & PIC_OCW3_READ_ISR) == PIC_OCW3_READ_ISR;
		return;
	}
	if ((value & 0xe0) == PIC_EOI)
		pic->in_service &= (uint8_t)(pic->in_service - 1); /* the highest priority: the lowest bit */
	else if ((value & 0xe0) == PIC_SPECIFIC_EOI)
		pic->in_service &= (uint8_t)~(1u << (value & 7));
}

static void pic_data(struct pic8259 *pic, uint8_t value)
{
	switch (pic->init_step) {
	case 0: pic->mask = value; return;
	case 1: pic->base = value & 0xf8; pic->init_step = 2; return;
	case 4: pic->base = value & 0xf8; pic->init_step = pic->icw4 ? 3 : 0; return;
	case 2: pic->init_step = pic->icw4 ? 3 : 0; return; /* ICW3: the cascade, fixed on a PC */
	default: pic->init_step = 0; return;             /* ICW4 */
	}
}

/* ---- the machine's view ---------------------------------------------- */

void pc_timer_reset(struct pc_timer *t)
{
	memset(t, 0, sizeof(*t));
	t->present = true;
	t->pit.mode = 3;
	t->pit.access = 3;
	pit_load(&t->pit, 0, 0);
	t->master.base = 0x08;
	t->master.mask = 0xb8;
	t->slave.base = 0x70;
	t->slave.mask = 0xff;
}

bool pc_timer_can_interrupt(const struct pc_timer *t)
{
	const struct pit_channel0 *p = &t->pit;
	return t->present && p->armed && !(p->fired && !pit_periodic(p)) && !(t->master.mask & 1) &&
	       !(t->master.in_service & 1) && t->master.init_step == 0;
}

uint64_t pc_timer_next_event(const struct pc_timer *t)
{
	const struct pit_channel0 *p = &t->pit;
	if (!pit_periodic(p))
		return p->start + p->reload;
	return p->start + (pit_events_until(p, t->now) + 1) * p->reload;
}

uint8_t pc_timer_raise(struct pc_timer *t)
{
	t->now = pc_timer_next_event(t);
	if (!pit_periodic(&t->pit))
		t->pit.fired = true;
	t->master.in_service |= 1;
	return t->master.base;
}

uint64_t pc_timer_skip(struct pc_timer *t, uint64_t clocks)
{
	uint64_t before = pit_events_until(&t->pit, t->now);
	t->now += clocks;
	uint64_t passed = pit_events_until(&t->pit, t->now) - before;
	if (passed && !pit_periodic(&t->pit)) {
		if (t->pit.fired)
			passed = 0;
		t->pit.fired = true;
	}
	return passed;
}

void pc_timer_end_of_interrupt(struct pc_timer *t)
{
	t->master.in_service &= (uint8_t)~1u;
}

uint64_t pc_timer_ms(const struct pc_timer *t)
{
	return t->now * 1000 / PIT_HZ;
}

/* ---- ports ----------------------------------------------------------- */

struct timer_ports {
	struct pc_timer *timer;
	bool read_isr[2];
};

/* The PIC a port belongs to: 0x20-0x21 the master's, 0xa0-0xa1 the slave's. */
static bool timer_port_is_slave(uint16_t port)
{
	return (port & ~1u) == PIC_SLAVE_PORT;
}

static void timer_write_byte(struct timer_ports *tp, uint16_t port, uint8_t value)
{
	struct pc_timer *t = tp->timer;
	bool slave = timer_port_is_slave(port);
	struct pic8259 *pic = slave ? &t->slave : &t->master;
	if (port == PIT_CONTROL_PORT)
		pit_control(&t->pit, value, t->now);
	else if (port == PIT_CHANNEL0_PORT)
		pit_write_count(&t->pit, value, t->now);
	else if (port == PIC_MASTER_PORT || port == PIC_SLAVE_PORT)
		pic_command(pic, value, &tp->read_isr[slave]);
	else if (port == PIC_MASTER_PORT + 1 || port == PIC_SLAVE_PORT + 1)
		pic_data(pic, value);
}

static uint8_t timer_read_byte(struct timer_ports *tp, uint16_t port)
{
	struct pc_timer *t = tp->timer;
	bool slave = timer_port_is_slave(port);
	struct pic8259 *pic = slave ? &t->slave : &t->master;
	if (port == PIT_CHANNEL0_PORT)
		return pit_read_count(&t->pit, t->now);
	if (port == PIC_MASTER_PORT || port == PIC_SLAVE_PORT)
		return tp->read_isr[slave] ? pic->in_service : 0; /* the IRR: nothing waits */
	if (port == PIC_MASTER_PORT + 1 || port == PIC_SLAVE_PORT + 1)
		return pic->mask;
	return 0; /* channels 1 and 2: they raise nothing */
}

static int timer_write(void *ctx, uint16_t port, const uint8_t *data, uint8_t len, struct dev_stop *stop)
{
	(void)stop;
	for (uint8_t i = 0; i < len; i++)
		timer_write_byte(ctx, (uint16_t)(port + i), data[i]);
	return 0;
}

static int timer_read(void *ctx, uint16_t port, uint8_t *data, uint8_t len, struct dev_stop *stop)
{
	(void)stop;
	for (uint8_t i = 0; i < len; i++)
		data[i] = timer_read_byte(ctx, (uint16_t)(port + i));
	return 0;
}

static int timer_attach(void *state, const struct device_env *env, char *err, size_t err_len)
{
	if (!env->timer || !env->timer->present)
		return 0;
	struct timer_ports *tp = state;
	tp->timer = env->timer;
	const struct pio_device ports[] = {
		{ .name = "pic", .base = PIC_MASTER_PORT, .len = 2 },
		{ .name = "pit", .base = PIT_CHANNEL0_PORT, .len = 4 },
		{ .name = "pic (slave)", .base = PIC_SLAVE_PORT, .len = 2 },
	};
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		struct pio_device dev = ports[i];
		dev.read = timer_read;
		dev.write = timer_write;
		dev.ctx = tp;
		if (pio_register(env->bus, &dev, err, err_len) < 0)
			return -1;
	}
	return 0;
}

const struct device_type timer_device = {
	.name = "timer", .state_size = sizeof(struct timer_ports), .attach = timer_attach,
};
