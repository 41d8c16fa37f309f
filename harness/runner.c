#include "runner.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assembler.h"
#include "clock.h"
#include "machine.h"

static void result_message(struct run_result *r, const char *text)
{
	free(r->message);
	r->message = text ? strdup(text) : NULL;
}

/* The folder nasm searches for %include and incbin: the case's own. */
static char *case_dir(const struct test_case *c)
{
	char *copy = strdup(c->guest_path ? c->guest_path : c->file);
	if (!copy)
		return NULL;
	char *dir = strdup(dirname(copy));
	free(copy);
	return dir;
}

static int runner_assemble(const struct test_case *c, struct assembly *a, struct run_result *r)
{
	char err[300] = "";
	char *dir = case_dir(c);
	struct asm_source src = {
		.path = c->guest_path,
		.text = c->source,
		.text_origin = c->file,
		.text_first_line = c->source_line,
		.include_dir = dir,
		.max_output = c->memory_size - c->load_address,
		.timeout_ms = RUNNER_ASSEMBLE_TIMEOUT_MS,
	};
	uint64_t start = clock_ns();
	int rc = assemble(&src, a, err, sizeof(err));
	r->times.assemble_ns = clock_ns() - start;
	free(dir);
	if (rc < 0) {
		r->outcome = OUTCOME_ERROR;
		r->host_fault = true;
		result_message(r, err);
		return -1;
	}
	if (!a->ok) {
		r->outcome = OUTCOME_ASSEMBLE_ERROR;
		result_message(r, a->messages);
		return -1;
	}
	return 0;
}

void runner_run_case(const struct test_case *c, const struct backend_ops *backend, struct run_result *r)
{
	*r = (struct run_result){0};
	if (c->error) {
		r->outcome = OUTCOME_CASE_ERROR;
		result_message(r, c->error);
		return;
	}
	struct assembly a;
	if (runner_assemble(c, &a, r) == 0) {
		struct machine_config cfg = {
			.image = a.image.data,
			.image_len = a.image.len,
			.load_address = c->load_address,
			.memory_size = c->memory_size,
			.input = &c->input,
			.max_exits = c->max_exits,
			.timeout_ms = c->timeout_ms,
		};
		case_initial_state(c, &cfg.initial);
		machine_run(backend, &cfg, r);
	}
	assembly_free(&a);
}
