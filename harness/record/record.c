#include "record/record.h"

#include <stdlib.h>
#include <string.h>

#include "judge/grade.h"
#include "x86/regs.h"

/* ---- registers ---- */

static void reg_put(struct record_case *c, const char *name, int width, uint64_t value)
{
	if (c->reg_count >= RECORD_MAX_REGS)
		return;
	struct record_reg *r = &c->regs[c->reg_count++];
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->width = width;
	r->value = value;
}

/* The order is the parity record's (report/results.c writes them as listed). */
void record_regs_from_state(const struct cpu_state *s, struct record_case *c)
{
	static const struct { const char *name; enum gpr gpr; } gprs[] = {
		{ "eax", GPR_EAX }, { "ecx", GPR_ECX }, { "edx", GPR_EDX }, { "ebx", GPR_EBX },
		{ "esp", GPR_ESP }, { "ebp", GPR_EBP }, { "esi", GPR_ESI }, { "edi", GPR_EDI },
	};
	static const struct { const char *name; enum seg seg; } segs[] = {
		{ "es", SEG_ES }, { "cs", SEG_CS }, { "ss", SEG_SS }, { "ds", SEG_DS }, { "fs", SEG_FS }, { "gs", SEG_GS },
	};
	c->reg_count = 0;
	for (size_t i = 0; i < sizeof(gprs) / sizeof(gprs[0]); i++)
		reg_put(c, gprs[i].name, 32, (uint32_t)s->gpr[gprs[i].gpr]);
	reg_put(c, "eip", 32, (uint32_t)s->rip);
	reg_put(c, "eflags", 32, (uint32_t)s->rflags);
	for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++)
		reg_put(c, segs[i].name, 16, s->seg[segs[i].seg].selector);
}

const struct record_reg *record_reg_find(const struct record_case *c, const char *name)
{
	for (size_t i = 0; i < c->reg_count; i++) {
		if (strcmp(c->regs[i].name, name) == 0)
			return &c->regs[i];
	}
	return NULL;
}

/* ---- copying ---- */

/* NULL stays NULL; false only when a copy could not be made. */
static bool str_copy(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return !src || *dst;
}

static int tags_copy(struct record_case *dst, char *const *tags, size_t count)
{
	if (count == 0)
		return 0;
	dst->tags = calloc(count, sizeof(*dst->tags));
	if (!dst->tags)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (!str_copy(&dst->tags[i], tags[i]))
			return -1;
		dst->tag_count++;
	}
	return 0;
}

static int checks_copy(struct record_case *dst, const struct check *checks, size_t count)
{
	dst->checks = calloc(count ? count : 1, sizeof(*dst->checks));
	if (!dst->checks)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (check_copy(&dst->checks[i], &checks[i]) < 0)
			return -1;
		dst->check_count++;
	}
	return 0;
}

/* Scalars first, then every owned part; on failure dst holds what was
 * copied so far, for record_case_free. */
static int case_copy(struct record_case *dst, const struct record_case *src)
{
	*dst = *src;
	dst->file = dst->name = dst->reason = dst->message = dst->backend = dst->visibility = NULL;
	dst->stopped_at = dst->hint = dst->stop_listing = dst->last_instructions = NULL;
	dst->checks = NULL;
	dst->check_count = 0;
	dst->tags = NULL;
	dst->tag_count = 0;
	dst->output = dst->console = dst->screen = (struct bytes){0};
	if (!str_copy(&dst->file, src->file ? src->file : "") || !str_copy(&dst->name, src->name) ||
	    !str_copy(&dst->reason, src->reason ? src->reason : "") || !str_copy(&dst->message, src->message) ||
	    !str_copy(&dst->backend, src->backend) || !str_copy(&dst->visibility, src->visibility) ||
	    !str_copy(&dst->stopped_at, src->stopped_at) || !str_copy(&dst->hint, src->hint) ||
	    !str_copy(&dst->stop_listing, src->stop_listing) ||
	    !str_copy(&dst->last_instructions, src->last_instructions) ||
	    tags_copy(dst, src->tags, src->tag_count) < 0)
		return -1;
	if (bytes_assign(&dst->output, src->output.data, src->output.len) < 0 ||
	    bytes_assign(&dst->console, src->console.data, src->console.len) < 0 ||
	    bytes_assign(&dst->screen, src->screen.data, src->screen.len) < 0)
		return -1;
	return checks_copy(dst, src->checks, src->check_count);
}

int record_case_append(struct record *rec, const struct record_case *c)
{
	struct record_case *grown = realloc(rec->cases, (rec->count + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	rec->cases = grown;
	if (case_copy(&rec->cases[rec->count], c) < 0) {
		record_case_free(&rec->cases[rec->count]);
		return -1;
	}
	rec->count++;
	return 0;
}

/* A case without its test case is worth one point, earned on a pass. */
static void case_view_grading(const struct case_report *c, struct record_case *view)
{
	const struct test_case *t = c->test;
	if (!t) {
		view->points_max = 1;
		view->points_earned = c->verdict->status == VERDICT_PASS;
		return;
	}
	view->points_max = t->points;
	view->points_earned = grade_points_earned(t, c->result->outcome, c->verdict);
	view->hidden = t->hidden;
	view->leaderboard = t->leaderboard;
	view->visibility = t->visibility;
	view->tags = t->tags;
	view->tag_count = t->tag_count;
}

/* A view of one case of a run, borrowing everything; record_case_append copies it. */
static struct record_case case_view(const struct case_report *c)
{
	const struct run_result *r = c->result;
	const struct verdict *v = c->verdict;
	struct record_case view = {
		.file = (char *)c->file, .index = c->index, .line = c->line, .name = (char *)c->name,
		.outcome = r->outcome, .status = v->status, .reason = (char *)v->reason,
		.checks = v->checks, .check_count = v->check_count, .output = r->output, .exits = r->exits,
		.exit_code = r->exit_code, .console = r->console, .screen = r->screen,
		.regs_valid = r->regs_valid, .message = r->message, .backend = (char *)r->backend,
		.host_fault = r->host_fault, .times = r->times,
		.binary_size = r->binary_size, .instructions_counted = r->instructions_counted,
		.instructions = r->instructions,
		/* feedback for failures only: a passing case's record reads as before */
		.stopped_at = v->status != VERDICT_PASS ? r->stopped_at : NULL,
		.stop_listing = v->status != VERDICT_PASS ? r->stop_listing : NULL,
		.last_instructions = v->status != VERDICT_PASS ? r->last_instructions : NULL,
		.hint = v->hint[0] ? (char *)v->hint : NULL,
	};
	if (r->regs_valid)
		record_regs_from_state(&r->regs, &view);
	case_view_grading(c, &view);
	return view;
}

int record_build(const struct run_report *rep, struct record *rec)
{
	*rec = (struct record){ .elapsed_ns = rep->elapsed_ns };
	if (!str_copy(&rec->version, rep->version ? rep->version : "unknown") ||
	    !str_copy(&rec->backend, rep->backend ? rep->backend : "unknown") ||
	    (rep->name && !str_copy(&rec->name, rep->name)))
		goto fail;
	for (size_t i = 0; i < rep->count; i++) {
		const struct case_report *c = &rep->cases[i];
		if (!c->result || !c->verdict)
			goto fail;
		struct record_case view = case_view(c);
		if (record_case_append(rec, &view) < 0)
			goto fail;
	}
	return 0;
fail:
	record_free(rec);
	return -1;
}

/* ---- comparing ---- */

static bool str_equal(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool regs_equal(const struct record_case *a, const struct record_case *b)
{
	if (a->regs_valid != b->regs_valid || a->reg_count != b->reg_count)
		return false;
	for (size_t i = 0; i < a->reg_count; i++) {
		if (strcmp(a->regs[i].name, b->regs[i].name) != 0 || a->regs[i].width != b->regs[i].width ||
		    a->regs[i].value != b->regs[i].value)
			return false;
	}
	return true;
}

static bool bytes_same(const struct bytes *a, const struct bytes *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static bool grading_equal(const struct record_case *a, const struct record_case *b)
{
	if (a->points_max != b->points_max || a->points_earned != b->points_earned || a->hidden != b->hidden ||
	    a->leaderboard != b->leaderboard ||
	    !str_equal(a->visibility, b->visibility) || a->tag_count != b->tag_count)
		return false;
	for (size_t i = 0; i < a->tag_count; i++) {
		if (!str_equal(a->tags[i], b->tags[i]))
			return false;
	}
	return true;
}

static bool case_equal(const struct record_case *a, const struct record_case *b)
{
	if (!grading_equal(a, b))
		return false;
	if (!str_equal(a->file, b->file) || a->index != b->index || a->line != b->line ||
	    !str_equal(a->name, b->name) || a->outcome != b->outcome || a->status != b->status ||
	    !str_equal(a->reason, b->reason) || a->exits != b->exits || !str_equal(a->message, b->message) ||
	    !str_equal(a->backend, b->backend) || a->host_fault != b->host_fault ||
	    memcmp(&a->times, &b->times, sizeof(a->times)) != 0 || !regs_equal(a, b))
		return false;
	if (!str_equal(a->stopped_at, b->stopped_at) || !str_equal(a->hint, b->hint) ||
	    !str_equal(a->stop_listing, b->stop_listing) || !str_equal(a->last_instructions, b->last_instructions))
		return false;
	if (!bytes_same(&a->output, &b->output) || !bytes_same(&a->console, &b->console) ||
	    !bytes_same(&a->screen, &b->screen) || a->exit_code != b->exit_code)
		return false;
	if (a->check_count != b->check_count || a->binary_size != b->binary_size ||
	    a->instructions_counted != b->instructions_counted || a->instructions != b->instructions)
		return false;
	for (size_t i = 0; i < a->check_count; i++) {
		if (!check_equal(&a->checks[i], &b->checks[i]))
			return false;
	}
	return true;
}

bool record_equal(const struct record *a, const struct record *b)
{
	if (!str_equal(a->version, b->version) || !str_equal(a->backend, b->backend) || !str_equal(a->name, b->name) ||
	    a->elapsed_ns != b->elapsed_ns || a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++) {
		if (!case_equal(&a->cases[i], &b->cases[i]))
			return false;
	}
	return true;
}

bool record_any_failed(const struct record *rec)
{
	for (size_t i = 0; i < rec->count; i++) {
		if (rec->cases[i].status != VERDICT_PASS)
			return true;
	}
	return false;
}

/* ---- freeing ---- */

void record_case_free(struct record_case *c)
{
	free(c->file);
	free(c->name);
	free(c->reason);
	free(c->message);
	free(c->backend);
	free(c->visibility);
	for (size_t i = 0; i < c->tag_count; i++)
		free(c->tags[i]);
	free(c->tags);
	free(c->stopped_at);
	free(c->hint);
	free(c->stop_listing);
	free(c->last_instructions);
	bytes_free(&c->output);
	bytes_free(&c->console);
	bytes_free(&c->screen);
	for (size_t i = 0; i < c->check_count; i++)
		check_free(&c->checks[i]);
	free(c->checks);
	*c = (struct record_case){0};
}

void record_free(struct record *rec)
{
	for (size_t i = 0; i < rec->count; i++)
		record_case_free(&rec->cases[i]);
	free(rec->cases);
	free(rec->version);
	free(rec->backend);
	free(rec->name);
	*rec = (struct record){0};
}

int64_t record_case_output_difference(const struct record_case *c)
{
	for (size_t i = 0; i < c->check_count; i++) {
		const struct check_kind_info *info = check_kind_info(c->checks[i].kind);
		if (info && info->field && strcmp(info->field, "output") == 0 && c->checks[i].first_difference >= 0)
			return c->checks[i].first_difference;
	}
	return -1;
}
