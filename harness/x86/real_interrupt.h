/* real_interrupt: an external interrupt taken in real mode, as the CPU
 * takes it: flags, cs and ip pushed on ss:sp, IF, TF and AC cleared, cs:ip
 * loaded from the interrupt vector table. The run loop delivers the
 * timer's IRQ0 this way on both backends alike (machine.c), so neither
 * backend needs an interrupt path of its own. */
#ifndef KVMCHECK_REAL_INTERRUPT_H
#define KVMCHECK_REAL_INTERRUPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "x86/cpu_state.h"

#define RFLAGS_IF (1u << 9)

/* Whether an external interrupt could be taken in this state: real mode
 * with IF set. */
bool x86_real_mode_accepts_interrupt(const struct cpu_state *state);

/* Takes interrupt vector in state, with guest RAM mem (mem_size bytes at
 * physical 0). Returns 0, or -1 when the stack or the vector's entry lies
 * outside RAM (then nothing changed). */
int x86_real_mode_interrupt(struct cpu_state *state, uint8_t *mem, size_t mem_size, uint8_t vector);

/* Where the handler of vector starts, as a linear address read from the
 * vector table at IDTR's base. Returns 0, or -1 when the vector is past
 * the table's limit or its entry outside RAM. For a backend that watches
 * handler entries (kvm's instruction counting). */
int x86_real_mode_handler_entry(const struct cpu_state *state, const uint8_t *mem, size_t mem_size, uint8_t vector,
				uint64_t *linear);

#endif
