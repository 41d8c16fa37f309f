#include "run/runner.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assemble/assembler.h"
#include "case/submission_path.h"
#include "core/clock.h"
#include "core/defaults.h"
#include "machine/machine.h"
#include "run/memory_places.h"
#include "run/stop.h"
#include "run/worker.h"

void runner_options_default(struct runner_options *o)
{
	*o = (struct runner_options){
		.output_limit = DEFAULT_OUTPUT_LIMIT,
		.asm_timeout_ms = DEFAULT_ASM_TIMEOUT_MS,
		.asm_cpu_seconds = DEFAULT_ASM_CPU_SECONDS,
		.asm_memory = DEFAULT_ASM_MEMORY,
	};
}

static uint64_t either(uint64_t case_value, uint64_t run_value)
{
	return case_value ? case_value : run_value;
}

/* What nasm is given for a case: the guest file (NULL for inline source)
 * and the folder %include and incbin look in, both to free. */
struct guest_files {
	char *path;
	char *dir;
};

static void guest_files_free(struct guest_files *g)
{
	free(g->path);
	free(g->dir);
	*g = (struct guest_files){0};
}

static char *folder_of(const char *path)
{
	char *copy = strdup(path);
	char *dir = copy ? strdup(dirname(copy)) : NULL;
	free(copy);
	return dir;
}

/* A case from the case folder: the guest's own folder. A submission case:
 * the student's folder alone, never the case folder, so that a student's
 * source cannot read the cases. 0, or -1 with why (a case error). */
static int guest_files_find(const struct runner *rn, const struct test_case *c, struct guest_files *g, char *why,
			    size_t why_len)
{
	*g = (struct guest_files){0};
	const char *submission_dir = c->submission_dir ? c->submission_dir : rn->opt.submission_dir;
	if (!c->submission) {
		g->path = c->guest_path ? strdup(c->guest_path) : NULL;
		g->dir = folder_of(c->guest_path ? c->guest_path : c->file);
	} else if (!submission_dir) {
		snprintf(why, why_len, "the case names the student's file with 'submission: %s', but no --submission "
			 "folder was given", c->submission);
		return -1;
	} else {
		if (submission_path_resolve(submission_dir, c->submission, &g->path, why, why_len) < 0)
			return -1;
		g->dir = strdup(submission_dir);
		if (c->source) {
			/* The harness is inline; the student's file is only %included. */
			free(g->path);
			g->path = NULL;
		}
	}
	if (!g->dir || (c->guest_path && !g->path)) {
		guest_files_free(g);
		snprintf(why, why_len, "out of memory");
		return -1;
	}
	return 0;
}

static struct asm_source runner_asm_source(const struct runner *rn, const struct test_case *c,
					   const struct guest_files *g)
{
	return (struct asm_source){
		.path = g->path,
		.text = c->source,
		.text_origin = c->file,
		.text_first_line = c->source_line,
		.include_dir = g->dir,
		.read_paths = (const char *const *)c->asm_read,
		.max_output = c->memory_size - c->load_address,
		.timeout_ms = (uint32_t)either(c->asm_timeout_ms, rn->opt.asm_timeout_ms),
		.cpu_seconds = (uint32_t)either(c->asm_cpu_seconds, rn->opt.asm_cpu_seconds),
		.memory = either(c->asm_memory, rn->opt.asm_memory),
		.unsafe = rn->opt.unsafe_assembler,
	};
}

/* Assembles into own, or finds an earlier assembly of the same source.
 * Sets *out to the one to use; -1 when there is none (nasm could not run). */
static int runner_assembly(struct runner *rn, const struct asm_source *src, struct assembly *own,
			   const struct assembly **out, char *err, size_t err_len)
{
	*out = rn->cache ? assembly_cache_find(rn->cache, src) : NULL;
	if (*out)
		return 0;
	if (assemble_cached(src, rn->disk_cache, own, err, err_len) < 0)
		return -1;
	*out = rn->cache ? assembly_cache_store(rn->cache, src, own) : NULL;
	if (!*out)
		*out = own;
	return 0;
}

/* The firmware the case asks for; a boot sector's binary is its disk. */
static struct firmware_config runner_firmware(const struct test_case *c, const struct bytes *image)
{
	static const enum firmware_kind kinds[] = {
		[CASE_FIRMWARE_NONE] = FIRMWARE_NONE, [CASE_FIRMWARE_BIOS] = FIRMWARE_BIOS,
		[CASE_FIRMWARE_DOS] = FIRMWARE_DOS,
	};
	struct firmware_config fw = { .kind = kinds[c->firmware], .drive = c->drive, .args = c->args,
				      .year = c->date_year, .month = c->date_month, .day = c->date_day,
				      .seconds_since_midnight = c->time_seconds };
	if (c->preset == CASE_PRESET_BOOT) {
		fw.disk = image->data;
		fw.disk_len = image->len;
	}
	if (c->preset == CASE_PRESET_COM)
		fw.psp_segment = CASE_COM_SEGMENT;
	return fw;
}

#define BOOT_SECTOR 512

/* A boot sector is the image's first 512 bytes, ending in 55 AA as the
 * BIOS wants before it boots one. */
static bool runner_boot_sector_ok(const struct bytes *image, struct run_result *r)
{
	char why[200];
	if (image->len < BOOT_SECTOR)
		snprintf(why, sizeof(why), "preset boot: the binary is %zu bytes, less than a 512-byte boot sector",
			 image->len);
	else if (image->data[510] != 0x55 || image->data[511] != 0xaa)
		snprintf(why, sizeof(why), "preset boot: the boot sector does not end with the signature 0xAA55 "
			 "(bytes 510-511 are %02x %02x; end it with `times 510-($-$$) db 0` and `dw 0xaa55`)",
			 image->data[510], image->data[511]);
	else
		return true;
	r->outcome = OUTCOME_CASE_ERROR;
	run_result_set_message(r, why);
	return false;
}

static void runner_machine(struct runner *rn, const struct test_case *c, const struct bytes *image,
			   const struct memory_places *keep, struct run_result *r)
{
	if (c->preset == CASE_PRESET_BOOT && !runner_boot_sector_ok(image, r))
		return;
	struct machine_config cfg = {
		.image = image->data,
		.image_len = image->len,
		.load_address = c->load_address,
		.memory_size = c->memory_size,
		.mode = c->mode,
		.input = &c->input,
		.max_exits = c->max_exits,
		.timeout_ms = c->timeout_ms,
		.output_limit = (uint32_t)either(c->output_limit, rn->opt.output_limit),
		.firmware = runner_firmware(c, image),
		.keep_screen = c->firmware != CASE_FIRMWARE_NONE || c->expect_screen.set ||
			       c->expect_screen_attribute_count,
		.keep_memory = keep->ranges,
		.keep_memory_count = keep->range_count,
		.count_instructions = c->expect_max_instructions_set,
		.instruction_limit = c->expect_max_instructions_set ? c->expect_max_instructions : UINT64_MAX,
	};
	if (c->preset == CASE_PRESET_BOOT)
		cfg.image_len = BOOT_SECTOR;
	case_initial_state(c, &cfg.initial);
	if (rn->machine_starting)
		rn->machine_starting(rn->machine_starting_ctx);
	if (rn->in_process)
		machine_run(rn->backend, &cfg, r);
	else
		worker_run_machine(rn->backend, &cfg, WORKER_GRACE_MS, r);
}

void runner_run_case(struct runner *rn, const struct test_case *c, struct run_result *r)
{
	*r = (struct run_result){0};
	if (c->error) {
		r->outcome = OUTCOME_CASE_ERROR;
		run_result_set_message(r, c->error);
		return;
	}
	/* Room for the sandbox's longest refusal: what is missing, and the ways on. */
	char err[1024] = "";
	struct guest_files g;
	if (guest_files_find(rn, c, &g, err, sizeof(err)) < 0) {
		r->outcome = OUTCOME_CASE_ERROR;
		run_result_set_message(r, err);
		return;
	}
	struct asm_source src = runner_asm_source(rn, c, &g);
	struct assembly own = {0};
	const struct assembly *a;
	struct memory_places keep = {0};
	uint64_t start = clock_ns();
	int rc = runner_assembly(rn, &src, &own, &a, err, sizeof(err));
	uint64_t assemble_ns = clock_ns() - start;
	if (rc < 0) {
		run_result_host_fault(r, err);
	} else if (!a->ok) {
		r->outcome = OUTCOME_ASSEMBLE_ERROR;
		run_result_set_message(r, a->messages);
	} else if (memory_places_find(c, a, &keep) < 0) {
		run_result_host_fault(r, "out of memory finding the places of expect.memory");
	} else {
		runner_machine(rn, c, &a->image, &keep, r);
		memory_places_give(&keep, r);
		r->binary_size = a->image.len;
	}
	r->times.assemble_ns = assemble_ns;
	assembly_free(&own);
	guest_files_free(&g);
}

const struct assembly *runner_case_assembly(const struct runner *rn, const struct test_case *c)
{
	char why[300];
	struct guest_files g;
	if (!rn->cache || c->error || guest_files_find(rn, c, &g, why, sizeof(why)) < 0)
		return NULL;
	struct asm_source src = runner_asm_source(rn, c, &g);
	const struct assembly *a = assembly_cache_find(rn->cache, &src);
	guest_files_free(&g);
	return a;
}

void runner_locate_stop(const struct runner *rn, const struct test_case *c, struct run_result *r)
{
	char why[300];
	struct guest_files g;
	if (!rn->cache || c->error || guest_files_find(rn, c, &g, why, sizeof(why)) < 0)
		return;
	struct asm_source src = runner_asm_source(rn, c, &g);
	const struct assembly *a = assembly_cache_find(rn->cache, &src);
	/* Only a program that assembled was run, and has a place to stop in. */
	if (a && a->ok)
		stop_locate(c, &src, a, r);
	guest_files_free(&g);
}

void runner_keep_assembly(struct runner *rn, const struct test_case *c, struct assembly *a)
{
	char why[300];
	struct guest_files g;
	if (!rn->cache || c->error || runner_case_assembly(rn, c) || guest_files_find(rn, c, &g, why, sizeof(why)) < 0)
		return;
	struct asm_source src = runner_asm_source(rn, c, &g);
	assembly_cache_store(rn->cache, &src, a);
	guest_files_free(&g);
}
