#include "report/grading.h"

#include <stdlib.h>

#include "core/text_escape.h"
#include "record/score.h"
#include "report/redact.h"

struct case_points report_case_points(const struct record_case *c)
{
	return (struct case_points){ .earned = c->points_earned, .max = c->points_max };
}

struct case_points report_total_points(const struct record *rec)
{
	struct score s = record_score(rec);
	return (struct case_points){ .earned = s.earned, .max = s.max };
}

bool report_case_details_hidden(const struct record_case *c, bool reveal_hidden)
{
	return report_case_redacted(c, reveal_hidden);
}

const char *report_case_visibility(const struct record_case *c)
{
	if (c->visibility && c->visibility[0])
		return c->visibility;
	return c->hidden ? "after_published" : "visible";
}

char *const *report_case_tags(const struct record_case *c, size_t *count)
{
	*count = c->tag_count;
	return c->tags;
}

json_t *report_json_points(double value)
{
	bool whole = value > -1e15 && value < 1e15 && (double)(json_int_t)value == value;
	return whole ? json_integer((json_int_t)value) : json_real(value);
}

struct file_score_line {
	FILE *out;
	const char *prefix;
};

static int file_score_write(const struct record *rec, size_t first, void *ctx)
{
	const struct file_score_line *line = ctx;
	const char *file = rec->cases[first].file ? rec->cases[first].file : "";
	char score[64];
	score_format(record_file_score(rec, file), score, sizeof(score));
	char *name = text_escape_str(file, TEXT_ESCAPE_KEEP_UTF8);
	if (!name)
		return -1;
	fprintf(line->out, "%s%s: %s\n", line->prefix, name, score);
	free(name);
	return 0;
}

int report_file_scores_write(FILE *out, const struct record *rec, const char *prefix)
{
	struct file_score_line line = { out, prefix };
	return record_several_files(rec) ? record_each_file(rec, file_score_write, &line) : 0;
}
