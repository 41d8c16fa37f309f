#include "report/redact.h"

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

int report_record_redact(const struct record *src, bool reveal_hidden, struct record *dst)
{
	/* Every owned field of the record's head is copied here. */
	*dst = (struct record){ .elapsed_ns = src->elapsed_ns };
	dst->version = src->version ? strdup(src->version) : NULL;
	dst->backend = src->backend ? strdup(src->backend) : NULL;
	if ((src->version && !dst->version) || (src->backend && !dst->backend))
		goto fail;
	for (size_t i = 0; i < src->count; i++) {
		const struct record_case *c = &src->cases[i];
		struct record_case view = report_case_redacted(c, reveal_hidden) ? redacted_view(c) : *c;
		if (record_case_append(dst, &view) < 0)
			goto fail;
	}
	return 0;
fail:
	record_free(dst);
	return -1;
}
