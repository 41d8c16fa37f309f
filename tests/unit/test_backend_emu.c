/* Unit tests of the Unicorn backend: each guest is assembled by nasm at test
 * time, run in a fresh VM, and its exits are recorded by the handler. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "machine/backend.h"
#include "x86/regs.h"

#define MEM_SIZE (1u << 20)
#define LOAD 0x1000u
#define SERIAL 0x3f8
#define MAX_EXITS 64

struct exit_record {
	enum vm_exit_kind kind;
	struct vm_io io;
	uint32_t value;  /* the element written, or the one served */
	char reason[160];
};

struct recorder {
	struct exit_record exits[MAX_EXITS];
	size_t count;
	char serial[MAX_EXITS + 1];
	size_t serial_len;
	uint32_t in_value;    /* what every IN reads */
	size_t stop_after;    /* return VM_STOP on this exit; 0: never */
};

struct guest {
	uint8_t *mem;
	struct vm *vm;
	struct recorder rec;
};

static uint32_t io_value(const struct vm_io *io)
{
	uint32_t v = 0;
	for (int i = 0; i < io->size; i++)
		v |= (uint32_t)io->data[i] << (8 * i);
	return v;
}

static void serve_read(struct recorder *rec, struct vm_io *io)
{
	for (int i = 0; i < io->size; i++)
		io->data[i] = (uint8_t)(rec->in_value >> (8 * i));
}

static enum vm_action record_exit(void *ctx, struct vm_exit *exit)
{
	struct recorder *rec = ctx;
	cr_assert(rec->count < MAX_EXITS, "too many exits");
	struct exit_record *r = &rec->exits[rec->count++];
	r->kind = exit->kind;
	r->io = exit->io;
	snprintf(r->reason, sizeof(r->reason), "%s", exit->reason);
	if (exit->kind == VM_EXIT_IO && !exit->io.is_write)
		serve_read(rec, &exit->io);
	if (exit->kind == VM_EXIT_IO) {
		r->value = io_value(&exit->io);
		if (exit->io.is_write && exit->io.port == SERIAL)
			rec->serial[rec->serial_len++] = (char)r->value;
	}
	return rec->count == rec->stop_after ? VM_STOP : VM_CONTINUE;
}

/* Assembles `source` (16-bit, org LOAD) with nasm into *len bytes. */
static uint8_t *assemble(const char *source, size_t *len)
{
	char dir[] = "/tmp/test_backend_emu.XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char src[64], bin[64], cmd[256];
	snprintf(src, sizeof(src), "%s/g.asm", dir);
	snprintf(bin, sizeof(bin), "%s/g.bin", dir);
	FILE *f = fopen(src, "w");
	cr_assert_not_null(f);
	fprintf(f, "bits 16\norg 0x%x\n%s\n", LOAD, source);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "nasm -f bin -o %s %s", bin, src);
	cr_assert_eq(system(cmd), 0, "nasm failed on:\n%s", source);
	f = fopen(bin, "rb");
	cr_assert_not_null(f);
	uint8_t *bytes = malloc(MEM_SIZE);
	*len = fread(bytes, 1, MEM_SIZE, f);
	fclose(f);
	unlink(src);
	unlink(bin);
	rmdir(dir);
	return bytes;
}

static void initial_state(struct cpu_state *s)
{
	cpu_state_reset(s);
	s->eip = LOAD;
	s->gpr[GPR_ESP] = 0x8000;
}

static void load(struct guest *g, const char *source, const struct cpu_state *state)
{
	size_t len = 0;
	uint8_t *bytes = assemble(source, &len);
	g->mem = aligned_alloc(4096, MEM_SIZE);
	cr_assert_not_null(g->mem);
	memset(g->mem, 0, MEM_SIZE);
	memcpy(g->mem + LOAD, bytes, len);
	free(bytes);
	char err[256] = "";
	cr_assert_eq(backend_emu.create(&g->vm, g->mem, MEM_SIZE, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(backend_emu.set_state(g->vm, state, err, sizeof(err)), 0, "%s", err);
}

static void run(struct guest *g)
{
	char err[256] = "";
	cr_assert_eq(backend_emu.run(g->vm, record_exit, &g->rec, err, sizeof(err)), 0, "%s", err);
}

static void run_source(struct guest *g, const char *source)
{
	struct cpu_state s;
	initial_state(&s);
	load(g, source, &s);
	run(g);
}

static struct cpu_state state_of(struct guest *g)
{
	struct cpu_state s;
	char err[256] = "";
	cr_assert_eq(backend_emu.get_state(g->vm, &s, err, sizeof(err)), 0, "%s", err);
	return s;
}

static void release(struct guest *g)
{
	backend_emu.destroy(g->vm);
	free(g->mem);
}

static const struct exit_record *last_exit(const struct guest *g)
{
	cr_assert_gt(g->rec.count, 0);
	return &g->rec.exits[g->rec.count - 1];
}

/* ---- tests ------------------------------------------------------------ */

Test(backend_emu, available_and_named)
{
	char why[128] = "";
	cr_assert(backend_emu.available(why, sizeof(why)));
	cr_assert_str_eq(backend_emu.name, "emu");
}

Test(backend_emu, create_rejects_a_size_that_is_not_whole_pages)
{
	static uint8_t mem[8192] __attribute__((aligned(4096)));
	struct vm *vm = NULL;
	char err[256] = "";
	cr_assert_eq(backend_emu.create(&vm, mem, 4097, err, sizeof(err)), -1);
	cr_assert_null(vm);
	cr_assert_neq(err[0], '\0');
}

static const char hello[] =
	"  mov dx, 0x3f8\n"
	"  mov si, msg\n"
	"  mov cx, 11\n"
	"next:\n"
	"  lodsb\n"
	"  out dx, al\n"
	"  loop next\n"
	"  hlt\n"
	"after_hlt:\n"
	"  jmp $\n"
	"msg: db 'Hello world'\n";

Test(backend_emu, hello_writes_its_output_then_halts_after_the_hlt)
{
	struct guest g = { 0 };
	run_source(&g, hello);
	cr_assert_eq(g.rec.count, 12);
	cr_assert_str_eq(g.rec.serial, "Hello world");
	for (size_t i = 0; i < 11; i++) {
		cr_assert_eq(g.rec.exits[i].kind, VM_EXIT_IO);
		cr_assert_eq(g.rec.exits[i].io.size, 1);
		cr_assert_eq(g.rec.exits[i].io.count, 1);
		cr_assert(g.rec.exits[i].io.is_write);
	}
	cr_assert_eq(last_exit(&g)->kind, VM_EXIT_HLT);
	struct cpu_state s = state_of(&g);
	/* mov dx(3) mov si(3) mov cx(3) lodsb(1) out(1) loop(2) hlt(1) */
	cr_assert_eq(s.eip, LOAD + 14, "eip %#x", s.eip);
	cr_assert_eq(s.seg[SEG_CS], 0);
	cr_assert_eq(s.gpr[GPR_ECX], 0);
	cr_assert_eq(s.eflags & 0x2, 0x2);
	release(&g);
}

Test(backend_emu, rep_outsb_exits_once_per_element)
{
	struct guest g = { 0 };
	run_source(&g,
		   "  mov dx, 0x3f8\n"
		   "  mov si, msg\n"
		   "  mov cx, 5\n"
		   "  rep outsb\n"
		   "  hlt\n"
		   "msg: db 'abcde'\n");
	cr_assert_eq(g.rec.count, 6);
	cr_assert_str_eq(g.rec.serial, "abcde");
	for (size_t i = 0; i < 5; i++)
		cr_assert_eq(g.rec.exits[i].io.count, 1);
	cr_assert_eq(last_exit(&g)->kind, VM_EXIT_HLT);
	release(&g);
}

Test(backend_emu, rep_insb_stores_what_the_handler_serves)
{
	struct guest g = { .rec.in_value = 0x5a };
	run_source(&g,
		   "  mov dx, 0x60\n"
		   "  mov di, 0x3000\n"
		   "  mov cx, 3\n"
		   "  rep insb\n"
		   "  hlt\n");
	cr_assert_eq(g.rec.count, 4);
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(g.rec.exits[i].io.port, 0x60);
		cr_assert_not(g.rec.exits[i].io.is_write);
		cr_assert_eq(g.mem[0x3000 + i], 0x5a);
	}
	cr_assert_eq(g.mem[0x3003], 0);
	release(&g);
}

Test(backend_emu, in_reads_the_handlers_value)
{
	struct guest g = { .rec.in_value = 0xbeef42 };
	run_source(&g,
		   "  mov dx, 0x64\n"
		   "  in al, dx\n"
		   "  mov bl, al\n"
		   "  in ax, dx\n"
		   "  hlt\n");
	cr_assert_eq(g.rec.count, 3);
	cr_assert_eq(g.rec.exits[0].io.size, 1);
	cr_assert_eq(g.rec.exits[1].io.size, 2);
	struct cpu_state s = state_of(&g);
	cr_assert_eq(s.gpr[GPR_EBX] & 0xff, 0x42);
	cr_assert_eq(s.gpr[GPR_EAX] & 0xffff, 0xef42);
	release(&g);
}

Test(backend_emu, out_of_a_word_gives_both_bytes)
{
	struct guest g = { 0 };
	run_source(&g,
		   "  mov dx, 0x80\n"
		   "  mov ax, 0x1234\n"
		   "  out dx, ax\n"
		   "  mov eax, 0xcafebabe\n"
		   "  out dx, eax\n"
		   "  hlt\n");
	cr_assert_eq(g.rec.count, 3);
	cr_assert_eq(g.rec.exits[0].io.size, 2);
	cr_assert_eq(g.rec.exits[0].value, 0x1234);
	cr_assert_eq(g.rec.exits[1].io.size, 4);
	cr_assert_eq(g.rec.exits[1].value, 0xcafebabe);
	release(&g);
}

Test(backend_emu, handler_stop_is_precise)
{
	/* Ten OUTs in one straight run: one translated block for Unicorn. */
	struct guest g = { .rec.stop_after = 3 };
	run_source(&g,
		   "  mov dx, 0x3f8\n"
		   "  mov al, '0'\n"
		   "  %rep 10\n"
		   "  out dx, al\n"
		   "  inc al\n"
		   "  %endrep\n"
		   "  hlt\n");
	cr_assert_eq(g.rec.count, 3);
	cr_assert_str_eq(g.rec.serial, "012");
	release(&g);
}

Test(backend_emu, handler_stop_ignores_later_reads_and_faults)
{
	struct guest g = { .rec.stop_after = 1 };
	run_source(&g,
		   "  mov dx, 0x3f8\n"
		   "  out dx, al\n"
		   "  in al, dx\n"
		   "  mov bx, 0xffff\n"
		   "  mov es, bx\n"
		   "  mov al, [es:0x10]\n"
		   "  int3\n"
		   "  hlt\n");
	cr_assert_eq(g.rec.count, 1);
	release(&g);
}

static void *kick_later(void *vm)
{
	struct timespec t = { 0, 50 * 1000 * 1000 };
	nanosleep(&t, NULL);
	backend_emu.kick(vm);
	return NULL;
}

Test(backend_emu, kick_from_another_thread_ends_a_spinning_guest, .timeout = 10)
{
	struct guest g = { 0 };
	struct cpu_state s;
	initial_state(&s);
	load(&g, "spin: jmp spin\n", &s);
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, kick_later, g.vm), 0);
	run(&g);
	pthread_join(t, NULL);
	cr_assert_eq(g.rec.count, 1);
	cr_assert_eq(last_exit(&g)->kind, VM_EXIT_KICKED);
	cr_assert_eq(state_of(&g).eip, LOAD);
	release(&g);
}

static struct vm *alarm_vm;

static void on_alarm(int sig)
{
	(void)sig;
	backend_emu.kick(alarm_vm);
}

Test(backend_emu, kick_from_a_signal_handler_ends_a_spinning_guest, .timeout = 10)
{
	struct guest g = { 0 };
	struct cpu_state s;
	initial_state(&s);
	load(&g,
	     "  mov dx, 0x3f8\n"
	     "  mov al, 'x'\n"
	     "  out dx, al\n"
	     "spin: inc cx\n"
	     "  jmp spin\n",
	     &s);
	alarm_vm = g.vm;
	struct sigaction sa = { .sa_handler = on_alarm };
	sigemptyset(&sa.sa_mask);
	cr_assert_eq(sigaction(SIGALRM, &sa, NULL), 0);
	struct itimerval it = { .it_value = { 0, 50 * 1000 } };
	cr_assert_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	run(&g);
	cr_assert_eq(g.rec.count, 2);
	cr_assert_eq(last_exit(&g)->kind, VM_EXIT_KICKED);
	release(&g);
}

Test(backend_emu, kick_before_run_is_delivered_and_consumed)
{
	struct guest g = { 0 };
	struct cpu_state s;
	initial_state(&s);
	load(&g, "  hlt\n", &s);
	backend_emu.kick(g.vm);
	run(&g);
	cr_assert_eq(g.rec.count, 1);
	cr_assert_eq(last_exit(&g)->kind, VM_EXIT_KICKED);
	run(&g);
	cr_assert_eq(g.rec.count, 2);
	cr_assert_eq(last_exit(&g)->kind, VM_EXIT_HLT);
	release(&g);
}

/* Points IVT entry `vector` at `handler` (segment 0). */
#define IVT_SET(vector, handler) \
	"  mov word [" #vector " * 4], " #handler "\n" \
	"  mov word [" #vector " * 4 + 2], 0\n"

static const char report_frame[] =
	/* Called first thing by a handler: writes the ip, cs and flags the CPU
	 * pushed (above this call's return address) to ports 0x80..0x82, and
	 * the handler's own flags to 0x83. */
	"report:\n"
	"  mov bp, sp\n"
	"  mov dx, 0x80\n"
	"  mov ax, [bp + 2]\n"
	"  out dx, ax\n"
	"  inc dx\n"
	"  mov ax, [bp + 4]\n"
	"  out dx, ax\n"
	"  inc dx\n"
	"  mov ax, [bp + 6]\n"
	"  out dx, ax\n"
	"  inc dx\n"
	"  pushf\n"
	"  pop ax\n"
	"  out dx, ax\n"
	"  ret\n";

static void assert_frame(const struct guest *g, size_t first, uint16_t ip, uint16_t flags_mask,
			 uint16_t flags)
{
	const struct exit_record *e = &g->rec.exits[first];
	cr_assert_eq(e[0].io.port, 0x80);
	cr_assert_eq(e[0].value, ip, "pushed ip %#x, expected %#x", e[0].value, ip);
	cr_assert_eq(e[1].value, 0, "pushed cs %#x", e[1].value);
	cr_assert_eq(e[2].value & flags_mask, flags, "pushed flags %#x", e[2].value);
	/* IF and TF are clear inside the handler. */
	cr_assert_eq(e[3].value & 0x300, 0, "handler flags %#x", e[3].value);
}

Test(backend_emu, int_n_goes_through_the_ivt)
{
	struct guest g = { 0 };
	struct cpu_state s;
	initial_state(&s);
	s.eflags = 0x202; /* IF set, to see it pushed and then cleared */
	char src[2048];
	snprintf(src, sizeof(src),
		 IVT_SET(0x21, isr)
		 "  mov bx, sp\n"
		 "  int 0x21\n"
		 "ret_here:\n"
		 "  cmp bx, sp\n"
		 "  jne bad\n"
		 "  hlt\n"
		 "bad: jmp bad\n"
		 "isr:\n"
		 "  call report\n"
		 "  iret\n"
		 "%s",
		 report_frame);
	load(&g, src, &s);
	run(&g);
	cr_assert_eq(g.rec.count, 5);
	/* mov word x2 (6 each), mov bx,sp (2), int (2) */
	assert_frame(&g, 0, LOAD + 16, 0x200, 0x200);
	cr_assert_eq(last_exit(&g)->kind, VM_EXIT_HLT);
	release(&g);
}

Test(backend_emu, int3_and_into_return_after_the_instruction)
{
	struct guest g = { 0 };
	run_source(&g,
		   IVT_SET(3, isr)
		   IVT_SET(4, isr)
		   "  int3\n"
		   "  mov al, 0x7f\n"
		   "  add al, 1\n"
		   "  into\n"
		   "  hlt\n"
		   "isr:\n"
		   "  mov bp, sp\n"
		   "  mov ax, [bp]\n"
		   "  out 0x80, ax\n"
		   "  iret\n");
	cr_assert_eq(g.rec.count, 3);
	cr_assert_eq(g.rec.exits[0].value, LOAD + 25);
	cr_assert_eq(g.rec.exits[1].value, LOAD + 30);
	release(&g);
}

Test(backend_emu, invalid_opcode_goes_through_the_ivt_at_the_instruction)
{
	struct guest g = { 0 };
	char src[2048];
	snprintf(src, sizeof(src),
		 IVT_SET(6, isr)
		 "  ud2\n"
		 "  hlt\n"
		 "isr:\n"
		 "  call report\n"
		 "  mov bp, sp\n"
		 "  add word [bp], 2\n"
		 "  iret\n"
		 "%s",
		 report_frame);
	run_source(&g, src);
	cr_assert_eq(g.rec.count, 5);
	assert_frame(&g, 0, LOAD + 12, 0, 0);
	cr_assert_eq(last_exit(&g)->kind, VM_EXIT_HLT);
	cr_assert_eq(state_of(&g).eip, LOAD + 15);
	release(&g);
}

Test(backend_emu, int_6_is_a_software_interrupt_not_a_fault)
{
	struct guest g = { 0 };
	run_source(&g,
		   IVT_SET(6, isr)
		   "  int 6\n"
		   "  hlt\n"
		   "isr:\n"
		   "  mov bp, sp\n"
		   "  mov ax, [bp]\n"
		   "  out 0x80, ax\n"
		   "  iret\n");
	cr_assert_eq(g.rec.count, 2);
	cr_assert_eq(g.rec.exits[0].value, LOAD + 14);
	release(&g);
}

Test(backend_emu, divide_error_goes_through_the_ivt_at_the_instruction)
{
	struct guest g = { 0 };
	run_source(&g,
		   IVT_SET(0, isr)
		   "  xor bl, bl\n"
		   "  mov ax, 7\n"
		   "  div bl\n"
		   "  hlt\n"
		   "isr:\n"
		   "  mov bp, sp\n"
		   "  mov ax, [bp]\n"
		   "  out 0x80, ax\n"
		   "  add word [bp], 2\n"
		   "  iret\n");
	cr_assert_eq(g.rec.count, 2);
	cr_assert_eq(g.rec.exits[0].value, LOAD + 17);
	cr_assert_eq(last_exit(&g)->kind, VM_EXIT_HLT);
	release(&g);
}

Test(backend_emu, vector_past_the_idt_limit_raises_gp_at_the_int)
{
	struct guest g = { 0 };
	run_source(&g,
		   IVT_SET(13, isr)
		   "  lidt [idtr]\n"
		   "  int 0x21\n"
		   "  hlt\n"
		   "isr:\n"
		   "  mov bp, sp\n"
		   "  mov ax, [bp]\n"
		   "  out 0x80, ax\n"
		   "  add word [bp], 2\n"
		   "  iret\n"
		   "idtr: dw 13 * 4 + 3\n"
		   "  dd 0\n");
	cr_assert_eq(g.rec.count, 2);
	cr_assert_eq(g.rec.exits[0].value, LOAD + 17);
	cr_assert_eq(last_exit(&g)->kind, VM_EXIT_HLT);
	release(&g);
}

Test(backend_emu, triple_fault_shuts_down)
{
	struct guest g = { 0 };
	run_source(&g,
		   "  lidt [idtr]\n"
		   "  int3\n"
		   "  hlt\n"
		   "idtr: dw 0\n"
		   "  dd 0\n");
	cr_assert_eq(g.rec.count, 1);
	cr_assert_eq(last_exit(&g)->kind, VM_EXIT_SHUTDOWN);
	release(&g);
}

Test(backend_emu, unmapped_read_is_an_error_with_the_address)
{
	struct guest g = { 0 };
	run_source(&g,
		   "  mov bx, 0xffff\n"
		   "  mov es, bx\n"
		   "  mov al, [es:0x10]\n"
		   "  out 0x80, al\n"
		   "  hlt\n");
	cr_assert_eq(g.rec.count, 1);
	cr_assert_eq(last_exit(&g)->kind, VM_EXIT_ERROR);
	cr_assert_str_eq(last_exit(&g)->reason, "unmapped memory read at 0x00100000");
	release(&g);
}

Test(backend_emu, unmapped_write_is_an_error_with_the_address)
{
	struct guest g = { 0 };
	run_source(&g,
		   "  mov bx, 0xf000\n"
		   "  mov ds, bx\n"
		   "  mov word [0xfffe], 1\n"
		   "  mov byte [0xffff + 0], 1\n"
		   "  mov bx, 0xffff\n"
		   "  mov ds, bx\n"
		   "  mov [0x20], al\n"
		   "  hlt\n");
	cr_assert_eq(last_exit(&g)->kind, VM_EXIT_ERROR);
	cr_assert_str_eq(last_exit(&g)->reason, "unmapped memory write at 0x00100010");
	release(&g);
}

Test(backend_emu, unmapped_fetch_is_an_error_with_the_address)
{
	struct guest g = { 0 };
	run_source(&g, "  jmp 0xffff:0x0020\n");
	cr_assert_eq(g.rec.count, 1);
	cr_assert_eq(last_exit(&g)->kind, VM_EXIT_ERROR);
	cr_assert_str_eq(last_exit(&g)->reason, "unmapped memory fetch at 0x00100010");
	release(&g);
}

Test(backend_emu, interrupt_frame_pushed_to_unmapped_memory_is_an_error)
{
	struct guest g = { 0 };
	struct cpu_state s;
	initial_state(&s);
	s.seg[SEG_SS] = 0xffff;
	s.gpr[GPR_ESP] = 0x20;
	load(&g, "  int3\n", &s);
	run(&g);
	cr_assert_eq(last_exit(&g)->kind, VM_EXIT_ERROR);
	/* As KVM: the delivery completes and the last failed push (IP) is named. */
	cr_assert_str_eq(last_exit(&g)->reason, "unmapped memory write at 0x0010000a");
	struct cpu_state after = state_of(&g);
	cr_assert_eq(after.gpr[GPR_ESP], 0x1a);
	cr_assert_eq(after.seg[SEG_CS], 0);
	cr_assert_eq(after.eip, 0);
	release(&g);
}

Test(backend_emu, jump_to_0_0_is_not_a_halt)
{
	struct guest g = { 0 };
	struct cpu_state s;
	initial_state(&s);
	load(&g,
	     "  mov al, 'A'\n"
	     "  out 0x80, al\n"
	     "  jmp 0:0\n",
	     &s);
	/* at 0:0: mov al, 'B'; out 0x80, al; hlt */
	const uint8_t at_zero[] = { 0xb0, 'B', 0xe6, 0x80, 0xf4 };
	memcpy(g.mem, at_zero, sizeof(at_zero));
	run(&g);
	cr_assert_eq(g.rec.count, 3);
	cr_assert_eq(g.rec.exits[1].value, 'B');
	cr_assert_eq(last_exit(&g)->kind, VM_EXIT_HLT);
	cr_assert_eq(state_of(&g).eip, 5);
	release(&g);
}

Test(backend_emu, state_round_trips_and_segment_bases_follow_selectors)
{
	struct guest g = { 0 };
	struct cpu_state s;
	initial_state(&s);
	for (int i = 0; i < GPR_COUNT; i++)
		s.gpr[i] = 0x11111111u * (uint32_t)(i + 1);
	s.gpr[GPR_ESP] = 0x12348000;
	s.seg[SEG_CS] = LOAD / 16;
	s.eip = 0;
	s.seg[SEG_DS] = 0x2000;
	s.seg[SEG_ES] = 0x3000;
	s.seg[SEG_FS] = 0x4000;
	s.seg[SEG_GS] = 0x5000;
	s.seg[SEG_SS] = 0x6000;
	s.eflags = 0x0; /* bit 1 reads back set whatever was written */
	load(&g,
	     "  hlt\n"
	     "  mov al, [0]\n"
	     "  mov ah, [es:0]\n"
	     "  mov bl, [fs:0]\n"
	     "  mov bh, [gs:0]\n"
	     "  mov cl, [ss:0]\n"
	     "  hlt\n",
	     &s);
	struct cpu_state back = state_of(&g);
	s.eflags = 0x2;
	cr_assert_arr_eq(back.gpr, s.gpr, sizeof(s.gpr));
	cr_assert_arr_eq(back.seg, s.seg, sizeof(s.seg));
	cr_assert_eq(back.eip, 0);
	cr_assert_eq(back.eflags, 0x2);
	g.mem[0x20000] = 1;
	g.mem[0x30000] = 2;
	g.mem[0x40000] = 3;
	g.mem[0x50000] = 4;
	g.mem[0x60000] = 5;
	run(&g);
	run(&g);
	back = state_of(&g);
	cr_assert_eq(back.gpr[GPR_EAX] & 0xffff, 0x0201);
	cr_assert_eq(back.gpr[GPR_EBX] & 0xffff, 0x0403);
	cr_assert_eq(back.gpr[GPR_ECX] & 0xff, 5);
	cr_assert_eq(back.eip, 25);
	release(&g);
}
