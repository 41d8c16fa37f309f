/* insn_faults: which exceptions an instruction about to run may raise, the
 * likeliest first. A backend that counts instructions by single-stepping
 * with TF (kvm, where a CPU runs the guest) loses the trap flag when the
 * CPU enters a fault's handler, and has only four breakpoints to catch the
 * handlers' entries with: it watches the handlers of the first few of
 * these (README "Metrics"). Read from the bytes and the few bits of state
 * below: #DE, #BR, #NM or #MF, #XM, #AC, #TS, #SS, #PF, #GP, #UD, and #NP
 * for a segment load in protected mode (not #DB, #MC, #VE, #CP: a
 * debugger's, the machine's or a hypervisor's, not an instruction's). */
#ifndef KVMCHECK_INSN_FAULTS_H
#define KVMCHECK_INSN_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the guest's state says about how the bytes run. */
struct x86_fault_context {
	bool long64;          /* 64-bit code: REX prefixes, no bound */
	bool code32;          /* 32-bit (or 64-bit) default address size */
	bool protected_mode;  /* CR0.PE: segment loads read descriptors */
	bool paging;          /* CR0.PG: any instruction may raise #PF */
	bool fpu_unavailable; /* CR0.EM or CR0.TS: x87, wait and SSE raise #NM */
	bool simd_exceptions; /* CR4.OSXMMEXCPT: an unmasked SSE floating-point exception is #XM */
	bool alignment_checked; /* CR0.AM, RFLAGS.AC and level 3: a misaligned access is #AC */
	bool nested_task;     /* RFLAGS.NT outside 64-bit code: iret returns to a task, #TS if it cannot */
};

/* Fills vectors (at most max, each once) with the exceptions the
 * instruction in code (len bytes from its start) may raise: first those
 * it raises by what it is (#DE for div, #BR for bound, #NM or #MF for
 * x87, #NM or #XM for SSE arithmetic, #TS for a task's iret, #NP for a
 * segment load in protected mode, #SS for a stack or [bp]-based access or
 * a load of SS), then #AC when alignment is checked, #PF when paging,
 * #GP, #UD, #DE and #SS. Returns how many. */
size_t x86_insn_fault_vectors(const uint8_t *code, size_t len, const struct x86_fault_context *ctx, uint8_t *vectors,
			      size_t max);

#endif
