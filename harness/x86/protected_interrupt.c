#include "x86/protected_interrupt.h"

#include "core/le.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define RFLAGS_TF (1u << 8)
#define RFLAGS_IF (1u << 9)
#define RFLAGS_NT (1u << 14)
#define RFLAGS_RF (1u << 16)
#define RFLAGS_VM (1u << 17)

#define CR4_PSE (1u << 4)

#define PTE_PRESENT 0x1u
#define PTE_LARGE 0x80u
#define PTE_ADDRESS 0x000ffffffffff000ull

#define SELECTOR_TI 0x4u
#define SELECTOR_RPL 0x3u
#define ERROR_EXT 0x1u
#define ERROR_IDT 0x2u

#define GATE_TASK 0x5u
#define GATE_INTERRUPT16 0x6u
#define GATE_TRAP16 0x7u
#define GATE_INTERRUPT32 0xeu  /* the 64-bit one in long mode */
#define GATE_TRAP32 0xfu
#define GATE_32BIT 0x8u        /* the type bit that makes a gate 32-bit */
#define GATE_TRAP 0x1u         /* the type bit that keeps IF */

#define CODE_SEGMENT 0x8u      /* descriptor type bits */
#define CODE_CONFORMING 0x4u
#define DATA_WRITABLE 0x2u
#define SEGMENT_ACCESSED 0x1u
#define TSS_32BIT 0x8u          /* the type bit of a 32-bit TSS (else 16-bit) */

#define TSS64_RSP0 0x04u
#define TSS64_IST1 0x24u
#define MAX_FRAME 48u          /* six 8-byte slots: long mode with an error code */
#define MAX_NESTING 4          /* event, fault, #DF: one spare */

/* Where guest memory is, and what went wrong reaching it. */
struct guest_ram {
	const struct cpu_state *state;  /* paging registers */
	const uint8_t *mem;
	size_t size;
	uint64_t failed_linear;
	bool page_fault;                /* else: outside RAM */
};

/* One attempt at delivering an event: done, a fault raised on the way,
 * or an end to the run. */
struct attempt {
	enum { ATTEMPT_DONE, ATTEMPT_FAULT, ATTEMPT_STOP } kind;
	uint8_t vector;
	uint32_t error_code;
	uint64_t cr2;
	enum x86_delivery stop;
};

bool x86_vector_has_error_code(uint8_t vector)
{
	return vector == X86_VECTOR_DF || (vector >= X86_VECTOR_TS && vector <= X86_VECTOR_PF) ||
	       vector == X86_VECTOR_AC;
}

/* ---- guest memory through paging -------------------------------------- */

/* A page-table entry; false when it lies outside RAM. */
static bool table_entry(struct guest_ram *r, uint64_t at, unsigned bytes, uint64_t *entry)
{
	if (at > r->size || r->size - at < bytes)
		return false;
	*entry = le_load(r->mem + at, bytes);
	return true;
}

/* Walks tables of entry_bytes entries, one level per shift; a large page
 * (4 MiB, 2 MiB or 1 GiB) can end the walk above the last level. */
static int walk(struct guest_ram *r, uint64_t table, const unsigned *shifts, int levels, unsigned entry_bytes,
		unsigned index_bits, uint64_t linear, uint64_t *phys)
{
	uint64_t address_mask = entry_bytes == 4 ? 0xfffff000ull : PTE_ADDRESS;
	for (int level = 0; level < levels; level++) {
		uint64_t index = (linear >> shifts[level]) & ((1ull << index_bits) - 1);
		uint64_t entry;
		if (!table_entry(r, table + index * entry_bytes, entry_bytes, &entry))
			return -1;
		if (!(entry & PTE_PRESENT)) {
			r->page_fault = true;
			return -1;
		}
		bool large = level < levels - 1 && shifts[level] <= 30 && (entry & PTE_LARGE);
		if (entry_bytes == 4 && large && !(r->state->cr4 & CR4_PSE))
			large = false;
		if (large || level == levels - 1) {
			uint64_t page_mask = (1ull << shifts[level]) - 1;
			uint64_t base = entry_bytes == 4 && large ? entry & 0xffc00000ull : entry & address_mask;
			*phys = (base & ~page_mask) | (linear & page_mask);
			return 0;
		}
		table = entry & address_mask;
	}
	return -1;
}

/* The physical address of a linear one under the guest's paging mode. */
static int translate(struct guest_ram *r, uint64_t linear, uint64_t *phys)
{
	const struct cpu_state *s = r->state;
	static const unsigned four_level[] = { 39, 30, 21, 12 };
	static const unsigned pae[] = { 30, 21, 12 };
	static const unsigned legacy[] = { 22, 12 };
	r->page_fault = false;
	r->failed_linear = linear;
	if (!(s->cr0 & CR0_PG)) {
		*phys = linear & 0xffffffffu;
		return 0;
	}
	if (s->efer & EFER_LMA)
		return walk(r, s->cr3 & PTE_ADDRESS, four_level, 4, 8, 9, linear, phys);
	if (s->cr4 & CR4_PAE) {
		uint64_t pdpte;
		if (!table_entry(r, (s->cr3 & 0xffffffe0u) + ((linear >> 30) & 3) * 8, 8, &pdpte))
			return -1;
		if (!(pdpte & PTE_PRESENT)) {
			r->page_fault = true;
			return -1;
		}
		return walk(r, pdpte & PTE_ADDRESS, pae + 1, 2, 8, 9, linear, phys);
	}
	return walk(r, s->cr3 & 0xfffff000u, legacy, 2, 4, 10, linear & 0xffffffffu, phys);
}

/* Every byte translated on its own: a table or frame may cross a page. */
static int read_linear(struct guest_ram *r, uint64_t linear, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t phys;
		if (translate(r, linear + i, &phys) != 0)
			return -1;
		if (phys >= r->size) {
			r->page_fault = false;
			return -1;
		}
		out[i] = r->mem[phys];
	}
	return 0;
}

/* ---- descriptors -------------------------------------------------------- */

static struct x86_segment segment_from_descriptor(uint64_t d, uint16_t selector)
{
	struct x86_segment s = {
		.base = ((d >> 16) & 0xffffffu) | ((d >> 56) & 0xffu) << 24,
		.limit = (uint32_t)((d & 0xffffu) | ((d >> 48) & 0xfu) << 16),
		.selector = selector,
		.type = (d >> 40) & 0xfu,
		.s = (d >> 44) & 1u,
		.dpl = (d >> 45) & 3u,
		.present = (d >> 47) & 1u,
		.avl = (d >> 52) & 1u,
		.l = (d >> 53) & 1u,
		.db = (d >> 54) & 1u,
		.g = (d >> 55) & 1u,
	};
	if (s.g)
		s.limit = s.limit << 12 | 0xfffu;
	return s;
}

enum descriptor_read { DESCRIPTOR_OK, DESCRIPTOR_BEYOND_LIMIT, DESCRIPTOR_UNREACHABLE };

/* The 8 bytes selector names, and the linear address they are at. */
static enum descriptor_read read_descriptor(struct guest_ram *r, uint16_t selector, uint64_t *raw, uint64_t *at)
{
	const struct cpu_state *s = r->state;
	uint64_t base = (selector & SELECTOR_TI) ? s->ldtr.base : s->gdt.base;
	uint32_t limit = (selector & SELECTOR_TI) ? s->ldtr.limit : s->gdt.limit;
	uint32_t offset = selector & ~7u;
	if (offset + 7 > limit)
		return DESCRIPTOR_BEYOND_LIMIT;
	uint8_t bytes[8];
	*at = base + offset;
	if (read_linear(r, *at, bytes, sizeof(bytes)) != 0)
		return DESCRIPTOR_UNREACHABLE;
	*raw = le_load(bytes, 8);
	return DESCRIPTOR_OK;
}

int x86_descriptor_load(const struct cpu_state *state, const uint8_t *mem, size_t mem_size,
			uint16_t selector, struct x86_segment *out)
{
	struct guest_ram r = { .state = state, .mem = mem, .size = mem_size };
	uint64_t raw, at;
	if ((selector & ~SELECTOR_RPL) == 0 || read_descriptor(&r, selector, &raw, &at) != DESCRIPTOR_OK)
		return -1;
	*out = segment_from_descriptor(raw, selector);
	return 0;
}

/* ---- one delivery ------------------------------------------------------- */

static struct attempt fault(uint8_t vector, uint32_t error_code)
{
	return (struct attempt){ .kind = ATTEMPT_FAULT, .vector = vector, .error_code = error_code };
}

static struct attempt stop(enum x86_delivery why_kind, char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static struct attempt stop(enum x86_delivery why_kind, char *why, size_t why_len, const char *fmt, ...)
{
	if (why != NULL && why_len > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return (struct attempt){ .kind = ATTEMPT_STOP, .stop = why_kind };
}

#define PF_WRITE 0x2u  /* the #PF error code of a write to a page not present */

/* A guest-memory access that failed: #PF at that address, or the end. */
static struct attempt memory_failure(const struct guest_ram *r, const char *what, bool write, char *why,
				     size_t why_len)
{
	if (r->page_fault) {
		struct attempt a = fault(X86_VECTOR_PF, write ? PF_WRITE : 0);
		a.cr2 = r->failed_linear;
		return a;
	}
	return stop(X86_DELIVERY_OUTSIDE_RAM, why, why_len, "%s at linear 0x%" PRIx64 " is outside guest RAM", what,
		    r->failed_linear);
}

struct gate {
	uint64_t offset;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint8_t dpl;
	bool present;
};

static struct gate parse_gate(const uint8_t *g, bool long_mode)
{
	struct gate gate = {
		.offset = le_load(g, 2) | le_load(g + 6, 2) << 16,
		.selector = (uint16_t)le_load(g + 2, 2),
		.ist = g[4] & 7u,
		.type = g[5] & 0xfu,
		.dpl = (g[5] >> 5) & 3u,
		.present = (g[5] >> 7) & 1u,
	};
	if (long_mode)
		gate.offset |= le_load(g + 8, 4) << 32;
	return gate;
}

static bool gate_type_valid(uint8_t type, bool long_mode)
{
	if (long_mode)
		return type == GATE_INTERRUPT32 || type == GATE_TRAP32;
	return type == GATE_TASK || type == GATE_INTERRUPT16 || type == GATE_TRAP16 ||
	       type == GATE_INTERRUPT32 || type == GATE_TRAP32;
}

/* The frame and where it goes. */
struct frame {
	uint8_t bytes[MAX_FRAME];
	unsigned len;
	unsigned slot;      /* bytes per push */
	uint64_t top;       /* the stack pointer after the pushes */
	uint64_t base;      /* the stack segment's base */
	uint64_t sp_mask;   /* 0xffff for a 16-bit stack */
};

/* Pushes go down from the end of bytes; written out once all fit. */
static void frame_push(struct frame *f, uint64_t value)
{
	f->len += f->slot;
	le_store(f->bytes + MAX_FRAME - f->len, value, f->slot);
}

static int frame_write(struct guest_ram *r, uint8_t *mem, const struct frame *f)
{
	uint64_t phys[MAX_FRAME];
	for (unsigned i = 0; i < f->len; i++) {
		uint64_t linear = f->base + ((f->top + i) & f->sp_mask);
		if (translate(r, linear, &phys[i]) != 0)
			return -1;
		if (phys[i] >= r->size) {
			r->page_fault = false;
			return -1;
		}
	}
	for (unsigned i = 0; i < f->len; i++)
		mem[phys[i]] = f->bytes[MAX_FRAME - f->len + i];
	return 0;
}

/* Checks the handler's code segment as the CPU does, as a fault for the
 * event to raise or a stop. */
static struct attempt check_target(const struct x86_segment *cs, uint16_t selector, unsigned cpl, uint32_t ext,
				   bool long_mode)
{
	uint32_t code = (selector & ~SELECTOR_RPL) | ext;
	if (!cs->s || !(cs->type & CODE_SEGMENT) || cs->dpl > cpl)
		return fault(X86_VECTOR_GP, code);
	if (!cs->present)
		return fault(X86_VECTOR_NP, code);
	if (long_mode && !(cs->l && !cs->db))
		return fault(X86_VECTOR_GP, code);
	return (struct attempt){ .kind = ATTEMPT_DONE };
}

/* A handler in a non-conforming segment more privileged than the
 * interrupted code runs on its own level's stack, named by the TSS. */
static bool switches_stack(const struct x86_segment *cs, unsigned cpl)
{
	return !(cs->type & CODE_CONFORMING) && cs->dpl < cpl;
}

/* The stack the TSS gives privilege level dpl, outside long mode (SDM
 * vol. 2, INT n, INTER-PRIVILEGE-LEVEL-INTERRUPT): SS:ESP from a 32-bit
 * TSS, SS:SP from a 16-bit one, and the new SS checked against the
 * handler's level. *ss is the segment the CPU loads, *sp the pointer. */
static struct attempt tss_stack(struct guest_ram *r, const struct cpu_state *s, unsigned dpl, uint32_t ext,
				struct x86_segment *ss, uint64_t *sp, uint64_t *ss_at, char *why, size_t why_len)
{
	bool tss32 = (s->tr.type & TSS_32BIT) != 0;
	uint32_t at = tss32 ? dpl * 8u + 4u : dpl * 4u + 2u;
	unsigned sp_bytes = tss32 ? 4 : 2;
	uint32_t tss_code = (s->tr.selector & ~SELECTOR_RPL) | ext;
	uint8_t bytes[6];
	if (at + sp_bytes + 2u - 1u > s->tr.limit)
		return fault(X86_VECTOR_TS, tss_code);
	if (read_linear(r, s->tr.base + at, bytes, sp_bytes + 2u) != 0)
		return memory_failure(r, "the TSS's stack for the handler's level", false, why, why_len);
	*sp = le_load(bytes, sp_bytes);
	uint16_t selector = (uint16_t)le_load(bytes + sp_bytes, 2);
	uint32_t ss_code = (selector & ~SELECTOR_RPL) | ext;
	if ((selector & ~SELECTOR_RPL) == 0)
		return fault(X86_VECTOR_TS, ext);
	uint64_t raw;
	switch (read_descriptor(r, selector, &raw, ss_at)) {
	case DESCRIPTOR_BEYOND_LIMIT:
		return fault(X86_VECTOR_TS, ss_code);
	case DESCRIPTOR_UNREACHABLE:
		return memory_failure(r, "the handler's stack segment descriptor", false, why, why_len);
	case DESCRIPTOR_OK:
		break;
	}
	*ss = segment_from_descriptor(raw, selector);
	if ((selector & SELECTOR_RPL) != dpl || ss->dpl != dpl || !ss->s || (ss->type & CODE_SEGMENT) ||
	    !(ss->type & DATA_WRITABLE))
		return fault(X86_VECTOR_TS, ss_code);
	if (!ss->present)
		return fault(X86_VECTOR_SS, ss_code);
	return (struct attempt){ .kind = ATTEMPT_DONE };
}

/* Long mode's stack for level dpl: RSPn from the 64-bit TSS (an IST
 * stack, when the gate names one, takes precedence: long_mode_stack), and
 * SS a null selector whose RPL is the new level (SDM vol. 3, 6.14.4). */
static struct attempt tss64_stack(struct guest_ram *r, const struct cpu_state *s, unsigned dpl, uint32_t ext,
				  struct x86_segment *ss, uint64_t *rsp, char *why, size_t why_len)
{
	uint32_t at = TSS64_RSP0 + dpl * 8u;
	uint8_t bytes[8];
	if (at + 7u > s->tr.limit)
		return fault(X86_VECTOR_TS, (s->tr.selector & ~SELECTOR_RPL) | ext);
	if (read_linear(r, s->tr.base + at, bytes, sizeof(bytes)) != 0)
		return memory_failure(r, "the TSS's stack for the handler's level", false, why, why_len);
	*rsp = le_load(bytes, 8) & ~0xfull;
	*ss = (struct x86_segment){ .selector = (uint16_t)dpl, .dpl = (uint8_t)dpl };
	return (struct attempt){ .kind = ATTEMPT_DONE };
}

/* The IST stack the gate names, aligned down to 16 bytes. */
static struct attempt ist_stack(struct guest_ram *r, const struct cpu_state *s, uint8_t ist, uint64_t *rsp,
				char *why, size_t why_len)
{
	uint8_t bytes[8];
	if (read_linear(r, s->tr.base + TSS64_IST1 + (ist - 1u) * 8u, bytes, sizeof(bytes)) != 0)
		return memory_failure(r, "the TSS's IST entry", false, why, why_len);
	*rsp = le_load(bytes, 8) & ~0xfull;
	return (struct attempt){ .kind = ATTEMPT_DONE };
}

/* Where the handler's frame goes. */
struct handler_stack {
	struct x86_segment ss;  /* the stack segment the handler runs with */
	uint64_t sp;            /* the stack pointer before the pushes */
	uint64_t ss_at;         /* a new SS's descriptor (linear), outside long mode */
	bool switched;          /* a more privileged level's stack: old SS:ESP pushed */
};

/* The handler's stack: the interrupted code's, or the one the TSS gives a
 * more privileged handler; in long mode an IST stack when the gate names
 * one, and every stack aligned down to 16 bytes. */
static struct attempt handler_stack(struct guest_ram *r, const struct cpu_state *s, const struct gate *gate,
				    const struct x86_segment *cs, unsigned cpl, uint32_t ext, bool long_mode,
				    struct handler_stack *st, char *why, size_t why_len)
{
	*st = (struct handler_stack){ .ss = s->seg[SEG_SS], .sp = s->gpr[GPR_ESP],
				      .switched = switches_stack(cs, cpl) };
	struct attempt a = { .kind = ATTEMPT_DONE };
	if (st->switched)
		a = long_mode ? tss64_stack(r, s, cs->dpl, ext, &st->ss, &st->sp, why, why_len)
			      : tss_stack(r, s, cs->dpl, ext, &st->ss, &st->sp, &st->ss_at, why, why_len);
	if (a.kind != ATTEMPT_DONE || !long_mode)
		return a;
	if (gate->ist != 0)
		a = ist_stack(r, s, gate->ist, &st->sp, why, why_len);
	st->sp &= ~0xfull;
	return a;
}

/* A fault-class exception pushes RF set, so that the handler's IRET
 * does not raise an instruction breakpoint again (SDM vol. 3, 17.3.1.1);
 * #DB, #BP, #OF and #MC are not faults, nor is a software interrupt. A
 * #DF, raised while delivering a fault, pushes RF too (as KVM's does). */
static bool is_fault(const struct x86_event *ev)
{
	switch (ev->vector) {
	case X86_VECTOR_DB: case X86_VECTOR_BP: case 4: case 18:
		return false;
	default:
		return !ev->software && ev->vector < 32;
	}
}

static void build_frame(struct frame *f, const struct cpu_state *s, const struct x86_event *ev, bool long_mode,
			bool gate32, const struct handler_stack *st)
{
	bool with_error = !ev->software && x86_vector_has_error_code(ev->vector);
	*f = (struct frame){ .base = 0, .sp_mask = ~0ull, .slot = 8 };
	if (!long_mode) {
		f->slot = gate32 ? 4 : 2;
		f->base = st->ss.base;
		f->sp_mask = st->ss.db ? 0xffffffffu : 0xffffu;
	}
	if (long_mode || st->switched) {
		frame_push(f, s->seg[SEG_SS].selector);
		frame_push(f, s->gpr[GPR_ESP]);
	}
	frame_push(f, s->rflags | (is_fault(ev) ? RFLAGS_RF : 0));
	frame_push(f, s->seg[SEG_CS].selector);
	frame_push(f, ev->return_rip);
	if (with_error)
		frame_push(f, ev->error_code);
	f->top = (st->sp - f->len) & f->sp_mask;
}

/* The new stack pointer: a 16-bit stack keeps the upper half of ESP. */
static uint64_t stack_pointer_after(const struct handler_stack *st, const struct frame *f)
{
	return (st->sp & ~f->sp_mask) | f->top;
}

/* The CPU marks a descriptor accessed when it loads it. */
static void mark_accessed(uint8_t *mem, struct guest_ram *r, struct x86_segment *seg, uint64_t descriptor_at)
{
	uint64_t phys;
	if (!(seg->type & SEGMENT_ACCESSED) && translate(r, descriptor_at + 5, &phys) == 0 && phys < r->size) {
		mem[phys] |= SEGMENT_ACCESSED;
		seg->type |= SEGMENT_ACCESSED;
	}
}

static void enter(struct cpu_state *s, uint8_t *mem, struct guest_ram *r, const struct gate *gate,
		  struct x86_segment cs, uint64_t descriptor_at, unsigned cpl, struct handler_stack *st,
		  const struct frame *f)
{
	mark_accessed(mem, r, &cs, descriptor_at);
	if (st->switched) {
		cpl = cs.dpl;
		if (st->ss.s)
			mark_accessed(mem, r, &st->ss, st->ss_at);
		s->seg[SEG_SS] = st->ss;
	}
	cs.selector = (uint16_t)((gate->selector & ~SELECTOR_RPL) | cpl);
	s->gpr[GPR_ESP] = stack_pointer_after(st, f);
	s->seg[SEG_CS] = cs;
	s->rip = (gate->type & GATE_32BIT) ? gate->offset : gate->offset & 0xffffu;
	s->rflags &= ~(uint64_t)(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM);
	if (!(gate->type & GATE_TRAP))
		s->rflags &= ~(uint64_t)RFLAGS_IF;
}

/* Reads and checks the gate; on ATTEMPT_DONE gate holds it. */
static struct attempt fetch_gate(struct guest_ram *r, const struct cpu_state *s, const struct x86_event *ev,
				 bool long_mode, struct gate *gate, char *why, size_t why_len)
{
	unsigned gate_size = long_mode ? 16 : 8;
	uint32_t ext = ev->software ? 0 : ERROR_EXT;
	uint32_t idt_code = (uint32_t)ev->vector * 8 + ERROR_IDT + ext;
	uint8_t bytes[16];
	if ((uint32_t)ev->vector * gate_size + gate_size - 1 > s->idt.limit)
		return fault(X86_VECTOR_GP, idt_code);
	if (read_linear(r, s->idt.base + (uint64_t)ev->vector * gate_size, bytes, gate_size) != 0)
		return memory_failure(r, "the IDT gate", false, why, why_len);
	*gate = parse_gate(bytes, long_mode);
	if (!gate_type_valid(gate->type, long_mode))
		return fault(X86_VECTOR_GP, idt_code);
	if (ev->software && gate->dpl < (s->seg[SEG_CS].selector & SELECTOR_RPL))
		return fault(X86_VECTOR_GP, idt_code & ~ERROR_EXT);
	if (!gate->present)
		return fault(X86_VECTOR_NP, idt_code);
	if (gate->type == GATE_TASK)
		return stop(X86_DELIVERY_NOT_EMULATED, why, why_len, "interrupt %u goes through a task gate, which is not emulated",
			    ev->vector);
	return (struct attempt){ .kind = ATTEMPT_DONE };
}

/* The target code segment of gate, checked. */
static struct attempt fetch_target(struct guest_ram *r, const struct gate *gate, unsigned cpl, uint32_t ext,
				   bool long_mode, struct x86_segment *cs, uint64_t *at, char *why, size_t why_len)
{
	uint64_t raw;
	if ((gate->selector & ~SELECTOR_RPL) == 0)
		return fault(X86_VECTOR_GP, ext);
	switch (read_descriptor(r, gate->selector, &raw, at)) {
	case DESCRIPTOR_BEYOND_LIMIT:
		return fault(X86_VECTOR_GP, (gate->selector & ~SELECTOR_RPL) | ext);
	case DESCRIPTOR_UNREACHABLE:
		return memory_failure(r, "the handler's segment descriptor", false, why, why_len);
	case DESCRIPTOR_OK:
		break;
	}
	*cs = segment_from_descriptor(raw, gate->selector);
	return check_target(cs, gate->selector, cpl, ext, long_mode);
}

static struct attempt deliver_once(struct cpu_state *s, uint8_t *mem, size_t mem_size, const struct x86_event *ev,
				   char *why, size_t why_len)
{
	struct guest_ram r = { .state = s, .mem = mem, .size = mem_size };
	bool long_mode = (s->efer & EFER_LMA) != 0;
	unsigned cpl = s->seg[SEG_CS].selector & SELECTOR_RPL;
	if (!long_mode && (s->rflags & RFLAGS_VM))
		return stop(X86_DELIVERY_NOT_EMULATED, why, why_len,
			    "interrupt %u in virtual-8086 mode is not emulated", ev->vector);
	struct gate gate = { 0 };
	struct attempt a = fetch_gate(&r, s, ev, long_mode, &gate, why, why_len);
	if (a.kind != ATTEMPT_DONE)
		return a;
	struct x86_segment cs = { 0 };
	uint64_t descriptor_at = 0;
	a = fetch_target(&r, &gate, cpl, ev->software ? 0 : ERROR_EXT, long_mode, &cs, &descriptor_at, why, why_len);
	if (a.kind != ATTEMPT_DONE)
		return a;
	struct handler_stack st;
	a = handler_stack(&r, s, &gate, &cs, cpl, ev->software ? 0 : ERROR_EXT, long_mode, &st, why, why_len);
	if (a.kind != ATTEMPT_DONE)
		return a;
	struct frame f;
	build_frame(&f, s, ev, long_mode, (gate.type & GATE_32BIT) != 0, &st);
	if (frame_write(&r, mem, &f) != 0)
		return memory_failure(&r, "the interrupt's stack frame", true, why, why_len);
	enter(s, mem, &r, &gate, cs, descriptor_at, cpl, &st, &f);
	return (struct attempt){ .kind = ATTEMPT_DONE };
}

int x86_protected_handler_entry(const struct cpu_state *state, const uint8_t *mem, size_t mem_size, uint8_t vector,
				uint64_t *linear, unsigned *push_bytes)
{
	struct guest_ram r = { .state = state, .mem = mem, .size = mem_size };
	bool long_mode = (state->efer & EFER_LMA) != 0;
	const struct x86_event event = { .vector = vector };
	struct gate gate = { 0 };
	if (fetch_gate(&r, state, &event, long_mode, &gate, NULL, 0).kind != ATTEMPT_DONE || gate.type == GATE_TASK)
		return -1;
	uint64_t raw, at;
	if ((gate.selector & ~SELECTOR_RPL) == 0 || read_descriptor(&r, gate.selector, &raw, &at) != DESCRIPTOR_OK)
		return -1;
	if (long_mode) {
		*linear = gate.offset; /* code segments have base 0 there */
		*push_bytes = 8;
		return 0;
	}
	*push_bytes = (gate.type & GATE_32BIT) ? 4 : 2;
	uint64_t offset = (gate.type & GATE_32BIT) ? gate.offset : gate.offset & 0xffffu;
	*linear = (segment_from_descriptor(raw, gate.selector).base + offset) & 0xffffffffu;
	return 0;
}

/* ---- escalation --------------------------------------------------------- */

static bool contributory(uint8_t vector)
{
	return vector == X86_VECTOR_DE || (vector >= X86_VECTOR_TS && vector <= X86_VECTOR_GP);
}

/* SDM vol. 3, table 6-5: which second fault makes a double fault. */
static bool makes_double_fault(const struct x86_event *first, uint8_t second)
{
	if (first->software)
		return false;
	if (first->vector == X86_VECTOR_PF)
		return second == X86_VECTOR_PF || contributory(second);
	return contributory(first->vector) && contributory(second);
}

enum x86_delivery x86_protected_interrupt(struct cpu_state *state, uint8_t *mem, size_t mem_size,
					  const struct x86_event *event, char *why, size_t why_len)
{
	bool escalated;
	return x86_protected_interrupt_escalating(state, mem, mem_size, event, &escalated, why, why_len);
}

enum x86_delivery x86_protected_interrupt_escalating(struct cpu_state *state, uint8_t *mem, size_t mem_size,
						     const struct x86_event *event, bool *escalated, char *why,
						     size_t why_len)
{
	struct cpu_state work = *state;
	struct x86_event current = *event;
	for (int nesting = 0; nesting < MAX_NESTING; nesting++) {
		struct attempt a = deliver_once(&work, mem, mem_size, &current, why, why_len);
		if (a.kind == ATTEMPT_DONE) {
			*state = work;
			*escalated = nesting > 0;
			return X86_DELIVERED;
		}
		if (a.kind == ATTEMPT_STOP)
			return a.stop;
		if (current.vector == X86_VECTOR_DF && !current.software)
			return X86_SHUTDOWN;
		if (a.vector == X86_VECTOR_PF)
			work.cr2 = a.cr2;
		bool twice = makes_double_fault(&current, a.vector);
		current = (struct x86_event){
			.vector = twice ? X86_VECTOR_DF : a.vector,
			.error_code = twice ? 0 : a.error_code,
			.return_rip = current.fault_rip,
			.fault_rip = current.fault_rip,
		};
	}
	return X86_SHUTDOWN;
}
