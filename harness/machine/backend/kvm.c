/* The KVM backend: the classic flow of /dev/kvm, one VM with one vCPU and
 * one memory slot per case, and no in-kernel irqchip so HLT reaches us. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/le.h"
#include "machine/backend.h"
#include "machine/guest_ram.h"
#include "x86/cpuid.h"
#include "x86/disasm.h"
#include "x86/insn.h"
#include "x86/insn_faults.h"
#include "x86/protected_interrupt.h"
#include "x86/real_interrupt.h"
#include "x86/system_insn.h"

/* Intel without unrestricted guest needs three pages for real mode's TSS;
 * put them where no case's RAM reaches. */
#define KVM_TSS_ADDRESS 0xfffbd000

#define DEBUG_SLOTS 4 /* DR0..DR3 */

/* A fault handler's entry watched while counting, and what the frame a
 * delivery there pushes looks like. */
struct watched_handler {
	uint64_t at;            /* linear */
	uint8_t push_bytes;     /* 2, 4 or 8 */
	bool error_code;        /* the first fault found going there pushes one */
};

struct vm {
	int vm_fd;
	int vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	bool io_pending;            /* the last exit still needs KVM_RUN to complete */
	uint8_t *mem;               /* guest RAM: an instruction KVM could not run, counting's reads and int frames */
	size_t mem_size;
	volatile sig_atomic_t kicked;
	enum x86_mode mode;
	/* Instruction counting by single-stepping: one KVM_EXIT_DEBUG per
	 * retired instruction (or per iteration of a rep string instruction). */
	bool counting;
	struct insn_count_config count_cfg;
	uint64_t instructions;
	bool position_known;
	uint64_t position;          /* linear address of the instruction about to run */
	bool event_known;
	uint64_t last_event;        /* linear address of the last step taken */
	bool over_pending;          /* an OUT counted at its exit passed the limit */
	/* KVM steps by setting TF, which the CPU clears on entering a handler
	 * and KVM_SET_REGS drops: stepping is set again before the next run. */
	bool rearm;
	/* While counting: breakpoints at the handlers of the faults the
	 * instruction about to be stepped may raise, whose entry TF would
	 * skip, read through the system registers in tables (kept until
	 * something may have changed them). */
	bool tables_known;
	struct cpu_state tables;
	size_t handler_count;
	struct watched_handler handler[DEBUG_SLOTS];
	/* The slots given at the last KVM_SET_GUEST_DEBUG (DR0..) and where
	 * each watches: the handlers' while counting, else the hypercalls'. */
	size_t armed_slots;
	uint64_t armed_at[DEBUG_SLOTS];
	bool iret_target_known;     /* the instruction being stepped is an iret, returning there */
	uint64_t iret_target;
	struct x86_fault_context iret_target_faults; /* how the instruction there runs */
	uint64_t iret_flags;        /* RFLAGS as an iret about to be stepped finds them */
	bool passing_handler;       /* the breakpoint at passed_handler is off for one step */
	uint64_t passed_handler;
	/* Execution breakpoints at the hypercalls found in memory at the start. */
	bool hypercalls_watched;
	size_t hypercall_count;
	uint64_t hypercall_at[4];   /* DR0..DR3 */
};

/* /dev/kvm is a handle on the host's KVM, not per VM: open it once. */
static int kvm_fd = -1;
static int kvm_run_size;

static int kvm_ioctl(int fd, unsigned long request, unsigned long arg)
{
	int rc;
	do
		rc = ioctl(fd, request, arg);
	while (rc < 0 && errno == EINTR);
	return rc;
}

/* Creating the first VM and destroying the last one make the kernel switch
 * virtualisation on and off and repatch its code; an idle VM with a vCPU,
 * held for the life of the process, spares every case that cost. Best
 * effort: without it, VMs are only slower. */
static int idle_vm_fd = -1, idle_vcpu_fd = -1;

static void kvm_hold_idle_vm(void)
{
	idle_vm_fd = kvm_ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (idle_vm_fd >= 0)
		idle_vcpu_fd = kvm_ioctl(idle_vm_fd, KVM_CREATE_VCPU, 0);
}

static int kvm_open(char *err, size_t err_len)
{
	if (kvm_fd >= 0)
		return 0;
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, err_len, "cannot open /dev/kvm: %s", strerror(errno));
		return -1;
	}
	int version = ioctl(fd, KVM_GET_API_VERSION, 0);
	const char *missing = NULL;
	if (version != KVM_API_VERSION)
		missing = "API version 12";
	else if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0)
		missing = "KVM_CAP_IMMEDIATE_EXIT";
	else if ((kvm_run_size = ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0)) <= 0)
		missing = "KVM_GET_VCPU_MMAP_SIZE";
	if (missing) {
		snprintf(err, err_len, "/dev/kvm lacks %s", missing);
		close(fd);
		return -1;
	}
	kvm_fd = fd;
	kvm_hold_idle_vm();
	return 0;
}

static void kvm_destroy(struct vm *vm)
{
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	free(vm);
}

static int kvm_fail(struct vm *vm, const char *what, char *err, size_t err_len)
{
	snprintf(err, err_len, "%s: %s", what, strerror(errno));
	kvm_destroy(vm);
	return -1;
}

#define CPUID_MAX_ENTRIES 256

/* A kvm_cpuid2 with room for its entries after it, as the ioctls take it
 * (its entries are a flexible array). */
union cpuid_table {
	struct kvm_cpuid2 header;
	uint8_t room[sizeof(struct kvm_cpuid2) + CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2)];
};

/* What the host's KVM can offer a guest, asked once per process. */
static union cpuid_table supported_cpuid;
static bool supported_cpuid_known;

static const struct cpuid_leaf *supported_leaf(void *ctx, uint32_t function, uint32_t index)
{
	static struct cpuid_leaf found;
	(void)ctx;
	for (uint32_t i = 0; i < supported_cpuid.header.nent; i++) {
		const struct kvm_cpuid_entry2 *e = &supported_cpuid.header.entries[i];
		if (e->function == function && e->index == index) {
			found = (struct cpuid_leaf){ function, index, e->eax, e->ebx, e->ecx, e->edx };
			return &found;
		}
	}
	return NULL;
}

/* Every vCPU gets kvmcheck's CPU model (x86/cpuid.h), so that CPUID says
 * on kvm what it says on emu; without any CPUID, KVM would also refuse
 * EFER.LME, and a guest could not switch to long mode. */
static int kvm_set_cpuid(struct vm *vm)
{
	if (!supported_cpuid_known) {
		supported_cpuid.header.nent = CPUID_MAX_ENTRIES;
		if (kvm_ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, (unsigned long)&supported_cpuid) < 0)
			return -1;
		supported_cpuid_known = true;
	}
	struct cpuid_leaf leaves[CPUID_MAX_ENTRIES];
	size_t count = cpuid_model_filter(supported_leaf, NULL, leaves, CPUID_MAX_ENTRIES);
	static union cpuid_table model;
	memset(&model, 0, sizeof(model));
	model.header.nent = (uint32_t)count;
	for (size_t i = 0; i < count; i++)
		model.header.entries[i] = (struct kvm_cpuid_entry2){
			.function = leaves[i].function, .index = leaves[i].index,
			.eax = leaves[i].eax, .ebx = leaves[i].ebx, .ecx = leaves[i].ecx, .edx = leaves[i].edx,
			.flags = leaves[i].function == 7 ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
		};
	return kvm_ioctl(vm->vcpu_fd, KVM_SET_CPUID2, (unsigned long)&model);
}

/* Only the MSRs kvmcheck's CPU model has (x86/system_insn.h) may be read
 * or written; KVM raises #GP for the rest, as emu does, rather than answer
 * for the many MSRs KVM emulates and Unicorn does not. A kernel without
 * MSR filters (before 5.10) leaves them all to KVM. */
static int kvm_set_msr_filter(struct vm *vm)
{
	if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER) <= 0)
		return 0;
	static uint8_t allow[KVM_MSR_FILTER_MAX_BITMAP_SIZE];
	memset(allow, 0xff, sizeof(allow));
	struct sys_msr_range ranges[KVM_MSR_FILTER_MAX_RANGES];
	size_t count = sys_msr_ranges(ranges, KVM_MSR_FILTER_MAX_RANGES);
	struct kvm_msr_filter filter = { .flags = KVM_MSR_FILTER_DEFAULT_DENY };
	for (size_t i = 0; i < count; i++)
		filter.ranges[i] = (struct kvm_msr_filter_range){
			.flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
			.nmsrs = ranges[i].count, .base = ranges[i].first, .bitmap = allow,
		};
	return kvm_ioctl(vm->vm_fd, KVM_X86_SET_MSR_FILTER, (unsigned long)&filter);
}

static int kvm_create(struct vm **out, uint8_t *mem, size_t mem_size, enum x86_mode mode,
		      char *err, size_t err_len)
{
	*out = NULL;
	if (kvm_open(err, err_len) < 0)
		return -1;
	struct vm *vm = calloc(1, sizeof(*vm));
	if (!vm) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	vm->vcpu_fd = -1;
	vm->mem = mem;
	vm->mem_size = mem_size;
	vm->vm_fd = kvm_ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return kvm_fail(vm, "KVM_CREATE_VM", err, err_len);
	if (kvm_ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDRESS) < 0)
		return kvm_fail(vm, "KVM_SET_TSS_ADDR", err, err_len);
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = mem_size,
		.userspace_addr = (uintptr_t)mem,
	};
	if (kvm_ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, (unsigned long)&region) < 0)
		return kvm_fail(vm, "KVM_SET_USER_MEMORY_REGION", err, err_len);
	vm->vcpu_fd = kvm_ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		return kvm_fail(vm, "KVM_CREATE_VCPU", err, err_len);
	vm->mode = mode;
	if (kvm_set_cpuid(vm) < 0)
		return kvm_fail(vm, "KVM_SET_CPUID2", err, err_len);
	if (kvm_set_msr_filter(vm) < 0)
		return kvm_fail(vm, "KVM_X86_SET_MSR_FILTER", err, err_len);
	vm->run_size = (size_t)kvm_run_size;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		return kvm_fail(vm, "mmap of kvm_run", err, err_len);
	}
	*out = vm;
	return 0;
}

static struct kvm_segment *kvm_segment(struct kvm_sregs *sregs, enum seg seg)
{
	switch (seg) {
	case SEG_ES: return &sregs->es;
	case SEG_CS: return &sregs->cs;
	case SEG_SS: return &sregs->ss;
	case SEG_DS: return &sregs->ds;
	case SEG_FS: return &sregs->fs;
	default: return &sregs->gs;
	}
}

static struct kvm_segment segment_to_kvm(const struct x86_segment *s)
{
	return (struct kvm_segment){
		.base = s->base, .limit = s->limit, .selector = s->selector,
		.type = s->type, .present = s->present, .dpl = s->dpl, .db = s->db,
		.s = s->s, .l = s->l, .g = s->g, .avl = s->avl,
		/* VMX wants a segment that is not present marked unusable. */
		.unusable = !s->present,
	};
}

static struct x86_segment segment_from_kvm(const struct kvm_segment *k)
{
	return (struct x86_segment){
		.base = k->base, .limit = k->limit, .selector = k->selector,
		.type = k->type, .present = k->present, .dpl = k->dpl, .db = k->db,
		.s = k->s, .l = k->l, .g = k->g, .avl = k->avl,
	};
}

static void sregs_from_state(struct kvm_sregs *sregs, const struct cpu_state *state)
{
	for (enum seg s = 0; s < SEG_COUNT; s++)
		*kvm_segment(sregs, s) = segment_to_kvm(&state->seg[s]);
	sregs->tr = segment_to_kvm(&state->tr);
	sregs->ldt = segment_to_kvm(&state->ldtr);
	sregs->gdt = (struct kvm_dtable){ .base = state->gdt.base, .limit = state->gdt.limit };
	sregs->idt = (struct kvm_dtable){ .base = state->idt.base, .limit = state->idt.limit };
	sregs->cr0 = state->cr0;
	sregs->cr2 = state->cr2;
	sregs->cr3 = state->cr3;
	sregs->cr4 = state->cr4;
	sregs->efer = state->efer;
}

static void state_from_sregs(struct cpu_state *state, const struct kvm_sregs *sregs)
{
	for (enum seg s = 0; s < SEG_COUNT; s++)
		state->seg[s] = segment_from_kvm(kvm_segment((struct kvm_sregs *)sregs, s));
	state->tr = segment_from_kvm(&sregs->tr);
	state->ldtr = segment_from_kvm(&sregs->ldt);
	state->gdt = (struct x86_table){ .base = sregs->gdt.base, .limit = sregs->gdt.limit };
	state->idt = (struct x86_table){ .base = sregs->idt.base, .limit = sregs->idt.limit };
	state->cr0 = sregs->cr0;
	state->cr2 = sregs->cr2;
	state->cr3 = sregs->cr3;
	state->cr4 = sregs->cr4;
	state->efer = sregs->efer;
}

static void regs_from_state(struct kvm_regs *regs, const struct cpu_state *state)
{
	const uint64_t *g = state->gpr;
	*regs = (struct kvm_regs){
		.rax = g[GPR_EAX], .rcx = g[GPR_ECX], .rdx = g[GPR_EDX], .rbx = g[GPR_EBX],
		.rsp = g[GPR_ESP], .rbp = g[GPR_EBP], .rsi = g[GPR_ESI], .rdi = g[GPR_EDI],
		.r8 = g[GPR_R8], .r9 = g[GPR_R9], .r10 = g[GPR_R10], .r11 = g[GPR_R11],
		.r12 = g[GPR_R12], .r13 = g[GPR_R13], .r14 = g[GPR_R14], .r15 = g[GPR_R15],
		.rip = state->rip, .rflags = state->rflags,
	};
}

static void state_from_regs(struct cpu_state *state, const struct kvm_regs *regs)
{
	const uint64_t gprs[GPR_COUNT] = {
		regs->rax, regs->rcx, regs->rdx, regs->rbx, regs->rsp, regs->rbp, regs->rsi, regs->rdi,
		regs->r8, regs->r9, regs->r10, regs->r11, regs->r12, regs->r13, regs->r14, regs->r15,
	};
	memcpy(state->gpr, gprs, sizeof(gprs));
	state->rip = regs->rip;
	state->rflags = regs->rflags;
}

static int kvm_apply_debug(struct vm *vm);
static void kvm_stop_at_hypercall(const struct vm *vm, uint64_t linear, struct vm_exit *exit);

static int kvm_set_state(struct vm *vm, const struct cpu_state *state, char *err, size_t err_len)
{
	/* Fields cpu_state does not carry (the APIC base, the interrupt
	 * bitmap) keep their reset values. */
	struct kvm_sregs sregs;
	if (kvm_ioctl(vm->vcpu_fd, KVM_GET_SREGS, (unsigned long)&sregs) < 0) {
		snprintf(err, err_len, "KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	sregs_from_state(&sregs, state);
	struct kvm_regs regs;
	regs_from_state(&regs, state);
	if (kvm_ioctl(vm->vcpu_fd, KVM_SET_SREGS, (unsigned long)&sregs) < 0 ||
	    kvm_ioctl(vm->vcpu_fd, KVM_SET_REGS, (unsigned long)&regs) < 0) {
		snprintf(err, err_len, "cannot set the vCPU's registers: %s", strerror(errno));
		return -1;
	}
	/* The loop may move the guest between runs (an interrupt it
	 * delivers): counting reads where it stands again, and steps on from
	 * there (KVM_SET_REGS dropped TF). */
	vm->position_known = false;
	vm->tables_known = false;
	if (vm->counting && kvm_apply_debug(vm) < 0) {
		snprintf(err, err_len, "KVM_SET_GUEST_DEBUG (single-step, to count instructions): %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int kvm_count_port_insn_done(struct vm *vm);

/* An exit that KVM must finish (an IN's value, the rest of a batch) is only
 * done when KVM_RUN is entered again; immediate_exit lets that happen
 * without running any further guest instruction. */
static int kvm_complete_pending(struct vm *vm)
{
	if (!vm->io_pending)
		return 0;
	vm->run->immediate_exit = 1;
	int rc = ioctl(vm->vcpu_fd, KVM_RUN, 0);
	vm->io_pending = false;
	if (rc < 0 && errno != EINTR)
		return -1;
	return vm->counting && vm->position_known ? kvm_count_port_insn_done(vm) : 0;
}

static int kvm_get_state(struct vm *vm, struct cpu_state *state, char *err, size_t err_len)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	if (kvm_complete_pending(vm) < 0 ||
	    kvm_ioctl(vm->vcpu_fd, KVM_GET_REGS, (unsigned long)&regs) < 0 ||
	    kvm_ioctl(vm->vcpu_fd, KVM_GET_SREGS, (unsigned long)&sregs) < 0) {
		snprintf(err, err_len, "cannot read the vCPU's registers: %s", strerror(errno));
		return -1;
	}
	state_from_regs(state, &regs);
	state_from_sregs(state, &sregs);
	return 0;
}

#define INSN_BYTES_SHOWN 6

/* KVM's instruction emulator (used for real mode on hosts without
 * unrestricted guest, and for MMIO) gives up on instructions it does not
 * know: name the place and the bytes, and say what to do, rather than
 * hand the student a bare suberror. */
static void kvm_emulation_failure(const struct vm *vm, struct vm_exit *exit)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &regs) < 0 || ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0) {
		snprintf(exit->reason, sizeof(exit->reason), "this host's KVM cannot execute the guest's next "
			 "instruction (KVM internal error, suberror 1); try --backend emu");
		return;
	}
	struct cpu_state state = {0};
	state.cr0 = sregs.cr0;
	state.efer = sregs.efer;
	uint64_t at = sregs.cs.base + regs.rip;
	size_t avail = at < vm->mem_size ? vm->mem_size - at : 0;
	size_t shown = avail < INSN_BYTES_SHOWN ? avail : INSN_BYTES_SHOWN;
	char insn[96];
	int bits = sregs.cs.l ? 64 : sregs.cs.db ? 32 : 16;
	size_t insn_len = x86_disasm_one(vm->mem + at, shown, regs.rip, bits, insn, sizeof(insn));
	if (insn_len)
		shown = insn_len;
	char bytes[INSN_BYTES_SHOWN * 3 + 1] = "";
	size_t len = 0;
	for (size_t i = 0; i < shown; i++)
		len += (size_t)snprintf(bytes + len, sizeof(bytes) - len, "%s%02x", i ? " " : "", vm->mem[at + i]);
	char what[128] = "the instruction";
	if (insn_len)
		snprintf(what, sizeof(what), "`%s`", insn);
	/* Precisions keep the whole within the reason, cutting a long instruction's text. */
	snprintf(exit->reason, sizeof(exit->reason), "this host's KVM cannot execute %.40s at %04x:%04x "
		 "in %.9s mode (bytes %.17s); try --backend emu", what, sregs.cs.selector, (unsigned)regs.rip,
		 x86_mode_name(x86_mode_of(&state)), bytes[0] ? bytes : "outside RAM");
}

static void kvm_exit_error(const struct vm *vm, struct vm_exit *exit, const struct kvm_run *run)
{
	exit->kind = VM_EXIT_ERROR;
	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		snprintf(exit->reason, sizeof(exit->reason), "unmapped memory %s at 0x%08llx",
			 run->mmio.is_write ? "write" : "read", (unsigned long long)run->mmio.phys_addr);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(exit->reason, sizeof(exit->reason), "VM entry failed (hardware reason 0x%llx)",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION) {
			kvm_emulation_failure(vm, exit);
			break;
		}
		snprintf(exit->reason, sizeof(exit->reason), "KVM internal error (suberror %u)",
			 run->internal.suberror);
		break;
	default:
		snprintf(exit->reason, sizeof(exit->reason), "unexpected KVM exit reason %u", run->exit_reason);
		break;
	}
}

/* Turns the exit KVM_RUN left in kvm_run into a vm_exit; false for exits
 * that are nobody's business (a stray signal). */
static bool kvm_decode_exit(struct vm *vm, struct vm_exit *exit)
{
	struct kvm_run *run = vm->run;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vm->io_pending = true;
		exit->kind = VM_EXIT_IO;
		exit->io = (struct vm_io){
			.port = run->io.port,
			.size = run->io.size,
			.is_write = run->io.direction == KVM_EXIT_IO_OUT,
			.count = run->io.count,
			.data = (uint8_t *)run + run->io.data_offset,
		};
		return true;
	case KVM_EXIT_HLT: exit->kind = VM_EXIT_HLT; return true;
	case KVM_EXIT_SHUTDOWN: exit->kind = VM_EXIT_SHUTDOWN; return true;
	case KVM_EXIT_INTR: return false;
	case KVM_EXIT_DEBUG: return false; /* kvm_on_step's */
	default:
		/* An MMIO exit is left pending on purpose: the registers then show
		 * the instruction that touched unmapped memory. */
		kvm_exit_error(vm, exit, run);
		return true;
	}
}

/* ---- instruction counting ------------------------------------------- */

#define INSN_MAX_BYTES 15

static size_t kvm_code_at(const struct vm *vm, uint64_t linear, uint8_t *code)
{
	size_t len = 0;
	while (len < INSN_MAX_BYTES && linear + len < vm->mem_size) {
		code[len] = vm->mem[linear + len];
		len++;
	}
	return len;
}

static bool kvm_counts_at(const struct vm *vm, uint64_t linear)
{
	return linear < vm->count_cfg.skip_base || linear >= vm->count_cfg.skip_end;
}

/* One step of the instruction at linear: counted unless it lies where
 * nothing counts, or it is one more iteration of the rep string
 * instruction the last step ran. True when the count passed the limit. */
static bool kvm_count_step(struct vm *vm, uint64_t linear)
{
	uint8_t code[INSN_MAX_BYTES];
	size_t len = kvm_code_at(vm, linear, code);
	bool again = vm->event_known && vm->last_event == linear &&
		     (x86_insn_is_rep_string(code, len, vm->mode == X86_MODE_LONG) ||
		      (vm->count_cfg.park_once && x86_insn_is_jump_to_self(code, len, vm->mode == X86_MODE_REAL)));
	vm->event_known = true;
	vm->last_event = linear;
	if (again || !kvm_counts_at(vm, linear))
		return false;
	vm->instructions++;
	return vm->instructions > vm->count_cfg.limit;
}

/* Where the guest stands: cs:ip as a linear address. */
static int kvm_linear_ip(struct vm *vm, uint64_t *linear)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	if (kvm_ioctl(vm->vcpu_fd, KVM_GET_REGS, (unsigned long)&regs) < 0 ||
	    kvm_ioctl(vm->vcpu_fd, KVM_GET_SREGS, (unsigned long)&sregs) < 0)
		return -1;
	*linear = sregs.cs.base + regs.rip;
	return 0;
}

/* A single-stepped hlt would not halt (KVM delivers the step first and
 * the guest runs on), so a hlt about to run is counted and taken here: ip
 * moves past it as the CPU's own hlt exit leaves it. */
static int kvm_take_hlt(struct vm *vm, size_t hlt_len, struct vm_exit *exit)
{
	struct kvm_regs regs;
	if (kvm_ioctl(vm->vcpu_fd, KVM_GET_REGS, (unsigned long)&regs) < 0)
		return -1;
	regs.rip += hlt_len;
	if (kvm_ioctl(vm->vcpu_fd, KVM_SET_REGS, (unsigned long)&regs) < 0)
		return -1;
	exit->kind = kvm_count_step(vm, vm->position) ? VM_EXIT_INSN_LIMIT : VM_EXIT_HLT;
	return 0;
}

#define RFLAGS_OF (1u << 11)

/* What became of an instruction the backend may take over while counting. */
enum insn_taken {
	INSN_LEFT,      /* not taken: the vCPU steps it */
	INSN_TAKEN,     /* taken, and it completed */
	INSN_FAULTED,   /* taken, and a fault it raised was delivered instead: not counted */
};

/* The software interrupt (int n, int3, or an into with OF set) at ip, of
 * insn_len bytes, delivered in state as the CPU delivers it: through the
 * IVT in real mode (x86/real_interrupt.c, as the timer's IRQ0 is), through
 * the IDT otherwise (x86/protected_interrupt.c, as emu delivers). False
 * when it is not ours to deliver (a vector past the IVT's limit, a stack
 * segment reaching past RAM, a delivery that is not emulated): KVM then
 * runs it. */
static enum insn_taken kvm_deliver_software_interrupt(struct vm *vm, struct cpu_state *state, uint8_t vector,
						      size_t insn_len)
{
	if (!(state->cr0 & CR0_PE)) {
		if ((uint32_t)vector * 4 + 3 > state->idt.limit || state->seg[SEG_SS].base + 0x10000 > vm->mem_size)
			return INSN_LEFT;
		state->rip = (uint16_t)(state->rip + insn_len); /* the handler returns past the int */
		return x86_real_mode_interrupt(state, vm->mem, vm->mem_size, vector) == 0 ? INSN_TAKEN : INSN_LEFT;
	}
	const struct x86_event event = {
		.vector = vector, .software = true, .return_rip = state->rip + insn_len, .fault_rip = state->rip,
	};
	char why[160];
	bool escalated;
	if (x86_protected_interrupt_escalating(state, vm->mem, vm->mem_size, &event, &escalated, why, sizeof(why)) !=
	    X86_DELIVERED)
		return INSN_LEFT;
	return escalated ? INSN_FAULTED : INSN_TAKEN;
}

/* KVM's single-step never completes a real-mode int n on hosts whose real
 * mode goes through its instruction emulator (the step exit repeats at the
 * int), and cannot run one at all outside real mode there; where a CPU
 * steps the guest, the handler it enters runs with TF clear, unstepped.
 * So while counting the backend delivers software interrupts itself.
 * *taken stays INSN_LEFT when it did not (see above), or for an into with
 * OF clear, which the guest steps as any instruction. */
static int kvm_take_int(struct vm *vm, uint8_t vector, size_t int_len, bool overflow_only, enum insn_taken *taken)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	*taken = INSN_LEFT;
	if (kvm_ioctl(vm->vcpu_fd, KVM_GET_REGS, (unsigned long)&regs) < 0 ||
	    kvm_ioctl(vm->vcpu_fd, KVM_GET_SREGS, (unsigned long)&sregs) < 0)
		return -1;
	if (overflow_only && !(regs.rflags & RFLAGS_OF))
		return 0;
	struct cpu_state state = {0};
	state_from_regs(&state, &regs);
	state_from_sregs(&state, &sregs);
	enum insn_taken delivered = kvm_deliver_software_interrupt(vm, &state, vector, int_len);
	if (delivered == INSN_LEFT)
		return 0;
	regs_from_state(&regs, &state);
	sregs_from_state(&sregs, &state);
	if (kvm_ioctl(vm->vcpu_fd, KVM_SET_SREGS, (unsigned long)&sregs) < 0 ||
	    kvm_ioctl(vm->vcpu_fd, KVM_SET_REGS, (unsigned long)&regs) < 0)
		return -1;
	*taken = delivered;
	vm->rearm = true;
	vm->tables_known = false; /* a new cs */
	return 0;
}

/* An sti taken here while counting, in real mode: a CPU that steps the
 * guest holds the trap after an sti back until the next instruction has
 * run (its interrupt shadow), and before a hlt gives none at all. IF is
 * all it changes here, since kvmcheck's interrupts come only while the
 * guest waits. *taken stays INSN_LEFT outside real mode: KVM runs it. */
static int kvm_take_sti(struct vm *vm, size_t sti_len, enum insn_taken *taken)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	*taken = INSN_LEFT;
	if (kvm_ioctl(vm->vcpu_fd, KVM_GET_REGS, (unsigned long)&regs) < 0 ||
	    kvm_ioctl(vm->vcpu_fd, KVM_GET_SREGS, (unsigned long)&sregs) < 0)
		return -1;
	if (sregs.cr0 & 1)
		return 0;
	regs.rflags |= RFLAGS_IF;
	regs.rip = (uint16_t)(regs.rip + sti_len);
	if (kvm_ioctl(vm->vcpu_fd, KVM_SET_REGS, (unsigned long)&regs) < 0)
		return -1;
	*taken = INSN_TAKEN;
	vm->rearm = true;
	return 0;
}

/* The instructions taken here rather than stepped (see each). */
static int kvm_take_insn(struct vm *vm, const uint8_t *code, size_t len, enum insn_taken *taken)
{
	bool long64 = vm->mode == X86_MODE_LONG;
	uint8_t vector;
	size_t insn_len;
	*taken = INSN_LEFT;
	if (x86_insn_is_int(code, len, long64, &vector, &insn_len))
		return kvm_take_int(vm, vector, insn_len, false, taken);
	if (x86_insn_is_into(code, len, long64, &insn_len))
		return kvm_take_int(vm, 4, insn_len, true, taken);
	if (x86_insn_is_sti(code, len, long64, &insn_len))
		return kvm_take_sti(vm, insn_len, taken);
	return 0;
}

#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)

/* The system registers the handlers' entries and the instruction's
 * decoding depend on, read once until something may change them. */
static int kvm_know_tables(struct vm *vm)
{
	if (vm->tables_known)
		return 0;
	struct kvm_sregs sregs;
	if (kvm_ioctl(vm->vcpu_fd, KVM_GET_SREGS, (unsigned long)&sregs) < 0)
		return -1;
	vm->tables = (struct cpu_state){0};
	state_from_sregs(&vm->tables, &sregs);
	vm->tables_known = true;
	return 0;
}

/* Where the guest's vector table sends vector: the IVT in real mode, the
 * IDT's gate otherwise. */
static int kvm_handler_entry(const struct vm *vm, uint8_t vector, struct watched_handler *h)
{
	h->push_bytes = 2;
	h->error_code = false;
	if (!(vm->tables.cr0 & CR0_PE))
		return x86_real_mode_handler_entry(&vm->tables, vm->mem, vm->mem_size, vector, &h->at);
	unsigned push_bytes;
	if (x86_protected_handler_entry(&vm->tables, vm->mem, vm->mem_size, vector, &h->at, &push_bytes) < 0)
		return -1;
	h->push_bytes = (uint8_t)push_bytes;
	h->error_code = x86_vector_has_error_code(vector);
	return 0;
}

#define CR0_AM (1u << 18)
#define OPCODE_IRET 0xcf
#define CR4_OSXMMEXCPT (1u << 10)
#define RFLAGS_NT (1u << 14)
#define RFLAGS_AC (1u << 18)

/* Code of this segment at level 3 with CR0.AM: alignment checking is
 * RFLAGS.AC's to turn on. */
static bool kvm_alignment_may_be_checked(const struct cpu_state *t, const struct x86_segment *cs)
{
	return (t->cr0 & CR0_PE) && (t->cr0 & CR0_AM) && (cs->selector & 3) == 3;
}

/* RFLAGS, where the faults of the instruction in code depend on it (AC at
 * level 3 with CR0.AM, NT for an iret in protected mode); else 0, without
 * the register read every other step would pay. An iret's were read with
 * its target (kvm_note_iret_target, just before). */
static int kvm_flags_for_faults(const struct vm *vm, const uint8_t *code, size_t len, uint64_t *rflags)
{
	const struct cpu_state *t = &vm->tables;
	*rflags = 0;
	size_t at = x86_insn_opcode_offset(code, len, vm->mode == X86_MODE_LONG); /* as kvm_note_iret_target reads it */
	if (at < len && code[at] == OPCODE_IRET) {
		*rflags = vm->iret_flags;
		return 0;
	}
	if (!kvm_alignment_may_be_checked(t, &t->seg[SEG_CS]))
		return 0;
	struct kvm_regs regs;
	if (kvm_ioctl(vm->vcpu_fd, KVM_GET_REGS, (unsigned long)&regs) < 0)
		return -1;
	*rflags = regs.rflags;
	return 0;
}

/* How an instruction runs with these system registers, code segment (its
 * level and size) and flags, as far as its faults go. */
static struct x86_fault_context kvm_fault_context(const struct cpu_state *t, const struct x86_segment *cs,
						  uint64_t rflags)
{
	bool long64 = (t->efer & EFER_LMA) && cs->l;
	return (struct x86_fault_context){
		.long64 = long64,
		.code32 = (t->cr0 & CR0_PE) && (cs->db || long64),
		.protected_mode = (t->cr0 & CR0_PE) != 0,
		.paging = (t->cr0 & CR0_PG) != 0,
		.fpu_unavailable = (t->cr0 & (CR0_EM | CR0_TS)) != 0,
		.simd_exceptions = (t->cr4 & CR4_OSXMMEXCPT) != 0,
		.alignment_checked = kvm_alignment_may_be_checked(t, cs) && (rflags & RFLAGS_AC),
		.nested_task = (rflags & RFLAGS_NT) != 0,
	};
}

/* The faults an iret's target may raise, interleaved with the iret's own:
 * a host whose step exit comes only after the target ran too (this
 * machine's KVM in long mode) has the target's faults happen inside the
 * iret's step, where a #AC of a return to level 3 with AC set comes from. */
static size_t kvm_add_iret_target_faults(const struct vm *vm, uint8_t *vectors, size_t count, size_t max)
{
	uint8_t code[INSN_MAX_BYTES], target[8], merged[16];
	size_t len = kvm_code_at(vm, vm->iret_target, code);
	size_t target_count = x86_insn_fault_vectors(code, len, &vm->iret_target_faults, target, sizeof(target));
	size_t n = 0;
	for (size_t i = 0; (i < count || i < target_count) && n + 2 <= sizeof(merged); i++) {
		if (i < count)
			merged[n++] = vectors[i];
		if (i < target_count)
			merged[n++] = target[i];
	}
	n = n < max ? n : max;
	memcpy(vectors, merged, n);
	return n;
}

/* The entries of the handlers of these faults, the likeliest first, each
 * once, as many as there are slots. */
static size_t kvm_fault_handlers(const struct vm *vm, const uint8_t *vectors, size_t vector_count,
				 struct watched_handler *found)
{
	size_t n = 0;
	for (size_t i = 0; i < vector_count && n < DEBUG_SLOTS; i++) {
		struct watched_handler h;
		if (kvm_handler_entry(vm, vectors[i], &h) < 0)
			continue;
		bool seen = false;
		for (size_t j = 0; j < n; j++)
			seen |= found[j].at == h.at;
		if (!seen)
			found[n++] = h;
	}
	return n;
}

/* The entries in ascending order, so that the same set compares equal
 * whichever fault named it first. */
static void sort_handlers(struct watched_handler *h, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && h[j - 1].at > h[j].at; j--) {
			struct watched_handler swap = h[j];
			h[j] = h[j - 1];
			h[j - 1] = swap;
		}
}

static bool same_entries(const struct watched_handler *a, const struct watched_handler *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].at != b[i].at)
			return false;
	return true;
}

/* Before each step the breakpoints follow the instruction about to run and
 * the vector table as the guest changes it; KVM_SET_GUEST_DEBUG only when
 * the entries changed. */
static int kvm_watch_fault_handlers(struct vm *vm, const uint8_t *code, size_t len)
{
	if (kvm_know_tables(vm) < 0)
		return -1;
	uint64_t rflags;
	if (kvm_flags_for_faults(vm, code, len, &rflags) < 0)
		return -1;
	const struct x86_fault_context ctx = kvm_fault_context(&vm->tables, &vm->tables.seg[SEG_CS], rflags);
	uint8_t vectors[16];
	size_t vector_count = x86_insn_fault_vectors(code, len, &ctx, vectors, 8);
	if (vm->iret_target_known)
		vector_count = kvm_add_iret_target_faults(vm, vectors, vector_count, sizeof(vectors));
	struct watched_handler found[DEBUG_SLOTS];
	size_t n = kvm_fault_handlers(vm, vectors, vector_count, found);
	sort_handlers(found, n);
	bool same = n == vm->handler_count && same_entries(found, vm->handler, n);
	memcpy(vm->handler, found, n * sizeof(found[0]));
	vm->handler_count = n;
	vm->rearm |= !same;
	return 0;
}

/* The vCPU is about to step: with TF set again if it may be gone. */
static int kvm_step_on(struct vm *vm)
{
	if (!vm->rearm)
		return 0;
	vm->rearm = false;
	return kvm_apply_debug(vm);
}

#define OPCODE_PUSHF 0x9c
#define PREFIX_OPERAND_SIZE 0x66

/* Bytes per slot of the frame an iret pops: its operand size. */
static unsigned kvm_iret_slot(const uint8_t *code, size_t at, const struct cpu_state *state, bool code64)
{
	bool rex_w = code64 && at > 0 && (code[at - 1] & 0xf8) == 0x48;
	bool toggled = memchr(code, PREFIX_OPERAND_SIZE, at) != NULL;
	if (rex_w)
		return 8;
	bool wide = code64 || ((state->cr0 & CR0_PE) && state->seg[SEG_CS].db);
	return wide != toggled ? 4 : 2;
}

/* The linear address `above` bytes above the stack pointer: flat in
 * 64-bit code, else in SS with a 16- or 32-bit stack pointer (SS.B). */
static uint64_t kvm_stack_at(const struct cpu_state *state, uint64_t above)
{
	bool code64 = (state->efer & EFER_LMA) && state->seg[SEG_CS].l;
	uint64_t sp_mask = code64 ? UINT64_MAX : (state->cr0 & CR0_PE) && state->seg[SEG_SS].db ? 0xffffffffu : 0xffffu;
	return (code64 ? 0 : state->seg[SEG_SS].base) + ((state->gpr[GPR_ESP] + above) & sp_mask);
}

/* The vCPU's registers and system registers, as one cpu_state. */
static int kvm_read_cpu_state(struct vm *vm, struct cpu_state *state)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	if (kvm_ioctl(vm->vcpu_fd, KVM_GET_REGS, (unsigned long)&regs) < 0 ||
	    kvm_ioctl(vm->vcpu_fd, KVM_GET_SREGS, (unsigned long)&sregs) < 0)
		return -1;
	*state = (struct cpu_state){0};
	state_from_regs(state, &regs);
	state_from_sregs(state, &sregs);
	return 0;
}

/* The linear address of code at selector:ip, and the code segment (its
 * selector 0 in real mode); false when the selector names no descriptor
 * that can be read. */
static bool kvm_code_linear(const struct vm *vm, const struct cpu_state *state, uint16_t selector, uint64_t ip,
			    struct x86_segment *cs, uint64_t *linear)
{
	*cs = (struct x86_segment){0};
	if (!(state->cr0 & CR0_PE)) {
		*linear = (uint64_t)selector * 16 + (ip & 0xffffu);
		return true;
	}
	if (x86_descriptor_load(state, vm->mem, vm->mem_size, selector, cs) != 0)
		return false;
	cs->selector = selector;
	*linear = ((state->efer & EFER_LMA) && cs->l ? 0 : cs->base) + ip;
	return true;
}

/* Where an iret about to be stepped returns to, as a linear address read
 * from its frame (iret_target_known stays false for any other
 * instruction, or a frame or segment that cannot be read). A host that
 * steps the guest may run the instruction there too before the step exit
 * comes (this machine's KVM does in long mode): kvm_on_step then counts
 * it. */
static int kvm_note_iret_target(struct vm *vm, const uint8_t *code, size_t len)
{
	bool long64 = vm->mode == X86_MODE_LONG;
	size_t at = x86_insn_opcode_offset(code, len, long64);
	vm->iret_target_known = false;
	vm->iret_flags = 0;
	if (at >= len || code[at] != OPCODE_IRET)
		return 0;
	struct cpu_state state;
	if (kvm_read_cpu_state(vm, &state) < 0)
		return -1;
	vm->iret_flags = state.rflags;
	bool code64 = (state.efer & EFER_LMA) && state.seg[SEG_CS].l;
	unsigned slot = kvm_iret_slot(code, at, &state, code64);
	uint64_t frame = kvm_stack_at(&state, 0);
	if (frame >= vm->mem_size || vm->mem_size - frame < 3 * (uint64_t)slot)
		return 0;
	uint64_t ip = le_load(vm->mem + frame, slot);
	uint16_t selector = (uint16_t)le_load(vm->mem + frame + slot, 2);
	uint64_t rflags = le_load(vm->mem + frame + 2 * slot, slot);
	struct x86_segment cs;
	if (!kvm_code_linear(vm, &state, selector, ip, &cs, &vm->iret_target))
		return 0;
	vm->iret_target_faults = kvm_fault_context(&state, &cs, rflags);
	vm->iret_target_known = true;
	return 0;
}

/* With firmware a `jmp $` is a wait that counts once (park_once): it is
 * counted when the guest gets there (the instruction at linear), before
 * its step, since the run loop's poll may find the guest there and end
 * the run as parked before the step comes. Its steps then count nothing
 * more (kvm_count_step). True when the count passed the limit. */
static bool kvm_count_parked_at(struct vm *vm, uint64_t linear)
{
	uint8_t code[INSN_MAX_BYTES];
	size_t len = kvm_code_at(vm, linear, code);
	return vm->count_cfg.park_once && x86_insn_is_jump_to_self(code, len, vm->mode == X86_MODE_REAL) &&
	       kvm_count_step(vm, linear);
}

/* Before the vCPU runs on while counting: the instructions single-steps
 * cannot count right are taken here, one after the other. *stop gets an
 * exit for the handler when one ended the run. */
static int kvm_count_before_run(struct vm *vm, struct vm_exit *exit, bool *stop)
{
	*stop = false;
	if (!vm->position_known) {
		if (kvm_linear_ip(vm, &vm->position) < 0)
			return -1;
		vm->position_known = true;
	}
	if (vm->over_pending) {
		exit->kind = VM_EXIT_INSN_LIMIT;
		*stop = true;
		return 0;
	}
	for (;;) {
		uint8_t code[INSN_MAX_BYTES];
		size_t len = kvm_code_at(vm, vm->position, code), insn_len;
		enum insn_taken taken;
		if (x86_insn_is_hlt(code, len, vm->mode == X86_MODE_LONG, &insn_len)) {
			*stop = true;
			return kvm_take_hlt(vm, insn_len, exit);
		}
		/* Every instruction is seen before it runs: a hypercall stops
		 * here, wherever it is, and the breakpoints are the handlers'. */
		if (sys_hypercall_at(code, len, vm->mode == X86_MODE_LONG)) {
			kvm_stop_at_hypercall(vm, vm->position, exit);
			*stop = true;
			return 0;
		}
		if (kvm_count_parked_at(vm, vm->position)) {
			exit->kind = VM_EXIT_INSN_LIMIT;
			*stop = true;
			return 0;
		}
		if (kvm_take_insn(vm, code, len, &taken) < 0)
			return -1;
		if (taken == INSN_LEFT)
			return kvm_note_iret_target(vm, code, len) < 0 || kvm_watch_fault_handlers(vm, code, len) < 0 ?
				       -1 : kvm_step_on(vm);
		if (taken == INSN_TAKEN && kvm_count_step(vm, vm->position)) {
			exit->kind = VM_EXIT_INSN_LIMIT;
			*stop = true;
			return 0;
		}
		if (kvm_linear_ip(vm, &vm->position) < 0)
			return -1;
	}
}

/* Where KVM steps the guest, TF is set in the guest's FLAGS (by a CPU, or
 * by this host's KVM in the FLAGS its emulator pushes): clears it in a
 * FLAGS image the guest pushed `above` bytes above ss:sp, as if the guest
 * had never seen it. TF is bit 8, bit 0 of the image's second byte. The
 * stack is read at its linear address, as everywhere here (kvmcheck's
 * own page tables map identity). */
static int kvm_hide_pushed_tf(struct vm *vm, uint64_t above)
{
	struct cpu_state state;
	if (kvm_read_cpu_state(vm, &state) < 0)
		return -1;
	uint64_t at = kvm_stack_at(&state, above) + 1;
	if (at < vm->mem_size)
		vm->mem[at] &= (uint8_t)~1u;
	return 0;
}

/* The watched handler whose entry is at pc; NULL when none is. */
static const struct watched_handler *kvm_watched_at(const struct vm *vm, uint64_t pc)
{
	for (size_t i = 0; i < vm->handler_count; i++)
		if (vm->handler[i].at == pc)
			return &vm->handler[i];
	return NULL;
}

/* How far above the stack pointer a fault's frame holds FLAGS: past the
 * error code, ip and cs. */
static uint64_t kvm_frame_flags_above(const struct watched_handler *h)
{
	unsigned push = h ? h->push_bytes : 2;
	return (uint64_t)push * (2 + (h && h->error_code));
}

#define OPCODE_TWO_BYTE 0x0f

/* An instruction after which the system registers or cs may differ: the
 * system instructions that load them (lgdt, lidt, lmsw, lldt, clts, mov to
 * cr, wrmsr, syscall, sysenter and their returns) and the far jumps, calls
 * and returns. Other exits from the code stream (an interrupt or fault
 * delivered, registers set by the run loop) say so themselves. */
static bool kvm_may_change_tables(const uint8_t *code, size_t len, bool long64)
{
	size_t at = x86_insn_opcode_offset(code, len, long64);
	if (at >= len)
		return false;
	uint8_t next = at + 1 < len ? code[at + 1] : 0;
	if (code[at] == OPCODE_TWO_BYTE)
		return next <= 0x01 || (next >= 0x05 && next <= 0x07) || next == 0x22 || next == 0x30 ||
		       next == 0x34 || next == 0x35;
	return x86_insn_is_far_transfer(code, len, long64);
}

/* The step after an iret came only after the instruction it returned to
 * had run too: that one is counted. A hlt there did not halt (a stepped
 * hlt does not), so the run ends as its own hlt exit would: *halted. True
 * when the count passed the limit. */
static bool kvm_count_past_iret(struct vm *vm, bool *halted)
{
	uint8_t code[INSN_MAX_BYTES];
	size_t len = kvm_code_at(vm, vm->iret_target, code), hlt_len;
	*halted = x86_insn_is_hlt(code, len, vm->mode == X86_MODE_LONG, &hlt_len);
	return kvm_count_step(vm, vm->iret_target);
}

/* A single-step exit: the instruction at the last position retired and
 * the guest now stands at pc. *relevant when the handler must hear of it
 * (the count passed the limit). */
static int kvm_on_step(struct vm *vm, struct vm_exit *exit, bool *relevant)
{
	const struct kvm_debug_exit_arch *debug = &vm->run->debug.arch;
	*relevant = true;
	if (!vm->counting || debug->exception != 1) {
		exit->kind = VM_EXIT_ERROR;
		snprintf(exit->reason, sizeof(exit->reason), "unexpected debug exit (vector %u at 0x%llx)",
			 debug->exception, (unsigned long long)debug->pc);
		return 0;
	}
	uint8_t code[INSN_MAX_BYTES];
	size_t len = kvm_code_at(vm, vm->position, code), ss_len;
	bool long64 = vm->mode == X86_MODE_LONG;
	int opcode = x86_insn_opcode(code, len, long64);
	uint64_t stepped = vm->position;
	bool over = kvm_count_step(vm, stepped);
	/* A CPU holds the trap after an SS load back until the next
	 * instruction has run: that one retired too. */
	if (!over && x86_insn_is_ss_load(code, len, long64, &ss_len) && debug->pc != stepped + ss_len)
		over = kvm_count_step(vm, stepped + ss_len);
	bool halted = false;
	if (!over && opcode == OPCODE_IRET && vm->iret_target_known && debug->pc != vm->iret_target)
		over = kvm_count_past_iret(vm, &halted);
	vm->position = debug->pc;
	/* The run loop's poll may end the run at a `jmp $` before
	 * kvm_count_before_run sees it. */
	if (!over && !halted)
		over = kvm_count_parked_at(vm, vm->position);
	exit->kind = halted && !over ? VM_EXIT_HLT : VM_EXIT_INSN_LIMIT;
	*relevant = over || halted;
	/* Stepping is asked for again before every step: iret and popf load
	 * FLAGS without the TF KVM set; a handler's first instruction has run
	 * past its breakpoint, which goes back; and an instruction KVM's
	 * emulator ran (an access to a control register where SVM has no
	 * decode assists, an MMIO or page-table write under shadow paging)
	 * left TF clear, as KVM forces TF only at the linear ip where stepping
	 * was last asked for (__kvm_set_rflags and singlestep_rip in Linux's
	 * arch/x86/kvm/x86.c): the guest would run on unstepped. */
	vm->rearm = true;
	if (kvm_may_change_tables(code, len, long64))
		vm->tables_known = false;
	vm->passing_handler = false;
	return opcode == OPCODE_PUSHF ? kvm_hide_pushed_tf(vm, 0) : 0;
}

/* Whether the fault whose handler h the guest entered was raised at the
 * target of the iret just stepped: the iret then retired, and only its
 * target faulted (a host whose step comes after the target ran too, such
 * as this machine's KVM in long mode, has both in one step). Read from
 * the frame the fault pushed: its ip and cs. */
static int kvm_fault_at_iret_target(struct vm *vm, const struct watched_handler *h, bool *at_target)
{
	*at_target = false;
	if (!vm->iret_target_known || h == NULL)
		return 0;
	struct cpu_state state;
	if (kvm_read_cpu_state(vm, &state) < 0)
		return -1;
	uint64_t frame = kvm_stack_at(&state, h->error_code ? h->push_bytes : 0);
	if (frame >= vm->mem_size || vm->mem_size - frame < 2 * (uint64_t)h->push_bytes)
		return 0;
	uint64_t ip = le_load(vm->mem + frame, h->push_bytes);
	uint16_t selector = (uint16_t)le_load(vm->mem + frame + h->push_bytes, 2);
	struct x86_segment cs;
	uint64_t linear;
	*at_target = kvm_code_linear(vm, &state, selector, ip, &cs, &linear) && linear == vm->iret_target;
	return 0;
}

/* The guest stands at the entry of a fault handler (a breakpoint there).
 * Stepped there, it has nothing to count. Else the CPU delivered a fault
 * (the instruction at the last position did not retire) and cleared TF:
 * counting goes on from here, and the frame's FLAGS lose the TF KVM had
 * set. Either way the breakpoint is off for the handler's first step:
 * KVM's instruction emulator ignores RF for breakpoints of its own. */
static int kvm_on_fault_handler(struct vm *vm, uint64_t pc)
{
	if (pc != vm->position) {
		bool iret_done;
		if (kvm_fault_at_iret_target(vm, kvm_watched_at(vm, pc), &iret_done) < 0)
			return -1;
		if (iret_done)
			vm->over_pending = kvm_count_step(vm, vm->position) || vm->over_pending;
		vm->position = pc;
		vm->over_pending = kvm_count_parked_at(vm, pc) || vm->over_pending;
		if (kvm_hide_pushed_tf(vm, kvm_frame_flags_above(kvm_watched_at(vm, pc))) < 0)
			return -1;
	}
	vm->passing_handler = true;
	vm->passed_handler = pc;
	vm->rearm = true;
	vm->tables_known = false; /* the handler's cs */
	return 0;
}

/* KVM's emulator finishes an OUT before it exits to us and then skips
 * that instruction's single-step (the kernel's "FIXME: return into
 * emulator if single-stepping"); the fast path steps after we serve it,
 * when KVM_RUN is entered again, and kvm_complete_pending's entry takes
 * that step's exit for its own. Which happened shows in ip: past the
 * port instruction already, it is counted here, and stepping is asked
 * for again, the emulator having left TF clear (see kvm_on_step). */
static int kvm_count_port_insn_done(struct vm *vm)
{
	uint64_t linear;
	if (kvm_linear_ip(vm, &linear) < 0)
		return -1;
	if (linear != vm->position) {
		bool over = kvm_count_step(vm, vm->position);
		vm->position = linear;
		over = kvm_count_parked_at(vm, linear) || over;
		vm->over_pending = vm->over_pending || over;
		vm->rearm = true;
	}
	return 0;
}

/* ---- guest debugging: single-steps and breakpoints ------------------- */

#define DR7_FIXED_1 0x400u
#define DR6_BREAKPOINTS 0xfu

/* Single-stepping and the breakpoints (at fault handlers while counting,
 * else at hypercalls) share KVM_SET_GUEST_DEBUG, which sets them all at
 * once. While counting, every instruction is seen before it runs, so
 * hypercalls need no breakpoint and the handlers have all four. */
static int kvm_apply_debug(struct vm *vm)
{
	struct kvm_guest_debug debug = {0};
	uint64_t watch[DEBUG_SLOTS];
	size_t slots = 0;
	if (vm->counting) {
		debug.control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
		for (size_t i = 0; i < vm->handler_count && slots < DEBUG_SLOTS; i++)
			if (!vm->passing_handler || vm->handler[i].at != vm->passed_handler)
				watch[slots++] = vm->handler[i].at;
	}
	for (size_t i = 0; !vm->counting && i < vm->hypercall_count && slots < DEBUG_SLOTS; i++)
		watch[slots++] = vm->hypercall_at[i];
	vm->armed_slots = slots;
	memcpy(vm->armed_at, watch, slots * sizeof(watch[0]));
	if (slots) {
		debug.control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP;
		debug.arch.debugreg[7] = DR7_FIXED_1;
		for (size_t i = 0; i < slots; i++) {
			debug.arch.debugreg[i] = watch[i];
			debug.arch.debugreg[7] |= 1u << (2 * i); /* local enable; R/W 00, LEN 00: execution */
		}
	}
	if (!debug.control)
		return 0;
	return kvm_ioctl(vm->vcpu_fd, KVM_SET_GUEST_DEBUG, (unsigned long)&debug);
}

/* kvmcheck is no hypervisor, but KVM is one: a vmcall or vmmcall is
 * answered in the kernel (rax = -KVM_ENOSYS, and KVM may rewrite the other
 * vendor's instruction), or spun at, depending on the host. Breakpoints
 * on the first four found in memory stop the guest before each, so the
 * case ends as emu ends it (x86/system_insn.h); machine.c catches one
 * spun at past these at the timeout. Memory is identity-mapped in every
 * mode, and real mode's linear addresses are physical ones. */
static void kvm_note_hypercalls_in(struct vm *vm, size_t from, size_t to)
{
	const size_t max = sizeof(vm->hypercall_at) / sizeof(vm->hypercall_at[0]);
	const uint8_t *p = vm->mem + from, *end = vm->mem + to;
	while (vm->hypercall_count < max && end - p >= 3) {
		const uint8_t *hit = memchr(p, 0x0f, (size_t)(end - p) - 2);
		if (!hit)
			break;
		if (sys_hypercall_at(hit, 3, false))
			vm->hypercall_at[vm->hypercall_count++] = (uint64_t)(hit - vm->mem);
		p = hit + 1;
	}
}

static bool kvm_note_hypercalls_on(const uint8_t *p, size_t n, void *ctx)
{
	struct vm *vm = ctx;
	size_t from = (size_t)(p - vm->mem);
	kvm_note_hypercalls_in(vm, from, from + n);
	return vm->hypercall_count == sizeof(vm->hypercall_at) / sizeof(vm->hypercall_at[0]);
}

/* Pages never touched hold zeros, so no instruction: only the others are
 * read (reading one would map it, and 1 MiB of them costs 0.3 ms). */
static void kvm_find_hypercalls(struct vm *vm)
{
	vm->hypercall_count = 0;
	if (guest_ram_each_touched(vm->mem, vm->mem_size, kvm_note_hypercalls_on, vm) < 0)
		kvm_note_hypercalls_in(vm, 0, vm->mem_size);
}

static int kvm_watch_hypercalls(struct vm *vm, char *err, size_t err_len)
{
	vm->hypercalls_watched = true;
	kvm_find_hypercalls(vm);
	if (vm->hypercall_count && kvm_apply_debug(vm) < 0) {
		snprintf(err, err_len, "KVM_SET_GUEST_DEBUG (breakpoints at the guest's hypercalls): %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* The guest reached a watched hypercall and stands at it. */
static void kvm_stop_at_hypercall(const struct vm *vm, uint64_t linear, struct vm_exit *exit)
{
	uint8_t code[INSN_MAX_BYTES];
	size_t len = kvm_code_at(vm, linear, code);
	const char *mnemonic = sys_hypercall_at(code, len, vm->mode == X86_MODE_LONG);
	exit->kind = VM_EXIT_ERROR;
	sys_hypercall_reason(exit->reason, sizeof(exit->reason), mnemonic ? mnemonic : "vmcall");
}

/* Whether a breakpoint stopped the guest: the DR6 bit of an armed slot is
 * set and that slot watches where the guest stands. A DR6 bit alone does
 * not say so: a CPU may set the bit of a slot DR7 does not enable (the SDM
 * allows it for B0-B3), and a single-step exit then carries it too, as
 * QEMU 10's SVM does. */
static bool kvm_breakpoint_hit(const struct vm *vm, const struct kvm_debug_exit_arch *debug)
{
	if (debug->exception != 1)
		return false;
	for (size_t i = 0; i < vm->armed_slots; i++)
		if ((debug->dr6 & DR6_BREAKPOINTS & (1u << i)) && vm->armed_at[i] == debug->pc)
			return true;
	return false;
}

/* A debug exit: a breakpoint at a fault handler or a hypercall, or a
 * single-step. */
static int kvm_on_debug(struct vm *vm, struct vm_exit *exit, bool *relevant)
{
	const struct kvm_debug_exit_arch *debug = &vm->run->debug.arch;
	bool hit = kvm_breakpoint_hit(vm, debug);
	if (hit && vm->counting) {
		*relevant = false;
		return kvm_on_fault_handler(vm, debug->pc);
	}
	if (hit) {
		kvm_stop_at_hypercall(vm, debug->pc, exit);
		*relevant = true;
		return 0;
	}
	return kvm_on_step(vm, exit, relevant);
}

static int kvm_count_instructions(struct vm *vm, const struct insn_count_config *cfg, char *err, size_t err_len)
{
	if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG) <= 0) {
		snprintf(err, err_len, "this host's KVM cannot single-step a guest (no KVM_CAP_SET_GUEST_DEBUG), "
			 "so it cannot count instructions; use --backend emu");
		return -1;
	}
	vm->counting = true;
	if (kvm_apply_debug(vm) < 0) {
		vm->counting = false;
		snprintf(err, err_len, "KVM_SET_GUEST_DEBUG (single-step, to count instructions): %s; "
			 "use --backend emu", strerror(errno));
		return -1;
	}
	vm->count_cfg = *cfg;
	vm->instructions = 0;
	vm->position_known = false;
	vm->event_known = false;
	vm->over_pending = false;
	return 0;
}

static uint64_t kvm_instructions(const struct vm *vm)
{
	return vm->instructions;
}

static int kvm_run(struct vm *vm, vm_exit_handler handler, void *ctx, char *err, size_t err_len)
{
	/* Left set by the last run's completion of a pending exit; a kick
	 * that is still to be served keeps it. */
	vm->run->immediate_exit = vm->kicked;
	if (!vm->hypercalls_watched && kvm_watch_hypercalls(vm, err, err_len) < 0)
		return -1;
	for (;;) {
		struct vm_exit counted = {0};
		bool stop = false;
		if (vm->counting && kvm_count_before_run(vm, &counted, &stop) < 0) {
			snprintf(err, err_len, "counting instructions: %s", strerror(errno));
			return -1;
		}
		if (stop) {
			handler(ctx, &counted);
			return 0;
		}
		struct vm_exit exit = {0};
		int rc = ioctl(vm->vcpu_fd, KVM_RUN, 0);
		vm->io_pending = false;
		if (rc < 0 && errno != EINTR && errno != EAGAIN) {
			snprintf(err, err_len, "KVM_RUN: %s", strerror(errno));
			return -1;
		}
		bool relevant = rc == 0 && kvm_decode_exit(vm, &exit);
		if (rc == 0 && vm->run->exit_reason == KVM_EXIT_DEBUG && kvm_on_debug(vm, &exit, &relevant) < 0) {
			snprintf(err, err_len, "counting instructions: %s", strerror(errno));
			return -1;
		}
		if (relevant && vm->counting && exit.kind == VM_EXIT_IO && exit.io.is_write && kvm_count_port_insn_done(vm) < 0) {
			snprintf(err, err_len, "counting instructions: %s", strerror(errno));
			return -1;
		}
		if (relevant && exit.kind == VM_EXIT_INSN_LIMIT) {
			handler(ctx, &exit);
			return 0;
		}
		/* An exit that came with a kick is served first: the run may go
		 * on after a kick (the loop's polls, machine.c), and an OUT's
		 * byte must not be lost. */
		if (relevant && (handler(ctx, &exit) == VM_STOP || exit.kind != VM_EXIT_IO))
			return 0;
		if (vm->kicked) {
			vm->kicked = 0;
			exit = (struct vm_exit){ .kind = VM_EXIT_KICKED };
			handler(ctx, &exit);
			return 0;
		}
	}
}

/* Runs in a signal handler: a store to kvm_run is all it may do. The flag
 * makes KVM_RUN return EINTR at once if the signal beat it to the kernel. */
static void kvm_kick(struct vm *vm)
{
	vm->kicked = 1;
	vm->run->immediate_exit = 1;
}

static bool kvm_available(char *why, size_t why_len)
{
	struct vm *vm;
	static uint8_t probe_page[4096] __attribute__((aligned(4096)));
	if (kvm_create(&vm, probe_page, sizeof(probe_page), X86_MODE_REAL, why, why_len) < 0)
		return false;
	kvm_destroy(vm);
	return true;
}

const struct backend_ops backend_kvm = {
	.name = "kvm",
	.available = kvm_available,
	.create = kvm_create,
	.set_state = kvm_set_state,
	.get_state = kvm_get_state,
	.run = kvm_run,
	.kick = kvm_kick,
	.destroy = kvm_destroy,
	.count_instructions = kvm_count_instructions,
	.instructions = kvm_instructions,
};
