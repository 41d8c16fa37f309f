#include "core/outcome.h"

#include <string.h>

static const char *const outcome_names[OUTCOME_COUNT] = {
	[OUTCOME_HLT] = "hlt",
	[OUTCOME_SHUTDOWN] = "shutdown",
	[OUTCOME_TIMEOUT] = "timeout",
	[OUTCOME_MAX_EXITS] = "max_exits",
	[OUTCOME_OUTPUT_LIMIT] = "output_limit",
	[OUTCOME_EXIT] = "exit",
	[OUTCOME_ERROR] = "error",
	[OUTCOME_MAX_INSTRUCTIONS] = "max_instructions",
	[OUTCOME_ASSEMBLE_ERROR] = "assemble_error",
	[OUTCOME_CASE_ERROR] = "case_error",
	[OUTCOME_NOT_RUN] = "not_run",
};

const char *outcome_name(enum outcome outcome)
{
	return (unsigned)outcome < OUTCOME_COUNT ? outcome_names[outcome] : "unknown";
}

bool outcome_parse_expectable(const char *name, enum outcome *out)
{
	for (enum outcome o = OUTCOME_HLT; o <= OUTCOME_EXIT; o++) {
		if (strcmp(name, outcome_names[o]) == 0) {
			*out = o;
			return true;
		}
	}
	return false;
}
