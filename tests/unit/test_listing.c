/* Unit tests for listing.c: nasm 2.16 listings (as `nasm -l` wrote them)
 * read back to the source line of a byte of the binary, through
 * %include'd files, macro expansions, %rep bodies, data and sections. */
#include <criterion/criterion.h>
#include <string.h>

#include "assemble/listing.h"

/* main.asm includes inc/defs.inc (a macro and a routine) first and
 * inc/tail.inc later, invokes the macro at its line 5. */
static const char include_listing[] =
	"     1                                  %include \"inc/defs.inc\"\n"
	"     1                              <1> %macro putc 1\n"
	"     2                              <1>   mov al, %1\n"
	"     3                              <1>   out dx, al\n"
	"     4                              <1> %endmacro\n"
	"     5 00000000 B047                <1> greet: mov al, 'G'\n"
	"     6 00000002 EE                  <1>   out dx, al\n"
	"     7 00000003 C3                  <1>   ret\n"
	"     2                                  bits 16\n"
	"     3                                  org 0\n"
	"     4 00000004 BAF803                    mov dx, 0x3f8\n"
	"     5                                    putc 'A'\n"
	"     2 00000007 B041                <1>  mov al, %1\n"
	"     3 00000009 EE                  <1>  out dx, al\n"
	"     6 0000000A E8F3FF                    call greet\n"
	"     7 0000000D 90<rep 3h>                times 3 nop\n"
	"     8 00000010 F4                        hlt\n"
	"     9                                  %include \"inc/tail.inc\"\n"
	"     1 00000011 90                  <1> tail: nop\n"
	"     2 00000012 C3                  <1>   ret\n"
	"    10 00000013 48656C6C6F2C20776F-     msg: db \"Hello, world, a long string here\", 0\n"
	"    10 0000001C 726C642C2061206C6F-\n"
	"    10 00000025 6E6720737472696E67-\n"
	"    10 0000002E 206865726500       \n"
	"    11 00000034 ????????                buf: resb 4\n"
	"    11          ******************       warning: uninitialized space declared in .text section: zeroing [-w+zeroing]\n";

/* A boot sector with a relocated address, a %rep body and a section. */
static const char plain_listing[] =
	"     1                                  org 0x7c00\n"
	"     2 00000000 BE[0600]                  mov si, msg\n"
	"     3 00000003 EBFE                      jmp short $\n"
	"     4                                  %rep 2\n"
	"     5                                  nop\n"
	"     6                                  %endrep\n"
	"     5 00000005 90                  <1> nop\n"
	"     5 00000006 90                  <1> nop\n"
	"     7                                  section .data\n"
	"     8 00000000 0500                    d: dw 5\n"
	"     9                                  section .text\n"
	"    10 00000007 00<rep 1F7h>              times 510-($-$$) db 0\n"
	"    11 000001FE 55AA                      dw 0xaa55\n";

struct find_row {
	const char *listing;
	uint64_t offset;
	bool found;
	int line;
	bool included;
	const char *file;
	const char *text;
	enum listing_content content;
};

static struct find_row find_rows[] = {
	{ include_listing, 0x00, true, 5, true, "inc/defs.inc", "greet: mov al, 'G'", LISTING_CODE },
	{ include_listing, 0x03, true, 7, true, "inc/defs.inc", "ret", LISTING_CODE },
	{ include_listing, 0x05, true, 4, false, "", "mov dx, 0x3f8", LISTING_CODE },
	/* the macro's bytes stand for the line that invoked it */
	{ include_listing, 0x08, true, 5, false, "", "putc 'A'", LISTING_CODE },
	{ include_listing, 0x09, true, 5, false, "", "putc 'A'", LISTING_CODE },
	{ include_listing, 0x0e, true, 7, false, "", "times 3 nop", LISTING_CODE },
	{ include_listing, 0x10, true, 8, false, "", "hlt", LISTING_CODE },
	{ include_listing, 0x12, true, 2, true, "inc/tail.inc", "ret", LISTING_CODE },
	/* a continued line of bytes belongs to the line that began it */
	{ include_listing, 0x30, true, 10, false, "", "msg: db \"Hello, world, a long string here\", 0",
	  LISTING_DATA },
	{ include_listing, 0x37, true, 11, false, "", "buf: resb 4", LISTING_RESERVED },
	{ include_listing, 0x38, false, 0, false, "", "", LISTING_CODE },
	{ plain_listing, 0x02, true, 2, false, "", "mov si, msg", LISTING_CODE },
	{ plain_listing, 0x04, true, 3, false, "", "jmp short $", LISTING_CODE },
	/* a %rep body's lines are its own */
	{ plain_listing, 0x06, true, 5, false, "", "nop", LISTING_CODE },
	/* .data's offsets are not the binary's: offset 0 stays mov si */
	{ plain_listing, 0x00, true, 2, false, "", "mov si, msg", LISTING_CODE },
	{ plain_listing, 0x100, true, 10, false, "", "times 510-($-$$) db 0", LISTING_DATA },
	{ plain_listing, 0x1ff, true, 11, false, "", "dw 0xaa55", LISTING_DATA },
	{ plain_listing, 0x200, false, 0, false, "", "", LISTING_CODE },
};

static void find_check(const struct find_row *row)
{
	struct bytes listing = { .data = (uint8_t *)row->listing, .len = strlen(row->listing) };
	struct listing_place place;
	bool found = listing_find(&listing, row->offset, &place);
	unsigned long long at = row->offset;
	cr_assert_eq(found, row->found, "offset 0x%llx", at);
	if (!found)
		return;
	cr_expect_eq(place.line, row->line, "offset 0x%llx: line %d", at, place.line);
	cr_expect_eq(place.included, row->included, "offset 0x%llx", at);
	cr_expect_str_eq(place.file, row->file, "offset 0x%llx", at);
	cr_expect_str_eq(place.text, row->text, "offset 0x%llx", at);
	cr_expect_eq(place.content, row->content, "offset 0x%llx", at);
}

Test(listing, find_places_each_offset_on_its_source_line)
{
	for (size_t i = 0; i < sizeof(find_rows) / sizeof(*find_rows); i++)
		find_check(&find_rows[i]);
}

Test(listing, facts_find_hlt_and_the_firmware_call_with_its_ah)
{
	static const char text[] =
		"     1                                  bits 16\n"
		"     2 00000000 B40E                      mov ah, 0x0e\n"
		"     3 00000002 B041                      mov al, 'A'\n"
		"     4 00000004 CD10                      int 0x10\n"
		"     5 00000006 B8004C                    mov ax, 0x4c00\n"
		"     6 00000009 CD21                      int 0x21\n";
	struct bytes listing = { .data = (uint8_t *)text, .len = strlen(text) };
	struct listing_facts facts;
	listing_facts(&listing, &facts);
	cr_expect_not(facts.has_hlt);
	cr_expect_eq(facts.int_vector, 0x10);
	cr_expect_eq(facts.int_ah, 0x0e);
}

Test(listing, facts_of_a_program_with_hlt_and_its_own_vector)
{
	static const char text[] =
		"     1 00000000 CD80                      int 0x80\n"
		"     2 00000002 F4                        hlt\n"
		"     3 00000003 F4                        db 0xf4\n";
	struct bytes listing = { .data = (uint8_t *)text, .len = strlen(text) };
	struct listing_facts facts;
	listing_facts(&listing, &facts);
	cr_expect(facts.has_hlt);
	cr_expect_eq(facts.int_vector, -1);
}

Test(listing, an_empty_listing_places_nothing)
{
	struct bytes listing = {0};
	struct listing_place place;
	cr_expect_not(listing_find(&listing, 0, &place));
}

/* The lines around a stop, as the HTML report lists them: a macro's two
 * listed lines count once (line 5), and the window ends where the source does. */
Test(listing, window_holds_the_lines_around_the_stop)
{
	struct bytes listing = { .data = (uint8_t *)include_listing, .len = strlen(include_listing) };
	struct listing_place lines[3 + 1 + 2];
	size_t count, stop;
	cr_assert(listing_window(&listing, 0x0a, 3, 2, lines, &count, &stop));
	cr_assert_eq(count, 6);
	cr_expect_eq(stop, 3);
	static const int expected_lines[] = { 7, 4, 5, 6, 7, 8 };
	for (size_t i = 0; i < count; i++)
		cr_expect_eq(lines[i].line, expected_lines[i], "line %zu: %d", i, lines[i].line);
	cr_expect_str_eq(lines[0].file, "inc/defs.inc");
	cr_expect_str_eq(lines[3].text, "call greet");
	cr_expect_str_eq(lines[5].text, "hlt");
}

Test(listing, window_at_the_first_and_last_line)
{
	struct bytes listing = { .data = (uint8_t *)plain_listing, .len = strlen(plain_listing) };
	struct listing_place lines[2 + 1 + 2];
	size_t count, stop;
	cr_assert(listing_window(&listing, 0x00, 2, 2, lines, &count, &stop));
	cr_expect_eq(stop, 0);
	cr_expect_eq(count, 3);
	cr_expect_str_eq(lines[0].text, "mov si, msg");
	cr_assert(listing_window(&listing, 0x1ff, 2, 2, lines, &count, &stop));
	cr_expect_eq(count, 3);
	cr_expect_eq(stop, 2);
	cr_expect_str_eq(lines[2].text, "dw 0xaa55");
	cr_expect_not(listing_window(&listing, 0x200, 2, 2, lines, &count, &stop));
	cr_expect_eq(count, 0);
}
