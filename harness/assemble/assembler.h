/* assembler: turns a guest's nasm source (a file, or text inline in a case)
 * into a flat binary with `nasm -f bin`, in a private temporary folder.
 * nasm runs confined (sandbox.h): it reads only the source and the folders
 * it is allowed, writes only its output, within CPU, memory and size limits. */
#ifndef KVMCHECK_ASSEMBLER_H
#define KVMCHECK_ASSEMBLER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/bytes.h"

struct asm_source {
	const char *path;          /* a source file, or NULL ... */
	const char *text;          /* ... inline source */
	const char *text_origin;   /* inline: the file its lines belong to, for messages */
	int text_first_line;       /* inline: the line of text_origin holding its first line */
	const char *include_dir;   /* %include and incbin look here; nasm may read it */
	const char *const *read_paths; /* NULL-terminated: at most CASE_MAX_READ_PATHS more to read, or NULL */
	uint32_t max_output;       /* a larger binary is an error */
	uint32_t timeout_ms;       /* wall clock, then nasm is killed */
	uint32_t cpu_seconds;      /* 0: DEFAULT_ASM_CPU_SECONDS */
	uint64_t memory;           /* address space bytes; 0: DEFAULT_ASM_MEMORY */
	bool unsafe;               /* run nasm with what the host has where its own world cannot be built */
};

struct assembly {
	bool ok;
	struct bytes image;
	char *messages;            /* what nasm said, with inline lines mapped to the case file */
	struct bytes listing;      /* nasm's -l listing (listing.h); empty when there is none */
	struct bytes symbols;      /* nasm's map of the origin and labels (symbol_map.h); empty when there is none */
};

/* Returns 0 when nasm ran (assembly.ok says whether it accepted the source),
 * -1 when it could not be run (err says why). */
int assemble(const struct asm_source *src, struct assembly *out, char *err, size_t err_len);

struct disk_cache;

/* assemble(), looking in cache first and storing there what nasm made of
 * the source when it ran to its end (a timeout or a kill depends on the
 * moment, not the source, and is never stored). cache NULL: assemble().
 * The key covers every file of nasm's private copy, the assembler.read
 * copies included (and the names they are shown under). Unsafe sources,
 * which nasm may read outside any copy, are always assembled afresh. */
int assemble_cached(const struct asm_source *src, const struct disk_cache *cache, struct assembly *out, char *err,
		    size_t err_len);

void assembly_free(struct assembly *a);

/* Removes the working folders (in $TMPDIR) that processes of this user
 * made and left behind when they were killed: those whose maker is dead. */
void assembler_clean_stale(void);

/* Prepares in this process what every assembly needs and would otherwise
 * work out again in each forked runner (where nasm is, what it loads). */
void assembler_warm(void);

/* Begins assembler_warm's work (ldd on nasm) in the background, to overlap
 * with the loading of the cases; assembler_warm takes its answer, and
 * assembler_warm_abandon ends it when no assembler_warm came. */
void assembler_warm_start(void);
void assembler_warm_abandon(void);

#endif
