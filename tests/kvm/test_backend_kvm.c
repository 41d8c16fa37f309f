/* Unit tests of the KVM backend: they need a working /dev/kvm, so make
 * check-kvm runs them inside QEMU (and make check runs them directly where
 * the host has KVM). Guests are machine code, so no assembler is needed. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "machine/backend.h"

#define RAM_SIZE (1u << 20)

struct recorder {
	struct vm_exit exits[64];
	int count;
	uint8_t in_value;
	bool kick_on_in;         /* simulate a timeout arriving while serving an IN */
	struct vm *vm;
};

static enum vm_action record_exit(void *ctx, struct vm_exit *exit)
{
	struct recorder *r = ctx;
	if (r->count < 64)
		r->exits[r->count++] = *exit;
	if (exit->kind == VM_EXIT_IO && !exit->io.is_write) {
		memset(exit->io.data, r->in_value, (size_t)exit->io.count * exit->io.size);
		if (r->kick_on_in)
			backend_kvm.kick(r->vm);
	}
	return VM_CONTINUE;
}

struct guest {
	uint8_t *mem;
	struct vm *vm;
	struct recorder rec;
};

static void guest_start(struct guest *g, const uint8_t *code, size_t len)
{
	char why[200];
	if (!backend_kvm.available(why, sizeof(why)))
		cr_skip_test("no KVM here: %s", why);
	memset(g, 0, sizeof(*g));
	g->mem = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert(g->mem != MAP_FAILED);
	memcpy(g->mem, code, len);
	char err[200];
	cr_assert_eq(backend_kvm.create(&g->vm, g->mem, RAM_SIZE, err, sizeof(err)), 0, "%s", err);
	struct cpu_state state;
	cpu_state_reset(&state);
	cr_assert_eq(backend_kvm.set_state(g->vm, &state, err, sizeof(err)), 0, "%s", err);
	g->rec.vm = g->vm;
}

static void guest_run(struct guest *g)
{
	char err[200];
	cr_assert_eq(backend_kvm.run(g->vm, record_exit, &g->rec, err, sizeof(err)), 0, "%s", err);
}

static struct cpu_state guest_state(struct guest *g)
{
	char err[200];
	struct cpu_state state;
	cr_assert_eq(backend_kvm.get_state(g->vm, &state, err, sizeof(err)), 0, "%s", err);
	return state;
}

static void guest_stop(struct guest *g)
{
	backend_kvm.destroy(g->vm);
	munmap(g->mem, RAM_SIZE);
}

static const struct vm_exit *last_exit(struct guest *g)
{
	cr_assert_gt(g->rec.count, 0);
	return &g->rec.exits[g->rec.count - 1];
}

Test(backend_kvm, out_then_hlt)
{
	/* mov dx,0x3f8; mov al,'A'; out dx,al; hlt */
	static const uint8_t code[] = { 0xba, 0xf8, 0x03, 0xb0, 'A', 0xee, 0xf4 };
	struct guest g;
	guest_start(&g, code, sizeof(code));
	guest_run(&g);
	cr_assert_eq(g.rec.count, 2);
	cr_assert_eq(g.rec.exits[0].kind, VM_EXIT_IO);
	cr_assert_eq(g.rec.exits[0].io.port, 0x3f8);
	cr_assert(g.rec.exits[0].io.is_write);
	cr_assert_eq(g.rec.exits[1].kind, VM_EXIT_HLT);
	cr_assert_eq(guest_state(&g).eip, sizeof(code), "ip points after the hlt");
	guest_stop(&g);
}

Test(backend_kvm, rep_insb_batches_are_whole)
{
	/* cld; mov dx,0x3f8; mov di,0x100; mov cx,8; rep insb; hlt */
	static const uint8_t code[] = { 0xfc, 0xba, 0xf8, 0x03, 0xbf, 0x00, 0x01, 0xb9, 0x08, 0x00, 0xf3, 0x6c, 0xf4 };
	struct guest g;
	guest_start(&g, code, sizeof(code));
	g.rec.in_value = 0x42;
	guest_run(&g);
	uint32_t elements = 0;
	for (int i = 0; i < g.rec.count; i++)
		if (g.rec.exits[i].kind == VM_EXIT_IO)
			elements += g.rec.exits[i].io.count;
	cr_assert_eq(elements, 8, "every element is one I/O, however KVM batches them");
	cr_assert_eq(last_exit(&g)->kind, VM_EXIT_HLT);
	for (int i = 0; i < 8; i++)
		cr_assert_eq(g.mem[0x100 + i], 0x42);
	cr_assert_eq(guest_state(&g).gpr[GPR_ECX] & 0xffff, 0);
	guest_stop(&g);
}

Test(backend_kvm, triple_fault_is_shutdown)
{
	/* cli; lidt [0x20]; mov eax,cr0; or al,1; mov cr0,eax; ud2 — with a zero IDT at 0x20 */
	static const uint8_t code[] = { 0xfa, 0x0f, 0x01, 0x1e, 0x20, 0x00, 0x0f, 0x20, 0xc0, 0x0c, 0x01,
					0x0f, 0x22, 0xc0, 0x0f, 0x0b, 0xf4 };
	struct guest g;
	guest_start(&g, code, sizeof(code));
	guest_run(&g);
	cr_assert_eq(last_exit(&g)->kind, VM_EXIT_SHUTDOWN);
	guest_stop(&g);
}

static struct vm *volatile alarm_vm;
static void alarm_kick(int sig)
{
	(void)sig;
	backend_kvm.kick(alarm_vm);
}

Test(backend_kvm, kick_from_a_signal_stops_a_spinning_guest)
{
	static const uint8_t code[] = { 0xeb, 0xfe }; /* jmp $ */
	struct guest g;
	guest_start(&g, code, sizeof(code));
	alarm_vm = g.vm;
	struct sigaction sa = { .sa_handler = alarm_kick };
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { .it_value = { .tv_usec = 20000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	guest_run(&g);
	cr_assert_eq(last_exit(&g)->kind, VM_EXIT_KICKED);
	cr_assert_eq(guest_state(&g).eip, 0, "the guest was still on its jmp $");
	guest_stop(&g);
}

Test(backend_kvm, registers_after_an_interrupted_in_include_its_value)
{
	/* mov dx,0x3f8; in al,dx; hlt */
	static const uint8_t code[] = { 0xba, 0xf8, 0x03, 0xec, 0xf4 };
	struct guest g;
	guest_start(&g, code, sizeof(code));
	g.rec.in_value = 0x5a;
	g.rec.kick_on_in = true;
	guest_run(&g);
	cr_assert_eq(last_exit(&g)->kind, VM_EXIT_KICKED);
	struct cpu_state s = guest_state(&g);
	cr_assert_eq(s.gpr[GPR_EAX] & 0xff, 0x5a, "the pending IN was completed before reading registers");
	cr_assert_eq(s.eip, 4, "and no instruction after it ran");
	guest_stop(&g);
}

static volatile sig_atomic_t stray_signals;
static volatile sig_atomic_t kick_on_signal;
static void stray_signal(int sig)
{
	(void)sig;
	stray_signals++;
	if (kick_on_signal)
		backend_kvm.kick(alarm_vm);
}

static void *signal_sender(void *arg)
{
	pthread_t target = *(pthread_t *)arg;
	usleep(2000); /* most likely inside KVM_RUN by now; the test holds either way */
	for (int i = 0; i < 5; i++) {
		pthread_kill(target, SIGUSR1);
		/* Signals of one kind do not queue: send the next once this one landed. */
		while (stray_signals <= i)
			usleep(100);
	}
	kick_on_signal = 1;
	pthread_kill(target, SIGUSR1);
	return NULL;
}

Test(backend_kvm, stray_signals_do_not_end_the_run)
{
	static const uint8_t code[] = { 0xeb, 0xfe }; /* jmp $ */
	struct guest g;
	guest_start(&g, code, sizeof(code));
	alarm_vm = g.vm;
	struct sigaction sa = { .sa_handler = stray_signal };
	sigaction(SIGUSR1, &sa, NULL);
	pthread_t self = pthread_self(), sender;
	pthread_create(&sender, NULL, signal_sender, &self);
	guest_run(&g);
	pthread_join(sender, NULL);
	cr_assert_eq(last_exit(&g)->kind, VM_EXIT_KICKED);
	cr_assert_eq(stray_signals, 6, "five EINTRs were retried before the kick (%d signals)", (int)stray_signals);
	guest_stop(&g);
}

Test(backend_kvm, unmapped_read_is_an_error_exit)
{
	/* mov ax,0xffff; mov ds,ax; mov al,[0x10]; hlt — physical 0x100000, past RAM */
	static const uint8_t code[] = { 0xb8, 0xff, 0xff, 0x8e, 0xd8, 0xa0, 0x10, 0x00, 0xf4 };
	struct guest g;
	guest_start(&g, code, sizeof(code));
	guest_run(&g);
	cr_assert_eq(last_exit(&g)->kind, VM_EXIT_ERROR);
	cr_assert_str_eq(last_exit(&g)->reason, "unmapped memory read at 0x00100000");
	guest_stop(&g);
}
