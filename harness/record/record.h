/* record: the results record of a run, everything every report is rendered
 * from: what held for the run (version, backend, time) and per case its
 * identity, outcome, verdict with its checks, output, registers, exits,
 * message and times. A record owns all it points to, can be saved as JSON
 * and read back exactly (record/json.c), and records of shards of one suite
 * merge into one (record/merge.c). */
#ifndef KVMCHECK_RECORD_H
#define KVMCHECK_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/bytes.h"
#include "core/outcome.h"
#include "case/case.h"
#include "judge/check.h"
#include "judge/verdict.h"
#include "machine/result.h"

/* ---- what a run hands over: views into its cases, results and verdicts ---- */

struct case_report {
	const char *file;       /* the case file as named on the command line */
	int index;              /* document index inside it */
	const char *name;
	const struct run_result *result;
	const struct verdict *verdict;
	int line;               /* line where the case starts, 0 when unknown */
	const struct test_case *test; /* its points, visibility and tags; NULL: 1 point, visible */
};

struct run_report {
	const char *version;
	const char *backend;     /* the backend chosen for the run */
	const char *name;        /* --name or the submission folder's name, or NULL */
	const struct case_report *cases;
	size_t count;
	uint64_t elapsed_ns;
};

/* ---- the record ---- */

#define RECORD_MAX_REGS 32
#define RECORD_REG_NAME 8

/* One register as read back at the end of the run. */
struct record_reg {
	char name[RECORD_REG_NAME]; /* NUL-terminated */
	int width;                  /* bits: 16, 32, 64 */
	uint64_t value;
};

struct record_case {
	char *file;
	int index;
	int line;
	char *name;               /* NULL: the case has none */
	enum outcome outcome;
	enum verdict_status status;
	char *reason;             /* "" when there is none */
	struct check *checks;
	size_t check_count;
	struct bytes output;
	uint32_t exit_code;       /* with outcome exit: the program's return code */
	struct bytes console;     /* the firmware's character output */
	struct bytes screen;      /* the final text screen; empty when none was kept */
	uint64_t exits;
	bool regs_valid;
	struct record_reg regs[RECORD_MAX_REGS];
	size_t reg_count;
	char *message;            /* NULL: none */
	char *backend;            /* NULL: nothing ran */
	bool host_fault;
	struct stage_times times;
	/* grading (judge/grade.h) */
	double points_max;
	double points_earned;
	bool hidden;              /* students see its name, pass/fail and points only */
	char *visibility;         /* NULL: the default (visible) */
	char **tags;
	size_t tag_count;
	uint64_t binary_size;       /* bytes of the assembled binary; 0: nothing was assembled */
	bool instructions_counted;  /* the case asked for the count: instructions is exact */
	bool leaderboard;           /* its metrics go to Gradescope's leaderboard */
	uint64_t instructions;
	char *stopped_at;         /* where the run stopped in the source (run/stop.h); NULL: unknown */
	char *hint;               /* the likely bug (judge/hint.h); NULL: none recognised */
	char *stop_listing;       /* the source around stopped_at, "> " marking its line; NULL: none */
	char *last_instructions;  /* the last instructions before a fault, a line each (emu); NULL: none */
};

struct record {
	char *version;
	char *backend;
	char *name;               /* the run's name (--name, the student), NULL when none */
	uint64_t elapsed_ns;
	struct record_case *cases;
	size_t count;
};

/* A record of everything rep shows, copied. Every case needs its result and
 * verdict. 0, or -1 when one is missing or memory runs out (rec is then
 * empty). */
int record_build(const struct run_report *rep, struct record *rec);

/* The registers a report shows, from the CPU state: the one place that
 * knows struct cpu_state's layout. */
void record_regs_from_state(const struct cpu_state *state, struct record_case *c);

/* The register called name, or NULL. */
const struct record_reg *record_reg_find(const struct record_case *c, const char *name);

/* Where the guest's output first parts from what a check of it expected,
 * as a byte offset; -1 when no check of the output says. */
int64_t record_case_output_difference(const struct record_case *c);

/* Appends a deep copy of c. 0, or -1 when memory runs out. */
int record_case_append(struct record *rec, const struct record_case *c);

/* Both records hold the same, byte for byte. */
bool record_equal(const struct record *a, const struct record *b);

/* Not every case passed. */
bool record_any_failed(const struct record *rec);

void record_case_free(struct record_case *c);
void record_free(struct record *rec);

/* Saves rec as JSON to out. 0, or -1 with err filled in. */
int record_json_write(const struct record *rec, FILE *out, char *err, size_t err_len);

/* Reads a record saved by record_json_write. 0, or -1 with err filled in
 * (rec is then empty). */
int record_json_load(const char *path, struct record *rec, char *err, size_t err_len);

/* One record of the cases of every part, ordered by file then index (the
 * order a run given the files in sorted order makes). Versions must agree,
 * and no case identity (file, index) may appear twice. 0, or -1 with err
 * filled in. */
int record_merge(const struct record *parts, size_t count, struct record *out, char *err, size_t err_len);

#endif
