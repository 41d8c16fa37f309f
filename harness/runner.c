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

void runner_options_default(struct runner_options *o)
{
	*o = (struct runner_options){
		.output_limit = RUNNER_DEFAULT_OUTPUT_LIMIT,
		.asm_timeout_ms = RUNNER_DEFAULT_ASM_TIMEOUT_MS,
		.asm_cpu_seconds = RUNNER_DEFAULT_ASM_CPU_SECONDS,
		.asm_memory = RUNNER_DEFAULT_ASM_MEMORY,
	};
}

static uint64_t either(uint64_t case_value, uint64_t run_value)
{
	return case_value ? case_value : run_value;
}

static int runner_assemble(const struct test_case *c, const struct runner_options *o, struct assembly *a,
			   struct run_result *r)
{
	char err[300] = "";
	char *dir = case_dir(c);
	struct asm_source src = {
		.path = c->guest_path,
		.text = c->source,
		.text_origin = c->file,
		.text_first_line = c->source_line,
		.include_dir = dir,
		.read_paths = (const char *const *)c->asm_read,
		.max_output = c->memory_size - c->load_address,
		.timeout_ms = (uint32_t)either(c->asm_timeout_ms, o->asm_timeout_ms),
		.cpu_seconds = (uint32_t)either(c->asm_cpu_seconds, o->asm_cpu_seconds),
		.memory = either(c->asm_memory, o->asm_memory),
		.unsafe = o->unsafe_assembler,
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

void runner_run_case(const struct test_case *c, const struct backend_ops *backend, const struct runner_options *o,
		     struct run_result *r)
{
	*r = (struct run_result){0};
	if (c->error) {
		r->outcome = OUTCOME_CASE_ERROR;
		result_message(r, c->error);
		return;
	}
	struct assembly a;
	if (runner_assemble(c, o, &a, r) == 0) {
		struct machine_config cfg = {
			.image = a.image.data,
			.image_len = a.image.len,
			.load_address = c->load_address,
			.memory_size = c->memory_size,
			.input = &c->input,
			.max_exits = c->max_exits,
			.timeout_ms = c->timeout_ms,
			.output_limit = (uint32_t)either(c->output_limit, o->output_limit),
		};
		case_initial_state(c, &cfg.initial);
		machine_run(backend, &cfg, r);
	}
	assembly_free(&a);
}
