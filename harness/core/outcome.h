/* outcome: how a case ended, one per case, with the names cases and reports use. */
#ifndef KVMCHECK_OUTCOME_H
#define KVMCHECK_OUTCOME_H

#include <stdbool.h>

enum outcome {
	OUTCOME_HLT,            /* the guest executed hlt */
	OUTCOME_SHUTDOWN,       /* triple fault */
	OUTCOME_TIMEOUT,        /* still running at timeout_ms */
	OUTCOME_MAX_EXITS,      /* the exit budget ran out */
	OUTCOME_OUTPUT_LIMIT,   /* the guest wrote more serial output than allowed */
	OUTCOME_EXIT,           /* the program ended itself (DOS exit, int 20h, the exit port) with a code */
	OUTCOME_ERROR,          /* the VM could not go on: failed entry, unmapped memory, ... */
	OUTCOME_MAX_INSTRUCTIONS, /* counting: more instructions than expect.max_instructions allows */
	OUTCOME_ASSEMBLE_ERROR, /* nasm rejected the source */
	OUTCOME_CASE_ERROR,     /* the case file is invalid; nothing ran */
	OUTCOME_NOT_RUN,        /* the run was interrupted before the case ended */
	OUTCOME_COUNT
};

const char *outcome_name(enum outcome outcome);

/* Parses a name a case may expect (hlt, shutdown, timeout, max_exits, output_limit, exit). */
bool outcome_parse_expectable(const char *name, enum outcome *out);

#endif
