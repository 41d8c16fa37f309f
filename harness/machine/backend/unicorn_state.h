/* unicorn_state: the parts of a Unicorn 2.0.1 engine's CPU state its API
 * does not reach, read and written from outside:
 *   - the current privilege level (CPL). Unicorn checks every segment
 *     register write against it, and its QEMU core keeps it in
 *     CPUX86State.hflags, changed only when SS is loaded; a write of a
 *     more privileged SS or CS is refused at the level of the interrupted
 *     code. So an interrupt handler more privileged than that code,
 *     entered by kvmcheck's own delivery (x86/protected_interrupt.c),
 *     could not be entered through the API alone;
 *   - the 64-bit general registers in an engine opened 16- or 32-bit,
 *     whose register names reach only the low halves of eight of them
 *     (and whose writes clear the upper halves): a guest back from long
 *     mode keeps R8-R15 and the upper halves, as a CPU does.
 *
 * Neither has an API. Both sit in the CPU state a saved context copies
 * byte for byte: writing marker values to RAX-RBX and finding them in a
 * saved context locates the general registers, hflags at a fixed distance
 * after them; the layout is then checked against EIP and the CS and SS
 * selectors read through the API before anything is read or written.
 * If the markers are not found exactly once, or the check fails (a Unicorn
 * with another layout), nothing is read or written and the caller says
 * what is not emulated. */
#ifndef KVMCHECK_UNICORN_STATE_H
#define KVMCHECK_UNICORN_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <unicorn/unicorn.h>

#define UNICORN_STATE_GPRS 16

struct unicorn_state {
	bool tried;            /* located once, successfully or not */
	bool located;
	uc_context *context;   /* reused for every save */
	size_t size;           /* bytes of *context, its header included */
	size_t regs_at;        /* offset of CPUX86State.regs in *context */
};

/* Sets the engine's current privilege level to cpl (0-3), the other state
 * unchanged; the caller then loads SS and CS for that level. Returns false,
 * changing nothing, when the level cannot be located. */
bool unicorn_state_set_cpl(uc_engine *uc, struct unicorn_state *s, unsigned cpl);

/* The 16 general registers whole (RAX-R15 in encoding order), whatever
 * the engine's mode. False, gpr untouched, when they cannot be located. */
bool unicorn_state_read_gprs(uc_engine *uc, struct unicorn_state *s, uint64_t gpr[UNICORN_STATE_GPRS]);

/* Writes them whole, the other state unchanged. False, changing nothing,
 * when they cannot be located. */
bool unicorn_state_write_gprs(uc_engine *uc, struct unicorn_state *s, const uint64_t gpr[UNICORN_STATE_GPRS]);

void unicorn_state_free(struct unicorn_state *s);

#endif
