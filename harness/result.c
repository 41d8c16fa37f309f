#include "result.h"

#include <stdlib.h>

void run_result_free(struct run_result *r)
{
	bytes_free(&r->output);
	free(r->message);
	r->message = NULL;
}
