#include "machine/machine.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>

#include "core/clock.h"
#include "machine/dev/serial.h"
#include "x86/mode.h"

/* Ports nobody serves read as a floating bus. */
#define UNSERVED_PORT_VALUE 0xff

struct machine_ctx {
	struct serial serial;
	struct bytes *output;
	uint32_t output_limit;
	uint64_t exits;
	uint64_t max_exits;
	bool finished;
	enum outcome outcome;
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

/* Returns 0, or -1 when the run must end (machine_finish says why). */
static int machine_port_write(struct machine_ctx *m, uint16_t port, const uint8_t *data, uint8_t size)
{
	/* A wider access reaches consecutive ports, as on the ISA bus. */
	for (uint8_t i = 0; i < size; i++) {
		uint16_t p = (uint16_t)(port + i);
		if (!serial_owns_port(p))
			continue;
		if (serial_write(&m->serial, p, data[i]) < 0) {
			machine_finish(m, OUTCOME_ERROR, "out of memory storing serial output");
			return -1;
		}
		if (m->output->len > m->output_limit) {
			char why[80];
			m->output->len = m->output_limit; /* what was written up to the cap is kept */
			snprintf(why, sizeof(why), "serial output beyond its limit of %u bytes", m->output_limit);
			machine_finish(m, OUTCOME_OUTPUT_LIMIT, why);
			return -1;
		}
	}
	return 0;
}

static void machine_port_read(struct machine_ctx *m, uint16_t port, uint8_t *data, uint8_t size)
{
	for (uint8_t i = 0; i < size; i++) {
		uint16_t p = (uint16_t)(port + i);
		data[i] = serial_owns_port(p) ? serial_read(&m->serial, p) : UNSERVED_PORT_VALUE;
	}
}

static enum vm_action machine_on_io(struct machine_ctx *m, struct vm_io *io)
{
	for (uint32_t i = 0; i < io->count; i++) {
		if (!machine_take_exit(m))
			return VM_STOP;
		uint8_t *element = io->data + (size_t)i * io->size;
		if (!io->is_write) {
			machine_port_read(m, io->port, element, io->size);
		} else if (machine_port_write(m, io->port, element, io->size) < 0) {
			return VM_STOP;
		}
	}
	return VM_CONTINUE;
}

static enum vm_action machine_on_exit(void *ctx, struct vm_exit *exit)
{
	struct machine_ctx *m = ctx;

	if (exit->kind == VM_EXIT_KICKED) {
		machine_finish(m, OUTCOME_TIMEOUT, "still running at the timeout");
		return VM_STOP;
	}
	if (exit->kind == VM_EXIT_IO)
		return machine_on_io(m, &exit->io);
	if (!machine_take_exit(m))
		return VM_STOP;
	switch (exit->kind) {
	case VM_EXIT_HLT: machine_finish(m, OUTCOME_HLT, NULL); break;
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

static int timeout_arm(const struct backend_ops *ops, struct vm *vm, uint32_t timeout_ms)
{
	struct sigaction sa = { .sa_handler = machine_on_timeout };
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: KVM_RUN must come back with EINTR. */
	if (sigaction(SIGALRM, &sa, NULL) < 0)
		return -1;
	timeout_ops = ops;
	timeout_vm = vm;
	/* The timer repeats: a kick that lands while a backend is between two
	 * runs of its vCPU could be missed, the next one is not. */
	struct itimerval it = { .it_value = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 },
				.it_interval = { .tv_usec = 20000 } };
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
static void machine_drive(const struct backend_ops *ops, struct vm *vm, const struct machine_config *cfg,
			  struct machine_ctx *m, struct run_result *result)
{
	char err[256] = "";
	uint64_t start = clock_ns();

	if (timeout_arm(ops, vm, cfg->timeout_ms) < 0) {
		run_result_host_fault(result, "cannot arm the timeout timer");
		return;
	}
	int rc = ops->run(vm, machine_on_exit, m, err, sizeof(err));
	timeout_disarm();
	result->times.run_ns = clock_ns() - start;
	if (rc < 0 || !m->finished) {
		run_result_host_fault(result, rc < 0 ? err : "backend stopped without an exit");
		return;
	}
	result->outcome = m->outcome;
	result->exits = m->exits;
	if (ops->get_state(vm, &result->regs, err, sizeof(err)) == 0)
		/* kvm-amd resets the vCPU on a triple fault: nothing is left to read. */
		result->regs_valid = m->outcome != OUTCOME_SHUTDOWN;
	char message[400];
	if (m->outcome == OUTCOME_ERROR && result->regs_valid)
		snprintf(message, sizeof(message), "%s (guest at %04x:%04x)", m->reason,
			 result->regs.seg[SEG_CS].selector, (uint32_t)result->regs.rip);
	else
		snprintf(message, sizeof(message), "%s", m->reason);
	run_result_set_message(result, message);
}

void machine_run(const struct backend_ops *ops, const struct machine_config *cfg, struct run_result *result)
{
	char err[256] = "";
	struct machine_ctx m = { .max_exits = cfg->max_exits, .output = &result->output,
				 .output_limit = cfg->output_limit };
	struct vm *vm = NULL;
	uint64_t start = clock_ns();

	result->backend = ops->name;
	serial_init(&m.serial, cfg->input ? cfg->input->data : NULL, cfg->input ? cfg->input->len : 0,
		    &result->output);
	uint8_t *mem = guest_memory_create(cfg, err, sizeof(err));
	if (!mem) {
		run_result_host_fault(result, err);
		return;
	}
	struct cpu_state initial = cfg->initial;
	if (x86_mode_setup(cfg->mode, mem, cfg->memory_size, &initial, err, sizeof(err)) < 0 ||
	    ops->create(&vm, mem, cfg->memory_size, cfg->mode, err, sizeof(err)) < 0 ||
	    ops->set_state(vm, &initial, err, sizeof(err)) < 0) {
		run_result_host_fault(result, err);
	} else {
		result->times.create_ns = clock_ns() - start;
		machine_drive(ops, vm, cfg, &m, result);
	}
	start = clock_ns();
	if (vm)
		ops->destroy(vm);
	munmap(mem, cfg->memory_size);
	result->times.teardown_ns = clock_ns() - start;
}
