/* defaults: every default and every bound of a run, each defined once.
 * The README's "Command line" and "The case format" sections document
 * them; the loader, the command line, the runner, the assembler and the
 * workers all read them from here. */
#ifndef KVMCHECK_DEFAULTS_H
#define KVMCHECK_DEFAULTS_H

/* ---- what a case gets when it says nothing ---- */

#define CASE_DEFAULT_MAX_EXITS 10000u
#define CASE_DEFAULT_TIMEOUT_MS 5000u
#define CASE_DEFAULT_MEMORY (1u << 20)

/* ---- what a run gives cases that set none (each a command-line option) ---- */

#define DEFAULT_OUTPUT_LIMIT (1u << 20)     /* --output-limit, bytes of serial output */
#define DEFAULT_ASM_TIMEOUT_MS 10000u       /* --assembler-timeout-ms, wall clock for nasm */
#define DEFAULT_ASM_CPU_SECONDS 5u          /* --assembler-cpu-seconds */
#define DEFAULT_ASM_MEMORY (512ull << 20)   /* --assembler-memory, nasm's address space */

/* ---- the largest values a case or the command line may set ---- */

#define CASE_MAX_MEMORY (16u << 20)
#define CASE_MAX_TIMEOUT_MS 3600000u        /* timeout_ms, and nasm's */
#define CASE_MAX_EXITS_LIMIT 1000000000u
#define CASE_MAX_OUTPUT_LIMIT (64u << 20)
#define CASE_MAX_ASM_CPU_SECONDS 3600u
#define CASE_MAX_ASM_MEMORY (4ull << 30)
#define CASE_MAX_READ_PATHS 16              /* folders in assembler.read */

/* ---- fixed limits ---- */

/* Beyond the case's timeout, how long a worker may take before it is
 * killed: room for VM creation and teardown. */
#define WORKER_GRACE_MS 10000u

#define ASM_MAX_MESSAGES (64u << 10)        /* nasm's messages kept */
#define ASM_MAX_OPEN_FILES 64u              /* RLIMIT_NOFILE of nasm */
#define ASM_MAX_LISTING (4u << 20)          /* nasm's listing kept: beyond, a run's stopping line goes unnamed */

#endif
