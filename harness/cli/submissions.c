#include "cli/submissions.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int submission_name_check(const char *name, char *why, size_t why_len)
{
	const char *problem = NULL;
	if (!name[0] || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		problem = "is not a folder's own name";
	else if (strchr(name, '/'))
		problem = "holds a '/'";
	for (const unsigned char *p = (const unsigned char *)name; !problem && *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			problem = "holds a control character";
	if (!problem)
		return 0;
	snprintf(why, why_len, "the name '%.100s' %s: it must be usable as one folder of the reports folder", name,
		 problem);
	return -1;
}

char *submission_name_of(const char *dir, char *why, size_t why_len)
{
	struct stat st;
	char *real = realpath(dir, NULL);
	if (!real || stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(why, why_len, "submission '%.200s' is not a folder%s%s", dir, real ? "" : ": ",
			 real ? "" : strerror(errno));
		free(real);
		return NULL;
	}
	const char *slash = strrchr(real, '/');
	char *name = strdup(slash ? slash + 1 : real);
	free(real);
	if (!name) {
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	if (submission_name_check(name, why, why_len) < 0) {
		free(name);
		return NULL;
	}
	return name;
}

int submission_list_add(struct submission_list *list, const char *dir, char *why, size_t why_len)
{
	char *name = submission_name_of(dir, why, why_len);
	if (!name)
		return -1;
	for (size_t i = 0; i < list->count; i++) {
		if (strcmp(list->items[i].name, name) == 0) {
			snprintf(why, why_len, "submissions '%.200s' and '%.200s' have the same name '%.100s': each "
				 "student's reports go to a folder of that name", list->items[i].dir, dir, name);
			free(name);
			return -1;
		}
	}
	struct submission *items = realloc(list->items, (list->count + 1) * sizeof(*items));
	char *copy = strdup(dir);
	if (!items || !copy) {
		if (items)
			list->items = items;
		free(copy);
		free(name);
		snprintf(why, why_len, "out of memory");
		return -1;
	}
	list->items = items;
	list->items[list->count++] = (struct submission){ .dir = copy, .name = name };
	return 0;
}

/* The line without surrounding blanks (a CRLF list too); NULL when it says
 * nothing: blank, or a comment. */
static char *line_folder(char *line)
{
	while (isspace((unsigned char)*line))
		line++;
	size_t len = strlen(line);
	while (len && isspace((unsigned char)line[len - 1]))
		line[--len] = '\0';
	return len && line[0] != '#' ? line : NULL;
}

int submission_list_read(struct submission_list *list, FILE *in, const char *origin, char *why, size_t why_len)
{
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;
	for (size_t number = 1; rc == 0 && getline(&line, &cap, in) >= 0; number++) {
		char *folder = line_folder(line);
		char cause[500];
		if (folder && submission_list_add(list, folder, cause, sizeof(cause)) < 0) {
			snprintf(why, why_len, "%.200s:%zu: %s", origin, number, cause);
			rc = -1;
		}
	}
	if (rc == 0 && ferror(in)) {
		snprintf(why, why_len, "cannot read %.200s: %s", origin, strerror(errno));
		rc = -1;
	}
	free(line);
	return rc;
}

char *submission_report_path(const char *path, const char *name, bool *failed)
{
	if (!path)
		return NULL;
	const char *slash = strrchr(path, '/');
	int dir_len = slash ? (int)(slash - path) + 1 : 0;
	char *out = NULL;
	if (asprintf(&out, "%.*s%s/%s", dir_len, path, name, path + dir_len) < 0) {
		*failed = true;
		return NULL;
	}
	return out;
}

void submission_list_free(struct submission_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].dir);
		free(list->items[i].name);
	}
	free(list->items);
	*list = (struct submission_list){0};
}
