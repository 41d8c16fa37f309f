/* result: what running one case produced, the input of verdicts and reports. */
#ifndef KVMCHECK_RESULT_H
#define KVMCHECK_RESULT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/bytes.h"
#include "core/outcome.h"
#include "x86/regs.h"

struct stage_times {
	uint64_t assemble_ns;
	uint64_t create_ns;   /* VM, memory, vCPU and initial state */
	uint64_t run_ns;
	uint64_t teardown_ns;
};

struct run_result {
	enum outcome outcome;
	uint64_t exits;          /* exits served; string I/O counts once per element */
	uint64_t firmware_exits; /* exits into the firmware's devices (the doorbell): apart, not charged to max_exits */
	struct bytes output;     /* bytes written to the serial port */
	uint32_t exit_code;      /* the program's return code, when outcome is exit */
	struct bytes console;    /* the firmware's character output (teletype, DOS output) */
	struct bytes screen;     /* the final text screen, 80x25 character and attribute bytes; empty without firmware */
	bool regs_valid;
	struct cpu_state regs;
	char *message;           /* nasm's messages, an error's reason with cs:ip, ... */
	bool host_fault;         /* the host, not the guest, ended the run (outcome error) */
	const char *backend;     /* "kvm", "emu", or NULL when nothing ran */
	struct stage_times times;
	uint64_t binary_size;       /* bytes of the assembled binary; 0 when nothing was assembled */
	bool instructions_counted;  /* the run counted instructions (a case asked): instructions is exact */
	uint64_t instructions;      /* guest instructions executed (README "Metrics") */
};

/* Replaces the message with a copy of text (NULL or "" leave none). */
void run_result_set_message(struct run_result *r, const char *text);

/* The host, not the guest, ended the run: outcome error, with why. */
void run_result_host_fault(struct run_result *r, const char *why);

void run_result_free(struct run_result *r);

#endif
