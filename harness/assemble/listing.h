/* listing: nasm's `-l` listing of a guest, read back to say which line of
 * the student's source assembled a given byte of the binary, and what the
 * program holds that a hint needs (a hlt, a call of a BIOS or DOS service).
 *
 * nasm 2.16 lists one line per source line: its number in its file, the
 * offset in the section and the bytes, a nesting level `<N>` for lines of
 * an %include'd file, a macro's expansion or a %rep body, then the text.
 * An %include'd file's lines carry its own line numbers; a macro's carry
 * its definition's, so they are mapped to the line that invoked it. */
#ifndef KVMCHECK_LISTING_H
#define KVMCHECK_LISTING_H

#include <stdbool.h>
#include <stdint.h>

#include "core/bytes.h"

#define LISTING_FILE_MAX 256
#define LISTING_TEXT_MAX 160

enum listing_content {
	LISTING_CODE,
	LISTING_DATA,     /* db, dw, ..., incbin: bytes meant to be read, not run */
	LISTING_RESERVED, /* resb and the like: zeros nasm filled in */
};

/* Where a byte of the binary came from. */
struct listing_place {
	int line;                      /* in file */
	bool included;                 /* in an %include'd file, not the main source */
	char file[LISTING_FILE_MAX];   /* included: its name as the %include wrote it, "" when unknown */
	char text[LISTING_TEXT_MAX];   /* the source line, blanks trimmed, cut when long */
	enum listing_content content;
	uint64_t offset;               /* of the line's first byte */
};

/* The line that assembled the byte at offset of the binary (sections other
 * than .text are not placed); false when no listed line did. */
bool listing_find(const struct bytes *listing, uint64_t offset, struct listing_place *out);

/* The source lines around the one that assembled offset, in the order
 * nasm listed them: up to `before` lines ahead of it and `after` behind
 * (out holds before + 1 + after), a line repeated by a macro's expansion
 * counted once. *stop is the index of offset's own line. false, with
 * *count 0, when no listed line holds offset. */
bool listing_window(const struct bytes *listing, uint64_t offset, size_t before, size_t after,
		    struct listing_place *out, size_t *count, size_t *stop);

/* What a hint needs from the program as a whole. */
struct listing_facts {
	bool has_hlt;        /* a hlt instruction anywhere in the code */
	int int_vector;      /* the first `int N` to a BIOS or DOS vector, or -1 */
	int int_ah;          /* AH set for it by a `mov ah`/`mov ax` just before, or -1 */
};

void listing_facts(const struct bytes *listing, struct listing_facts *out);

#endif
