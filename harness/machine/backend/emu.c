/* backend_emu: runs the guest on the Unicorn engine, for hosts without
 * /dev/kvm. Everything here exists to make Unicorn look like KVM from the
 * run loop's side: same exits, same counts, same final registers. Unicorn
 * (2.0.1) differs from a real CPU in ways this file papers over:
 *   - its reset state is not a real CPU's (CR0, IDTR, GDTR): set_state
 *     writes every register x86/ describes;
 *   - its mode (16, 32 or 64-bit) is fixed when the engine is opened: a
 *     guest's own switch to long mode and back moves the vCPU to a new
 *     engine (reopen_engine);
 *   - interrupts and faults never go through the guest's IVT: they reach a
 *     hook, and this file delivers them the way a real-mode CPU does (only
 *     in real mode; outside it x86/protected_interrupt.c delivers them
 *     through the IDT: see deliver_protected);
 *   - HLT has no hook: uc_emu_start just returns UC_ERR_OK, so a halt is
 *     known by elimination;
 *   - uc_emu_stop() from an I/O hook only takes effect at the end of the
 *     translated block, so once the handler says stop, later I/O in that
 *     block is ignored rather than served.
 *   - it checks no real-mode segment limit: it fetches code past the end
 *     of the 64 KiB code segment and accesses data past the others'. A
 *     code hook on every instruction raises #GP or #SS as the CPU does
 *     (on_real_limits, x86/real_access.c).
 * Every stop here comes from uc_emu_stop at a block boundary or from an
 * exception, except when instructions are counted (README "Metrics"): the
 * counting hook stops at the limit, and Unicorn's 16-bit bug of leaving a
 * linear address in EIP after a stop from a code hook is corrected there
 * (place_at_limit_stop), the one stop of that kind.
 * Known differences that remain: after an access to unmapped memory EIP is
 * the start of the translated block (Unicorn does not sync it before the
 * access; KVM's points at or past the access) unless on_real_limits' hook
 * runs (real mode without firmware), and a kick that lands in the
 * few instructions of uc_emu_start's own set-up is only seen at the guest's
 * next I/O or interrupt. */
#include "machine/backend.h"
#include "machine/backend/unicorn_state.h"
#include "machine/backend/unicorn_exception.h"
#include "machine/guest_ram.h"
#include "machine/result.h"
#include "x86/system_insn.h"

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicorn/unicorn.h>

#include "x86/align_check.h"
#include "x86/insn.h"
#include "x86/mode.h"
#include "x86/protected_interrupt.h"
#include "x86/real_access.h"
#include "x86/selector_fault.h"

#define MAP_GRANULE 4096u  /* uc_mem_map_ptr wants whole pages */

#define FLAG_FIXED RFLAGS_FIXED
#define FLAG_TF (1u << 8)
#define FLAG_IF (1u << 9)
#define FLAG_RF (1u << 16)
#define FLAG_AC (1u << 18)

#define OPCODE_IRET 0xcf

#define VECTOR_DF 8
#define VECTOR_UD 6
#define VECTOR_GP 13

#define CR0_AM (1u << 18)

#define REAL_SEGMENT_SIZE 0x10000u
#define MAX_INSN_LENGTH 15u

#define OPCODE_INT3 0xcc
#define OPCODE_INT 0xcd
#define OPCODE_INTO 0xce

/* An interrupt or fault Unicorn reported, waiting for delivery through the
 * IVT once emulation has stopped (registers are only consistent then). */
struct pending_interrupt {
	bool set;
	bool from_ud_hook;   /* #UD arrives with eip at the instruction, even for `int 6` */
	bool fault;          /* raised here (a limit check): eip is the faulting instruction */
	uint8_t vector;
	uint32_t eip;        /* Unicorn's eip when it reported the interrupt */
	bool error_code_known; /* Unicorn's own, through unicorn_exception_take */
	uint32_t error_code;
};

struct unmapped_access {
	bool hit;
	uc_mem_type type;
	uint64_t address;
};

/* Instruction counting: a code hook on every instruction, added only when
 * asked (it slows everything down). */
struct instruction_count {
	bool on;
	struct insn_count_config cfg;
	uint64_t instructions;
	bool event_known;
	uint64_t last_event;     /* linear address of the last instruction seen */
	bool last_counted;       /* ... and whether it counted */
	bool over;               /* the count passed the limit: stopped before over_at ran */
	uint64_t over_at;
};

/* The last instructions run, for a failure's report: a ring of their
 * linear addresses, a rep string instruction's repeats kept once. */
struct last_trace {
	bool on;
	uint64_t skip_base, skip_end; /* not kept: the firmware's instructions */
	uint64_t ring[RUN_LAST_INSNS];
	size_t next;   /* the slot the next address goes to */
	size_t count;  /* addresses held, at most RUN_LAST_INSNS */
};

struct vm {
	uc_engine *uc;
	vm_exit_handler handler;
	void *ctx;
	/* Set by kick() from a signal handler or another thread. */
	volatile sig_atomic_t kicked;
	/* The handler said stop: whatever the rest of the translated block does,
	 * no more I/O is served and no more exits are delivered. */
	bool stop_requested;
	struct pending_interrupt pending;
	struct unmapped_access unmapped;
	const char *unsupported; /* an instruction emu does not emulate ended the run */
	char unsupported_text[160]; /* what unsupported points to when it is made at run time */
	enum x86_mode mode;   /* the engine's, fixed by uc_open: the case's until the guest changes it */
	bool switched;        /* the engine was reopened 64-bit for the guest's own switch to long mode */
	bool been_long;       /* ... at some time: registers may hold more than a 16- or 32-bit engine shows */
	bool reopen_wanted;   /* stopped before the instruction at reopen_at, to run it in a new engine */
	enum x86_mode reopen_mode;
	uint64_t reopen_at;
	uc_engine *retired;   /* the engine before the last reopening: see reopen_engine */
	bool limit_wanted;    /* set_state loaded real mode: hook at the first run */
	bool firmware;        /* no limit hook: see emu_firmware_present */
	struct real_access_cache *data_limit; /* the thread's decodings; NULL: no on_real_limits */
	bool code_base_known; /* code_base is CS's: no far transfer or stop since it was read */
	uint64_t code_base;
	bool been_protected;  /* CR0.PE was set: segment limits are no longer known here */
	uint8_t *mem;         /* guest RAM, mapped at 0 */
	size_t mem_size;
	bool system_checked;  /* memory was scanned for system instructions */
	bool system_hooked;   /* ... and held some: on_each_instruction is on */
	bool rf_hooked;       /* on_block_clear_rf is on */
	bool resume;          /* an instruction was carried out here: go on after it */
	bool parked;          /* on_block saw the guest parked in a jump to itself */
	uint64_t last_block;  /* where the last translated block started (watching parking) */
	bool last_block_known;
	bool parking_watched;
	uint64_t dr7;         /* DR7 as the guest wrote it (Unicorn gets no execution breakpoints) */
	bool alignment_on;    /* CR0.AM is set: check_alignment looks at each instruction */
	bool rf_watched;      /* memory held an iret at the start: see hook_resume_flag */
	bool rf_suppress;     /* RF was set at rf_at: its breakpoint does not fire once */
	uint64_t rf_at;
	struct x86_segment segments[SEG_COUNT];  /* as set_state loaded them */
	struct unicorn_exception unicorn_exception;
	struct unicorn_state unicorn_state;
	struct instruction_count count;
	struct last_trace trace;
};

/* How a step of run() ended: go on emulating, run is over (return 0), or
 * the backend itself failed (return -1). */
enum step { STEP_GO_ON, STEP_DONE, STEP_FAILED };

static const int gpr_ids[GPR_R8] = {
	[GPR_EAX] = UC_X86_REG_EAX, [GPR_ECX] = UC_X86_REG_ECX,
	[GPR_EDX] = UC_X86_REG_EDX, [GPR_EBX] = UC_X86_REG_EBX,
	[GPR_ESP] = UC_X86_REG_ESP, [GPR_EBP] = UC_X86_REG_EBP,
	[GPR_ESI] = UC_X86_REG_ESI, [GPR_EDI] = UC_X86_REG_EDI,
};

_Static_assert(GPR_COUNT == UNICORN_STATE_GPRS, "a cpu_state's general registers are Unicorn's regs[]");

static const int seg_ids[SEG_COUNT] = {
	[SEG_ES] = UC_X86_REG_ES, [SEG_CS] = UC_X86_REG_CS, [SEG_SS] = UC_X86_REG_SS,
	[SEG_DS] = UC_X86_REG_DS, [SEG_FS] = UC_X86_REG_FS, [SEG_GS] = UC_X86_REG_GS,
};

static void set_err(char *err, size_t err_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t err_len, const char *fmt, ...)
{
	if (err == NULL || err_len == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

/* Unicorn writes 2, 4 or 8 bytes depending on the register and the mode;
 * a zeroed 64-bit slot takes any of them and reads back right on a
 * little-endian host. */
static uc_err reg_read(uc_engine *uc, int id, uint32_t *value)
{
	uint64_t slot = 0;
	uc_err e = uc_reg_read(uc, id, &slot);
	*value = (uint32_t)slot;
	return e;
}

static uc_err reg_write(uc_engine *uc, int id, uint32_t value)
{
	uint64_t slot = value;
	return uc_reg_write(uc, id, &slot);
}

/* ---- state ----------------------------------------------------------- */

/* Unicorn answers only in its own mode: the 64-bit names read and write
 * nothing outside UC_MODE_64, so the names used follow the VM's mode. */
static const int gpr64_ids[GPR_COUNT] = {
	UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
	UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
	UC_X86_REG_R8, UC_X86_REG_R9, UC_X86_REG_R10, UC_X86_REG_R11,
	UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15,
};

#define MSR_EFER 0xc0000080u

/* QEMU's segment flags are the descriptor's upper dword, base and limit
 * bits masked off. */
static uint32_t segment_flags(const struct x86_segment *s)
{
	return (uint32_t)(s->type & 0xf) << 8 | (uint32_t)(s->s & 1) << 12 | (uint32_t)(s->dpl & 3) << 13 |
	       (uint32_t)(s->present & 1) << 15 | (uint32_t)(s->avl & 1) << 20 | (uint32_t)(s->l & 1) << 21 |
	       (uint32_t)(s->db & 1) << 22 | (uint32_t)(s->g & 1) << 23;
}

static void segment_from_flags(struct x86_segment *s, uint32_t flags)
{
	s->type = (flags >> 8) & 0xf;
	s->s = (flags >> 12) & 1;
	s->dpl = (flags >> 13) & 3;
	s->present = (flags >> 15) & 1;
	s->avl = (flags >> 20) & 1;
	s->l = (flags >> 21) & 1;
	s->db = (flags >> 22) & 1;
	s->g = (flags >> 23) & 1;
}

static uc_err write_system_segment(uc_engine *uc, int id, const struct x86_segment *s)
{
	uc_x86_mmr mmr = { .selector = s->selector, .base = s->base, .limit = s->limit,
			   .flags = segment_flags(s) };
	return uc_reg_write(uc, id, &mmr);
}

static uc_err read_system_segment(uc_engine *uc, int id, struct x86_segment *s)
{
	uc_x86_mmr mmr = { 0 };
	uc_err e = uc_reg_read(uc, id, &mmr);
	*s = (struct x86_segment){ .selector = mmr.selector, .base = mmr.base, .limit = mmr.limit };
	segment_from_flags(s, mmr.flags);
	return e;
}

static uc_err write_table(uc_engine *uc, int id, const struct x86_table *t)
{
	uc_x86_mmr mmr = { .base = t->base, .limit = t->limit };
	return uc_reg_write(uc, id, &mmr);
}

static uc_err read_table(uc_engine *uc, int id, struct x86_table *t)
{
	uc_x86_mmr mmr = { 0 };
	uc_err e = uc_reg_read(uc, id, &mmr);
	*t = (struct x86_table){ .base = mmr.base, .limit = (uint16_t)mmr.limit };
	return e;
}

static uc_err write_u64(uc_engine *uc, int id, uint64_t value)
{
	return uc_reg_write(uc, id, &value);
}

static uc_err read_u64(uc_engine *uc, int id, uint64_t *value)
{
	*value = 0;
	return uc_reg_read(uc, id, value);
}

/* The order matters: paging needs CR4.PAE, CR3 and EFER.LME in place when
 * CR0.PG turns it on (Unicorn then sets EFER.LMA itself). */
static uc_err write_control(uc_engine *uc, const struct cpu_state *state)
{
	uc_x86_msr efer = { .rid = MSR_EFER, .value = state->efer };
	uc_err e = write_u64(uc, UC_X86_REG_CR4, state->cr4);
	if (e == UC_ERR_OK)
		e = write_u64(uc, UC_X86_REG_CR3, state->cr3);
	if (e == UC_ERR_OK)
		e = write_u64(uc, UC_X86_REG_CR2, state->cr2);
	if (e == UC_ERR_OK)
		e = uc_reg_write(uc, UC_X86_REG_MSR, &efer);
	if (e == UC_ERR_OK)
		e = write_u64(uc, UC_X86_REG_CR0, state->cr0);
	if (e == UC_ERR_OK)
		e = write_table(uc, UC_X86_REG_GDTR, &state->gdt);
	if (e == UC_ERR_OK)
		e = write_table(uc, UC_X86_REG_IDTR, &state->idt);
	if (e == UC_ERR_OK)
		e = write_system_segment(uc, UC_X86_REG_TR, &state->tr);
	if (e == UC_ERR_OK)
		e = write_system_segment(uc, UC_X86_REG_LDTR, &state->ldtr);
	return e;
}

static uc_err read_control(uc_engine *uc, struct cpu_state *state)
{
	uc_x86_msr efer = { .rid = MSR_EFER };
	uc_err e = read_u64(uc, UC_X86_REG_CR0, &state->cr0);
	if (e == UC_ERR_OK)
		e = read_u64(uc, UC_X86_REG_CR2, &state->cr2);
	if (e == UC_ERR_OK)
		e = read_u64(uc, UC_X86_REG_CR3, &state->cr3);
	if (e == UC_ERR_OK)
		e = read_u64(uc, UC_X86_REG_CR4, &state->cr4);
	if (e == UC_ERR_OK)
		e = uc_reg_read(uc, UC_X86_REG_MSR, &efer);
	state->efer = efer.value;
	if (e == UC_ERR_OK)
		e = read_table(uc, UC_X86_REG_GDTR, &state->gdt);
	if (e == UC_ERR_OK)
		e = read_table(uc, UC_X86_REG_IDTR, &state->idt);
	if (e == UC_ERR_OK)
		e = read_system_segment(uc, UC_X86_REG_TR, &state->tr);
	if (e == UC_ERR_OK)
		e = read_system_segment(uc, UC_X86_REG_LDTR, &state->ldtr);
	return e;
}

/* A selector write is a segment load for Unicorn: in real mode the base
 * becomes selector * 16 (uc_emu_start computes the start address from
 * cs * 16 as well); with CR0.PE set the descriptor is read from the GDT,
 * so the control registers and GDTR go first. */
static uc_err write_segments(uc_engine *uc, const struct x86_segment seg[SEG_COUNT])
{
	for (int i = 0; i < SEG_COUNT; i++) {
		uc_err e = reg_write(uc, seg_ids[i], seg[i].selector);
		if (e != UC_ERR_OK)
			return e;
	}
	return UC_ERR_OK;
}

/* Back from long mode in a 16- or 32-bit engine, the registers go in
 * whole (machine/backend/unicorn_state.h): its register names would clear
 * the upper halves, which a CPU keeps. */
static uc_err write_gprs(struct vm *vm, const struct cpu_state *state)
{
	bool wide = vm->mode == X86_MODE_LONG;
	if (!wide && vm->been_long && unicorn_state_write_gprs(vm->uc, &vm->unicorn_state, state->gpr))
		return UC_ERR_OK;
	uc_err e = UC_ERR_OK;
	for (int i = 0; i < (wide ? GPR_COUNT : GPR_R8) && e == UC_ERR_OK; i++)
		e = wide ? write_u64(vm->uc, gpr64_ids[i], state->gpr[i])
			 : reg_write(vm->uc, gpr_ids[i], (uint32_t)state->gpr[i]);
	return e;
}

static uc_err write_state(struct vm *vm, const struct cpu_state *state)
{
	uc_engine *uc = vm->uc;
	bool wide = vm->mode == X86_MODE_LONG;
	uc_err e = write_control(uc, state);
	if (e == UC_ERR_OK)
		e = write_segments(uc, state->seg);
	if (e == UC_ERR_OK)
		e = write_gprs(vm, state);
	if (e == UC_ERR_OK)
		e = reg_write(uc, UC_X86_REG_EFLAGS, (uint32_t)state->rflags | FLAG_FIXED);
	if (e == UC_ERR_OK)
		e = wide ? write_u64(uc, UC_X86_REG_RIP, state->rip)
			 : reg_write(uc, UC_X86_REG_EIP, (uint32_t)state->rip);
	if (e == UC_ERR_OK)
		memcpy(vm->segments, state->seg, sizeof(vm->segments));
	return e;
}

/* Unicorn shows a segment's selector only: the rest is what set_state
 * loaded, with the base following the selector in real mode. */
static void read_segment_caches(const struct vm *vm, struct cpu_state *state)
{
	for (int i = 0; i < SEG_COUNT; i++) {
		uint16_t selector = state->seg[i].selector;
		state->seg[i] = vm->segments[i];
		state->seg[i].selector = selector;
		if (vm->mode == X86_MODE_REAL)
			state->seg[i].base = (uint64_t)selector << 4;
	}
}

/* A 16- or 32-bit engine's register names show the low halves of eight
 * registers: back from long mode, the rest are read from its saved state
 * (machine/backend/unicorn_state.h), else reported as 0. */
static uc_err read_gprs(struct vm *vm, struct cpu_state *state)
{
	uc_err e = UC_ERR_OK;
	if (vm->mode == X86_MODE_LONG) {
		for (int i = 0; i < GPR_COUNT && e == UC_ERR_OK; i++)
			e = read_u64(vm->uc, gpr64_ids[i], &state->gpr[i]);
		return e;
	}
	if (vm->been_long && unicorn_state_read_gprs(vm->uc, &vm->unicorn_state, state->gpr))
		return UC_ERR_OK;
	for (int i = 0; i < GPR_R8 && e == UC_ERR_OK; i++) {
		uint32_t value = 0;
		e = reg_read(vm->uc, gpr_ids[i], &value);
		state->gpr[i] = value;
	}
	return e;
}

static uc_err read_state(struct vm *vm, struct cpu_state *state)
{
	uc_engine *uc = vm->uc;
	bool wide = vm->mode == X86_MODE_LONG;
	memset(state, 0, sizeof(*state));
	uc_err e = read_gprs(vm, state);
	for (int i = 0; i < SEG_COUNT && e == UC_ERR_OK; i++) {
		uint32_t selector = 0;
		e = reg_read(uc, seg_ids[i], &selector);
		state->seg[i].selector = (uint16_t)selector;
	}
	read_segment_caches(vm, state);
	uint32_t eflags = 0, eip = 0;
	if (e == UC_ERR_OK)
		e = reg_read(uc, UC_X86_REG_EFLAGS, &eflags);
	state->rflags = eflags;
	if (e == UC_ERR_OK)
		e = wide ? read_u64(uc, UC_X86_REG_RIP, &state->rip) : reg_read(uc, UC_X86_REG_EIP, &eip);
	if (!wide)
		state->rip = eip;
	if (e == UC_ERR_OK)
		e = read_control(uc, state);
	return e;
}

static uint64_t linear(uint16_t segment, uint16_t offset)
{
	return (uint64_t)segment * 16 + offset;
}

/* ---- exits ------------------------------------------------------------ */

static enum vm_action deliver(struct vm *vm, struct vm_exit *exit)
{
	return vm->handler(vm->ctx, exit);
}

static enum step finish(struct vm *vm, enum vm_exit_kind kind, const char *reason)
{
	struct vm_exit exit = { .kind = kind };
	snprintf(exit.reason, sizeof(exit.reason), "%s", reason);
	deliver(vm, &exit);
	return STEP_DONE;
}

static const char *access_name(uc_mem_type type)
{
	switch (type) {
	case UC_MEM_WRITE_UNMAPPED: return "write";
	case UC_MEM_FETCH_UNMAPPED: return "fetch";
	default: return "read";
	}
}

static enum step finish_unmapped(struct vm *vm, uc_mem_type type, uint64_t address)
{
	char reason[sizeof(((struct vm_exit *)0)->reason)];
	snprintf(reason, sizeof(reason), "unmapped memory %s at 0x%08" PRIx64,
		 access_name(type), address);
	return finish(vm, VM_EXIT_ERROR, reason);
}

static enum step finish_uc_error(struct vm *vm, uc_err e)
{
	uint32_t cs = 0, eip = 0;
	char reason[sizeof(((struct vm_exit *)0)->reason)];
	/* Best effort: the error is what matters, cs:ip only locates it. */
	reg_read(vm->uc, UC_X86_REG_CS, &cs);
	reg_read(vm->uc, UC_X86_REG_EIP, &eip);
	snprintf(reason, sizeof(reason), "%s at %04x:%04x", uc_strerror(e),
		 (unsigned)cs, (unsigned)eip);
	return finish(vm, VM_EXIT_ERROR, reason);
}

static enum step finish_kicked(struct vm *vm)
{
	vm->kicked = 0;
	return finish(vm, VM_EXIT_KICKED, "");
}

/* ---- hooks (called by Unicorn in the middle of emulation) ------------- */

/* Only I/O is seen by the handler, so ignoring it after a stop is what
 * makes a stop precise without a per-instruction hook. */
static bool muted(const struct vm *vm)
{
	return vm->stop_requested || vm->unmapped.hit || vm->unsupported || vm->reopen_wanted;
}

/* A kick that lands while uc_emu_start is still setting up is cleared by
 * it; asking again whenever the guest comes back to us recovers it. */
static void renew_kick(struct vm *vm)
{
	if (vm->kicked)
		uc_emu_stop(vm->uc);
}

static void serve_io(struct vm *vm, uint32_t port, int size, bool is_write, uint8_t *data)
{
	struct vm_exit exit = {
		.kind = VM_EXIT_IO,
		.io = { .port = (uint16_t)port, .size = (uint8_t)size,
			.is_write = is_write, .count = 1, .data = data },
	};
	if (deliver(vm, &exit) == VM_STOP) {
		vm->stop_requested = true;
		uc_emu_stop(vm->uc);
	}
	renew_kick(vm);
}

static void on_out(uc_engine *uc, uint32_t port, int size, uint32_t value, void *user)
{
	(void)uc;
	struct vm *vm = user;
	if (muted(vm))
		return;
	uint8_t data[4];
	for (int i = 0; i < size && i < 4; i++)
		data[i] = (uint8_t)(value >> (8 * i));
	serve_io(vm, port, size, true, data);
}

static uint32_t on_in(uc_engine *uc, uint32_t port, int size, void *user)
{
	(void)uc;
	struct vm *vm = user;
	uint8_t data[4] = { 0 };
	if (!muted(vm))
		serve_io(vm, port, size, false, data);
	uint32_t value = 0;
	for (int i = 0; i < size && i < 4; i++)
		value |= (uint32_t)data[i] << (8 * i);
	return value;
}

static void note_interrupt(struct vm *vm, uint8_t vector, bool from_ud_hook)
{
	uint32_t eip = 0;
	reg_read(vm->uc, UC_X86_REG_EIP, &eip);
	vm->pending = (struct pending_interrupt){
		.set = true, .from_ud_hook = from_ud_hook, .vector = vector, .eip = eip,
	};
}

/* Unicorn has already moved eip past a software interrupt and left it on a
 * faulting instruction; stopping here keeps the next instruction from
 * running before the IVT is consulted. */
static void on_interrupt(uc_engine *uc, uint32_t vector, void *user)
{
	struct vm *vm = user;
	if (muted(vm))
		return;
	note_interrupt(vm, (uint8_t)vector, false);
	uc_emu_stop(uc);
}

/* Returning true makes Unicorn stop with UC_ERR_OK instead of failing. */
static bool on_invalid(uc_engine *uc, void *user)
{
	(void)uc;
	struct vm *vm = user;
	if (!muted(vm))
		note_interrupt(vm, VECTOR_UD, true);
	return true;
}

/* A guest started in real mode may have set CR0.PE itself: then the IVT
 * is no longer how the CPU delivers, and loading CS as a real-mode
 * segment would fail. */
static bool protection_on(struct vm *vm)
{
	uint32_t cr0 = 0;
	return reg_read(vm->uc, UC_X86_REG_CR0, &cr0) == UC_ERR_OK && (cr0 & CR0_PE);
}

/* Whether the code running is 64-bit: always in an engine opened for a
 * long-mode case; in one reopened for the guest's own switch to long mode
 * (reopen_engine), only once EFER.LMA is on and CS names a 64-bit code
 * segment, as Unicorn shows only CS's selector. */
static bool code64(struct vm *vm)
{
	if (vm->mode != X86_MODE_LONG)
		return false;
	if (!vm->switched)
		return true;
	struct cpu_state state = { 0 };
	uint32_t cs = 0;
	struct x86_segment loaded;
	return read_control(vm->uc, &state) == UC_ERR_OK && (state.efer & EFER_LMA) &&
	       reg_read(vm->uc, UC_X86_REG_CS, &cs) == UC_ERR_OK &&
	       x86_descriptor_load(&state, vm->mem, vm->mem_size, (uint16_t)cs, &loaded) == 0 && loaded.l;
}

/* A fault raised here before the instruction at eip runs: noted for
 * delivery once emulation has stopped. */
static void fault_pending(struct vm *vm, uint8_t vector, uint32_t eip)
{
	vm->pending = (struct pending_interrupt){ .set = true, .fault = true, .vector = vector, .eip = eip };
	uc_emu_stop(vm->uc);
}

/* Unicorn hands SYSCALL and SYSENTER to hooks and then steps over them,
 * where a CPU raises a fault: SYSCALL is #UD without EFER.SCE (and outside
 * 64-bit code on Intel), SYSENTER is #GP(0) in real mode. Left as they
 * were, both would be no-ops and a guest relying on the fault would pass. */
static void raise_at_instruction(struct vm *vm, uint8_t vector)
{
	uint32_t eip = 0;
	reg_read(vm->uc, UC_X86_REG_EIP, &eip);
	fault_pending(vm, vector, eip);
}

static void on_syscall(uc_engine *uc, void *user)
{
	struct vm *vm = user;
	if (muted(vm))
		return;
	uc_x86_msr efer = { .rid = MSR_EFER };
	if (code64(vm) && uc_reg_read(uc, UC_X86_REG_MSR, &efer) == UC_ERR_OK && (efer.value & EFER_SCE)) {
		vm->unsupported = "emu: syscall with EFER.SCE set is not emulated";
		uc_emu_stop(uc);
		return;
	}
	raise_at_instruction(vm, VECTOR_UD);
}

static void on_sysenter(uc_engine *uc, void *user)
{
	(void)uc;
	struct vm *vm = user;
	if (muted(vm))
		return;
	if (!protection_on(vm)) {
		raise_at_instruction(vm, VECTOR_GP);
		return;
	}
	vm->unsupported = "emu: sysenter is not emulated";
	uc_emu_stop(vm->uc);
}

/* ---- system instructions (x86/system_insn.h) ------------------------- */

/* Unicorn's TCG accepts any value in CR0 and CR4, reads and writes any MSR
 * without a fault, and crashes on a breakpoint on instruction execution;
 * a CPU (and KVM) raises #GP or #DB. A guest whose memory holds such
 * instructions runs with a hook on every instruction that checks them
 * first, and carries out the debug-register moves itself. */

static uc_err gpr_read(struct vm *vm, int gpr, uint64_t *value)
{
	if (vm->mode == X86_MODE_LONG)
		return read_u64(vm->uc, gpr64_ids[gpr], value);
	uint32_t v = 0;
	uc_err e = gpr < GPR_R8 ? reg_read(vm->uc, gpr_ids[gpr], &v) : UC_ERR_ARG;
	*value = v;
	return e;
}

static uc_err gpr_write(struct vm *vm, int gpr, uint64_t value)
{
	if (vm->mode == X86_MODE_LONG)
		return write_u64(vm->uc, gpr64_ids[gpr], value);
	return gpr < GPR_R8 ? reg_write(vm->uc, gpr_ids[gpr], (uint32_t)value) : UC_ERR_ARG;
}

static void read_ctl(struct vm *vm, struct sys_ctl *ctl)
{
	uc_x86_msr efer = { .rid = MSR_EFER };
	*ctl = (struct sys_ctl){ 0 };
	read_u64(vm->uc, UC_X86_REG_CR0, &ctl->cr0);
	read_u64(vm->uc, UC_X86_REG_CR4, &ctl->cr4);
	if (uc_reg_read(vm->uc, UC_X86_REG_MSR, &efer) == UC_ERR_OK)
		ctl->efer = efer.value;
	ctl->long64 = code64(vm);
}

/* The offset in the code segment of the instruction at linear address. */
static uint32_t code_offset(struct vm *vm, uint64_t address)
{
	uint64_t cs_base = 0;
	uint32_t cs = 0;
	if (reg_read(vm->uc, UC_X86_REG_CS, &cs) == UC_ERR_OK)
		cs_base = linear((uint16_t)cs, 0);
	/* Outside real mode, cases' code segments are flat. */
	return (uint32_t)(address - (protection_on(vm) ? 0 : cs_base));
}

static void fault_at(struct vm *vm, uint64_t address, uint8_t vector)
{
	fault_pending(vm, vector, code_offset(vm, address));
}

/* Done here instead of by Unicorn: go on after the instruction. */
static void carried_out(struct vm *vm, uint64_t address, uint32_t size)
{
	uint32_t eip = code_offset(vm, address) + size;
	if (vm->mode == X86_MODE_LONG)
		write_u64(vm->uc, UC_X86_REG_RIP, address + size);
	else
		reg_write(vm->uc, UC_X86_REG_EIP, eip);
	vm->resume = true;
	uc_emu_stop(vm->uc);
}

/* As KVM keeps DR7: bit 10 always set, the reserved bits clear. */
#define DR7_FIXED_1 0x400u
#define DR7_VOLATILE 0xffff2bffu

static void dr7_write(struct vm *vm, uint64_t value)
{
	value = (value & DR7_VOLATILE) | DR7_FIXED_1;
	vm->dr7 = value;
	write_u64(vm->uc, UC_X86_REG_DR7, value & ~sys_dr7_exec_enables(value));
}

#define VECTOR_DB 1
#define DR6_B0 1u

/* A breakpoint on execution of the instruction at address is a fault:
 * #DB before it runs, with DR6 naming the breakpoint. */
static bool exec_breakpoint(struct vm *vm, uint64_t address)
{
	uint64_t enables = sys_dr7_exec_enables(vm->dr7);
	static const int dr_ids[4] = { UC_X86_REG_DR0, UC_X86_REG_DR1, UC_X86_REG_DR2, UC_X86_REG_DR3 };
	for (int n = 0; enables && n < 4; n++) {
		uint64_t at = 0;
		if (!((enables >> (2 * n)) & 3) || read_u64(vm->uc, dr_ids[n], &at) != UC_ERR_OK || at != address)
			continue;
		uint64_t dr6 = 0;
		read_u64(vm->uc, UC_X86_REG_DR6, &dr6);
		write_u64(vm->uc, UC_X86_REG_DR6, dr6 | (DR6_B0 << n));
		fault_at(vm, address, VECTOR_DB);
		return true;
	}
	return false;
}

static void uncount_fault(struct vm *vm);

/* Stops before the instruction at address, which then runs in a new
 * engine of the given mode (reopen_engine): counted once, there. */
static void reopen_before(struct vm *vm, enum x86_mode mode, uint64_t address)
{
	uncount_fault(vm);
	vm->reopen_wanted = true;
	vm->reopen_mode = mode;
	vm->reopen_at = address;
	uc_emu_stop(vm->uc);
}

static void police_msr(struct vm *vm, const struct sys_insn *insn, const struct sys_ctl *ctl, uint64_t address)
{
	uint64_t ecx = 0, eax = 0, edx = 0;
	gpr_read(vm, GPR_ECX, &ecx);
	gpr_read(vm, GPR_EAX, &eax);
	gpr_read(vm, GPR_EDX, &edx);
	uint64_t value = (edx & 0xffffffffu) << 32 | (eax & 0xffffffffu);
	bool ok = insn->kind == SYS_INSN_RDMSR ? sys_msr_known((uint32_t)ecx)
					       : sys_msr_write_ok(ctl, (uint32_t)ecx, value);
	if (!ok)
		fault_at(vm, address, VECTOR_GP);
	else if (insn->kind == SYS_INSN_WRMSR && ecx == MSR_EFER && (value & EFER_LME) && vm->mode != X86_MODE_LONG)
		reopen_before(vm, X86_MODE_LONG, address);
}

/* Unicorn's smsw writes 16 bits whatever the operand size; a CPU (and
 * KVM) stores CR0 whole in a 32- or 64-bit register. */
static void smsw_to_register(struct vm *vm, const struct sys_insn *insn, const struct sys_ctl *ctl,
			     uint64_t address, uint32_t size)
{
	unsigned bytes;
	if (code64(vm))
		bytes = insn->rex_w ? 8 : insn->operand_prefix ? 2 : 4;
	else
		bytes = (vm->mode == X86_MODE_REAL) != insn->operand_prefix ? 2 : 4;
	if (bytes == 2)
		return;
	/* A 32-bit write in 64-bit code clears the upper half, as the CPU's. */
	gpr_write(vm, insn->gpr, bytes == 8 ? ctl->cr0 : ctl->cr0 & 0xffffffffu);
	carried_out(vm, address, size);
}

/* Ends the run with an error, standing at the instruction at address. */
static void stop_unsupported_at(struct vm *vm, uint64_t address)
{
	vm->unsupported = vm->unsupported_text;
	if (vm->mode == X86_MODE_LONG)
		write_u64(vm->uc, UC_X86_REG_RIP, address);
	else
		reg_write(vm->uc, UC_X86_REG_EIP, code_offset(vm, address));
	uc_emu_stop(vm->uc);
}

/* Unicorn raises #UD at vmcall and vmmcall; a CPU under KVM makes the
 * hypercall, and this host's KVM spins at it. kvmcheck is no hypervisor,
 * so the case ends here, standing at the instruction, in the words the
 * kvm backend uses (machine.c finds it there at the timeout). */
static void stop_at_hypercall(struct vm *vm, const struct sys_insn *insn, uint64_t address)
{
	uncount_fault(vm); /* counted before it ran, and it does not: kvm stops before it too */
	sys_hypercall_reason(vm->unsupported_text, sizeof(vm->unsupported_text), sys_hypercall_name(insn));
	stop_unsupported_at(vm, address);
}

static void police(struct vm *vm, const struct sys_insn *insn, uint64_t address, uint32_t size)
{
	struct sys_ctl ctl;
	read_ctl(vm, &ctl);
	uint64_t value = 0;
	switch (insn->kind) {
	case SYS_INSN_MOV_TO_CR:
		gpr_read(vm, insn->gpr, &value);
		if (insn->reg == 0 && ((value | ctl.cr0) & CR0_PE))
			vm->been_protected = true;
		if ((insn->reg == 0 && !sys_cr0_write_ok(&ctl, value)) ||
		    (insn->reg == 4 && !sys_cr4_write_ok(&ctl, value))) {
			fault_at(vm, address, VECTOR_GP);
			return;
		}
		if (insn->reg == 0)
			vm->alignment_on = (value & CR0_AM) != 0;
		if (insn->reg == 0 && vm->switched && !(value & CR0_PE))
			reopen_before(vm, X86_MODE_REAL, address);
		return;
	case SYS_INSN_MOV_TO_DR:
		if (insn->reg != 7)
			return;
		gpr_read(vm, insn->gpr, &value);
		if (value >> 32) {
			fault_at(vm, address, VECTOR_GP);
			return;
		}
		dr7_write(vm, value);
		carried_out(vm, address, size);
		return;
	case SYS_INSN_MOV_FROM_DR:
		if (insn->reg != 7)
			return;
		gpr_write(vm, insn->gpr, vm->dr7);
		carried_out(vm, address, size);
		return;
	case SYS_INSN_RDMSR:
	case SYS_INSN_WRMSR:
		police_msr(vm, insn, &ctl, address);
		return;
	case SYS_INSN_SMSW_REG:
		smsw_to_register(vm, insn, &ctl, address, size);
		return;
	case SYS_INSN_HYPERCALL:
		stop_at_hypercall(vm, insn, address);
		return;
	}
}

/* The thread's decodings for check_alignment, opened at its first use. */
static struct x86_align_decoder *align_decoder(void)
{
	static _Thread_local struct x86_align_decoder *decoder;
	if (decoder == NULL)
		decoder = x86_align_decoder_open();
	return decoder;
}

/* The segment bases and code size outside real mode, from the guest's
 * descriptor tables (Unicorn shows selectors only); FS and GS from their
 * base registers in 64-bit code, the only bases used there. */
static bool alignment_regs(struct vm *vm, bool long64, struct x86_align_regs *regs, bool *code32)
{
	struct cpu_state state = { 0 };
	if (read_gprs(vm, &state) != UC_ERR_OK || read_control(vm->uc, &state) != UC_ERR_OK)
		return false;
	memcpy(regs->gpr, state.gpr, sizeof(regs->gpr));
	*code32 = long64;
	for (int i = 0; i < SEG_COUNT && !long64; i++) {
		uint32_t selector = 0;
		struct x86_segment loaded = { 0 };
		if (reg_read(vm->uc, seg_ids[i], &selector) == UC_ERR_OK &&
		    x86_descriptor_load(&state, vm->mem, vm->mem_size, (uint16_t)selector, &loaded) == 0)
			regs->seg_base[i] = loaded.base;
		if (i == SEG_CS)
			*code32 = loaded.db;
	}
	return !long64 || (read_u64(vm->uc, UC_X86_REG_FS_BASE, &regs->seg_base[SEG_FS]) == UC_ERR_OK &&
			   read_u64(vm->uc, UC_X86_REG_GS_BASE, &regs->seg_base[SEG_GS]) == UC_ERR_OK);
}

/* Unicorn raises no #AC. With CR0.AM set, an instruction about to run at
 * level 3 with RFLAGS.AC is checked here, and one that would touch memory
 * misaligned raises #AC (error code 0) before it does anything. */
static void check_alignment(struct vm *vm, uint64_t address, size_t avail)
{
	uint32_t eflags = 0, cs = 0;
	if (reg_read(vm->uc, UC_X86_REG_EFLAGS, &eflags) != UC_ERR_OK || !(eflags & FLAG_AC) ||
	    reg_read(vm->uc, UC_X86_REG_CS, &cs) != UC_ERR_OK || (cs & 3) != 3 || !protection_on(vm))
		return;
	struct x86_align_decoder *decoder = align_decoder();
	struct x86_align_regs regs = { 0 };
	bool long64 = code64(vm), code32;
	if (decoder && alignment_regs(vm, long64, &regs, &code32) &&
	    x86_align_misaligned(decoder, vm->mem + address, avail, long64, code32, &regs))
		fault_at(vm, address, X86_VECTOR_AC);
}

static void on_each_instruction(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	(void)uc;
	struct vm *vm = user;
	/* An instruction carried out here wrote eip, which outside real mode
	 * Unicorn takes as a jump to go on from, dropping the stop: ask again,
	 * before the next instruction runs. */
	if (vm->resume && !muted(vm)) {
		uc_emu_stop(uc);
		return;
	}
	if (muted(vm) || vm->pending.set || address >= vm->mem_size)
		return;
	bool resumed = vm->rf_suppress && vm->rf_at == address;
	vm->rf_suppress = false;
	if (!resumed && (vm->dr7 & ~(uint64_t)DR7_FIXED_1) && exec_breakpoint(vm, address))
		return;
	size_t avail = vm->mem_size - address < size ? vm->mem_size - address : size;
	struct sys_insn insn;
	if (sys_insn_decode(vm->mem + address, avail, code64(vm), &insn))
		police(vm, &insn, address, size);
	else if (vm->alignment_on)
		check_alignment(vm, address, avail);
}

/* A jump to itself is a translated block of its own, entered again and
 * again: the second entry in a row at the same address is the guest
 * parked there. The first is let run, so the jump counts once, as it
 * does on kvm. The stop is asked for here, synchronously: a stop from a
 * signal, resumed, could redo the block's I/O (see emu_watch_parking). */
static void on_block(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	struct vm *vm = user;
	(void)size;
	bool again = vm->last_block_known && vm->last_block == address;
	vm->last_block = address;
	vm->last_block_known = true;
	if (!again || muted(vm) || vm->pending.set || vm->resume || address + 5 > vm->mem_size)
		return;
	if (x86_insn_is_jump_to_self(vm->mem + address, 5, vm->mode == X86_MODE_REAL)) {
		vm->parked = true;
		uc_emu_stop(uc);
	}
}

/* Whether guest RAM holds what found looks for. Only the pages set-up
 * touched can hold anything but zeros: scanning the rest would fault in
 * every page of RAM for each fresh VM. */
static bool ram_holds(const struct vm *vm, bool (*found)(const uint8_t *p, size_t n, void *ctx))
{
	int touched = guest_ram_each_touched(vm->mem, vm->mem_size, found, NULL);
	return touched < 0 ? found(vm->mem, vm->mem_size, NULL) : touched == 1;
}

/* Unicorn 2.0.1 loads RF with an iretd and keeps it: a CPU clears it once
 * the next instruction has run, and pushfd never stores it. The first
 * block after an iret starts at the instruction RF belongs to, so a block
 * hook clears it there and remembers where (a breakpoint on that
 * instruction does not fire: exec_breakpoint). */
static void on_block_clear_rf(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	(void)size;
	struct vm *vm = user;
	uint64_t flags = 0;
	if (muted(vm) || read_u64(uc, UC_X86_REG_EFLAGS, &flags) != UC_ERR_OK || !(flags & FLAG_RF))
		return;
	write_u64(uc, UC_X86_REG_EFLAGS, flags & ~(uint64_t)FLAG_RF);
	vm->rf_suppress = true;
	vm->rf_at = address;
}

static bool iret_in(const uint8_t *p, size_t n, void *ctx)
{
	(void)ctx;
	return memchr(p, OPCODE_IRET, n) != NULL;
}

/* Only a guest holding an iret opcode byte at the start pays for the
 * block hook; runs with firmware go without (the reason given at
 * emu_firmware_present), as its 16-bit iret loads no RF. */
static uc_err hook_resume_flag(struct vm *vm)
{
	vm->rf_watched = true;
	if (vm->firmware)
		return UC_ERR_OK;
	if (!ram_holds(vm, iret_in))
		return UC_ERR_OK;
	uc_hook h;
	uc_err e = uc_hook_add(vm->uc, &h, UC_HOOK_BLOCK, (void *)on_block_clear_rf, vm, 1, 0);
	vm->rf_hooked = e == UC_ERR_OK;
	return e;
}

static bool system_instructions_in(const uint8_t *p, size_t n, void *ctx)
{
	(void)ctx;
	return sys_insn_present(p, n);
}


/* Scans memory once, at the first run: a guest without these instructions
 * pays nothing. The firmware's runs go without (see emu_firmware_present). */
static uc_err hook_system_instructions(struct vm *vm)
{
	vm->system_checked = true;
	if (vm->firmware || (!vm->alignment_on && !ram_holds(vm, system_instructions_in)))
		return UC_ERR_OK;
	uc_hook h;
	uc_err e = uc_hook_add(vm->uc, &h, UC_HOOK_CODE, (void *)on_each_instruction, vm, 1, 0);
	vm->system_hooked = e == UC_ERR_OK;
	return e;
}

static bool on_unmapped(uc_engine *uc, uc_mem_type type, uint64_t address, int size,
			int64_t value, void *user)
{
	(void)uc, (void)size, (void)value;
	struct vm *vm = user;
	if (!muted(vm))
		vm->unmapped = (struct unmapped_access){ .hit = true, .type = type, .address = address };
	return false;
}

/* Only the registers an access is made of: each read is a call into Unicorn. */
static bool read_needed_gprs(struct vm *vm, uint16_t needed, uint32_t gpr[GPR_R8])
{
	for (int i = 0; i < GPR_R8; i++)
		if ((needed >> i) & 1 && reg_read(vm->uc, gpr_ids[i], &gpr[i]) != UC_ERR_OK)
			return false;
	return true;
}

/* CS's base, read from Unicorn only after a far transfer or a stop could
 * have changed it: a call into Unicorn for every instruction would cost
 * the run time of every real-mode guest (README, Parity). The instruction
 * about to run (loads_cs: whether it may load CS) is looked at before it
 * runs, so the next one reads CS again after any that may. */
static bool current_code_base(struct vm *vm, bool loads_cs, uint64_t *base)
{
	uint32_t cs = 0;
	if (!vm->code_base_known) {
		if (reg_read(vm->uc, UC_X86_REG_CS, &cs) != UC_ERR_OK)
			return false;
		vm->code_base = linear((uint16_t)cs, 0);
		vm->code_base_known = true;
	}
	*base = vm->code_base;
	vm->code_base_known = !loads_cs;
	return true;
}

/* Real mode's code segment ends at offset 0xffff: an instruction that
 * starts beyond it or runs past it raises #GP before it runs, where
 * Unicorn would fetch on into the next 64 KiB, whatever CS the guest
 * went to. Back in real mode after protected mode, CS's limit is taken
 * to be real mode's too. CR0.PE is read only before a fault (or once the
 * guest is known to have set it): not every way into protected mode is
 * watched (lmsw). An invalid instruction comes with no size (Unicorn
 * passes a marker far above 15): its #UD is Unicorn's. */
static bool past_code_segment_end(struct vm *vm, uint64_t address, uint32_t size, bool loads_cs)
{
	uint64_t base;
	if (vm->been_protected && protection_on(vm)) {
		vm->code_base_known = false;
		return false;
	}
	if (!current_code_base(vm, loads_cs, &base) || size > MAX_INSN_LENGTH)
		return false;
	if (address < base || address - base + size <= REAL_SEGMENT_SIZE)
		return false;
	if (protection_on(vm)) {
		vm->been_protected = true;
		vm->code_base_known = false;
		return false;
	}
	fault_pending(vm, VECTOR_GP, (uint32_t)(address - base));
	return true;
}

/* Real mode's data segments end at offset 0xffff as its code segment does:
 * an access whose last byte lies beyond raises #GP (#SS through SS) before
 * the instruction does anything. Unicorn checks no limit, so this hook, on
 * every instruction of a real-mode run and before each iteration of a rep
 * string instruction, checks the instruction's own place in the code
 * segment first, then the accesses x86/real_access.c finds in it (one
 * lookup, cached per address, answers both) against
 * the limits set_state loaded (a real-mode segment load keeps the limit).
 * A guest that set CR0.PE may have loaded other data segment limits
 * (unreal mode), which Unicorn does not show: from then on those are not
 * checked. */
static void on_real_limits(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	(void)uc;
	struct vm *vm = user;
	if (muted(vm) || vm->pending.set || vm->resume)
		return;
	const struct real_access_slot *slot =
		address + size <= vm->mem_size ? real_access_slot_lookup(vm->data_limit, address, vm->mem + address, size)
					       : NULL;
	/* Without a slot (the end of RAM, an invalid instruction) CS is read again. */
	if (past_code_segment_end(vm, address, size, slot == NULL || slot->loads_cs) || vm->been_protected ||
	    slot == NULL)
		return;
	const struct real_access *access = real_access_of(slot);
	uint32_t gpr[GPR_R8] = { 0 };
	if (access == NULL || !read_needed_gprs(vm, access->regs_needed, gpr))
		return;
	uint32_t limit[SEG_COUNT];
	for (int i = 0; i < SEG_COUNT; i++)
		limit[i] = vm->segments[i].limit;
	enum real_limit_fault fault = real_access_fault(access, gpr, limit);
	if (fault == REAL_LIMIT_OK)
		return;
	if (protection_on(vm)) {
		vm->been_protected = true;
		return;
	}
	fault_at(vm, address, (uint8_t)fault);
}

static uc_err hook_real_limits(struct vm *vm)
{
	vm->data_limit = real_access_thread_cache();
	if (vm->data_limit == NULL)
		return UC_ERR_NOMEM;
	uc_hook h;
	return uc_hook_add(vm->uc, &h, UC_HOOK_CODE, (void *)on_real_limits, vm, 1, 0);
}

/* Called before each instruction runs, and again before each iteration of
 * a rep string instruction, which counts once (README "Metrics"). */
static void on_count_code(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	struct vm *vm = user;
	struct instruction_count *n = &vm->count;
	if (muted(vm) || n->over)
		return;
	uint8_t code[MAX_INSN_LENGTH];
	size_t len = size < MAX_INSN_LENGTH ? size : MAX_INSN_LENGTH;
	if (uc_mem_read(uc, address, code, len) != UC_ERR_OK)
		len = 0;
	bool again = n->event_known && n->last_event == address &&
		     (x86_insn_is_rep_string(code, len, vm->mode == X86_MODE_LONG) ||
		      (n->cfg.park_once && x86_insn_is_jump_to_self(code, len, vm->mode == X86_MODE_REAL)));
	n->event_known = true;
	n->last_event = address;
	if (again)
		return;
	n->last_counted = address < n->cfg.skip_base || address >= n->cfg.skip_end;
	if (!n->last_counted)
		return;
	/* KVM's count passes the limit on the step after the instruction
	 * ran; stopping before the next one leaves the same registers. */
	if (n->instructions > n->cfg.limit) {
		n->last_counted = false;
		n->over = true;
		n->over_at = address;
		uc_emu_stop(uc);
		return;
	}
	n->instructions++;
}

/* A fault's instruction did not retire: it was counted before it ran, and
 * is taken back when the fault is delivered. */
static void uncount_fault(struct vm *vm)
{
	struct instruction_count *n = &vm->count;
	if (n->on && n->last_counted && n->instructions > 0) {
		n->instructions--;
		n->last_counted = false;
	}
}

/* Unicorn leaves the linear address in EIP after a stop asked for by a
 * code hook in 16-bit code; put back the offset of the instruction that
 * did not run. */
static uc_err place_at_limit_stop(struct vm *vm)
{
	uint64_t at = vm->count.over_at;
	if (vm->mode == X86_MODE_LONG)
		return write_u64(vm->uc, UC_X86_REG_RIP, at);
	uint32_t cs = 0;
	uc_err e = reg_read(vm->uc, UC_X86_REG_CS, &cs);
	uint64_t base = vm->mode == X86_MODE_REAL ? linear((uint16_t)cs, 0) : vm->segments[SEG_CS].base;
	if (e == UC_ERR_OK)
		e = reg_write(vm->uc, UC_X86_REG_EIP, (uint32_t)(at - base));
	return e;
}

/* The hooks every engine has, on uc (vm->uc, or the engine about to be). */
static uc_err add_hooks(struct vm *vm, uc_engine *uc)
{
	uc_hook h;
	uc_err e = uc_hook_add(uc, &h, UC_HOOK_INSN, (void *)on_out, vm, 1, 0, UC_X86_INS_OUT);
	if (e == UC_ERR_OK)
		e = uc_hook_add(uc, &h, UC_HOOK_INSN, (void *)on_in, vm, 1, 0, UC_X86_INS_IN);
	if (e == UC_ERR_OK)
		e = uc_hook_add(uc, &h, UC_HOOK_INSN, (void *)on_syscall, vm, 1, 0, UC_X86_INS_SYSCALL);
	if (e == UC_ERR_OK)
		e = uc_hook_add(uc, &h, UC_HOOK_INSN, (void *)on_sysenter, vm, 1, 0, UC_X86_INS_SYSENTER);
	if (e == UC_ERR_OK)
		e = uc_hook_add(uc, &h, UC_HOOK_INTR, (void *)on_interrupt, vm, 1, 0);
	if (e == UC_ERR_OK)
		e = uc_hook_add(uc, &h, UC_HOOK_INSN_INVALID, (void *)on_invalid, vm, 1, 0);
	if (e == UC_ERR_OK)
		e = uc_hook_add(uc, &h, UC_HOOK_MEM_UNMAPPED, (void *)on_unmapped, vm, 1, 0);
	return e;
}

/* ---- interrupt delivery through the IVT ------------------------------- */

static bool code_byte_at(struct vm *vm, uint64_t address, uint8_t *byte)
{
	return uc_mem_read(vm->uc, address, byte, 1) == UC_ERR_OK;
}

/* Length of the INT n / INT3 / INTO that raised `vector`, given where its
 * last byte and the one before are, or 0 when the vector came from a
 * fault or a trap. */
static unsigned software_int_length_between(struct vm *vm, uint64_t last_at, uint64_t before_at, uint8_t vector)
{
	uint8_t last = 0, before = 0;
	if (!code_byte_at(vm, last_at, &last))
		return 0;
	if ((vector == 3 && last == OPCODE_INT3) || (vector == 4 && last == OPCODE_INTO))
		return 1;
	if (last == vector && code_byte_at(vm, before_at, &before) && before == OPCODE_INT)
		return 2;
	return 0;
}

/* ... ending at ip: the bytes before it wrap within the 64 KiB segment. */
static uint16_t software_int_length(struct vm *vm, uint16_t cs, uint16_t ip, uint8_t vector)
{
	return (uint16_t)software_int_length_between(vm, linear(cs, (uint16_t)(ip - 1)), linear(cs, (uint16_t)(ip - 2)),
						     vector);
}

/* `int 6` shares its vector with #UD, so Unicorn reports it through the
 * invalid-instruction hook with eip still on the instruction, whose two
 * bytes are at op_at and imm_at. */
static bool is_int6_between(struct vm *vm, uint64_t op_at, uint64_t imm_at)
{
	uint8_t op = 0, imm = 0;
	return code_byte_at(vm, op_at, &op) && op == OPCODE_INT && code_byte_at(vm, imm_at, &imm) && imm == VECTOR_UD;
}

static bool is_int6_at(struct vm *vm, uint16_t cs, uint16_t ip)
{
	return is_int6_between(vm, linear(cs, ip), linear(cs, (uint16_t)(ip + 1)));
}

/* Where the guest resumes after the handler (return_ip), and what a fault
 * raised while delivering it reports instead (fault_ip): the INT
 * instruction itself for software interrupts, else the same place. */
static void return_points(struct vm *vm, uint16_t cs, uint16_t *return_ip, uint16_t *fault_ip)
{
	const struct pending_interrupt *p = &vm->pending;
	uint16_t ip = (uint16_t)p->eip;
	*return_ip = ip;
	*fault_ip = ip;
	if (p->fault)
		return;
	if (p->from_ud_hook) {
		if (is_int6_at(vm, cs, ip))
			*return_ip = (uint16_t)(ip + 2);
		return;
	}
	*fault_ip = (uint16_t)(ip - software_int_length(vm, cs, ip, p->vector));
}

/* Where a push to unmapped memory went, if any. */
struct frame_push {
	uint16_t ss;
	uint16_t sp;
	bool failed;
	uint64_t failed_at;
};

static void push_word(struct vm *vm, struct frame_push *f, uint16_t value)
{
	uint8_t bytes[2] = { (uint8_t)value, (uint8_t)(value >> 8) };
	f->sp = (uint16_t)(f->sp - 2);
	uint64_t at = linear(f->ss, f->sp);
	if (uc_mem_write(vm->uc, at, bytes, sizeof(bytes)) != UC_ERR_OK) {
		f->failed = true;
		f->failed_at = at;
	}
}

/* Pushes FLAGS, CS, IP as a real-mode CPU does. KVM emulates a delivery
 * whose frame lands outside RAM to the end and reports only the last
 * failed write, so a failed push does not stop the others here either. */
static enum step push_frame(struct vm *vm, uint16_t cs, uint16_t ip, uint32_t eflags,
			    struct frame_push *f)
{
	uint32_t ss = 0, esp = 0;
	if (reg_read(vm->uc, UC_X86_REG_SS, &ss) != UC_ERR_OK ||
	    reg_read(vm->uc, UC_X86_REG_ESP, &esp) != UC_ERR_OK)
		return STEP_FAILED;
	*f = (struct frame_push){ .ss = (uint16_t)ss, .sp = (uint16_t)esp };
	push_word(vm, f, (uint16_t)eflags);
	push_word(vm, f, cs);
	push_word(vm, f, ip);
	/* Real mode pushes through SP: the rest of RSP is untouched (a write
	 * of ESP would clear its upper half, kept from long mode). */
	uint16_t sp = f->sp;
	return uc_reg_write(vm->uc, UC_X86_REG_SP, &sp) == UC_ERR_OK ? STEP_GO_ON : STEP_FAILED;
}

static enum step enter_handler(struct vm *vm, uint8_t vector, uint64_t idt_base,
			       uint16_t cs, uint16_t ip)
{
	uint8_t entry[4];
	uint64_t at = idt_base + (uint64_t)vector * 4;
	if (uc_mem_read(vm->uc, at, entry, sizeof(entry)) != UC_ERR_OK)
		return finish_unmapped(vm, UC_MEM_READ_UNMAPPED, at);
	uint32_t eflags = 0;
	if (reg_read(vm->uc, UC_X86_REG_EFLAGS, &eflags) != UC_ERR_OK)
		return STEP_FAILED;
	struct frame_push f;
	if (push_frame(vm, cs, ip, eflags, &f) != STEP_GO_ON)
		return STEP_FAILED;
	uint16_t new_ip = (uint16_t)(entry[0] | entry[1] << 8);
	uint16_t new_cs = (uint16_t)(entry[2] | entry[3] << 8);
	eflags &= ~(FLAG_IF | FLAG_TF | FLAG_AC);
	if (reg_write(vm->uc, UC_X86_REG_EFLAGS, eflags) != UC_ERR_OK ||
	    reg_write(vm->uc, UC_X86_REG_CS, new_cs) != UC_ERR_OK ||
	    reg_write(vm->uc, UC_X86_REG_EIP, new_ip) != UC_ERR_OK)
		return STEP_FAILED;
	if (f.failed)
		return finish_unmapped(vm, UC_MEM_WRITE_UNMAPPED, f.failed_at);
	return STEP_GO_ON;
}

/* A frame whose words do not all fit below the stack segment's limit (sp
 * 1, 3 or 5) cannot be pushed: the CPU raises #SS, whose frame does not
 * fit either, then #DF, and shuts down (SDM, PUSH: "If SP is 1 when PUSH
 * is executed, the processor shuts down"). */
static bool frame_fits(struct vm *vm)
{
	uint32_t esp = 0;
	if (vm->been_protected || reg_read(vm->uc, UC_X86_REG_ESP, &esp) != UC_ERR_OK)
		return true;
	return real_frame_fits((uint16_t)esp, 3, vm->segments[SEG_SS].limit);
}

/* A vector whose IVT entry lies past the IDTR limit raises #GP; a #GP that
 * does not fit either becomes #DF, and a #DF that does not fit shuts the
 * CPU down (triple fault). */
static enum step deliver_pending(struct vm *vm)
{
	uint32_t cs = 0;
	uc_x86_mmr idtr = { 0 };
	if (reg_read(vm->uc, UC_X86_REG_CS, &cs) != UC_ERR_OK ||
	    uc_reg_read(vm->uc, UC_X86_REG_IDTR, &idtr) != UC_ERR_OK)
		return STEP_FAILED;
	if (!frame_fits(vm)) {
		vm->pending.set = false;
		return finish(vm, VM_EXIT_SHUTDOWN, "");
	}
	uint16_t return_ip, fault_ip;
	return_points(vm, (uint16_t)cs, &return_ip, &fault_ip);
	const uint8_t vectors[] = { vm->pending.vector, VECTOR_GP, VECTOR_DF };
	const uint16_t ips[] = { return_ip, fault_ip, fault_ip };
	vm->pending.set = false;
	if (return_ip == fault_ip)
		uncount_fault(vm);
	for (size_t i = 0; i < sizeof(vectors); i++) {
		if ((uint32_t)vectors[i] * 4 + 3 <= idtr.limit)
			return enter_handler(vm, vectors[i], idtr.base, (uint16_t)cs, ips[i]);
	}
	return finish(vm, VM_EXIT_SHUTDOWN, "");
}

/* ---- run -------------------------------------------------------------- */

/* What uc_emu_start takes: cs * 16 + ip in UC_MODE_16 (it derives ip
 * from it), the flat eip or rip otherwise. */
static uc_err start_address(struct vm *vm, uint64_t *begin)
{
	if (vm->mode == X86_MODE_LONG)
		return read_u64(vm->uc, UC_X86_REG_RIP, begin);
	uint32_t cs = 0, eip = 0;
	uc_err e = reg_read(vm->uc, UC_X86_REG_CS, &cs);
	if (e == UC_ERR_OK)
		e = reg_read(vm->uc, UC_X86_REG_EIP, &eip);
	*begin = vm->mode == X86_MODE_REAL ? linear((uint16_t)cs, (uint16_t)eip) : eip;
	return e;
}

/* ---- delivery through the protected- or long-mode IDT ------------------ */

/* Unicorn keeps only the selectors of segments a guest loaded itself:
 * their hidden part is what the descriptor table says now. */
static void refresh_segment_caches(struct vm *vm, struct cpu_state *state)
{
	for (int i = 0; i < SEG_COUNT; i++) {
		bool stale = vm->mode == X86_MODE_REAL || state->seg[i].selector != vm->segments[i].selector;
		struct x86_segment loaded;
		if (stale && x86_descriptor_load(state, vm->mem, vm->mem_size, state->seg[i].selector, &loaded) == 0)
			state->seg[i] = loaded;
	}
}

static uint32_t selector_fault_code(struct vm *vm, uint64_t address, const struct cpu_state *state)
{
	uint8_t code[MAX_INSN_LENGTH];
	size_t len = 0;
	while (len < sizeof(code) && code_byte_at(vm, address + len, &code[len]))
		len++;
	return x86_selector_fault_code(code, len, state, vm->mode == X86_MODE_LONG);
}

/* What Unicorn reported, as the event a CPU would deliver: a software
 * interrupt returns past its instruction (Unicorn's eip is already
 * there), a fault at it. The error code of a fault Unicorn raised is its
 * own (take_unicorn_exception), else what x86/selector_fault.c can tell
 * from the instruction, else 0. */
static struct x86_event pending_event(struct vm *vm, const struct cpu_state *state)
{
	const struct pending_interrupt *p = &vm->pending;
	uint64_t base = vm->mode == X86_MODE_LONG ? 0 : state->seg[SEG_CS].base;
	uint64_t eip = vm->mode == X86_MODE_LONG ? state->rip : p->eip;
	struct x86_event ev = { .vector = p->vector, .return_rip = eip, .fault_rip = eip };
	if (p->from_ud_hook) {
		ev.software = is_int6_between(vm, base + eip, base + eip + 1);
		if (ev.software)
			ev.return_rip = eip + 2;
		return ev;
	}
	if (!p->fault) {
		unsigned length = eip + base >= 2 ? software_int_length_between(vm, base + eip - 1, base + eip - 2, p->vector)
						  : 0;
		ev.software = length != 0;
		ev.fault_rip = eip - length;
	}
	if (!ev.software && p->error_code_known)
		ev.error_code = p->error_code;
	else if (!ev.software && !p->fault && ev.vector >= X86_VECTOR_TS && ev.vector <= X86_VECTOR_GP)
		ev.error_code = selector_fault_code(vm, base + eip, state);
	return ev;
}

/* A #DF from Unicorn, which delivers nothing itself, only ever comes from
 * the fault in flight it never forgets (machine/backend/unicorn_exception.h)
 * when that could not be cleared: the real vector is lost, so the run ends
 * rather than run the wrong handler. */
static bool unicorn_double_fault(const struct vm *vm, const struct x86_event *ev)
{
	return ev->vector == X86_VECTOR_DF && !ev->software && !vm->pending.fault && !vm->pending.from_ud_hook;
}

/* A fault Unicorn raised (#DE, #DF, #TS, #NP, #SS, #GP or #PF; software
 * interrupts and #UD leave nothing behind): its error code, and Unicorn
 * made to forget it, as the CPU does once it is delivered. */
static void take_unicorn_exception(struct vm *vm)
{
	struct pending_interrupt *p = &vm->pending;
	bool leaves_state = p->vector == X86_VECTOR_DE || (p->vector >= X86_VECTOR_DF && p->vector <= X86_VECTOR_PF);
	if (p->fault || p->from_ud_hook || !leaves_state)
		return;
	p->error_code_known = unicorn_exception_take(vm->uc, &vm->unicorn_exception, &p->error_code);
}

/* Only what a same-privilege delivery changes goes back to Unicorn; the
 * CS selector is a segment load for it (see write_segments). */
/* A handler more privileged than the interrupted code runs on the stack
 * the TSS gave it: Unicorn loads that SS only once it is at the handler's
 * level (machine/backend/unicorn_state.h). */
static uc_err write_handler_level(struct vm *vm, const struct cpu_state *state, unsigned cpl_before)
{
	unsigned cpl = state->seg[SEG_CS].selector & 3u;
	if (cpl == cpl_before)
		return UC_ERR_OK;
	if (!unicorn_state_set_cpl(vm->uc, &vm->unicorn_state, cpl))
		return UC_ERR_EXCEPTION;
	return reg_write(vm->uc, UC_X86_REG_SS, state->seg[SEG_SS].selector);
}

static uc_err write_delivered(struct vm *vm, const struct cpu_state *state, unsigned cpl_before)
{
	bool wide = vm->mode == X86_MODE_LONG;
	uc_err e = write_u64(vm->uc, UC_X86_REG_CR2, state->cr2);
	if (e == UC_ERR_OK)
		e = write_handler_level(vm, state, cpl_before);
	if (e == UC_ERR_OK)
		e = reg_write(vm->uc, UC_X86_REG_CS, state->seg[SEG_CS].selector);
	if (e == UC_ERR_OK)
		e = wide ? write_u64(vm->uc, UC_X86_REG_RSP, state->gpr[GPR_ESP])
			 : reg_write(vm->uc, UC_X86_REG_ESP, (uint32_t)state->gpr[GPR_ESP]);
	if (e == UC_ERR_OK)
		e = reg_write(vm->uc, UC_X86_REG_EFLAGS, (uint32_t)state->rflags);
	if (e == UC_ERR_OK)
		e = wide ? write_u64(vm->uc, UC_X86_REG_RIP, state->rip)
			 : reg_write(vm->uc, UC_X86_REG_EIP, (uint32_t)state->rip);
	if (e == UC_ERR_OK)
		memcpy(vm->segments, state->seg, sizeof(vm->segments));
	return e;
}

/* Outside real mode, Unicorn's interrupts and exceptions go through the
 * IDT as a CPU's do (x86/protected_interrupt.c): a fault while delivering
 * escalates to #DF and then to shutdown, which is what KVM reports as a
 * triple fault. */
static enum step deliver_protected(struct vm *vm)
{
	struct cpu_state state;
	if (read_state(vm, &state) != UC_ERR_OK)
		return STEP_FAILED;
	refresh_segment_caches(vm, &state);
	unsigned cpl_before = state.seg[SEG_CS].selector & 3u;
	struct x86_event ev = pending_event(vm, &state);
	if (unicorn_double_fault(vm, &ev))
		return finish(vm, VM_EXIT_ERROR, "emu: a second #DE, #TS, #NP, #SS, #GP or #PF in one run is not "
						 "emulated (Unicorn 2.0.1 reports it as a double fault)");
	vm->pending.set = false;
	if (!ev.software)
		uncount_fault(vm);
	char reason[sizeof(((struct vm_exit *)0)->reason)] = "emu: ";
	const size_t prefix = strlen(reason);
	bool escalated;
	switch (x86_protected_interrupt_escalating(&state, vm->mem, vm->mem_size, &ev, &escalated, reason + prefix,
						   sizeof(reason) - prefix)) {
	case X86_DELIVERED:
		if (ev.software && escalated)
			uncount_fault(vm); /* the int raised a fault instead of completing */
		break;
	case X86_SHUTDOWN:
		return finish(vm, VM_EXIT_SHUTDOWN, "");
	default:
		return finish(vm, VM_EXIT_ERROR, reason);
	}
	if (write_delivered(vm, &state, cpl_before) != UC_ERR_OK)
		return finish(vm, VM_EXIT_ERROR, "emu: Unicorn refused the handler's code or stack segment (an execute-only "
						 "code segment, or a change of privilege level this Unicorn does not allow)");
	return STEP_GO_ON;
}

/* A stop from a block hook may leave the block's linear address in EIP
 * (Unicorn's 16-bit bug, see place_at_limit_stop): the guest stands at
 * the jump, whose address on_block kept. */
static enum step finish_parked(struct vm *vm)
{
	vm->parked = false;
	uint32_t offset = code_offset(vm, vm->last_block);
	if ((vm->mode == X86_MODE_LONG ? write_u64(vm->uc, UC_X86_REG_RIP, vm->last_block)
				       : reg_write(vm->uc, UC_X86_REG_EIP, offset)) != UC_ERR_OK)
		return STEP_FAILED;
	return finish(vm, VM_EXIT_PARKED, "");
}

static enum step reopen_engine(struct vm *vm);

/* Why uc_emu_start returned, in order of precedence; what is left after a
 * clean return with nothing noted is HLT. */
static enum step after_emulation(struct vm *vm, uc_err e)
{
	if (vm->stop_requested)
		return STEP_DONE;
	if (vm->count.over && !vm->unmapped.hit && e == UC_ERR_OK)
		return place_at_limit_stop(vm) == UC_ERR_OK ? finish(vm, VM_EXIT_INSN_LIMIT, "") : STEP_FAILED;
	if (vm->unmapped.hit)
		return finish_unmapped(vm, vm->unmapped.type, vm->unmapped.address);
	if (vm->unsupported)
		return finish(vm, VM_EXIT_ERROR, vm->unsupported);
	if (vm->reopen_wanted)
		return reopen_engine(vm);
	if (vm->parked)
		return finish_parked(vm);
	if (vm->resume && !vm->pending.set) {
		vm->resume = false;
		return vm->kicked ? finish_kicked(vm) : STEP_GO_ON;
	}
	if (e != UC_ERR_OK)
		return finish_uc_error(vm, e);
	if (vm->pending.set) {
		take_unicorn_exception(vm);
		return vm->mode == X86_MODE_REAL && !protection_on(vm) ? deliver_pending(vm) : deliver_protected(vm);
	}
	if (vm->kicked)
		return finish_kicked(vm);
	/* The instruction past the limit was the hlt itself. */
	if (vm->count.on && vm->count.instructions > vm->count.cfg.limit)
		return finish(vm, VM_EXIT_INSN_LIMIT, "");
	return finish(vm, VM_EXIT_HLT, "");
}

static int emu_run(struct vm *vm, vm_exit_handler handler, void *ctx, char *err, size_t err_len)
{
	vm->handler = handler;
	vm->ctx = ctx;
	vm->stop_requested = false;
	vm->unmapped.hit = false;
	vm->unsupported = NULL;
	vm->resume = false;
	vm->pending.set = false;
	vm->parked = false;
	if (!vm->system_checked && hook_system_instructions(vm) != UC_ERR_OK) {
		set_err(err, err_len, "emu: cannot hook the guest's instructions");
		return -1;
	}
	if (!vm->rf_watched && hook_resume_flag(vm) != UC_ERR_OK) {
		set_err(err, err_len, "emu: cannot hook the guest's blocks");
		return -1;
	}
	if (vm->limit_wanted && !vm->firmware && vm->data_limit == NULL && hook_real_limits(vm) != UC_ERR_OK) {
		set_err(err, err_len, "emu: cannot hook the guest's instructions for segment limits");
		return -1;
	}
	for (;;) {
		uint64_t begin;
		uc_err e = start_address(vm, &begin);
		if (e != UC_ERR_OK) {
			set_err(err, err_len, "emu: reading cs:ip: %s", uc_strerror(e));
			return -1;
		}
		/* Checked as late as possible: uc_emu_start forgets a stop
		 * requested before it has set itself up. */
		if (vm->kicked) {
			finish_kicked(vm);
			return 0;
		}
		/* Whatever stopped the engine may have loaded CS (an interrupt
		 * delivered through the IVT, a new engine). */
		vm->code_base_known = false;
		/* No `until` (exits are enabled with none set) and no count:
		 * either would cost a check or a hook per instruction. */
		enum step s = after_emulation(vm, uc_emu_start(vm->uc, begin, 0, 0, 0));
		if (s == STEP_DONE)
			return 0;
		if (s == STEP_FAILED) {
			set_err(err, err_len, "emu: cannot read or write the vCPU's registers");
			return -1;
		}
	}
}

/* ---- the rest of the interface ---------------------------------------- */

static bool emu_available(char *why, size_t why_len)
{
	unsigned major = 0, minor = 0;
	uc_version(&major, &minor);
	set_err(why, why_len, "the Unicorn engine %u.%u is linked in", major, minor);
	return true;
}

static uc_err set_up(struct vm *vm, uc_engine *uc)
{
	uc_err e = uc_mem_map_ptr(uc, 0, vm->mem_size, UC_PROT_ALL, vm->mem);
	if (e == UC_ERR_OK)
		e = add_hooks(vm, uc);
	/* Without this, uc_emu_start's `until` of 0 makes a jump to 0:0
	 * look like a halt. */
	if (e == UC_ERR_OK)
		e = uc_ctl_exits_enable(uc);
	return e;
}

static uc_mode unicorn_mode(enum x86_mode mode)
{
	switch (mode) {
	case X86_MODE_PROTECTED: return UC_MODE_32;
	case X86_MODE_LONG: return UC_MODE_64;
	default: return UC_MODE_16;
	}
}

static int emu_create(struct vm **out, uint8_t *mem, size_t mem_size, enum x86_mode mode,
		      char *err, size_t err_len)
{
	*out = NULL;
	if (mem == NULL || mem_size == 0 || mem_size % MAP_GRANULE != 0) {
		set_err(err, err_len, "emu: memory size %zu is not a positive multiple of %u",
			mem_size, MAP_GRANULE);
		return -1;
	}
	struct vm *vm = calloc(1, sizeof(*vm));
	if (vm == NULL) {
		set_err(err, err_len, "emu: out of memory");
		return -1;
	}
	vm->mode = mode;
	vm->mem = mem;
	vm->mem_size = mem_size;
	vm->dr7 = DR7_FIXED_1;
	uc_err e = uc_open(UC_ARCH_X86, unicorn_mode(mode), &vm->uc);
	if (e != UC_ERR_OK) {
		set_err(err, err_len, "emu: uc_open: %s", uc_strerror(e));
		free(vm);
		return -1;
	}
	e = set_up(vm, vm->uc);
	if (e != UC_ERR_OK) {
		set_err(err, err_len, "emu: setting up the VM: %s", uc_strerror(e));
		uc_close(vm->uc);
		free(vm);
		return -1;
	}
	*out = vm;
	return 0;
}

static int emu_set_state(struct vm *vm, const struct cpu_state *state, char *err, size_t err_len)
{
	uc_err e = write_state(vm, state);
	vm->limit_wanted = vm->mode == X86_MODE_REAL;
	vm->alignment_on = (state->cr0 & CR0_AM) != 0;
	if (e != UC_ERR_OK) {
		set_err(err, err_len, "emu: setting registers: %s", uc_strerror(e));
		return -1;
	}
	return 0;
}

static int emu_get_state(struct vm *vm, struct cpu_state *state, char *err, size_t err_len)
{
	uc_err e = read_state(vm, state);
	if (e != UC_ERR_OK) {
		set_err(err, err_len, "emu: reading registers: %s", uc_strerror(e));
		return -1;
	}
	return 0;
}

/* Async-signal-safe: a flag store, and uc_emu_stop only stores flags. */
static void emu_kick(struct vm *vm)
{
	vm->kicked = 1;
	uc_emu_stop(vm->uc);
}

/* Only the run loop's timer needs to know of a parked guest, and it
 * must hear of it without a kick: Unicorn, stopped from a signal while
 * a block that did I/O runs, can leave eip at the block's start, and a
 * run resumed from there does that I/O again. A block hook costs a call
 * per block, so runs without a timer go without. */
static int emu_watch_parking(struct vm *vm, char *err, size_t err_len)
{
	if (vm->parking_watched)
		return 0;
	uc_hook h;
	if (uc_hook_add(vm->uc, &h, UC_HOOK_BLOCK, (void *)on_block, vm, 1, 0) != UC_ERR_OK) {
		set_err(err, err_len, "emu: cannot hook the guest's blocks");
		return -1;
	}
	vm->parking_watched = true;
	return 0;
}

/* A code hook, once added, changes where Unicorn leaves eip after an I/O
 * stop, which the firmware's reports rely on: with firmware the hook is
 * never added. */
static void emu_firmware_present(struct vm *vm)
{
	vm->firmware = true;
}

static void emu_destroy(struct vm *vm)
{
	if (vm == NULL)
		return;
	unicorn_exception_free(&vm->unicorn_exception);
	unicorn_state_free(&vm->unicorn_state);
	uc_close(vm->uc);
	if (vm->retired != NULL)
		uc_close(vm->retired);
	free(vm);
}

static void on_trace_code(uc_engine *uc, uint64_t address, uint32_t size, struct vm *vm)
{
	(void)uc;
	(void)size;
	struct last_trace *t = &vm->trace;
	size_t last = (t->next + RUN_LAST_INSNS - 1) % RUN_LAST_INSNS;
	if ((t->count && t->ring[last] == address) || (address >= t->skip_base && address < t->skip_end))
		return;
	t->ring[t->next] = address;
	t->next = (t->next + 1) % RUN_LAST_INSNS;
	if (t->count < RUN_LAST_INSNS)
		t->count++;
}

static int emu_trace_last(struct vm *vm, uint64_t skip_base, uint64_t skip_end, char *err, size_t err_len)
{
	uc_hook h;
	uc_err e = uc_hook_add(vm->uc, &h, UC_HOOK_CODE, (void *)on_trace_code, vm, 1, 0);
	if (e != UC_ERR_OK) {
		set_err(err, err_len, "emu: cannot hook every instruction to keep the last ones: %s", uc_strerror(e));
		return -1;
	}
	vm->trace = (struct last_trace){ .on = true, .skip_base = skip_base, .skip_end = skip_end };
	return 0;
}

static size_t emu_last_instructions(const struct vm *vm, uint64_t *out, size_t max)
{
	const struct last_trace *t = &vm->trace;
	size_t n = t->count < max ? t->count : max;
	for (size_t i = 0; i < n; i++)
		out[i] = t->ring[(t->next + RUN_LAST_INSNS - n + i) % RUN_LAST_INSNS];
	return n;
}

static int emu_count_instructions(struct vm *vm, const struct insn_count_config *cfg, char *err, size_t err_len)
{
	uc_hook h;
	uc_err e = uc_hook_add(vm->uc, &h, UC_HOOK_CODE, (void *)on_count_code, vm, 1, 0);
	if (e != UC_ERR_OK) {
		set_err(err, err_len, "emu: cannot hook every instruction to count them: %s", uc_strerror(e));
		return -1;
	}
	vm->count = (struct instruction_count){ .on = true, .cfg = *cfg };
	return 0;
}

static uint64_t emu_instructions(const struct vm *vm)
{
	return vm->count.instructions;
}

/* ---- the guest's own change of mode ----------------------------------- */

/* Unicorn 2.0.1 fixes an engine's mode when it is opened. One opened 16-
 * or 32-bit lacks long mode in its CPUID model, so its wrmsr drops
 * EFER.LME (QEMU's helper_wrmsr lets the bit through only with CPUID's
 * LM), and its register names reach only the low halves of eight
 * registers; one opened 64-bit loads nothing but the selector when a
 * segment register is written, where real mode needs the base to follow.
 * So the vCPU moves to a 64-bit engine at the guest's wrmsr that sets
 * EFER.LME, and to a 16-bit one at its mov to CR0 that clears PE. Unicorn
 * builds one x86-64 core for every mode: a context saved from one engine
 * restores into another as it is, registers, segment caches, hflags,
 * control, debug and system registers, EFER (the CPU state up to the
 * CPUID model, which stays the new engine's own). */

/* The hooks vm->uc has, added again on uc in the order they were
 * added there (the count's before the system instructions': see
 * uncount_fault). */
static uc_err add_hooks_again(struct vm *vm, uc_engine *uc)
{
	uc_hook h;
	uc_err e = set_up(vm, uc);
	if (e == UC_ERR_OK && vm->count.on)
		e = uc_hook_add(uc, &h, UC_HOOK_CODE, (void *)on_count_code, vm, 1, 0);
	if (e == UC_ERR_OK && vm->trace.on)
		e = uc_hook_add(uc, &h, UC_HOOK_CODE, (void *)on_trace_code, vm, 1, 0);
	if (e == UC_ERR_OK && vm->parking_watched)
		e = uc_hook_add(uc, &h, UC_HOOK_BLOCK, (void *)on_block, vm, 1, 0);
	if (e == UC_ERR_OK && vm->system_hooked)
		e = uc_hook_add(uc, &h, UC_HOOK_CODE, (void *)on_each_instruction, vm, 1, 0);
	if (e == UC_ERR_OK && vm->rf_hooked)
		e = uc_hook_add(uc, &h, UC_HOOK_BLOCK, (void *)on_block_clear_rf, vm, 1, 0);
	return e;
}

/* The guest stands at the instruction reopen_before stopped at: where
 * Unicorn left eip after a stop from a hook is not to be trusted (see
 * place_at_limit_stop). */
static uc_err stand_at_reopening(struct vm *vm)
{
	if (vm->mode == X86_MODE_LONG)
		return write_u64(vm->uc, UC_X86_REG_RIP, code_offset(vm, vm->reopen_at));
	return reg_write(vm->uc, UC_X86_REG_EIP, code_offset(vm, vm->reopen_at));
}

/* Set up whole before vm->uc names it: a kick may stop vm->uc at any
 * time, and Unicorn initializes an engine at its first use. */
static uc_err open_engine_with(struct vm *vm, enum x86_mode mode, uc_context *state, uc_engine **out)
{
	uc_engine *uc = NULL;
	uc_err e = uc_open(UC_ARCH_X86, unicorn_mode(mode), &uc);
	if (e != UC_ERR_OK)
		return e;
	e = add_hooks_again(vm, uc);
	if (e == UC_ERR_OK)
		e = uc_context_restore(uc, state);
	if (e != UC_ERR_OK) {
		uc_close(uc);
		return e;
	}
	*out = uc;
	return UC_ERR_OK;
}

/* The engine left behind is closed only at the next reopening (or at the
 * end): a kick from another thread may still be stopping it. The
 * segment-limit hooks of real mode stay behind, as the limits set_state
 * loaded are no longer known. */
static enum step reopen_engine(struct vm *vm)
{
	uc_engine *old = vm->uc, *fresh = NULL;
	uc_context *state = NULL;
	vm->reopen_wanted = false;
	uc_err e = stand_at_reopening(vm);
	if (e == UC_ERR_OK)
		e = uc_context_alloc(old, &state);
	if (e == UC_ERR_OK)
		e = uc_context_save(old, state);
	if (e == UC_ERR_OK)
		e = open_engine_with(vm, vm->reopen_mode, state, &fresh);
	if (state != NULL)
		uc_context_free(state);
	if (e != UC_ERR_OK)
		return finish_uc_error(vm, e);
	vm->uc = fresh;
	if (vm->retired != NULL)
		uc_close(vm->retired);
	vm->retired = old;
	vm->mode = vm->reopen_mode;
	vm->switched = vm->mode == X86_MODE_LONG;
	vm->been_long |= vm->switched;
	vm->limit_wanted = false;
	vm->last_block_known = false;
	return STEP_GO_ON;
}

const struct backend_ops backend_emu = {
	.name = "emu",
	.available = emu_available,
	.create = emu_create,
	.set_state = emu_set_state,
	.get_state = emu_get_state,
	.run = emu_run,
	.kick = emu_kick,
	.watch_parking = emu_watch_parking,
	.destroy = emu_destroy,
	.firmware_present = emu_firmware_present,
	.count_instructions = emu_count_instructions,
	.instructions = emu_instructions,
	.trace_last = emu_trace_last,
	.last_instructions = emu_last_instructions,
};
