/* The PC's timer (README "The timer"): the PIT and PIC through their ports,
 * an interrupt taken as a real-mode CPU takes it, and whole runs with
 * firmware on every backend that can run here, where a hlt waits for the
 * next tick in virtual time and a parked `jmp $` ends as a halt. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/dev/timer.h"
#include "machine/firmware/firmware.h"
#include "machine/machine.h"
#include "testutil.h"
#include "x86/real_interrupt.h"

/* ---- the PIT and the PIC through their ports ------------------------ */

static struct pc_timer timer;
static struct pio_bus bus;
static uint8_t timer_state[64];

static void timer_attach(void)
{
	char err[200] = "";
	pc_timer_reset(&timer);
	pio_bus_init(&bus);
	struct device_env env = { .bus = &bus, .timer = &timer };
	cr_assert(sizeof(timer_state) >= timer_device.state_size);
	cr_assert_eq(timer_device.attach(timer_state, &env, err, sizeof(err)), 0, "%s", err);
}

static void out8(uint16_t port, uint8_t value)
{
	struct dev_stop stop;
	cr_assert_eq(pio_write(&bus, port, &value, 1, &stop), 0);
}

static uint8_t in8(uint16_t port)
{
	struct dev_stop stop;
	uint8_t value = 0;
	cr_assert_eq(pio_read(&bus, port, &value, 1, &stop), 0);
	return value;
}

Test(timer, a_bios_leaves_18_2_ticks_a_second_on_irq0_at_vector_8)
{
	timer_attach();
	cr_assert(pc_timer_can_interrupt(&timer));
	cr_assert_eq(pc_timer_next_event(&timer), 65536);
	cr_assert_eq(pc_timer_raise(&timer), 0x08);
	cr_assert_eq(timer.now, 65536);
	cr_assert_not(pc_timer_can_interrupt(&timer), "IRQ0 is in service until acknowledged");
	out8(0x20, 0x20); /* non-specific EOI */
	cr_assert(pc_timer_can_interrupt(&timer));
	cr_assert_eq(pc_timer_next_event(&timer), 2 * 65536);
	cr_assert_eq(in8(0x21), 0xb8, "IRQ 0, 1, 2 and 6 unmasked");
}

Test(timer, a_new_rate_counts_from_when_it_is_written)
{
	timer_attach();
	timer.now = 1000;
	out8(0x43, 0x34); /* channel 0, low then high, mode 2 */
	cr_assert_not(pc_timer_can_interrupt(&timer), "a mode waits for its count");
	out8(0x40, 1193 & 0xff);
	out8(0x40, 1193 >> 8);
	cr_assert(pc_timer_can_interrupt(&timer));
	cr_assert_eq(pc_timer_next_event(&timer), 1000 + 1193);
	timer.now = 1000 + 100;
	out8(0x43, 0x00); /* latch */
	uint8_t lo = in8(0x40), hi = in8(0x40);
	cr_assert_eq(lo | hi << 8, 1193 - 100);
}

Test(timer, mode_0_fires_once)
{
	timer_attach();
	out8(0x43, 0x30);
	out8(0x40, 0xe8);
	out8(0x40, 0x03); /* 1000 */
	cr_assert_eq(pc_timer_next_event(&timer), 1000);
	pc_timer_raise(&timer);
	pc_timer_end_of_interrupt(&timer);
	cr_assert_not(pc_timer_can_interrupt(&timer), "a one-shot count has run out");
}

Test(timer, masking_irq0_or_reinitialising_the_pic_moves_or_stops_it)
{
	timer_attach();
	out8(0x21, 0xb9);
	cr_assert_not(pc_timer_can_interrupt(&timer));
	out8(0x20, 0x11); /* ICW1 with ICW4 */
	out8(0x21, 0x20); /* ICW2: base 20h */
	cr_assert_not(pc_timer_can_interrupt(&timer), "still initialising");
	out8(0x21, 0x04); /* ICW3 */
	out8(0x21, 0x01); /* ICW4 */
	cr_assert(pc_timer_can_interrupt(&timer), "ICW1 clears the mask");
	cr_assert_eq(pc_timer_raise(&timer), 0x20);
	out8(0x20, 0x0b); /* OCW3: read the ISR */
	cr_assert_eq(in8(0x20), 0x01);
	out8(0x20, 0x60); /* specific EOI of IRQ0 */
	cr_assert_eq(in8(0x20), 0x00);
}

Test(timer, a_wait_counts_the_ticks_it_passes)
{
	timer_attach();
	cr_assert_eq(pc_timer_skip(&timer, PIT_HZ), 18);
	cr_assert_eq(pc_timer_skip(&timer, 65536), 1);
	cr_assert_eq(pc_timer_ms(&timer), (uint64_t)(PIT_HZ + 65536) * 1000 / PIT_HZ);
}

/* ---- an interrupt taken in real mode --------------------------------- */

Test(timer, a_real_mode_interrupt_pushes_flags_cs_ip_and_loads_the_vector)
{
	static uint8_t mem[0x20000];
	struct cpu_state s;
	cpu_state_reset(&s);
	cpu_state_set_real_segment(&s, SEG_CS, 0x1000);
	cpu_state_set_real_segment(&s, SEG_SS, 0x0100);
	s.rip = 0x0123;
	s.gpr[GPR_ESP] = 0x0200;
	s.rflags = 0x0302; /* IF and TF */
	mem[8 * 4] = 0x34, mem[8 * 4 + 1] = 0x12, mem[8 * 4 + 2] = 0x00, mem[8 * 4 + 3] = 0xf0;
	cr_assert(x86_real_mode_accepts_interrupt(&s));
	cr_assert_eq(x86_real_mode_interrupt(&s, mem, sizeof(mem), 8), 0);
	cr_assert_eq(s.seg[SEG_CS].selector, 0xf000);
	cr_assert_eq(s.seg[SEG_CS].base, 0xf0000);
	cr_assert_eq(s.rip, 0x1234);
	cr_assert_eq(s.gpr[GPR_ESP], 0x01fa);
	cr_assert_eq(s.rflags & 0x300, 0, "IF and TF cleared");
	const uint8_t frame[6] = { 0x23, 0x01, 0x00, 0x10, 0x02, 0x03 };
	cr_assert_eq(memcmp(mem + 0x1000 + 0x1fa, frame, sizeof(frame)), 0, "ip, cs, flags");
	cr_assert_not(x86_real_mode_accepts_interrupt(&s));
	s.gpr[GPR_ESP] = 0; /* the stack wraps within its segment */
	cr_assert_eq(x86_real_mode_interrupt(&s, mem, sizeof(mem), 8), 0);
	cr_assert_eq(s.gpr[GPR_ESP], 0xfffa);
	cr_assert_eq(x86_real_mode_interrupt(&s, mem, 0x1000, 8), -1, "a stack outside RAM");
}

/* ---- whole runs with firmware, on each backend ------------------------ */

#define RUN_MEM (1u << 20)
#define RUN_LOAD 0x7c00u

struct timer_row {
	const char *name;
	const char *source;
	uint32_t timeout_ms;
	enum outcome outcome;
	int64_t ax;             /* at the end; -1: not checked */
	const char *message;    /* a part of the run's message; NULL: none expected */
	int64_t instructions;   /* counted by hand; -1: not counted */
};

#define HOOK(vector, handler) \
	"  mov word [" #vector "*4], " #handler "\n  mov word [" #vector "*4+2], 0\n"

static const struct timer_row timer_rows[] = {
	{ "a_hlt_with_interrupts_on_waits_for_each_tick",
	  "  sti\n  mov cx, 18\n.w:\n  hlt\n  loop .w\n  mov ax, [0x46c]\n  cli\n  hlt\n", 5000, OUTCOME_HLT, 18, NULL, -1 },
	{ "a_hlt_with_interrupts_off_ends_the_run",
	  "  cli\n  hlt\n", 5000, OUTCOME_HLT, -1, NULL, -1 },
	{ "jmp_self_with_interrupts_off_ends_as_a_halt",
	  "  mov ax, 7\n  cli\n  jmp $\n", 5000, OUTCOME_HLT, 7, "parked in `jmp $` at 0000:7c04, where no interrupt", -1 },
	{ "jmp_self_that_only_the_firmware_can_interrupt_ends_as_a_halt",
	  "  sti\n  jmp $\n", 5000, OUTCOME_HLT, -1, "where only the firmware's timer handler", -1 },
	{ "a_hlt_loop_that_only_the_firmware_can_interrupt_ends_as_a_halt",
	  "  sti\n.h:\n  hlt\n  jmp .h\n", 5000, OUTCOME_HLT, -1, NULL, -1 },
	{ "int_1ch_hooked_wakes_a_parked_guest",
	  /* the count lies away from the code: Unicorn leaks what it keeps
	   * for code that writes its own page */
	  HOOK(0x1c, tick) "  sti\n  jmp $\ntick:\n  inc word [0x600]\n  cmp word [0x600], 3\n  jb .r\n"
	  "  mov ax, [0x600]\n  cli\n  hlt\n.r:\n  iret\n", 5000, OUTCOME_HLT, 3, NULL, -1 },
	{ "an_int_8_handler_without_eoi_gets_one_tick",
	  HOOK(8, tick) "  sti\n  mov cx, 5\n.w:\n  hlt\n  loop .w\n  cli\n  hlt\ntick:\n  mov ax, cx\n  iret\n",
	  5000, OUTCOME_HLT, 5, NULL, -1 },
	{ "an_int_8_handler_with_eoi_gets_every_tick",
	  HOOK(8, tick) "  xor bx, bx\n  sti\n  mov cx, 5\n.w:\n  hlt\n  loop .w\n  mov ax, bx\n  cli\n  hlt\n"
	  "tick:\n  inc bx\n  push ax\n  mov al, 0x20\n  out 0x20, al\n  pop ax\n  iret\n", 5000, OUTCOME_HLT, 5, NULL, -1 },
	{ "irq0_masked_a_hlt_ends_the_run",
	  "  in al, 0x21\n  or al, 1\n  out 0x21, al\n  sti\n  hlt\n  mov ax, 1\n  hlt\n", 5000, OUTCOME_HLT, -1, NULL, -1 },
	{ "a_one_shot_count_wakes_one_hlt",
	  "  mov al, 0x30\n  out 0x43, al\n  mov al, 0xe8\n  out 0x40, al\n  mov al, 0x03\n  out 0x40, al\n"
	  "  sti\n  hlt\n  mov ax, [0x46c]\n  hlt\n  mov ax, 99\n  hlt\n", 5000, OUTCOME_HLT, 1, NULL, -1 },
	{ "waiting_past_the_timeout_is_a_timeout_in_virtual_time",
	  HOOK(0x1c, tick) "  sti\n  jmp $\ntick:\n  iret\n", 300, OUTCOME_TIMEOUT, -1,
	  "still waiting for the timer at the timeout (274 ms of virtual time)", -1 },
	{ "int_15h_86h_moves_the_tick_count",
	  "  mov ah, 0x86\n  mov cx, 0x000f\n  mov dx, 0x4240\n  int 0x15\n  mov ax, [0x46c]\n  cli\n  hlt\n", 5000,
	  OUTCOME_HLT, 18, NULL, -1 },
	{ "a_parked_jmp_self_counts_once",
	  /* sti, mov, 3 * (hlt, loop), cli, jmp $ once; the firmware's
	   * handler is not the guest's */
	  "  sti\n  mov cx, 3\n.w:\n  hlt\n  loop .w\n  cli\n  jmp $\n", 5000, OUTCOME_HLT, -1, "parked", 10 },
};
#define TIMER_ROWS (sizeof(timer_rows) / sizeof(timer_rows[0]))

static const struct backend_ops *const timer_backends[] = { &backend_kvm, &backend_emu };
#define TIMER_BACKENDS (sizeof(timer_backends) / sizeof(timer_backends[0]))

struct timer_param {
	size_t row;
	size_t backend;
};

static void timer_run(const struct backend_ops *ops, const struct timer_row *row, struct run_result *r)
{
	size_t len = 0;
	uint8_t *image = tu_nasm("bits 16\norg 0x7c00\n", row->source, 0x8000, &len);
	struct machine_config cfg = {
		.image = image, .image_len = len, .load_address = RUN_LOAD, .memory_size = RUN_MEM,
		.max_exits = 1000, .timeout_ms = row->timeout_ms, .output_limit = 1024,
		.firmware = { .kind = FIRMWARE_BIOS, .drive = 0x80 },
		.count_instructions = row->instructions >= 0, .instruction_limit = UINT64_MAX,
	};
	cpu_state_reset(&cfg.initial);
	cfg.initial.rip = RUN_LOAD;
	/* The stack in a page of its own: Unicorn leaks what it keeps for a
	 * page of translated code that is written often (ASan would say so). */
	cfg.initial.gpr[GPR_ESP] = 0x7000;
	cfg.initial.rflags = 0x202;
	*r = (struct run_result){0};
	machine_run(ops, &cfg, r);
	free(image);
}

ParameterizedTestParameters(timer, run)
{
	static struct timer_param params[TIMER_ROWS * TIMER_BACKENDS];
	size_t n = 0;
	for (size_t r = 0; r < TIMER_ROWS; r++)
		for (size_t b = 0; b < TIMER_BACKENDS; b++)
			params[n++] = (struct timer_param){ r, b };
	return cr_make_param_array(struct timer_param, params, n);
}

ParameterizedTest(struct timer_param *p, timer, run, .timeout = 60)
{
	const struct timer_row *row = &timer_rows[p->row];
	const struct backend_ops *ops = timer_backends[p->backend];
	char why[200] = "";
	if (!tu_backend_wanted(ops->name))
		cr_skip_test("%s not in KVMCHECK_TEST_BACKENDS", ops->name);
	if (!ops->available(why, sizeof(why)))
		cr_skip_test("no %s here: %s", ops->name, why);
	tu_skip_row_if_asked(row->name);
	cr_log_info("%s on %s", row->name, ops->name);
	struct run_result r;
	timer_run(ops, row, &r);
	const char *message = r.message ? r.message : "";
	cr_expect_eq(r.outcome, row->outcome, "%s on %s: outcome %s (%s)", row->name, ops->name,
		     outcome_name(r.outcome), message);
	if (row->ax >= 0)
		cr_expect_eq(r.regs.gpr[GPR_EAX] & 0xffff, (uint64_t)row->ax, "%s on %s: ax %llu, expected %lld", row->name,
			     ops->name, (unsigned long long)(r.regs.gpr[GPR_EAX] & 0xffff), (long long)row->ax);
	if (row->message)
		cr_expect(strstr(message, row->message), "%s on %s: message '%s' lacks '%s'", row->name, ops->name,
			  message, row->message);
	else
		cr_expect_eq(message[0], '\0', "%s on %s: message '%s'", row->name, ops->name, message);
	if (row->instructions >= 0)
		cr_expect_eq(r.instructions, (uint64_t)row->instructions, "%s on %s: %llu instructions, by hand %lld",
			     row->name, ops->name, (unsigned long long)r.instructions, (long long)row->instructions);
	run_result_free(&r);
}
