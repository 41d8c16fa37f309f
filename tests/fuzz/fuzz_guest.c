/* fuzz_guest: libFuzzer target for the run loop and the Unicorn backend.
 * The bytes are a flat real-mode guest, run by machine_run on the emu
 * backend in 64 KiB of RAM. A guest is hostile by definition, so whatever it
 * does must end in one of the runtime outcomes, inside the budgets, without
 * the host side failing. A broken invariant aborts, which libFuzzer reports
 * like a crash. */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "machine/backend.h"
#include "machine/machine.h"
#include "core/outcome.h"
#include "x86/regs.h"
#include "machine/result.h"

#define GUEST_MEMORY (64u << 10)
/* The image goes in the last 4 KiB (run.sh's -max_len), with every segment
 * register at 0x0f00 and ip 0, so a guest assembled with `org 0` runs as it
 * would in a case. Code that runs off its end meets unmapped memory at
 * 0x10000 and stops; at address 0 it would wrap round a 64 KiB segment of
 * zeros until the timeout, which is what most random images did. */
#define GUEST_LOAD 0xf000u
#define GUEST_SEGMENT (GUEST_LOAD / 16)
#define GUEST_MAX_EXITS 64
/* Random code often spins without an exit, and then every run costs the
 * whole timeout: short keeps throughput up, and the timeout path is the
 * same at any length. */
#define GUEST_TIMEOUT_MS 50
/* Below what GUEST_MAX_EXITS allows, so the output limit can be hit. */
#define GUEST_OUTPUT_LIMIT 32
/* How long machine_run may take before it counts as hung: far beyond
 * GUEST_TIMEOUT_MS plus VM set-up and teardown. */
#define WATCHDOG_SECONDS 10

#define STR_(x) #x
#define STR(x) STR_(x)

/* Some bytes to read, some line status changes, then nothing left. */
static const uint8_t guest_input[] = { 'f', 'u', 'z', 'z', '\n', 0x00, 0xff, 0x1b };

static void describe(const char *label, const struct run_result *r)
{
	fprintf(stderr, "  %s: outcome %s, exits %llu, output %zu bytes, regs_valid %d, host_fault %d, "
		"cs:ip %04x:%04x, message: %s\n", label, outcome_name(r->outcome), (unsigned long long)r->exits,
		r->output.len, r->regs_valid, r->host_fault, r->regs.seg[SEG_CS].selector, (unsigned)r->regs.rip,
		r->message ? r->message : "(none)");
}

static void fail(const char *what, const struct run_result *r)
{
	fprintf(stderr, "fuzz_guest: %s\n", what);
	describe("run", r);
	abort();
}

/* ---- SIGALRM, shared with libFuzzer ----------------------------------------- */

/* machine_run takes over SIGALRM and ITIMER_REAL for its timeout, and
 * libFuzzer uses both for -timeout. Around each run libFuzzer's are saved
 * and put back; during a run machine_run's own timer is the only one, so a
 * run that never returns is caught by a watchdog on a signal of its own. */
struct alarm_state {
	struct sigaction action;
	struct itimerval timer;
};

static timer_t watchdog;

static void watchdog_fired(int sig)
{
	(void)sig;
	static const char msg[] = "fuzz_guest: machine_run hung: no return after " STR(WATCHDOG_SECONDS)
				  " s although its timeout is " STR(GUEST_TIMEOUT_MS) " ms\n";
	ssize_t written = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)written; /* about to abort: nothing to do if it failed */
	abort(); /* libFuzzer's crash handler saves the input */
}

static void watchdog_create(void)
{
	struct sigaction sa = { .sa_handler = watchdog_fired };
	sigemptyset(&sa.sa_mask);
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN + 1 };
	if (sigaction(SIGRTMIN + 1, &sa, NULL) < 0 || timer_create(CLOCK_MONOTONIC, &ev, &watchdog) < 0) {
		perror("fuzz_guest: watchdog");
		exit(1);
	}
}

static void watchdog_set(time_t seconds)
{
	struct itimerspec its = { .it_value = { .tv_sec = seconds } };
	timer_settime(watchdog, 0, &its, NULL);
}

static void alarm_save(struct alarm_state *s)
{
	sigaction(SIGALRM, NULL, &s->action);
	getitimer(ITIMER_REAL, &s->timer);
}

static void alarm_restore(const struct alarm_state *s)
{
	sigaction(SIGALRM, &s->action, NULL);
	setitimer(ITIMER_REAL, &s->timer, NULL);
}

/* ---- known aborts in Unicorn ------------------------------------------------- */

/* Unicorn 2.0.1 (Debian 12) aborts the whole process ("tcg fatal error")
 * while translating some instructions that a real CPU rejects with #UD:
 * FF /3 and FF /5 with a register operand (far call or jump through a
 * register, unicorn-engine/unicorn#1716) and LOCK on instructions that
 * cannot take it (cmp, cmps, bt with a register, some 0F opcodes, with or
 * without other prefixes). kvmcheck's worker process contains the abort (the
 * case ends in `error`), so images holding such bytes are skipped rather
 * than found again and again; run.sh recognises the abort when a guest
 * writes the bytes at run time instead. */
#define OPCODE_LOCK 0xf0
#define OPCODE_GROUP5 0xff

static bool has_far_branch_via_register(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i + 1 < size; i++) {
		uint8_t modrm = data[i + 1];
		uint8_t reg = (modrm >> 3) & 7;
		if (data[i] == OPCODE_GROUP5 && (modrm >> 6) == 3 && (reg == 3 || reg == 5))
			return true;
	}
	return false;
}

static bool may_abort_unicorn(const uint8_t *data, size_t size)
{
	return (size && memchr(data, OPCODE_LOCK, size)) || has_far_branch_via_register(data, size);
}

/* ---- the run and its invariants ---------------------------------------------- */

static bool outcome_is_runtime(enum outcome o)
{
	return o == OUTCOME_HLT || o == OUTCOME_SHUTDOWN || o == OUTCOME_TIMEOUT || o == OUTCOME_MAX_EXITS ||
	       o == OUTCOME_OUTPUT_LIMIT || o == OUTCOME_ERROR || o == OUTCOME_EXIT; /* the exit port, 0xf4 */
}

static void check_budgets(const struct run_result *r)
{
	if (r->exits > GUEST_MAX_EXITS)
		fail("more exits than the budget", r);
	/* "The exit that finds the budget spent is not served": all were. */
	if (r->outcome == OUTCOME_MAX_EXITS && r->exits != GUEST_MAX_EXITS)
		fail("max_exits with budget left", r);
	/* hlt and a triple fault are exits themselves. */
	if ((r->outcome == OUTCOME_HLT || r->outcome == OUTCOME_SHUTDOWN) && r->exits == 0)
		fail("a terminal exit that was not counted", r);
	if (r->output.len > GUEST_OUTPUT_LIMIT)
		fail("more output than the limit", r);
	if (r->outcome == OUTCOME_OUTPUT_LIMIT && r->output.len != GUEST_OUTPUT_LIMIT)
		fail("output_limit without the output up to the limit", r);
	/* Each output byte is one write to 0x3f8, which costs an exit. */
	if (r->output.len > r->exits)
		fail("more output bytes than exits", r);
	/* No firmware is plugged in: every exit is the guest's. */
	if (r->firmware_exits != 0)
		fail("firmware exits without firmware", r);
}

static void check_result(const struct run_result *r)
{
	if (!outcome_is_runtime(r->outcome))
		fail("an outcome a run cannot have", r);
	/* Nothing a guest does may break the host side of the run. */
	if (r->host_fault)
		fail("the guest caused a host fault", r);
	if (!r->backend || strcmp(r->backend, "emu") != 0)
		fail("the result does not name the emu backend", r);
	/* The emu backend can always read registers back, except after a
	 * triple fault, where KVM has none to give and emu must match it. */
	if (r->regs_valid != (r->outcome != OUTCOME_SHUTDOWN))
		fail("registers read back when they should not be, or not when they should", r);
	/* The README promises the reason and where the guest was. */
	if (r->outcome == OUTCOME_ERROR && !(r->message && strstr(r->message, "(guest at ")))
		fail("an error without a reason and cs:ip", r);
	/* Only the timer ends a run by timeout, and it fires no earlier. */
	if (r->outcome == OUTCOME_TIMEOUT && r->times.run_ns < GUEST_TIMEOUT_MS * 1000000ull)
		fail("a timeout before the time was up", r);
	check_budgets(r);
}

static void guest_run(const uint8_t *image, size_t len, struct run_result *r)
{
	static const struct bytes input = { .data = (uint8_t *)guest_input, .len = sizeof(guest_input) };
	struct machine_config cfg = {
		.image = image, .image_len = len, .load_address = GUEST_LOAD, .memory_size = GUEST_MEMORY,
		.input = &input, .max_exits = GUEST_MAX_EXITS, .timeout_ms = GUEST_TIMEOUT_MS,
		.output_limit = GUEST_OUTPUT_LIMIT,
	};
	cpu_state_reset(&cfg.initial);
	for (int i = 0; i < SEG_COUNT; i++)
		cpu_state_set_real_segment(&cfg.initial, i, GUEST_SEGMENT);
	struct alarm_state saved;
	alarm_save(&saved);
	watchdog_set(WATCHDOG_SECONDS);
	*r = (struct run_result){0};
	machine_run(&backend_emu, &cfg, r);
	watchdog_set(0);
	alarm_restore(&saved);
}

static bool same_run(const struct run_result *a, const struct run_result *b)
{
	return a->outcome == b->outcome && a->exits == b->exits && a->regs_valid == b->regs_valid &&
	       (!a->regs_valid || memcmp(&a->regs, &b->regs, sizeof(a->regs)) == 0) &&
	       a->output.len == b->output.len &&
	       (a->output.len == 0 || memcmp(a->output.data, b->output.data, a->output.len) == 0) &&
	       strcmp(a->message ? a->message : "", b->message ? b->message : "") == 0;
}

/* Whether the image holds an instruction that reads the clock or a random
 * source (rdtsc, rdpmc, rdtscp, rdrand, rdseed): such a guest may rightly
 * end differently each time. */
static bool reads_time_or_randomness(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i + 1 < size; i++) {
		if (data[i] != 0x0f)
			continue;
		uint8_t op = data[i + 1];
		if (op == 0x31 || op == 0x33 || op == 0xc7 || (op == 0x01 && i + 2 < size && data[i + 2] == 0xf9))
			return true;
	}
	return false;
}

/* A second run of the same guest must end the same way: reports are meant
 * to be byte-identical run to run, and nothing of one VM may leak into the
 * next. Only the timer may differ: how far a guest gets in the time is up
 * to the machine, so a run that timed out either time is not compared.
 * Code the guest writes itself could still read the clock, so this check
 * runs only when asked (KVMCHECK_FUZZ_REPEAT=1, as make fuzz does): the
 * minute of make check must not fail by chance. */
static void check_repeatable(const uint8_t *data, size_t size, const struct run_result *first)
{
	static int enabled = -1;
	if (enabled < 0)
		enabled = getenv("KVMCHECK_FUZZ_REPEAT") && strcmp(getenv("KVMCHECK_FUZZ_REPEAT"), "1") == 0;
	if (!enabled || first->outcome == OUTCOME_TIMEOUT || reads_time_or_randomness(data, size))
		return;
	struct run_result again;
	guest_run(data, size, &again);
	if (again.outcome != OUTCOME_TIMEOUT && !same_run(first, &again)) {
		describe("second run", &again);
		fail("a guest run twice ended differently", first);
	}
	run_result_free(&again);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	watchdog_create();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An image that does not fit is machine_run's to refuse, as a host
	 * fault; the fuzzer is after guests, so those are not run. */
	if (size > GUEST_MEMORY - GUEST_LOAD || may_abort_unicorn(data, size))
		return 0;
	struct run_result r;
	guest_run(data, size, &r);
	check_result(&r);
	check_repeatable(data, size, &r);
	run_result_free(&r);
	return 0;
}
