#include "machine/result.h"

#include <stdlib.h>
#include <string.h>

void run_result_set_message(struct run_result *r, const char *text)
{
	free(r->message);
	r->message = text && *text ? strdup(text) : NULL;
}

void run_result_host_fault(struct run_result *r, const char *why)
{
	r->outcome = OUTCOME_ERROR;
	r->host_fault = true;
	run_result_set_message(r, why);
}

void run_result_free(struct run_result *r)
{
	bytes_free(&r->output);
	bytes_free(&r->console);
	bytes_free(&r->screen);
	bytes_free(&r->memory);
	free(r->memory_places);
	r->memory_places = NULL;
	r->memory_place_count = 0;
	free(r->message);
	r->message = NULL;
	free(r->stopped_at);
	r->stopped_at = NULL;
	free(r->stop_listing);
	r->stop_listing = NULL;
	free(r->last_instructions);
	r->last_instructions = NULL;
}
