#include "run/stop.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assemble/listing.h"
#include "core/strfmt.h"
#include "machine/firmware/firmware.h"

/* The linear address of the instruction the run stopped at: after hlt the
 * ip points past it, everywhere else at the instruction itself. */
static uint64_t stop_linear(const struct run_result *r)
{
	uint64_t linear = r->regs.seg[SEG_CS].base + r->regs.rip;
	return r->outcome == OUTCOME_HLT && linear > 0 ? linear - 1 : linear;
}

static enum stop_place place_of(enum listing_content content)
{
	switch (content) {
	case LISTING_DATA: return STOP_IN_DATA;
	case LISTING_RESERVED: return STOP_IN_RESERVED;
	case LISTING_CODE: break;
	}
	return STOP_IN_CODE;
}

/* "file:line" of a listed line: inline source is the case file's, an
 * included file lies in the guest's folder. */
static void place_name(const struct asm_source *src, const struct listing_place *p, char *out, size_t len)
{
	if (p->included && !p->file[0]) {
		snprintf(out, len, "line %d of a file it includes", p->line);
		return;
	}
	if (p->included) {
		const char *dir = src->include_dir && *src->include_dir && strcmp(src->include_dir, ".") != 0 ?
					  src->include_dir : NULL;
		snprintf(out, len, "%s%s%s:%d", dir ? dir : "", dir ? "/" : "", p->file, p->line);
		return;
	}
	if (src->text)
		snprintf(out, len, "%s:%d", src->text_origin, p->line + src->text_first_line - 1);
	else
		snprintf(out, len, "%s:%d", src->path, p->line);
}

static const char *content_note(enum listing_content content)
{
	switch (content) {
	case LISTING_DATA: return ", in data";
	case LISTING_RESERVED: return ", in reserved space (zeros)";
	case LISTING_CODE: break;
	}
	return "";
}

/* Unicorn leaves ip at the start of the translated block when an access
 * hits unmapped memory (emu.c): the line is where that block began. Not so
 * in real mode without firmware while CR0.PE stayed clear, where emu's
 * segment-limit hook runs before every instruction and keeps ip exact. */
static bool inexact_fault(const struct test_case *c, const struct run_result *r)
{
	if (r->outcome != OUTCOME_ERROR || !r->backend || strcmp(r->backend, "emu") != 0 || !r->message ||
	    !strstr(r->message, "unmapped memory"))
		return false;
	bool hooked = c->mode == X86_MODE_REAL && c->firmware == CASE_FIRMWARE_NONE && r->regs_valid &&
		      !(r->regs.cr0 & CR0_PE);
	return !hooked;
}

static char *stop_describe(const struct asm_source *src, const struct stop_info *s,
			   const struct listing_place *p, uint64_t linear, bool inexact)
{
	char where[600];
	switch (s->place) {
	case STOP_IN_CODE:
	case STOP_IN_DATA:
	case STOP_IN_RESERVED:
		place_name(src, p, where, sizeof(where));
		return strfmt_alloc("%s `%s`%s%s", where, p->text, content_note(p->content),
				    inexact ? " or a few instructions after it (emu names only where the block of "
					      "instructions began; --backend kvm names the instruction)" : "");
	case STOP_PAST_END:
		return strfmt_alloc("offset 0x%" PRIx64 ", past the end of the program (0x%" PRIx64 " bytes)",
				    s->offset, s->program_size);
	case STOP_OUTSIDE:
		return strfmt_alloc("linear address 0x%" PRIx64 ", outside the program", linear);
	case STOP_UNKNOWN: break;
	}
	return NULL;
}

/* Lines of source on either side of the stopping line in the listing window. */
#define STOP_LISTING_BEFORE 3
#define STOP_LISTING_AFTER 2

/* The source around the stopping line, one line each, "> " marking it:
 * the HTML report shows it as the listing with that line highlighted. */
static char *stop_listing(const struct asm_source *src, const struct assembly *a, uint64_t offset)
{
	struct listing_place lines[STOP_LISTING_BEFORE + 1 + STOP_LISTING_AFTER];
	size_t count, stop;
	if (!listing_window(&a->listing, offset, STOP_LISTING_BEFORE, STOP_LISTING_AFTER, lines, &count, &stop))
		return NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (!out)
		return NULL;
	for (size_t i = 0; i < count; i++) {
		char where[600];
		place_name(src, &lines[i], where, sizeof(where));
		fprintf(out, "%s %s  %s\n", i == stop ? ">" : " ", where, lines[i].text);
	}
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* One of the last instructions, as stopped_at names a place. */
static void last_one(const struct test_case *c, const struct asm_source *src, const struct assembly *a,
		     uint64_t linear, FILE *out)
{
	struct listing_place p = {0};
	if (c->firmware != CASE_FIRMWARE_NONE && linear >= FIRMWARE_BASE && linear < FIRMWARE_BASE + 0x10000) {
		fputs("in the firmware\n", out);
	} else if (linear < c->load_address || linear - c->load_address >= a->image.len ||
		   !listing_find(&a->listing, linear - c->load_address, &p)) {
		fprintf(out, "linear address 0x%" PRIx64 ", outside the program\n", linear);
	} else {
		char where[600];
		place_name(src, &p, where, sizeof(where));
		fprintf(out, "%s `%s`%s\n", where, p.text, content_note(p.content));
	}
}

/* The last instructions the run kept (a fault run again on emu), oldest
 * first, one line each. */
static char *last_instructions(const struct test_case *c, const struct asm_source *src, const struct assembly *a,
			       const struct run_result *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (!out)
		return NULL;
	for (size_t i = 0; i < r->last_count && i < RUN_LAST_INSNS; i++)
		last_one(c, src, a, r->last_linear[i], out);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static void program_facts(const struct assembly *a, struct stop_info *s)
{
	struct listing_facts facts;
	listing_facts(&a->listing, &facts);
	s->program_known = true;
	s->program_has_hlt = facts.has_hlt;
	s->firmware_call = facts.int_vector > 0 ? (uint8_t)facts.int_vector : 0;
	s->firmware_call_ah_known = facts.int_ah >= 0;
	s->firmware_call_ah = facts.int_ah >= 0 ? (uint8_t)facts.int_ah : 0;
}

void stop_locate(const struct test_case *c, const struct asm_source *src, const struct assembly *a,
		 struct run_result *r)
{
	struct stop_info *s = &r->stop;
	*s = (struct stop_info){ .place = STOP_UNKNOWN, .program_size = a->image.len };
	if (a->listing.len)
		program_facts(a, s);
	if (a->listing.len && r->last_count) {
		free(r->last_instructions);
		r->last_instructions = last_instructions(c, src, a, r);
	}
	if (!r->regs_valid || !a->listing.len)
		return;
	uint64_t linear = stop_linear(r);
	struct listing_place p = {0};
	/* Inside a service, or ended by it: the firmware's message names the caller. */
	if (c->firmware != CASE_FIRMWARE_NONE && linear >= FIRMWARE_BASE && linear < FIRMWARE_BASE + 0x10000)
		return;
	if (linear < c->load_address) {
		s->place = STOP_OUTSIDE;
	} else if ((s->offset = linear - c->load_address) >= a->image.len) {
		s->place = linear < c->memory_size ? STOP_PAST_END : STOP_OUTSIDE;
	} else if (listing_find(&a->listing, s->offset, &p)) {
		s->place = place_of(p.content);
	} else {
		return;
	}
	/* A program that ended itself through the firmware stopped in it, which says nothing. */
	if (s->place == STOP_OUTSIDE && r->outcome == OUTCOME_EXIT)
		return;
	free(r->stopped_at);
	r->stopped_at = stop_describe(src, s, &p, linear, inexact_fault(c, r));
	if (s->place == STOP_IN_CODE || s->place == STOP_IN_DATA || s->place == STOP_IN_RESERVED) {
		free(r->stop_listing);
		r->stop_listing = stop_listing(src, a, s->offset);
	}
}
