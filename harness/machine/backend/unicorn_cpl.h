/* unicorn_cpl: the current privilege level of a Unicorn 2.0.1 engine, set
 * from outside. Unicorn checks every segment register write against the
 * CPU's current privilege level (CPL), which its QEMU core keeps in
 * CPUX86State.hflags and changes only when SS is loaded; a write of a
 * more privileged SS or CS is refused at the level of the interrupted
 * code. So an interrupt handler more privileged than that code, entered by
 * kvmcheck's own delivery (x86/protected_interrupt.c), could not be
 * entered through the API alone.
 *
 * hflags has no API. It sits in the CPU state a saved context copies byte
 * for byte, at a fixed distance after the general registers, which do:
 * writing marker values to RAX-RBX and finding them in a saved context
 * locates the registers; the layout is then checked against EIP and the
 * CS and SS selectors read through the API before anything is written.
 * If the markers are not found exactly once, or the check fails (a Unicorn
 * with another layout), nothing is written and the caller says that the
 * change of level is not emulated. */
#ifndef KVMCHECK_UNICORN_CPL_H
#define KVMCHECK_UNICORN_CPL_H

#include <stdbool.h>
#include <stddef.h>

#include <unicorn/unicorn.h>

struct unicorn_cpl {
	bool tried;            /* located once, successfully or not */
	bool located;
	uc_context *context;   /* reused for every save */
	size_t size;           /* bytes of *context, its header included */
	size_t regs_at;        /* offset of CPUX86State.regs in *context */
};

/* Sets the engine's current privilege level to cpl (0-3), the other state
 * unchanged; the caller then loads SS and CS for that level. Returns false,
 * changing nothing, when the level cannot be located. */
bool unicorn_cpl_set(uc_engine *uc, struct unicorn_cpl *c, unsigned cpl);

void unicorn_cpl_free(struct unicorn_cpl *c);

#endif
