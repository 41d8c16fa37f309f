/* protected_interrupt: an interrupt or exception taken in protected or
 * long mode, delivered through the IDT as the CPU delivers it (Intel SDM
 * vol. 3, 6.12 and 6.14; the INT n pseudocode in vol. 2): the gate looked
 * up through IDTR, the target code segment read from the GDT or LDT, the
 * frame pushed, and a fault raised while delivering escalated (#DF, then
 * shutdown). Pure: a cpu_state and guest RAM in, a cpu_state out. A
 * backend whose engine hands over exceptions without delivering them (emu)
 * calls it; KVM's hardware needs none of it.
 *
 * Emulated: 32- and 16-bit interrupt and trap gates, 64-bit gates with IST,
 * the limit, type, present and software-interrupt DPL checks, error codes
 * (EXT and IDT bits included), CR2 for a #PF raised here, the accessed bit
 * of the target's descriptor, a handler at a more privileged level (the
 * stack the 32-bit, 16-bit or 64-bit TSS gives that level, its SS checked
 * with #TS and #SS, the interrupted SS:ESP pushed first), and linear
 * addresses translated through the guest's page tables (32-bit, PAE and
 * 4-level; present bit only).
 * Not emulated (the delivery ends with X86_DELIVERY_NOT_EMULATED and a
 * message naming it): task gates, virtual-8086 mode. Stack-segment limits
 * are not checked. */
#ifndef KVMCHECK_PROTECTED_INTERRUPT_H
#define KVMCHECK_PROTECTED_INTERRUPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "x86/cpu_state.h"

#define X86_VECTOR_DE 0
#define X86_VECTOR_DB 1
#define X86_VECTOR_BP 3
#define X86_VECTOR_UD 6
#define X86_VECTOR_DF 8
#define X86_VECTOR_TS 10
#define X86_VECTOR_NP 11
#define X86_VECTOR_SS 12
#define X86_VECTOR_GP 13
#define X86_VECTOR_PF 14
#define X86_VECTOR_AC 17

/* What is to be delivered. */
struct x86_event {
	uint8_t vector;
	/* INT n, INT3 or INTO: the gate's DPL is checked, EXT is clear in
	 * the error code of a fault it causes, and no error code is pushed
	 * whatever the vector. */
	bool software;
	uint32_t error_code;  /* pushed for exceptions 8, 10-14 and 17 */
	uint64_t return_rip;  /* pushed: past a software interrupt, at a fault */
	uint64_t fault_rip;   /* the instruction: pushed for a fault raised while delivering */
};

enum x86_delivery {
	X86_DELIVERED,         /* state now stands at the handler's first instruction */
	X86_SHUTDOWN,          /* a fault while delivering #DF: triple fault */
	X86_DELIVERY_NOT_EMULATED,
	X86_DELIVERY_OUTSIDE_RAM, /* a table, the gate or the stack is outside guest RAM */
};

/* Whether an exception of this vector pushes an error code. */
bool x86_vector_has_error_code(uint8_t vector);

/* Delivers event in state (protected or long mode: CR0.PE set) with
 * guest RAM mem (mem_size bytes at physical 0). On X86_DELIVERED the stack
 * in mem and state are updated; otherwise state is unchanged and why says
 * what could not be done. */
enum x86_delivery x86_protected_interrupt(struct cpu_state *state, uint8_t *mem, size_t mem_size,
					  const struct x86_event *event, char *why, size_t why_len);

/* Where the handler of exception vector would start, as a linear address,
 * and how wide its frame's pushes are (*push_bytes: 2 for a 16-bit gate, 4
 * for a 32-bit one, 8 in long mode): the gate read through IDTR and the
 * handler's code segment through the GDT or LDT, as the delivery above
 * reads them. Returns 0, or -1 when the
 * delivery would find no handler there (the gate past the IDT's limit, of
 * an invalid type or a task gate, not present; the segment's descriptor
 * beyond its table or outside RAM). For a backend that watches handler
 * entries (kvm's instruction counting), not to deliver. */
int x86_protected_handler_entry(const struct cpu_state *state, const uint8_t *mem, size_t mem_size, uint8_t vector,
				uint64_t *linear, unsigned *push_bytes);

/* x86_protected_interrupt, saying on X86_DELIVERED whether a fault raised
 * while delivering event was delivered instead (*escalated): then a
 * software interrupt did not complete, and an instruction count leaves it
 * out as it leaves out any instruction that faults. */
enum x86_delivery x86_protected_interrupt_escalating(struct cpu_state *state, uint8_t *mem, size_t mem_size,
						     const struct x86_event *event, bool *escalated, char *why,
						     size_t why_len);

/* The descriptor selector names, as a segment load would cache it (the
 * GDT or LDT through state's GDTR/LDTR, paging followed). Returns 0, or -1
 * when the selector is null, beyond its table's limit or its table is
 * outside RAM. For a backend that sees only selectors to know the hidden
 * part of a segment the guest loaded itself. */
int x86_descriptor_load(const struct cpu_state *state, const uint8_t *mem, size_t mem_size,
			uint16_t selector, struct x86_segment *out);

#endif
