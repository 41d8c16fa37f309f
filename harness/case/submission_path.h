/* submission_path: where a case's `submission:` file is inside a student's
 * folder. The name comes from a case file but the folder from the student,
 * so both halves are checked: the name must stay inside any folder by its
 * spelling (no absolute path, no `..`), and once joined to a real folder it
 * must still resolve inside it (no symlink leading out). */
#ifndef KVMCHECK_SUBMISSION_PATH_H
#define KVMCHECK_SUBMISSION_PATH_H

#include <stddef.h>

/* 0 when relative names a path that cannot leave its folder by spelling;
 * -1 with why saying what is wrong. */
int submission_path_check(const char *relative, char *why, size_t why_len);

/* The path of relative inside folder, checked by submission_path_check and
 * resolved through every symlink to a place inside folder's real path.
 * Sets *path (to free) and returns 0; -1 with why filled in. A missing file
 * resolves (nasm then says it cannot open it), as long as the folders on
 * the way stay inside. */
int submission_path_resolve(const char *folder, const char *relative, char **path, char *why, size_t why_len);

#endif
