/* Unit tests of scheduler.c: every case runs once whatever -j, each with
 * the result kvmcheck's own process gives it, and a stop ends the run with
 * no child left. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "assemble/sandbox/zygote.h"
#include "core/defaults.h"
#include "run/scheduler.h"
#include "fake_backend.h"
#include "testutil.h"

/* One of each ending a case can have without a long wait. */
static const char suite[] =
	"name: halts\nsource: \"mov al, 'A'\\nmov dx, 0x3f8\\nout dx, al\\nhlt\"\n"
	"---\nname: times out\nsource: \"jmp $\"\ntimeout_ms: 50\nexpect: {exit: timeout}\n"
	"---\nname: invalid\nsource: hlt\nbogus: 1\n"
	"---\nname: does not assemble\nsource: \"not an instruction\"\n"
	"---\nname: halts again, same source\nsource: \"mov al, 'A'\\nmov dx, 0x3f8\\nout dx, al\\nhlt\"\ninput: x\n"
	"---\nname: spends its budget\nsource: \"l: out dx, al\\njmp l\"\nmax_exits: 5\nexpect: {exit: max_exits}\n";

struct collected {
	struct run_result results[16];
	int calls[16];
	size_t count;
};

static void collect(void *ctx, size_t i, struct run_result *r)
{
	struct collected *c = ctx;
	cr_assert_lt(i, 16);
	c->results[i] = *r;
	c->calls[i]++;
	c->count++;
}

static void collected_free(struct collected *c)
{
	for (size_t i = 0; i < 16; i++)
		run_result_free(&c->results[i]);
}

static void suite_load(struct case_list *list)
{
	*list = (struct case_list){0};
	cr_assert_eq(case_text_load("suite.yaml", suite, sizeof(suite) - 1, list), 0);
	cr_assert_eq(list->count, 6);
}

static struct runner runner_make(bool in_process)
{
	struct runner rn = { .backend = &backend_emu, .cache = assembly_cache_new(), .in_process = in_process };
	runner_options_default(&rn.opt);
	rn.opt.unsafe_assembler = true; /* confined where the host allows; test_sandbox.c tests that */
	cr_assert_not_null(rn.cache);
	return rn;
}

/* What every -j must give: the results of runner_run_case in this process. */
static void expected_results(const struct case_list *list, struct run_result *out)
{
	struct runner rn = runner_make(true);
	for (size_t i = 0; i < list->count; i++)
		runner_run_case(&rn, &list->items[i], &out[i]);
	assembly_cache_free(rn.cache);
}

Test(scheduler, every_jobs_count_gives_the_in_process_results)
{
	if (!tu_backend_wanted("emu"))
		cr_skip("emu not wanted here");
	struct case_list list;
	suite_load(&list);
	struct run_result want[6] = {0};
	expected_results(&list, want);
	static const unsigned jobs[] = { 1, 2, 3, 8 };
	for (size_t j = 0; j < sizeof(jobs) / sizeof(jobs[0]); j++) {
		struct runner rn = runner_make(false);
		struct collected got = {0};
		struct scheduler s = { .runner = &rn, .jobs = jobs[j], .wake_fd = -1 };
		cr_assert_eq(scheduler_run(&s, list.items, list.count, collect, &got), 0);
		cr_assert_eq(got.count, list.count, "-j %u", jobs[j]);
		for (size_t i = 0; i < list.count; i++) {
			cr_assert_eq(got.calls[i], 1, "-j %u case %zu", jobs[j], i);
			cr_assert_eq(got.results[i].outcome, want[i].outcome, "-j %u case %zu", jobs[j], i);
			cr_assert_eq(got.results[i].host_fault, want[i].host_fault);
			cr_assert_eq(got.results[i].output.len, want[i].output.len);
			if (want[i].output.len)
				cr_assert_eq(memcmp(got.results[i].output.data, want[i].output.data, want[i].output.len), 0);
			cr_assert_str_eq(got.results[i].message ? got.results[i].message : "",
					 want[i].message ? want[i].message : "", "-j %u case %zu", jobs[j], i);
			if (want[i].outcome != OUTCOME_TIMEOUT)
				cr_assert_eq(got.results[i].exits, want[i].exits);
		}
		/* The children's assemblies came back into the run's cache. */
		cr_assert_not_null(runner_case_assembly(&rn, &list.items[0]));
		collected_free(&got);
		assembly_cache_free(rn.cache);
	}
	for (size_t i = 0; i < 6; i++)
		run_result_free(&want[i]);
	case_list_free(&list);
	/* The in-process runs' nasm zygote is this process's own, by design. */
	sandbox_zygote_stop();
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a child is left");
}

Test(scheduler, skipped_cases_do_not_run)
{
	if (!tu_backend_wanted("emu"))
		cr_skip("emu not wanted here");
	struct case_list list;
	suite_load(&list);
	struct runner rn = runner_make(false);
	bool skip[6] = { true, false, true, true, false, true };
	struct collected got = {0};
	struct scheduler s = { .runner = &rn, .jobs = 2, .wake_fd = -1, .skip = skip };
	cr_assert_eq(scheduler_run(&s, list.items, list.count, collect, &got), 0);
	for (size_t i = 0; i < 6; i++)
		cr_assert_eq(got.calls[i], skip[i] ? 0 : 1, "case %zu", i);
	collected_free(&got);
	assembly_cache_free(rn.cache);
	case_list_free(&list);
}

Test(scheduler, a_stop_before_the_start_runs_nothing)
{
	struct case_list list;
	suite_load(&list);
	struct runner rn = runner_make(false);
	volatile sig_atomic_t stop = 1;
	struct collected got = {0};
	struct scheduler s = { .runner = &rn, .jobs = 2, .wake_fd = -1, .stop = &stop };
	cr_assert_eq(scheduler_run(&s, list.items, list.count, collect, &got), 1);
	cr_assert_eq(got.count, 0);
	assembly_cache_free(rn.cache);
	case_list_free(&list);
}

/* The stop comes from the done callback (as --fail-fast would): the cases
 * still running are killed, and none is reported twice or after it. */
struct stopping {
	struct collected got;
	volatile sig_atomic_t stop;
};

static void collect_and_stop(void *ctx, size_t i, struct run_result *r)
{
	struct stopping *s = ctx;
	collect(&s->got, i, r);
	s->stop = 1;
}

Test(scheduler, a_stop_kills_what_runs_and_leaves_no_child)
{
	if (!tu_backend_wanted("emu"))
		cr_skip("emu not wanted here");
	static const char slow[] = "name: quick\nsource: hlt\n"
				   "---\nname: slow\nsource: \"jmp $\"\ntimeout_ms: 600000\nexpect: {exit: timeout}\n"
				   "---\nname: slower\nsource: \"jmp $\"\ntimeout_ms: 600000\nexpect: {exit: timeout}\n";
	struct case_list list = {0};
	cr_assert_eq(case_text_load("slow.yaml", slow, sizeof(slow) - 1, &list), 0);
	struct runner rn = runner_make(false);
	struct stopping st = {0};
	struct scheduler s = { .runner = &rn, .jobs = 2, .wake_fd = -1, .stop = &st.stop };
	cr_assert_eq(scheduler_run(&s, list.items, list.count, collect_and_stop, &st), 1);
	cr_assert_eq(st.got.count, 1);
	cr_assert_eq(st.got.calls[0], 1);
	collected_free(&st.got);
	assembly_cache_free(rn.cache);
	case_list_free(&list);
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a child is left");
}

/* ---- the pool: its processes run many cases, and one that fails is
 * replaced, costing its case alone ---- */

static int fake_get_state(struct vm *vm, struct cpu_state *s, char *err, size_t len)
{
	(void)vm, (void)err, (void)len;
	cpu_state_reset(s);
	return 0;
}

enum { GROWTH_PER_CASE = 8 << 20 };

/* Where a case with input "s" waits for a file to appear (the test makes
 * it): a case as slow as the test wants, with no clock involved. */
static char slow_until[64];

/* Prints the pid of the process that runs the machine, then halts. A case
 * with input crashes the process instead; with input "c" it complains on
 * stderr first and exits, as Unicorn does; with "w" it wedges; with "g" it
 * keeps 8 MiB it touched, as a fragmented heap would, and halts; with "s"
 * it waits for the file slow_until, then halts. */
static int pid_run(struct vm *vm, vm_exit_handler h, void *ctx, char *err, size_t len)
{
	(void)vm, (void)err, (void)len;
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	struct vm_exit in = { .kind = VM_EXIT_IO, .io = { .port = 0x3f8, .size = 1, .count = 1 } };
	uint8_t byte = 0;
	in.io.data = &byte;
	h(ctx, &in); /* reads the first input byte, if any */
	while (byte == 'w')
		pause(); /* deaf to kicks, as a stuck backend would be */
	while (byte == 's' && access(slow_until, F_OK) != 0)
		usleep(1000);
	if (byte == 'c') {
		fprintf(stderr, "Could not allocate dynamic translator buffer\n");
		_exit(1);
	}
	if (byte == 'g') {
		void *kept = mmap(NULL, GROWTH_PER_CASE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (kept != MAP_FAILED)
			memset(kept, 1, GROWTH_PER_CASE);
	} else if (byte && byte != 's') {
		abort();
	}
	for (int i = 0; i < n; i++) {
		struct vm_exit out = { .kind = VM_EXIT_IO,
				       .io = { .port = 0x3f8, .size = 1, .is_write = true, .count = 1,
					       .data = (uint8_t *)&pid[i] } };
		h(ctx, &out);
	}
	struct vm_exit hlt = { .kind = VM_EXIT_HLT };
	h(ctx, &hlt);
	return 0;
}

static const struct backend_ops pid_backend = {
	.name = "pid", .available = always, .create = fake_create, .set_state = fake_state,
	.get_state = fake_get_state, .run = pid_run, .kick = fake_kick, .destroy = fake_destroy,
};

static void pool_run(const char *yaml, unsigned jobs, struct collected *got, struct case_list *list)
{
	*list = (struct case_list){0};
	cr_assert_eq(case_text_load("pool.yaml", yaml, strlen(yaml), list), 0);
	struct runner rn = runner_make(false);
	rn.backend = &pid_backend;
	struct scheduler s = { .runner = &rn, .jobs = jobs, .wake_fd = -1 };
	cr_assert_eq(scheduler_run(&s, list->items, list->count, collect, got), 0);
	cr_assert_eq(got->count, list->count);
	assembly_cache_free(rn.cache);
}

/* The pid that case i printed. */
static long pid_of(const struct collected *got, size_t i)
{
	char text[32];
	const struct run_result *r = &got->results[i];
	snprintf(text, sizeof(text), "%.*s", (int)r->output.len, (const char *)r->output.data);
	return atol(text);
}

Test(scheduler, one_process_runs_many_cases)
{
	static const char yaml[] = "name: a\nsource: hlt\n---\nname: b\nsource: nop\n---\nname: c\nsource: cli\n"
				   "---\nname: d\nsource: sti\n";
	struct case_list list;
	struct collected got = {0};
	pool_run(yaml, 1, &got, &list);
	long first = pid_of(&got, 0);
	cr_assert_gt(first, 0);
	cr_assert_neq(first, (long)getpid(), "the machine ran in kvmcheck's own process");
	for (size_t i = 0; i < list.count; i++) {
		cr_assert_eq(got.results[i].outcome, OUTCOME_HLT, "case %zu: %s", i, got.results[i].message);
		cr_assert_eq(pid_of(&got, i), first, "case %zu ran in another process", i);
	}
	collected_free(&got);
	case_list_free(&list);
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a child is left");
}

Test(scheduler, a_process_that_crashes_costs_its_case_alone)
{
	static const char yaml[] = "name: a\nsource: hlt\n---\nname: crashes\nsource: hlt\ninput: x\n"
				   "---\nname: b\nsource: hlt\n---\nname: complains\nsource: hlt\ninput: c\n"
				   "---\nname: c\nsource: hlt\n";
	struct case_list list;
	struct collected got = {0};
	pool_run(yaml, 1, &got, &list);
	cr_assert_eq(got.results[1].outcome, OUTCOME_ERROR);
	cr_assert(got.results[1].host_fault);
	cr_assert_str_eq(got.results[1].message, "kvmcheck's worker for this case crashed (signal 6: Aborted)");
	cr_assert_eq(got.results[3].outcome, OUTCOME_ERROR);
	cr_assert_str_eq(got.results[3].message, "kvmcheck's worker for this case failed (exit status 1); it said: "
						 "Could not allocate dynamic translator buffer");
	static const size_t fine[] = { 0, 2, 4 };
	for (size_t k = 0; k < 3; k++)
		cr_assert_eq(got.results[fine[k]].outcome, OUTCOME_HLT, "case %zu", fine[k]);
	/* Each failure took its process with it: three processes in all. */
	cr_assert_neq(pid_of(&got, 0), pid_of(&got, 2));
	cr_assert_neq(pid_of(&got, 2), pid_of(&got, 4));
	cr_assert_neq(pid_of(&got, 0), pid_of(&got, 4));
	collected_free(&got);
	case_list_free(&list);
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a child is left");
}

Test(scheduler, a_wedged_machine_is_killed_and_replaced)
{
	static const char yaml[] = "name: wedges\nsource: hlt\ninput: w\ntimeout_ms: 10\n---\nname: a\nsource: hlt\n";
	struct case_list list;
	struct collected got = {0};
	pool_run(yaml, 1, &got, &list);
	char want[100];
	snprintf(want, sizeof(want), "kvmcheck's worker for this case did not finish within %d ms and was killed",
		 10 + WORKER_GRACE_MS);
	cr_assert_str_eq(got.results[0].message, want);
	cr_assert_eq(got.results[1].outcome, OUTCOME_HLT);
	collected_free(&got);
	case_list_free(&list);
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a child is left");
}

/* The pid each case printed (pid_run), for runs too long for struct
 * collected. */
enum { MANY_CASES = 260, PROCESS_SHARE = 256 };
struct pids {
	long pid[MANY_CASES];
	size_t count;
};

static void collect_pid(void *ctx, size_t i, struct run_result *r)
{
	struct pids *got = ctx;
	char text[32];
	cr_assert_lt(i, (size_t)MANY_CASES);
	snprintf(text, sizeof(text), "%.*s", (int)r->output.len, (const char *)r->output.data);
	got->pid[i] = atol(text);
	got->count++;
	run_result_free(r);
}

/* count cases named "case N" that halt, each with the lines of extra. */
static char *cases_yaml(int count, const char *extra)
{
	char *yaml = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&yaml, &len);
	cr_assert_not_null(f);
	for (int i = 0; i < count; i++)
		fprintf(f, "%sname: case %d\nsource: hlt\n%s", i ? "---\n" : "", i, extra);
	cr_assert_eq(fclose(f), 0);
	return yaml;
}

/* A process retires after its share of cases (scheduler.c MEMBER_CASES,
 * 256): the next case runs in a new one, and no case is lost between. */
Test(scheduler, a_process_retires_after_its_share_of_cases)
{
	enum { CASES = MANY_CASES, SHARE = PROCESS_SHARE };
	char *yaml = cases_yaml(CASES, "");
	struct case_list list = {0};
	cr_assert_eq(case_text_load("many.yaml", yaml, strlen(yaml), &list), 0);
	free(yaml);
	cr_assert_eq(list.count, (size_t)CASES);
	struct runner rn = runner_make(false);
	rn.backend = &pid_backend;
	struct pids *got = calloc(1, sizeof(*got));
	cr_assert_not_null(got);
	struct scheduler s = { .runner = &rn, .jobs = 1, .wake_fd = -1 };
	cr_assert_eq(scheduler_run(&s, list.items, list.count, collect_pid, got), 0);
	cr_assert_eq(got->count, (size_t)CASES);
	for (int i = 0; i < CASES; i++)
		cr_assert_gt(got->pid[i], 0, "case %d did not run: no pid", i);
	for (int i = 1; i < SHARE; i++)
		cr_assert_eq(got->pid[i], got->pid[0], "case %d ran in another process", i);
	cr_assert_neq(got->pid[SHARE], got->pid[0], "case %d ran in a process past its share", SHARE);
	for (int i = SHARE + 1; i < CASES; i++)
		cr_assert_eq(got->pid[i], got->pid[SHARE]);
	free(got);
	assembly_cache_free(rn.cache);
	case_list_free(&list);
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a child is left");
}

/* A process whose memory grew by more than 32 MiB (scheduler.c
 * MEMBER_GROWTH_KIB) retires long before its 256 cases: with 8 MiB kept
 * per case, the 16 cases need at least 3 processes, and no case is lost. */
Test(scheduler, a_process_retires_once_its_memory_grew)
{
	enum { CASES = 16 };
	char *yaml = cases_yaml(CASES, "input: g\n");
	struct case_list list;
	struct collected got = {0};
	pool_run(yaml, 1, &got, &list);
	free(yaml);
	size_t processes = 1;
	for (size_t i = 0; i < CASES; i++) {
		cr_assert_eq(got.results[i].outcome, OUTCOME_HLT, "case %zu", i);
		if (i && pid_of(&got, i) != pid_of(&got, i - 1))
			processes++;
	}
	cr_assert_geq(processes, 3, "%zu processes ran 16 cases that kept 8 MiB each", processes);
	cr_assert_leq(processes, 8, "%zu processes: one per two cases or more", processes);
	collected_free(&got);
	case_list_free(&list);
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a child is left");
}

/* The order cases ended in; once the quick ones (all but case 0) have,
 * the slow case 0 may end. */
struct ending {
	struct collected got;
	size_t order[8];
};

static void collect_in_order(void *ctx, size_t i, struct run_result *r)
{
	struct ending *e = ctx;
	e->order[e->got.count] = i;
	collect(&e->got, i, r);
	if (e->got.count == 3) {
		FILE *f = fopen(slow_until, "w");
		cr_assert_not_null(f);
		fclose(f);
	}
}

/* With two processes each case is sent ahead behind the one a process
 * runs, yet none waits behind a slow case while the other process is
 * free: here the case queued behind the slow one is taken back and runs
 * in the other process, so the slow case ends last. Were it left queued,
 * the slow case would wait for it for ever (until its process is killed
 * at its deadline, 10 s on) and end before it. */
Test(scheduler, a_case_sent_ahead_never_waits_behind_a_slow_one)
{
	static const char yaml[] = "name: slow\nsource: hlt\ninput: s\n---\nname: a\nsource: nop\n"
				   "---\nname: b\nsource: cli\n---\nname: c\nsource: sti\n";
	snprintf(slow_until, sizeof(slow_until), "/tmp/kvmcheck-slow-until-%ld", (long)getpid());
	unlink(slow_until);
	struct case_list list = {0};
	cr_assert_eq(case_text_load("slow.yaml", yaml, sizeof(yaml) - 1, &list), 0);
	struct runner rn = runner_make(false);
	rn.backend = &pid_backend;
	struct ending e = {0};
	struct scheduler s = { .runner = &rn, .jobs = 2, .wake_fd = -1 };
	cr_assert_eq(scheduler_run(&s, list.items, list.count, collect_in_order, &e), 0);
	unlink(slow_until);
	cr_assert_eq(e.got.count, 4);
	for (size_t i = 0; i < 4; i++)
		cr_assert_eq(e.got.results[i].outcome, OUTCOME_HLT, "case %zu: %s", i, e.got.results[i].message);
	cr_assert_eq(e.order[3], 0, "the slow case ended before case %zu", e.order[3]);
	collected_free(&e.got);
	assembly_cache_free(rn.cache);
	case_list_free(&list);
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a child is left");
}
