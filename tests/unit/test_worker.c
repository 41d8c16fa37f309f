/* Unit tests of worker.c: a machine run in a child process comes back whole,
 * and a backend that crashes or wedges costs only its own case. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/worker.h"

#include "fake_backend.h"

static struct run_result result;

static void worker_fini(void)
{
	run_result_free(&result);
}

TestSuite(worker, .fini = worker_fini);

static _Noreturn int crashing_run(struct vm *vm, vm_exit_handler h, void *ctx, char *err, size_t len)
{
	(void)vm, (void)h, (void)ctx, (void)err, (void)len;
	abort();
}

/* As Unicorn does when it cannot map its code buffer under a low ulimit -v. */
static _Noreturn int complaining_run(struct vm *vm, vm_exit_handler h, void *ctx, char *err, size_t len)
{
	(void)vm, (void)h, (void)ctx, (void)err, (void)len;
	fprintf(stderr, "Could not allocate dynamic translator buffer\n");
	for (int i = 0; i < 500; i++)
		fprintf(stderr, "and then some more noise, line %d\n", i);
	_exit(1); /* Unicorn calls exit(1); the test's own exit handlers must not run here */
}

static _Noreturn int wedged_run(struct vm *vm, vm_exit_handler h, void *ctx, char *err, size_t len)
{
	(void)vm, (void)h, (void)ctx, (void)err, (void)len;
	for (;;)
		pause(); /* deaf to kicks, as a stuck backend would be */
}

static const struct backend_ops crashing = {
	.name = "crashing", .available = always, .create = fake_create, .set_state = fake_state,
	.get_state = (int (*)(struct vm *, struct cpu_state *, char *, size_t))fake_state,
	.run = crashing_run, .kick = fake_kick, .destroy = fake_destroy,
};

static const struct backend_ops complaining = {
	.name = "complaining", .available = always, .create = fake_create, .set_state = fake_state,
	.get_state = (int (*)(struct vm *, struct cpu_state *, char *, size_t))fake_state,
	.run = complaining_run, .kick = fake_kick, .destroy = fake_destroy,
};

static const struct backend_ops wedged = {
	.name = "wedged", .available = always, .create = fake_create, .set_state = fake_state,
	.get_state = (int (*)(struct vm *, struct cpu_state *, char *, size_t))fake_state,
	.run = wedged_run, .kick = fake_kick, .destroy = fake_destroy,
};

/* mov dx,0x3f8; mov al,'A'; out dx,al; hlt */
static const uint8_t hello[] = { 0xba, 0xf8, 0x03, 0xb0, 'A', 0xee, 0xf4 };

static struct machine_config config(uint32_t timeout_ms)
{
	struct machine_config cfg = {
		.image = hello, .image_len = sizeof(hello), .memory_size = 1u << 20,
		.max_exits = 100, .timeout_ms = timeout_ms, .output_limit = 1024,
	};
	cpu_state_reset(&cfg.initial);
	return cfg;
}

Test(worker, a_run_comes_back_whole)
{
	struct machine_config cfg = config(5000);
	worker_run_machine(&backend_emu, &cfg, 10000, &result);
	cr_assert_eq(result.outcome, OUTCOME_HLT);
	cr_assert_eq(result.exits, 2);
	cr_assert_eq(result.output.len, 1);
	cr_assert_eq(result.output.data[0], 'A');
	cr_assert(result.regs_valid);
	cr_assert_eq(result.regs.rip, sizeof(hello));
	cr_assert_str_eq(result.backend, "emu");
	cr_assert_not(result.host_fault);
}

Test(worker, a_crashing_backend_is_an_error_of_its_case)
{
	struct machine_config cfg = config(5000);
	worker_run_machine(&crashing, &cfg, 10000, &result);
	cr_assert_eq(result.outcome, OUTCOME_ERROR);
	cr_assert(result.host_fault);
	cr_assert_not_null(strstr(result.message, "crashed (signal 6"), "%s", result.message);
}

Test(worker, a_wedged_backend_is_killed)
{
	struct machine_config cfg = config(10);
	worker_run_machine(&wedged, &cfg, 100, &result);
	cr_assert_eq(result.outcome, OUTCOME_ERROR);
	cr_assert(result.host_fault);
	cr_assert_not_null(strstr(result.message, "did not finish within 110 ms"), "%s", result.message);
}

/* What the worker said on stderr is its case's, bounded, not kvmcheck's. */
Test(worker, a_failed_workers_stderr_is_in_its_message)
{
	struct machine_config cfg = config(5000);
	worker_run_machine(&complaining, &cfg, 10000, &result);
	cr_assert_eq(result.outcome, OUTCOME_ERROR);
	cr_assert(result.host_fault);
	cr_assert_not_null(strstr(result.message, "failed (exit status 1); it said: Could not allocate dynamic "
						  "translator buffer"), "%s", result.message);
	cr_assert_not_null(strstr(result.message, " [...]"), "the cut is not marked: %s", result.message);
	cr_assert_lt(strlen(result.message), 1400u, "%zu bytes", strlen(result.message));
}

/* The ranges of RAM a case checks come back from the child, and with the
 * places of expect.memory they cross the pool's pipe whole. */
Test(worker, kept_memory_and_its_places_come_back)
{
	struct machine_config cfg = config(5000);
	const struct memory_range ranges[] = { { .address = 0, .length = 3 }, { .address = 5, .length = 2 } };
	cfg.keep_memory = ranges;
	cfg.keep_memory_count = 2;
	worker_run_machine(&backend_emu, &cfg, 10000, &result);
	cr_assert_eq(result.outcome, OUTCOME_HLT);
	cr_assert_eq(result.memory.len, 5);
	cr_assert_eq(memcmp(result.memory.data, "\xba\xf8\x03\xee\xf4", 5), 0);

	struct memory_place places[] = { { MEMORY_PLACE_READ, 0 }, { MEMORY_PLACE_UNDEFINED, 0 },
					 { MEMORY_PLACE_READ, 5 } };
	result.memory_places = malloc(sizeof(places));
	cr_assert_not_null(result.memory_places);
	memcpy(result.memory_places, places, sizeof(places));
	result.memory_place_count = 3;
	struct bytes wire = {0};
	cr_assert_eq(worker_result_encode(&result, &wire), 0);
	struct run_result back;
	size_t used = 0;
	cr_assert(worker_result_read(wire.data, wire.len, &backend_emu, &back, &used));
	cr_assert_eq(used, wire.len);
	cr_assert_eq(back.memory_place_count, 3);
	cr_assert_eq(memcmp(back.memory_places, places, sizeof(places)), 0);
	cr_assert_eq(back.memory.len, 5);
	cr_assert_eq(memcmp(back.memory.data, result.memory.data, 5), 0);
	run_result_free(&back);
	cr_assert_not(worker_result_read(wire.data, wire.len - 1, &backend_emu, &back, &used), "a short read is refused");
	run_result_free(&back);
	bytes_free(&wire);
}

Test(worker, a_range_beyond_ram_is_the_hosts_fault)
{
	struct machine_config cfg = config(5000);
	const struct memory_range beyond = { .address = (1u << 20) - 1, .length = 2 };
	cfg.keep_memory = &beyond;
	cfg.keep_memory_count = 1;
	worker_run_machine(&backend_emu, &cfg, 10000, &result);
	cr_assert(result.host_fault);
	cr_assert_str_eq(result.message, "a range of memory to keep lies outside the guest's RAM");
}
