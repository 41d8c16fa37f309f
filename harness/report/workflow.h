/* workflow: GitHub Actions workflow commands, the `::name props::data`
 * lines a step writes to its log: error annotations for the failing cases
 * and the `stop-commands` fence that keeps guest bytes in the log from
 * being read as commands. */
#ifndef KVMCHECK_REPORT_WORKFLOW_H
#define KVMCHECK_REPORT_WORKFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "record/record.h"

/* GitHub shows at most this many error annotations of a step. */
#define WORKFLOW_MAX_ERRORS 10

/* Hex digits of a stop-commands token, and the buffer that holds one. */
#define WORKFLOW_TOKEN_HEX 32
#define WORKFLOW_TOKEN_SIZE (WORKFLOW_TOKEN_HEX + 1)

/* A command's data as the runner reads it back: '%', CR and LF become
 * %25, %0D and %0A. To free(); NULL when memory runs out. */
char *workflow_escape_data(const char *s);

/* A property value (file, title): as data, and ':' and ',' as %3A, %2C. */
char *workflow_escape_property(const char *s);

/* A fresh random token from getrandom(2). 0, or -1 when none could be had. */
int workflow_token_new(char token[WORKFLOW_TOKEN_SIZE]);

/* One `::error` line per assembler error (the source file and line nasm
 * named) and per other case that did not pass (its case file and line), in
 * record order; after max_errors of them, one `::notice` counting the rest.
 * Cases whose details are hidden say only that they failed, unless
 * reveal_hidden. 0, or -1 when memory runs out or out fails. */
int workflow_annotations_write(const struct record *rec, FILE *out, size_t max_errors, bool reveal_hidden);

/* The same for several records (a class run's students), under one cap for
 * the whole step: begin, add each record, end (which writes the notice).
 * add with a student names that student first in each title
 * ("alice: kvmcheck: CASE"); NULL gives the titles of a single run. */
struct workflow_annotations {
	FILE *out;
	size_t written, max, left_out;
	int rc;
	bool reveal_hidden;
};

void workflow_annotations_begin(struct workflow_annotations *sink, FILE *out, size_t max_errors, bool reveal_hidden);
void workflow_annotations_add(struct workflow_annotations *sink, const struct record *rec, const char *student);
/* 0, or -1 when memory ran out or out failed at any step. */
int workflow_annotations_end(struct workflow_annotations *sink);

#endif
