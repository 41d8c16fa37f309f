/* check: one thing a verdict compared, as data: what kind of check, what
 * it is called, what was expected, what came out, and whether they agree.
 * Reports render checks by kind through check_kind_info, so a new kind of
 * check is a new row there plus the judge code that builds it. */
#ifndef KVMCHECK_CHECK_H
#define KVMCHECK_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"

enum check_kind {
	CHECK_OUTCOME,
	CHECK_SERIAL,
	CHECK_REGISTER,
	CHECK_SERIAL_CONTAINS, /* a substring the output must hold */
	CHECK_SERIAL_MATCHES,  /* a PCRE2 pattern the output must match */
	CHECK_FLAG,            /* one FLAGS bit by name */
	CHECK_EXIT_CODE, /* expect.exit_code */
	CHECK_CONSOLE,   /* expect.console: the firmware's character output */
	CHECK_SCREEN,    /* expect.screen: the whole text screen, or one row */
	CHECK_MAX_SIZE,         /* expect.max_size: bytes of the assembled binary, at most */
	CHECK_MAX_INSTRUCTIONS, /* expect.max_instructions: instructions until the outcome, at most */
	CHECK_MEMORY,           /* expect.memory: bytes of RAM at an address or a label, one entry */
	CHECK_SCREEN_ATTRIBUTE, /* expect.screen_attributes: one cell or run of cells of a row */
	CHECK_KIND_COUNT
};

/* How reports present a kind. A check either compares a value the case
 * record already holds (`field`: reports write "expected_<label>" beside
 * that field) or carries its own actual value (`group`: reports list it
 * under that heading, one entry per label). */
struct check_kind_info {
	const char *name;   /* in the results record */
	const char *field;  /* the case field that is the actual value, or NULL */
	const char *group;  /* the heading for checks with their own actual, or NULL */
	const char *noun;   /* one member of the group, in prose ("register") */
	bool bytes;         /* values are outside bytes (escape and quote), not words of ours */
};

struct check {
	enum check_kind kind;
	char *label;              /* "exit", "output", "ax" */
	struct bytes expected;    /* NUL-terminated beyond len, so words read as strings */
	struct bytes actual;
	bool actual_known;        /* false: there was nothing to compare (no registers read back) */
	bool passed;
	int64_t first_difference; /* byte offset where expected and actual part; -1 when none */
};

const struct check_kind_info *check_kind_info(enum check_kind kind);

/* The kind named name in the results record; false when there is none. */
bool check_kind_parse(const char *name, enum check_kind *out);

/* Fills c with copies of label, expected and actual. 0, or -1 when memory
 * runs out (c is then empty). */
int check_set(struct check *c, enum check_kind kind, const char *label, const void *expected,
	      size_t expected_len, const void *actual, size_t actual_len, bool actual_known, bool passed,
	      int64_t first_difference);

int check_copy(struct check *dst, const struct check *src);

/* The same check, field by field. */
bool check_equal(const struct check *a, const struct check *b);

void check_free(struct check *c);

#endif
