/* submissions: the students' folders a run grades (--submission,
 * --submissions-from) and the name each run takes from its folder. A name
 * becomes a folder under the reports folder and a CSV field, so it must be
 * one path component that is neither "." nor "..", with no control bytes;
 * two folders with the same name would write the same reports. */
#ifndef KVMCHECK_SUBMISSIONS_H
#define KVMCHECK_SUBMISSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct submission {
	char *dir;   /* as given */
	char *name;  /* the folder's own name, from its real path */
};

struct submission_list {
	struct submission *items;
	size_t count;
};

/* The name a run of folder dir takes: the last component of its real path
 * (so "." and "alice/" name the folder itself). Returns it (to free), or
 * NULL with why filled in (no such folder, or a name unfit for a path). */
char *submission_name_of(const char *dir, char *why, size_t why_len);

/* Whether name may be a folder of the reports folder: a single component,
 * not "." or "..", without control bytes. */
int submission_name_check(const char *name, char *why, size_t why_len);

/* Appends dir under its name; -1 with why when it has none or another
 * folder of the list has the same name (both are named). */
int submission_list_add(struct submission_list *list, const char *dir, char *why, size_t why_len);

/* Adds one folder per line of in: blank lines and lines starting with #
 * (after blanks) are skipped, surrounding blanks and a CR dropped. origin
 * names in for messages ("FILE:LINE: ..."). */
int submission_list_read(struct submission_list *list, FILE *in, const char *origin, char *why, size_t why_len);

/* Where a student's copy of a report goes when several are graded:
 * "reports/junit.xml" becomes "reports/NAME/junit.xml", "out.tap"
 * "NAME/out.tap". NULL stays NULL; NULL too when memory runs out (then
 * *failed is set). */
char *submission_report_path(const char *path, const char *name, bool *failed);

void submission_list_free(struct submission_list *list);

#endif
