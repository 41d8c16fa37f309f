/* grade: what a judged case earns. A case's points go to it whole when it
 * passes; with partial credit (`points: {serial: 2, registers: 1}`) each
 * part names a group of checks and earns its points when every check of
 * that group passed. The groups are a table of check kinds (grade.c), so a
 * new kind of check is one more row. */
#ifndef KVMCHECK_GRADE_H
#define KVMCHECK_GRADE_H

#include <stdbool.h>
#include <stddef.h>

#include "case/case.h"
#include "judge/verdict.h"

/* The point group a kind of check belongs to ("serial"), or NULL. */
const char *grade_group_of(enum check_kind kind);

/* Whether name is a point group. */
bool grade_group_known(const char *name);

/* The point groups, comma-separated, for messages (a static string). */
const char *grade_group_list(void);

/* Sets c->error ("file:line:column: cause") when a part of its points
 * names no group, or a group the case does not check. 0, or -1 when memory
 * runs out. A case already in error is left as it is. */
int grade_case_validate(struct test_case *c);

/* The points verdict v on a run that ended in outcome earns for c: all of
 * them on a pass; none on an error, a skip, or an outcome where the program
 * did not run (assembly error, VM error); on other failures the parts whose
 * groups passed whole. */
double grade_points_earned(const struct test_case *c, enum outcome outcome, const struct verdict *v);

#endif
