#include "judge/hint.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "x86/cpu_state.h"

typedef bool hint_fn(const struct test_case *c, const struct run_result *r, const struct verdict *v, char *out,
		     size_t len);

/* ---- a BIOS or DOS service called with no firmware ---- */

struct service_name {
	int vector, ah; /* ah -1: the whole vector */
	const char *name;
};

static const struct service_name service_names[] = {
	{ 0x10, 0x00, "set video mode" }, { 0x10, 0x02, "set cursor position" },
	{ 0x10, 0x09, "write character and attribute" }, { 0x10, 0x0e, "teletype output" },
	{ 0x10, 0x13, "write string" }, { 0x10, -1, "BIOS video" },
	{ 0x13, 0x02, "read sectors" }, { 0x13, -1, "BIOS disk" },
	{ 0x16, 0x00, "wait for a key" }, { 0x16, 0x01, "check for a key" }, { 0x16, -1, "BIOS keyboard" },
	{ 0x1a, 0x00, "read the tick count" }, { 0x1a, -1, "BIOS time" },
	{ 0x15, -1, "BIOS system services" }, { 0x11, -1, "BIOS equipment list" },
	{ 0x12, -1, "BIOS memory size" }, { 0x14, -1, "BIOS serial port" }, { 0x17, -1, "BIOS printer" },
	{ 0x20, -1, "DOS terminate" },
	{ 0x21, 0x01, "read a character" }, { 0x21, 0x02, "write a character" },
	{ 0x21, 0x09, "write a $-terminated string" }, { 0x21, 0x0a, "buffered input" },
	{ 0x21, 0x4c, "exit with a code" }, { 0x21, -1, "DOS services" },
};

static const char *service_name(int vector, int ah)
{
	for (size_t i = 0; i < sizeof(service_names) / sizeof(*service_names); i++)
		if (service_names[i].vector == vector && (service_names[i].ah == ah || service_names[i].ah < 0))
			return service_names[i].name;
	return "a firmware service";
}

static bool hint_firmware_call(const struct test_case *c, const struct run_result *r, const struct verdict *v,
			       char *out, size_t len)
{
	(void)v;
	int vector = r->stop.firmware_call, ah = r->stop.firmware_call_ah_known ? r->stop.firmware_call_ah : -1;
	if (c->firmware != CASE_FIRMWARE_NONE || vector == 0)
		return false;
	bool dos = vector == 0x20 || vector == 0x21;
	char with_ah[32] = "";
	if (ah >= 0)
		snprintf(with_ah, sizeof(with_ah), " with AH=0x%02x", ah);
	snprintf(out, len,
		 "Observed: the program calls int 0x%02x%s (%s), but this case runs without firmware, so nothing "
		 "answers it: the interrupt vector table is empty. Likely cause: the program is written for %s; "
		 "give the case %s, or write to the serial port (out to 0x3f8) instead.",
		 vector, with_ah, service_name(vector, ah), dos ? "DOS" : "the BIOS",
		 dos ? "`preset: com` (a .COM program at 1000:0100) or `firmware: dos`"
		     : "`preset: boot` (a boot sector at 0000:7C00) or `firmware: bios`");
	return true;
}

/* ---- an access to memory that is not there ---- */

static bool hint_unmapped(const struct test_case *c, const struct run_result *r, const struct verdict *v,
			  char *out, size_t len)
{
	(void)v;
	const char *at = r->outcome == OUTCOME_ERROR && r->message ? strstr(r->message, "unmapped memory ") : NULL;
	if (!at)
		return false;
	char kind[8] = "";
	unsigned long long address = 0;
	if (sscanf(at, "unmapped memory %7s at %llx", kind, &address) != 2)
		return false;
	bool fetch = strcmp(kind, "fetch") == 0;
	char segments[64] = "";
	if (r->regs_valid && !fetch)
		snprintf(segments, sizeof(segments), " (ds=%04x, es=%04x)", r->regs.seg[SEG_DS].selector,
			 r->regs.seg[SEG_ES].selector);
	snprintf(out, len,
		 "Observed: a %s at 0x%llx%s, beyond the end of the guest's %u KiB of RAM. Likely cause: %s",
		 fetch ? "jump or fall-through to code" : kind, address, segments, c->memory_size / 1024,
		 fetch ? "execution left the program (a missing `hlt`, a `ret` without a `call`, or a jump to a "
			 "wrong address)."
		       : "a segment register or pointer that is not what the program meant (segment * 16 + offset "
			 "is the address): check what was loaded into the segment register before the access.");
	return true;
}

/* ---- waiting on the serial line status register ---- */

#define SERIAL_LSR_PORT 0x3fd

static bool hint_serial_poll(const struct test_case *c, const struct run_result *r, const struct verdict *v,
			     char *out, size_t len)
{
	(void)v;
	if ((r->outcome != OUTCOME_TIMEOUT && r->outcome != OUTCOME_MAX_EXITS) || !r->regs_valid ||
	    (r->regs.gpr[GPR_EDX] & 0xffff) != SERIAL_LSR_PORT)
		return false;
	snprintf(out, len,
		 "Observed: the run ended (%s) while the program read the serial line status register (port 0x3fd) "
		 "over and over. Likely cause: it waits for bit 0, data ready, which is set only while the case's "
		 "input has bytes left (%s); sending needs no wait, bits 5 and 6 are always set.",
		 outcome_name(r->outcome),
		 c->input.len ? "the program reads more than the case's `input:` holds"
			      : "this case has no `input:`");
	return true;
}

/* ---- execution ran off the end of the code ---- */

static const char *ending_for(const struct test_case *c)
{
	return c->firmware == CASE_FIRMWARE_DOS ? "end it with `mov ax, 0x4c00` and `int 0x21` (or `int 0x20`)"
						: "end it with `hlt` after the last instruction, before any data";
}

static bool hint_no_hlt(const struct test_case *c, const struct run_result *r, const struct verdict *v, char *out,
			size_t len)
{
	(void)v;
	const struct stop_info *s = &r->stop;
	if (r->outcome == OUTCOME_HLT || r->outcome == OUTCOME_EXIT)
		return false;
	char seen[400];
	if (s->place == STOP_PAST_END)
		snprintf(seen, sizeof(seen), "execution ran past the end of the program (offset 0x%" PRIx64
			 ", the program is 0x%" PRIx64 " bytes)", s->offset, s->program_size);
	else if ((s->place == STOP_IN_DATA || s->place == STOP_IN_RESERVED) && r->stopped_at)
		snprintf(seen, sizeof(seen), "execution reached the program's data, at %s", r->stopped_at);
	else if (s->program_known && !s->program_has_hlt && c->firmware == CASE_FIRMWARE_NONE &&
		 s->place != STOP_IN_CODE)
		snprintf(seen, sizeof(seen), "the program has no `hlt`, and the run ended with outcome %s",
			 outcome_name(r->outcome));
	else
		return false;
	snprintf(out, len, "Observed: %s. Likely cause: the program does not stop where its work ends, so the CPU "
		 "runs on into whatever bytes follow (zeros decode as `add [bx+si], al`); %s.", seen, ending_for(c));
	return true;
}

/* ---- a hlt the timer woke ---- */

static bool hint_hlt_woke(const struct test_case *c, const struct run_result *r, const struct verdict *v, char *out,
			  size_t len)
{
	(void)v;
	if (!r->hlt_woke.woke || c->expect_exit != OUTCOME_HLT || r->outcome == OUTCOME_HLT || r->outcome == OUTCOME_EXIT)
		return false;
	snprintf(out, len,
		 "Observed: the program halted at %04x:%04x with interrupts enabled; the timer woke it at the next "
		 "tick, as on a PC, and it ran on until the run ended with outcome %s. Likely cause: a `hlt` meant "
		 "to end the program while interrupts are on (the boot and com presets start with them on): put "
		 "`cli` right before the final `hlt`.",
		 r->hlt_woke.cs, r->hlt_woke.ip, outcome_name(r->outcome));
	return true;
}

/* ---- a stack that was never set, or ran into the program ---- */

static bool hint_stack(const struct test_case *c, const struct run_result *r, const struct verdict *v, char *out,
		       size_t len)
{
	(void)v;
	if (!r->regs_valid || r->stop.program_size == 0 || c->mode != X86_MODE_REAL)
		return false;
	struct cpu_state initial;
	case_initial_state(c, &initial);
	uint64_t sp = r->regs.gpr[GPR_ESP] & 0xffff, initial_sp = initial.gpr[GPR_ESP] & 0xffff;
	uint64_t linear = r->regs.seg[SEG_SS].base + sp;
	uint64_t pops = (sp - initial_sp) & 0xffff;
	if (linear >= c->load_address && linear - c->load_address < r->stop.program_size && sp != initial_sp) {
		snprintf(out, len,
			 "Observed: the stack pointer ss:sp = %04x:%04" PRIx64 " lies inside the program's own bytes "
			 "(offset 0x%" PRIx64 "), so pushes and calls overwrite its code or data. Likely cause: the "
			 "stack was never set up, or was set too close to the program: point ss:sp at memory the "
			 "program does not use before the first push or call.",
			 r->regs.seg[SEG_SS].selector, sp, linear - c->load_address);
		return true;
	}
	/* A program with no hlt at all runs on into zeros and whatever they
	 * fault into, and sp is wherever that walk left it when the run was
	 * stopped: the missing hlt is what to name (hint_no_hlt), the same
	 * however far the walk went. */
	bool walks_off = r->stop.program_known && !r->stop.program_has_hlt;
	if (pops != 0 && pops <= 0x20 && !walks_off && r->outcome != OUTCOME_HLT && r->outcome != OUTCOME_EXIT) {
		snprintf(out, len,
			 "Observed: sp is 0x%04" PRIx64 ", %" PRIu64 " bytes above where the run started it (0x%04" PRIx64
			 "), so the program popped more than it pushed and the stack wrapped. Likely cause: a `ret` "
			 "with no `call` (ending the program with `ret` instead of `hlt`?), or a `pop` too many.",
			 sp, pops, initial_sp);
		return true;
	}
	return false;
}

/* ---- output that stopped early ---- */

static const char *short_cause(enum outcome outcome)
{
	switch (outcome) {
	case OUTCOME_HLT:
	case OUTCOME_EXIT:
		return "the program ended before writing the rest: a loop that stops a round early, a wrong count "
		       "or length, or a `hlt` before the last write";
	case OUTCOME_TIMEOUT:
		return "the program was still running at the timeout after writing it: a loop that never ends, or "
		       "a wait for input";
	case OUTCOME_MAX_EXITS:
		return "the program spent the case's exit budget (`max_exits`) after writing it: a loop that keeps "
		       "doing I/O, or a budget too small for the output";
	default:
		return "the program failed after writing it (see where it stopped)";
	}
}

static bool hint_output_short(const struct test_case *c, const struct run_result *r, const struct verdict *v,
			      char *out, size_t len)
{
	(void)c;
	if (r->outcome == OUTCOME_OUTPUT_LIMIT)
		return false;
	for (size_t i = 0; i < v->check_count; i++) {
		const struct check *k = &v->checks[i];
		if ((k->kind != CHECK_SERIAL && k->kind != CHECK_CONSOLE) || k->passed || !k->actual_known ||
		    k->actual.len == 0 || k->actual.len >= k->expected.len ||
		    memcmp(k->actual.data, k->expected.data, k->actual.len) != 0)
			continue;
		snprintf(out, len,
			 "Observed: the %s output stopped after %zu of the %zu bytes expected; all it wrote matches "
			 "the start of what was expected. Likely cause: %s.",
			 k->kind == CHECK_SERIAL ? "serial" : "console", k->actual.len, k->expected.len,
			 short_cause(r->outcome));
		return true;
	}
	return false;
}

/* ---- a loop that never ends ---- */

static bool hint_stuck(const struct test_case *c, const struct run_result *r, const struct verdict *v, char *out,
		       size_t len)
{
	(void)c, (void)v;
	if (r->outcome != OUTCOME_TIMEOUT || r->stop.place != STOP_IN_CODE || !r->stopped_at)
		return false;
	snprintf(out, len,
		 "Observed: at the timeout the program was still running, at %s. Likely cause: a loop whose exit "
		 "condition never holds (a jump back to itself, a counter that never reaches its end, a wait on "
		 "something that never changes).",
		 r->stopped_at);
	return true;
}

/* Most specific first: a missing BIOS, or a stack grown over the code,
 * explains a run off the end, too. */
static const struct {
	const char *name;
	hint_fn *detect;
} detectors[] = {
	{ "firmware_call", hint_firmware_call },
	{ "unmapped", hint_unmapped },
	{ "serial_poll", hint_serial_poll },
	{ "hlt_woke", hint_hlt_woke },
	{ "stack", hint_stack },
	{ "no_hlt", hint_no_hlt },
	{ "output_short", hint_output_short },
	{ "stuck", hint_stuck },
};

const char *hint_find(const struct test_case *c, const struct run_result *r, const struct verdict *v, char *out,
		      size_t out_len)
{
	out[0] = '\0';
	if (v->status == VERDICT_PASS || c->error || r->outcome == OUTCOME_ASSEMBLE_ERROR ||
	    r->outcome == OUTCOME_CASE_ERROR || r->outcome == OUTCOME_NOT_RUN || r->host_fault)
		return NULL;
	for (size_t i = 0; i < sizeof(detectors) / sizeof(*detectors); i++)
		if (detectors[i].detect(c, r, v, out, out_len))
			return detectors[i].name;
	out[0] = '\0';
	return NULL;
}
