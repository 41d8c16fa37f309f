/* score: the points a record's cases earned, out of the points they are
 * worth, in total and per case file. */
#ifndef KVMCHECK_SCORE_H
#define KVMCHECK_SCORE_H

#include <stdbool.h>

#include "record/record.h"

struct score {
	double earned, max;
};

struct score record_score(const struct record *rec);

/* Only the cases of the case file named file. */
struct score record_file_score(const struct record *rec, const char *file);

/* Whether the record's cases come from more than one case file. */
bool record_several_files(const struct record *rec);

/* Calls visit once per case file, in the order the files first appear,
 * with the index of the file's first case. Returns 0, or -1 when memory
 * runs out or visit returns -1 (then no file after it is visited). */
int record_each_file(const struct record *rec, int (*visit)(const struct record *rec, size_t first, void *ctx),
		     void *ctx);

/* A score as "7.5/10": whole numbers without a point, others with up to
 * two decimals and no trailing zeros. Into out (at least 64 bytes). */
void score_format(struct score s, char *out, size_t len);

/* One figure the same way ("7.5"). */
void points_format(double points, char *out, size_t len);

#endif
