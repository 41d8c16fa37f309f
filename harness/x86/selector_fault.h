/* selector_fault: the error code of a fault a segment load raised, read
 * from the instruction, for an engine that raises the fault but does not
 * tell its error code (Unicorn). The CPU's code is the selector with its
 * RPL bits cleared (EXT and IDT clear: the program caused it). */
#ifndef KVMCHECK_SELECTOR_FAULT_H
#define KVMCHECK_SELECTOR_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "x86/cpu_state.h"

/* For the instruction in code (len bytes from its start) run in state:
 * `mov sreg, reg` and a direct far `jmp` or `call` are understood; any
 * other instruction gives 0. long64: 64-bit code (REX read, no far
 * direct forms). */
uint32_t x86_selector_fault_code(const uint8_t *code, size_t len, const struct cpu_state *state, bool long64);

#endif
