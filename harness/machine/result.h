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

/* Where the guest's last (or faulting) instruction lies in its program,
 * from nasm's listing; the judge's hints read it. */
enum stop_place {
	STOP_UNKNOWN,     /* no registers read back, or no listing */
	STOP_IN_CODE,
	STOP_IN_DATA,     /* in bytes the source declares as data (db, dw, ...) */
	STOP_IN_RESERVED, /* in the zeros of resb and the like */
	STOP_PAST_END,    /* beyond the program's last byte */
	STOP_OUTSIDE,     /* below the program, or beyond the guest's memory */
};

struct stop_info {
	enum stop_place place;
	uint64_t offset;         /* from the program's first byte (STOP_IN_* and STOP_PAST_END) */
	uint64_t program_size;   /* bytes in the binary; 0 when nothing was assembled */
	bool program_known;      /* the facts below come from a listing */
	bool program_has_hlt;
	uint8_t firmware_call;   /* the first `int` to a BIOS or DOS vector in the program, 0: none */
	bool firmware_call_ah_known;
	uint8_t firmware_call_ah; /* AH set just before it */
};

/* Where one expect.memory entry was read, in the case's order: the run
 * finds a label's address in nasm's map, and says why when it cannot. */
enum memory_place_status {
	MEMORY_PLACE_NOT_READ,  /* the machine did not run */
	MEMORY_PLACE_READ,      /* its bytes are next in run_result.memory */
	MEMORY_PLACE_UNDEFINED, /* the program defines no such label */
	MEMORY_PLACE_CONSTANT,  /* the name is an `equ` constant, not a place */
	MEMORY_PLACE_OUTSIDE,   /* the label lies beyond the guest's RAM */
};

struct memory_place {
	enum memory_place_status status;
	uint64_t address;        /* physical (READ, OUTSIDE) or the constant's value */
};

/* Instructions kept before the stop when a fault is run again to explain it. */
#define RUN_LAST_INSNS 4

/* A hlt of the guest's own that waited for the timer, the guest then
 * running on after it. */
struct hlt_wake {
	bool woke;
	uint16_t cs, ip;
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
	struct memory_place *memory_places; /* one per expect.memory entry; NULL when none were looked for */
	size_t memory_place_count;
	struct bytes memory;     /* the bytes of the places READ, one after another at the end of the run */
	struct stop_info stop;
	char *stopped_at;        /* "hello.asm:17 `out dx, al`", or in words; NULL: unknown */
	char *stop_listing;      /* source lines around stopped_at's, "> " marking it (run/stop.h); NULL: none */
	uint64_t last_linear[RUN_LAST_INSNS]; /* linear addresses of the last instructions, oldest first */
	size_t last_count;       /* how many of them are known (emu, after a fault); 0: none */
	struct hlt_wake hlt_woke; /* the last hlt of the guest's own the timer woke */
	char *last_instructions; /* last_linear as "file:line `text`" lines (run/stop.h); NULL: none */
};

/* Replaces the message with a copy of text (NULL or "" leave none). */
void run_result_set_message(struct run_result *r, const char *text);

/* The host, not the guest, ended the run: outcome error, with why. */
void run_result_host_fault(struct run_result *r, const char *why);

void run_result_free(struct run_result *r);

#endif
