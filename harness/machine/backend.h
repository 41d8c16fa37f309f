/* backend: the one seam between the shared run loop (machine.c) and a way of
 * running a guest: KVM (backend/kvm.c) or the Unicorn engine (backend/emu.c).
 * A backend knows nothing of cases, devices or budgets: it runs the vCPU and
 * hands every exit to the loop's handler, which serves it and says whether to
 * go on. */
#ifndef KVMCHECK_BACKEND_H
#define KVMCHECK_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "x86/cpu_state.h"
#include "x86/mode.h"

enum vm_exit_kind {
	VM_EXIT_IO,        /* port I/O: serve io, then the guest goes on */
	VM_EXIT_HLT,
	VM_EXIT_SHUTDOWN,  /* triple fault */
	VM_EXIT_KICKED,    /* backend_ops.kick was called: not a guest exit */
	VM_EXIT_INSN_LIMIT, /* counting: the count passed insn_count_config.limit */
	VM_EXIT_PARKED,    /* watching parking: the guest runs a jump to itself */
	VM_EXIT_ERROR,     /* anything else; reason says what */
};

struct vm_io {
	uint16_t port;
	uint8_t size;      /* bytes per element: 1, 2 or 4 */
	bool is_write;
	uint32_t count;    /* elements; > 1 when KVM batched string I/O */
	uint8_t *data;     /* count * size bytes: the guest's for writes, the handler fills reads */
};

struct vm_exit {
	enum vm_exit_kind kind;
	struct vm_io io;
	char reason[160]; /* VM_EXIT_ERROR: e.g. "unmapped memory read at 0x100000" */
};

enum vm_action { VM_CONTINUE, VM_STOP };

/* Instruction counting (README "Metrics"): every instruction the guest
 * retires counts once, a rep-prefixed string instruction once however
 * often it repeats, the hlt that ends a run too; an instruction that
 * faults counts when its handler is entered, as an int does. Instructions
 * at linear addresses in [skip_base, skip_end) (the firmware) do not
 * count. */
struct insn_count_config {
	uint64_t limit;      /* VM_EXIT_INSN_LIMIT as soon as the count exceeds it; UINT64_MAX: none */
	uint64_t skip_base;
	uint64_t skip_end;   /* == skip_base: every instruction counts */
	bool park_once;      /* a `jmp $` counts once however long it spins: with
				firmware it is a wait, as a hlt is (README "The timer") */
};

/* Called for every exit. For VM_EXIT_IO the handler serves io.data; it returns
 * VM_STOP to end the run (terminal exits end it whatever it returns). */
typedef enum vm_action (*vm_exit_handler)(void *ctx, struct vm_exit *exit);

struct vm;

struct backend_ops {
	const char *name;

	/* Whether this backend can run here; when not, why says so. */
	bool (*available)(char *why, size_t why_len);

	/* A new VM whose RAM is `mem` (mem_size bytes, page-aligned, at physical
	 * 0), with one vCPU that will run in `mode` (Unicorn fixes it when the
	 * engine is opened; KVM needs CPUID for long mode). Returns 0 or -1 with
	 * err filled in. */
	int (*create)(struct vm **vm, uint8_t *mem, size_t mem_size, enum x86_mode mode,
		      char *err, size_t err_len);

	/* Loads the whole state (x86/mode.c made it for the create's mode). */
	int (*set_state)(struct vm *vm, const struct cpu_state *state, char *err, size_t err_len);

	/* Registers as the guest left them; pending I/O is completed first. */
	int (*get_state)(struct vm *vm, struct cpu_state *state, char *err, size_t err_len);

	/* Runs the vCPU, calling handler for each exit, until an exit is terminal
	 * or the handler says stop. Returns 0, or -1 when the backend itself
	 * failed (err filled in). */
	int (*run)(struct vm *vm, vm_exit_handler handler, void *ctx, char *err, size_t err_len);

	/* Async-signal-safe: makes run deliver VM_EXIT_KICKED soon. */
	void (*kick)(struct vm *vm);

	void (*destroy)(struct vm *vm);

	/* Optional (NULL: nothing to do): the run has firmware, whose stops
	 * and reports rely on where the backend leaves ip after an I/O stop.
	 * emu then leaves out its real-mode code segment limit check, whose
	 * code hook changes that (see README, Parity). */
	void (*firmware_present)(struct vm *vm);

	/* Optional (NULL: the loop polls with kicks instead): deliver
	 * VM_EXIT_PARKED, guest standing at the jump, when the guest runs a
	 * jump to itself for the second time in a row (the first counts as an
	 * instruction). For a backend that cannot be resumed safely after a
	 * kick. 0, or -1 with err. */
	int (*watch_parking)(struct vm *vm, char *err, size_t err_len);

	/* Optional (NULL: this backend cannot count): count the instructions
	 * of every later run, exactly, or refuse. Costs a hook (emu) or an
	 * exit (kvm) per instruction, so the loop asks only when a case needs
	 * the figure. 0, or -1 with err saying why this host cannot. */
	int (*count_instructions)(struct vm *vm, const struct insn_count_config *cfg, char *err, size_t err_len);

	/* The instructions counted so far (0 when not counting). */
	uint64_t (*instructions)(const struct vm *vm);

	/* Optional (NULL: not known on this backend): keep the linear
	 * addresses of the last instructions of every later run, a rep
	 * string instruction once, those in [skip_base, skip_end) (the
	 * firmware) not at all. Costs a hook per instruction (emu: about ten
	 * times the run), so the loop asks only to explain a failure. 0, or
	 * -1 with err. */
	int (*trace_last)(struct vm *vm, uint64_t skip_base, uint64_t skip_end, char *err, size_t err_len);

	/* The addresses kept (at most max), oldest first; how many. */
	size_t (*last_instructions)(const struct vm *vm, uint64_t *out, size_t max);
};

extern const struct backend_ops backend_kvm;
extern const struct backend_ops backend_emu;

/* "auto" picks kvm when it is available, else emu. NULL for unknown names;
 * why explains a choice or a refusal. */
const struct backend_ops *backend_choose(const char *name, char *why, size_t why_len);

/* The names backend_choose takes: "auto" at 0, then one per backend; NULL
 * past the last. */
const char *backend_name(size_t i);

/* The names in one line: ("|", "|") gives "auto|kvm|emu", (", ", " or ")
 * "auto, kvm or emu". */
void backend_names_join(char *out, size_t len, const char *sep, const char *last_sep);

/* 0 when backend_choose knows name, else -1 with why "unknown backend 'x'
 * (auto, kvm or emu)". */
int backend_name_check(const char *name, char *why, size_t why_len);

#endif
