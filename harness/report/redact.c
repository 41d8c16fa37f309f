#include "report/redact.h"

#include <stdlib.h>
#include <string.h>

bool report_case_redacted(const struct record_case *c, bool reveal_hidden)
{
	return c->hidden && !reveal_hidden;
}

/* A view of c without anything that tells what the case checks or what the
 * guest did; record_case_append copies it. */
static struct record_case redacted_view(const struct record_case *c)
{
	return (struct record_case){
		.file = c->file, .index = c->index, .line = c->line, .name = c->name,
		.outcome = c->outcome, .status = c->status,
		.reason = c->status == VERDICT_PASS ? "" : REPORT_REDACTED_REASON,
		.backend = c->backend, .times = c->times,
		.points_max = c->points_max, .points_earned = c->points_earned, .hidden = c->hidden,
		.visibility = c->visibility, .tags = c->tags, .tag_count = c->tag_count,
	};
}

void report_record_shown_free(struct record *shown)
{
	for (size_t i = 0; i < shown->count; i++)
		record_case_free(&shown->cases[i]);
	free(shown->cases);
	shown->cases = NULL;
	shown->count = 0;
}

int report_record_shown(const struct record *rec, bool reveal_hidden, struct record *shown)
{
	*shown = *rec;
	shown->cases = NULL;
	shown->count = 0;
	for (size_t i = 0; i < rec->count; i++) {
		const struct record_case *c = &rec->cases[i];
		struct record_case view = report_case_redacted(c, reveal_hidden) ? redacted_view(c) : *c;
		if (record_case_append(shown, &view) < 0) {
			report_record_shown_free(shown);
			return -1;
		}
	}
	return 0;
}

int report_record_redact(const struct record *src, bool reveal_hidden, struct record *dst)
{
	struct record shown;
	*dst = (struct record){ .elapsed_ns = src->elapsed_ns };
	if (report_record_shown(src, reveal_hidden, &shown) < 0)
		return -1;
	dst->cases = shown.cases;
	dst->count = shown.count;
	dst->version = src->version ? strdup(src->version) : NULL;
	dst->backend = src->backend ? strdup(src->backend) : NULL;
	if ((src->version && !dst->version) || (src->backend && !dst->backend)) {
		record_free(dst);
		return -1;
	}
	return 0;
}
