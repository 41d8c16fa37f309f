#include "machine/machine.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <time.h>

#include "core/clock.h"
#include "machine/dev/debug_exit.h"
#include "machine/dev/device.h"
#include "machine/dev/doorbell.h"
#include "machine/dev/pio.h"
#include "machine/dev/serial.h"
#include "machine/dev/sink.h"
#include "machine/dev/timer.h"
#include "x86/insn.h"
#include "x86/real_interrupt.h"
#include "x86/mode.h"
#include "x86/system_insn.h"

/* The machine's devices. A new device is a file in dev/ and a line here. */
static const struct device_type *const machine_devices[] = {
	&serial_device,
	&doorbell_device,
	&debug_exit_device,
	&firmware_device,
	&timer_device,
};
#define MACHINE_DEVICES (sizeof(machine_devices) / sizeof(machine_devices[0]))

/* Why the vCPU came back without an outcome (runs with a timer only): the
 * guest waits in a hlt, or it may be parked in a `jmp $` (the backend saw
 * it, or a poll's kick asks). */
enum machine_wake { WAKE_NONE, WAKE_HLT, WAKE_LOOK };

/* How often a run with a timer looks for a guest parked in `jmp $`. */
#define MACHINE_POLL_US 1000

struct machine_ctx {
	struct pio_bus bus;
	struct pc_timer timer;
	enum machine_wake wake;
	struct hlt_wake hlt_woke;
	bool polls;          /* kicks look for a parked guest until the deadline */
	uint64_t deadline_ns;
	struct output_sink output;
	struct output_sink console;
	void *device_state[MACHINE_DEVICES];
	uint64_t exits;
	uint64_t firmware_exits;
	uint64_t max_exits;
	bool finished;
	uint64_t instruction_limit;
	enum outcome outcome;
	uint32_t exit_code;
	char reason[200];
};

/* The VM the timeout signal must kick. Only one case runs per process at a
 * time, so one slot is enough. */
static const struct backend_ops *volatile timeout_ops;
static struct vm *volatile timeout_vm;

static void machine_finish(struct machine_ctx *m, enum outcome outcome, const char *reason)
{
	if (m->finished)
		return;
	m->finished = true;
	m->outcome = outcome;
	snprintf(m->reason, sizeof(m->reason), "%s", reason ? reason : "");
}

/* Every exit the guest causes costs one unit of budget; the one that finds
 * the budget spent is not served. */
static bool machine_take_exit(struct machine_ctx *m)
{
	if (m->exits >= m->max_exits) {
		char why[80];
		snprintf(why, sizeof(why), "exit budget of %llu spent", (unsigned long long)m->max_exits);
		machine_finish(m, OUTCOME_MAX_EXITS, why);
		return false;
	}
	m->exits++;
	return true;
}

/* Exits into a firmware device (the doorbell) are counted apart and cost the
 * guest's budget nothing: the firmware's work is not the student's. Only the
 * timeout bounds them. */
static bool machine_take_io_exit(struct machine_ctx *m, uint16_t port)
{
	if (pio_is_firmware(&m->bus, port)) {
		m->firmware_exits++;
		return true;
	}
	return machine_take_exit(m);
}

static enum vm_action machine_on_io(struct machine_ctx *m, struct vm_io *io)
{
	for (uint32_t i = 0; i < io->count; i++) {
		if (!machine_take_io_exit(m, io->port))
			return VM_STOP;
		uint8_t *element = io->data + (size_t)i * io->size;
		struct dev_stop stop;
		int rc = io->is_write ? pio_write(&m->bus, io->port, element, io->size, &stop)
				      : pio_read(&m->bus, io->port, element, io->size, &stop);
		if (rc < 0) {
			machine_finish(m, stop.outcome, stop.reason);
			m->exit_code = stop.exit_code;
			return VM_STOP;
		}
	}
	return VM_CONTINUE;
}

/* Counting exits cost no budget: they are ours, not the guest's. */
static void machine_finish_instruction_limit(struct machine_ctx *m)
{
	char why[120];
	snprintf(why, sizeof(why), "stopped after %llu instructions: more than the limit of %llu",
		 (unsigned long long)m->instruction_limit + 1, (unsigned long long)m->instruction_limit);
	machine_finish(m, OUTCOME_MAX_INSTRUCTIONS, why);
}

static enum vm_action machine_on_exit(void *ctx, struct vm_exit *exit)
{
	struct machine_ctx *m = ctx;

	if (exit->kind == VM_EXIT_PARKED) {
		m->wake = WAKE_LOOK;
		return VM_STOP;
	}
	if (exit->kind == VM_EXIT_KICKED) {
		if (m->polls && clock_ns() < m->deadline_ns)
			m->wake = WAKE_LOOK;
		else
			machine_finish(m, OUTCOME_TIMEOUT, "still running at the timeout");
		return VM_STOP;
	}
	if (exit->kind == VM_EXIT_IO)
		return machine_on_io(m, &exit->io);
	if (exit->kind == VM_EXIT_INSN_LIMIT) {
		machine_finish_instruction_limit(m);
		return VM_STOP;
	}
	if (!machine_take_exit(m))
		return VM_STOP;
	switch (exit->kind) {
	case VM_EXIT_INSN_LIMIT: machine_finish_instruction_limit(m); break;
	case VM_EXIT_HLT:
		if (m->timer.present)
			m->wake = WAKE_HLT;
		else
			machine_finish(m, OUTCOME_HLT, NULL);
		break;
	case VM_EXIT_SHUTDOWN: machine_finish(m, OUTCOME_SHUTDOWN, "triple fault"); break;
	default: machine_finish(m, OUTCOME_ERROR, exit->reason); break;
	}
	return VM_STOP;
}

static void machine_on_timeout(int sig)
{
	(void)sig;
	struct vm *vm = timeout_vm;
	if (vm)
		timeout_ops->kick(vm);
}

static int timeout_arm(const struct backend_ops *ops, struct vm *vm, uint32_t timeout_ms, bool poll)
{
	struct sigaction sa = { .sa_handler = machine_on_timeout };
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: KVM_RUN must come back with EINTR. */
	if (sigaction(SIGALRM, &sa, NULL) < 0)
		return -1;
	timeout_ops = ops;
	timeout_vm = vm;
	/* The timer repeats: a kick that lands while a backend is between two
	 * runs of its vCPU could be missed, the next one is not. A run that
	 * polls is kicked from the start, and knows the timeout by the clock. */
	struct itimerval it = { .it_value = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 },
				.it_interval = { .tv_usec = 20000 } };
	if (poll)
		it.it_value = it.it_interval = (struct timeval){ .tv_usec = MACHINE_POLL_US };
	return setitimer(ITIMER_REAL, &it, NULL);
}

static void timeout_disarm(void)
{
	struct itimerval off = {0};
	setitimer(ITIMER_REAL, &off, NULL);
	timeout_vm = NULL;
}

static uint8_t *guest_memory_create(const struct machine_config *cfg, char *err, size_t err_len)
{
	if ((uint64_t)cfg->load_address + cfg->image_len > x86_mode_tables_base(cfg->mode, cfg->memory_size)) {
		snprintf(err, err_len, "guest image of %zu bytes at 0x%x does not fit in %u bytes of RAM%s",
			 cfg->image_len, cfg->load_address, cfg->memory_size,
			 cfg->mode == X86_MODE_REAL ? "" : " below the mode's tables");
		return NULL;
	}
	uint8_t *mem = mmap(NULL, cfg->memory_size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED) {
		snprintf(err, err_len, "cannot allocate %u bytes of guest RAM: %s", cfg->memory_size, strerror(errno));
		return NULL;
	}
	memcpy(mem + cfg->load_address, cfg->image, cfg->image_len);
	return mem;
}

/* Runs the vCPU to its outcome and reads the registers back. */
/* Where the guest stood when the run ended with an error: inside the
 * firmware, the interrupt it called and where from. */
static void machine_error_message(const struct machine_config *cfg, uint8_t *mem, const struct machine_ctx *m,
				  const struct run_result *result, char *message, size_t len)
{
	const struct guest_ram ram = { .base = mem, .size = cfg->memory_size };
	uint8_t vector;
	uint16_t cs, ip;
	if (cfg->firmware.kind != FIRMWARE_NONE && firmware_caller(&ram, &result->regs, &vector, &cs, &ip))
		snprintf(message, len, "%s (int %02Xh called at %04x:%04x)", m->reason, vector, cs, ip);
	else
		snprintf(message, len, "%s (guest at %04x:%04x)", m->reason, result->regs.seg[SEG_CS].selector,
			 (uint32_t)result->regs.rip);
}

/* Up to max bytes of code at cs:ip, as far as RAM goes. */
static size_t machine_code_at(const uint8_t *mem, uint32_t mem_size, const struct cpu_state *s, uint8_t *code,
			      size_t max)
{
	uint64_t at = s->seg[SEG_CS].base + (s->cr0 & CR0_PE ? s->rip : (uint16_t)s->rip);
	size_t len = 0;
	while (len < max && at + len < mem_size) {
		code[len] = mem[at + len];
		len++;
	}
	return len;
}

/* A hlt followed by a jump back to it (`.h: hlt / jmp .h`), seen from
 * past the hlt, where the CPU leaves ip: it sleeps as for good as a `jmp $`. */
static bool machine_hlt_loop(const uint8_t *code, size_t len)
{
	return len >= 2 && code[0] == 0xeb && code[1] == 0xfd;
}

static void machine_finish_parked(struct machine_ctx *m, const struct cpu_state *s, const char *why)
{
	char reason[200];
	snprintf(reason, sizeof(reason), "parked in `jmp $` at %04x:%04x, %s", s->seg[SEG_CS].selector,
		 (uint32_t)s->rip, why);
	machine_finish(m, OUTCOME_HLT, reason);
}

/* The guest waits (a hlt, or a `jmp $` a poll found): virtual time moves
 * to the timer's next IRQ0, which is taken as the CPU takes it, unless
 * nothing can ever interrupt the wait or nothing but the firmware would
 * run if it did: then the run ends as a halt (README, "The timer"). A poll
 * that finds the guest busy changes nothing. Returns -1 when the backend
 * failed (err filled). */
static int machine_wait(const struct backend_ops *ops, struct vm *vm, const struct machine_config *cfg, uint8_t *mem,
			struct machine_ctx *m, char *err, size_t err_len)
{
	struct cpu_state s;
	if (ops->get_state(vm, &s, err, err_len) < 0)
		return -1;
	uint8_t code[8];
	size_t len = machine_code_at(mem, cfg->memory_size, &s, code, sizeof(code));
	bool parked = x86_insn_is_jump_to_self(code, len, !(s.cr0 & CR0_PE));
	if (m->wake == WAKE_LOOK && !parked)
		return 0;
	if (!x86_real_mode_accepts_interrupt(&s) || !pc_timer_can_interrupt(&m->timer)) {
		if (parked)
			machine_finish_parked(m, &s, "where no interrupt can reach it");
		else
			machine_finish(m, OUTCOME_HLT, NULL);
		return 0;
	}
	const struct guest_ram ram = { .base = mem, .size = cfg->memory_size };
	if ((parked || machine_hlt_loop(code, len)) && firmware_timer_unhooked(&ram)) {
		if (parked)
			machine_finish_parked(m, &s, "where only the firmware's timer handler can interrupt it");
		else
			machine_finish(m, OUTCOME_HLT, NULL);
		return 0;
	}
	if (pc_timer_next_event(&m->timer) * 1000 / PIT_HZ > cfg->timeout_ms) {
		char why[120];
		snprintf(why, sizeof(why), "still waiting for the timer at the timeout (%llu ms of virtual time)",
			 (unsigned long long)pc_timer_ms(&m->timer));
		machine_finish(m, OUTCOME_TIMEOUT, why);
		return 0;
	}
	if (m->wake == WAKE_HLT && s.seg[SEG_CS].base + (uint16_t)s.rip - 1 < FIRMWARE_BASE)
		m->hlt_woke = (struct hlt_wake){ .woke = true, .cs = s.seg[SEG_CS].selector, .ip = (uint16_t)(s.rip - 1) };
	if (x86_real_mode_interrupt(&s, mem, cfg->memory_size, pc_timer_raise(&m->timer)) < 0) {
		machine_finish(m, OUTCOME_ERROR, "the timer's interrupt cannot be taken: the stack or the vector "
						 "table lies outside RAM");
		return 0;
	}
	return ops->set_state(vm, &s, err, err_len);
}

/* A guest that made a hypercall spins at it on a KVM that emulates real
 * mode: found standing there at the timeout, the case ends as emu ends it
 * at the instruction (README, "vmcall and vmmcall"). */
static void machine_explain_hypercall(const struct machine_config *cfg, const uint8_t *mem, struct machine_ctx *m,
				      const struct cpu_state *regs)
{
	uint8_t code[16];
	size_t len = machine_code_at(mem, cfg->memory_size, regs, code, sizeof(code));
	const char *mnemonic = sys_hypercall_at(code, len, x86_mode_of(regs) == X86_MODE_LONG);
	if (!mnemonic)
		return;
	m->outcome = OUTCOME_ERROR;
	sys_hypercall_reason(m->reason, sizeof(m->reason), mnemonic);
}

static void machine_drive(const struct backend_ops *ops, struct vm *vm, const struct machine_config *cfg,
			  uint8_t *mem, struct machine_ctx *m, struct run_result *result)
{
	char err[256] = "";
	uint64_t start = clock_ns();
	int rc;

	m->deadline_ns = start + (uint64_t)cfg->timeout_ms * 1000000u;
	if (timeout_arm(ops, vm, cfg->timeout_ms, m->polls) < 0) {
		run_result_host_fault(result, "cannot arm the timeout timer");
		return;
	}
	do {
		m->wake = WAKE_NONE;
		rc = ops->run(vm, machine_on_exit, m, err, sizeof(err));
		if (rc == 0 && !m->finished && m->wake != WAKE_NONE)
			rc = machine_wait(ops, vm, cfg, mem, m, err, sizeof(err));
	} while (rc == 0 && !m->finished && m->wake != WAKE_NONE);
	timeout_disarm();
	result->times.run_ns = clock_ns() - start;
	if (rc < 0 || !m->finished) {
		run_result_host_fault(result, rc < 0 ? err : "backend stopped without an exit");
		return;
	}
	result->outcome = m->outcome;
	result->exit_code = m->outcome == OUTCOME_EXIT ? m->exit_code : 0;
	result->exits = m->exits;
	result->firmware_exits = m->firmware_exits;
	result->hlt_woke = m->hlt_woke;
	if (cfg->count_instructions) {
		result->instructions_counted = true;
		result->instructions = ops->instructions(vm);
	}
	if (cfg->trace_last && ops->last_instructions)
		result->last_count = ops->last_instructions(vm, result->last_linear, RUN_LAST_INSNS);
	if (ops->get_state(vm, &result->regs, err, sizeof(err)) == 0)
		/* kvm-amd resets the vCPU on a triple fault: nothing is left to read. */
		result->regs_valid = m->outcome != OUTCOME_SHUTDOWN;
	if (m->outcome == OUTCOME_TIMEOUT && result->regs_valid) {
		machine_explain_hypercall(cfg, mem, m, &result->regs);
		result->outcome = m->outcome;
	}
	char message[400];
	if (m->outcome == OUTCOME_ERROR && result->regs_valid)
		machine_error_message(cfg, mem, m, result, message, sizeof(message));
	else
		snprintf(message, sizeof(message), "%s", m->reason);
	run_result_set_message(result, message);
}

/* Gives every device its state and lets it claim its ports. Returns 0, or -1
 * with err filled; machine_detach_devices frees what was given either way. */
static int machine_attach_devices(struct machine_ctx *m, const struct device_env *env, char *err, size_t err_len)
{
	for (size_t i = 0; i < MACHINE_DEVICES; i++) {
		const struct device_type *type = machine_devices[i];
		m->device_state[i] = calloc(1, type->state_size);
		if (!m->device_state[i]) {
			snprintf(err, err_len, "cannot allocate the %s device", type->name);
			return -1;
		}
		if (type->attach(m->device_state[i], env, err, err_len) < 0)
			return -1;
	}
	return 0;
}

static void machine_detach_devices(struct machine_ctx *m)
{
	for (size_t i = 0; i < MACHINE_DEVICES; i++) {
		free(m->device_state[i]);
		m->device_state[i] = NULL;
	}
}

/* The text screen as the run left it, whoever wrote it (the firmware or the
 * guest itself), when RAM reaches that far. */
static void machine_keep_screen(const struct machine_config *cfg, const uint8_t *mem, struct run_result *result)
{
	if (cfg->keep_screen && (uint64_t)SCREEN_BASE + SCREEN_BYTES <= cfg->memory_size && !result->host_fault &&
	    bytes_append(&result->screen, mem + SCREEN_BASE, SCREEN_BYTES) < 0)
		run_result_host_fault(result, "cannot keep the screen: out of memory");
}

/* The ranges of RAM the case checks (expect.memory), as the run left them. */
static void machine_keep_memory(const struct machine_config *cfg, const uint8_t *mem, struct run_result *result)
{
	for (size_t i = 0; i < cfg->keep_memory_count && !result->host_fault; i++) {
		const struct memory_range *range = &cfg->keep_memory[i];
		if (range->address > cfg->memory_size || range->length > cfg->memory_size - range->address)
			run_result_host_fault(result, "a range of memory to keep lies outside the guest's RAM");
		else if (bytes_append(&result->memory, mem + range->address, range->length) < 0)
			run_result_host_fault(result, "cannot keep the guest's memory: out of memory");
	}
}

/* Asks the backend to count, when the case wants the figure; instructions
 * of the firmware do not count (the firmware's work is not the student's). */
static int machine_count_instructions(const struct backend_ops *ops, struct vm *vm, const struct machine_config *cfg,
				      char *err, size_t err_len)
{
	if (!cfg->count_instructions)
		return 0;
	if (!ops->count_instructions) {
		snprintf(err, err_len, "the %s backend cannot count instructions", ops->name);
		return -1;
	}
	struct insn_count_config count = { .limit = cfg->instruction_limit };
	if (cfg->doorbell || cfg->firmware.kind != FIRMWARE_NONE) {
		count.skip_base = FIRMWARE_BASE;
		count.skip_end = FIRMWARE_MIN_MEMORY;
	}
	count.park_once = cfg->firmware.kind != FIRMWARE_NONE;
	return ops->count_instructions(vm, &count, err, err_len);
}

/* Asks the backend to keep the last instructions, when this run is to
 * explain a fault; the firmware's are not the student's. */
static int machine_trace_last(const struct backend_ops *ops, struct vm *vm, const struct machine_config *cfg,
			      char *err, size_t err_len)
{
	if (!cfg->trace_last || !ops->trace_last)
		return 0;
	bool firmware = cfg->doorbell || cfg->firmware.kind != FIRMWARE_NONE;
	return ops->trace_last(vm, firmware ? FIRMWARE_BASE : 0, firmware ? FIRMWARE_MIN_MEMORY : 0, err, err_len);
}

/* A run with a timer must know when the guest parks itself in a `jmp $`:
 * the backend reports it, or the loop's kicks look for it. */
static int machine_watch_parking(const struct backend_ops *ops, struct vm *vm, struct machine_ctx *m, char *err,
				 size_t err_len)
{
	m->polls = m->timer.present && !ops->watch_parking;
	if (!m->timer.present || !ops->watch_parking)
		return 0;
	return ops->watch_parking(vm, err, err_len);
}

/* Plugs the devices in and runs the guest in a VM over mem. */
static void machine_boot(const struct backend_ops *ops, const struct machine_config *cfg, uint8_t *mem,
			 uint64_t start, struct machine_ctx *m, struct run_result *result)
{
	char err[256] = "";
	struct vm *vm = NULL;
	struct device_env env = {
		.bus = &m->bus, .input = cfg->input, .output = &m->output,
		.ram = { .base = mem, .size = cfg->memory_size }, .services = cfg->doorbell,
		.console = &m->console, .firmware = &cfg->firmware,
		.timer = m->timer.present ? &m->timer : NULL,
	};

	struct cpu_state initial = cfg->initial;
	if (machine_attach_devices(m, &env, err, sizeof(err)) < 0 ||
	    x86_mode_setup(cfg->mode, mem, cfg->memory_size, &initial, err, sizeof(err)) < 0 ||
	    ops->create(&vm, mem, cfg->memory_size, cfg->mode, err, sizeof(err)) < 0 ||
	    ops->set_state(vm, &initial, err, sizeof(err)) < 0 ||
	    machine_count_instructions(ops, vm, cfg, err, sizeof(err)) < 0 ||
	    machine_trace_last(ops, vm, cfg, err, sizeof(err)) < 0 ||
	    machine_watch_parking(ops, vm, m, err, sizeof(err)) < 0) {
		run_result_host_fault(result, err);
	} else {
		if ((cfg->doorbell || cfg->firmware.kind != FIRMWARE_NONE) && ops->firmware_present)
			ops->firmware_present(vm);
		result->times.create_ns = clock_ns() - start;
		machine_drive(ops, vm, cfg, mem, m, result);
	}
	machine_keep_screen(cfg, mem, result);
	machine_keep_memory(cfg, mem, result);
	start = clock_ns();
	if (vm)
		ops->destroy(vm);
	machine_detach_devices(m);
	result->times.teardown_ns = clock_ns() - start;
}

void machine_process_setup(void)
{
	/* Best effort: without it runs are slower, not different. */
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
}

static void machine_run_once(const struct backend_ops *ops, const struct machine_config *cfg, struct run_result *result)
{
	char err[256] = "";
	struct machine_ctx m = { .max_exits = cfg->max_exits, .instruction_limit = cfg->instruction_limit };
	uint64_t start = clock_ns();

	result->backend = ops->name;
	pio_bus_init(&m.bus);
	if (cfg->firmware.kind != FIRMWARE_NONE)
		pc_timer_reset(&m.timer);
	output_sink_init(&m.output, &result->output, cfg->output_limit, "serial output");
	output_sink_init(&m.console, &result->console, cfg->output_limit, "console output");
	uint8_t *mem = guest_memory_create(cfg, err, sizeof(err));
	if (!mem) {
		run_result_host_fault(result, err);
		return;
	}
	machine_boot(ops, cfg, mem, start, &m, result);
	start = clock_ns();
	munmap(mem, cfg->memory_size);
	result->times.teardown_ns += clock_ns() - start;
}

/* A run the guest ended by a fault (or a triple fault) is worth explaining
 * with its last instructions, where the backend can keep them; others
 * (a pass, a wrong output, a timeout) are not run again. */
static bool machine_worth_tracing(const struct backend_ops *ops, const struct machine_config *cfg,
				  const struct run_result *result)
{
	return ops->trace_last && !cfg->trace_last && !result->host_fault &&
	       (result->outcome == OUTCOME_ERROR || result->outcome == OUTCOME_SHUTDOWN);
}

void machine_run(const struct backend_ops *ops, const struct machine_config *cfg, struct run_result *result)
{
	machine_run_once(ops, cfg, result);
	if (!machine_worth_tracing(ops, cfg, result))
		return;
	/* Keeping them costs a hook on every instruction, so only this second
	 * run pays it; the guest is deterministic, and a run that ends any
	 * other way (at the timeout, say) is not the one to explain. */
	struct machine_config traced_cfg = *cfg;
	traced_cfg.trace_last = true;
	struct run_result traced = {0};
	machine_run_once(ops, &traced_cfg, &traced);
	if (!traced.host_fault && traced.outcome == result->outcome) {
		memcpy(result->last_linear, traced.last_linear, sizeof(result->last_linear));
		result->last_count = traced.last_count;
	}
	run_result_free(&traced);
}
