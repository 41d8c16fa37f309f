/* int 10h: the text screen, 80x25 at B800:0000 (page 0 only), with the
 * cursor in the BIOS data area as the BIOS keeps it. */
#include "machine/firmware/firmware.h"

struct cursor {
	uint8_t row, column;
};

static struct cursor cursor_get(const struct firmware *fw)
{
	return (struct cursor){ .column = fw_read8(fw, BDA_CURSOR), .row = fw_read8(fw, BDA_CURSOR + 1) };
}

static void cursor_set(struct firmware *fw, struct cursor c)
{
	fw_write8(fw, BDA_CURSOR, c.column);
	fw_write8(fw, BDA_CURSOR + 1, c.row);
}

static uint64_t cell(unsigned row, unsigned column)
{
	return SCREEN_BASE + 2u * (row * SCREEN_COLUMNS + column);
}

/* Scrolls the window rows top..bottom, columns left..right, by lines (up
 * when up is set), filling what comes in with blanks of attr; lines 0 or
 * more than the window's height blanks it all. */
static void video_scroll(struct firmware *fw, unsigned top, unsigned left, unsigned bottom, unsigned right,
			 unsigned lines, uint8_t attr, bool up)
{
	if (bottom >= SCREEN_ROWS)
		bottom = SCREEN_ROWS - 1;
	if (right >= SCREEN_COLUMNS)
		right = SCREEN_COLUMNS - 1;
	if (top > bottom || left > right)
		return;
	unsigned height = bottom - top + 1;
	if (lines == 0 || lines > height)
		lines = height;
	for (unsigned i = 0; i < height; i++) {
		unsigned row = up ? top + i : bottom - i;
		unsigned from = up ? row + lines : row - lines;
		bool blank = i + lines >= height;
		for (unsigned col = left; col <= right; col++) {
			uint16_t v = blank ? (uint16_t)(attr << 8 | ' ') : fw_read16(fw, cell(from, col));
			fw_write16(fw, cell(row, col), v);
		}
	}
}

void video_teletype(struct firmware *fw, uint8_t ch)
{
	struct cursor c = cursor_get(fw);
	switch (ch) {
	case 0x07: return; /* the bell rings nothing here */
	case 0x08: if (c.column) c.column--; break;
	case 0x0a: c.row++; break;
	case 0x0d: c.column = 0; break;
	default:
		fw_write8(fw, cell(c.row % SCREEN_ROWS, c.column % SCREEN_COLUMNS), ch);
		if (++c.column >= SCREEN_COLUMNS) {
			c.column = 0;
			c.row++;
		}
	}
	if (c.row >= SCREEN_ROWS) {
		video_scroll(fw, 0, 0, SCREEN_ROWS - 1, SCREEN_COLUMNS - 1, 1, SCREEN_ATTRIBUTE, true);
		c.row = SCREEN_ROWS - 1;
	}
	cursor_set(fw, c);
}

/* AH=00h: set mode. Every mode is the 80x25 text screen here; setting one clears it. */
static void video_set_mode(struct firmware *fw, struct doorbell_call *call)
{
	uint8_t mode = reg_lo(call->in.eax) & 0x7f;
	fw_write8(fw, BDA_VIDEO_MODE, mode);
	if (!(reg_lo(call->in.eax) & 0x80))
		video_scroll(fw, 0, 0, SCREEN_ROWS - 1, SCREEN_COLUMNS - 1, 0, SCREEN_ATTRIBUTE, true);
	cursor_set(fw, (struct cursor){ 0, 0 });
	set_lo(&call->out.eax, mode > 7 ? 0x20 : 0x30);
}

/* AH=09h (with attribute) and 0Ah (character only): cx copies at the
 * cursor, which does not move. */
static void video_write_char(struct firmware *fw, struct doorbell_call *call, bool with_attr)
{
	struct cursor c = cursor_get(fw);
	unsigned at = (c.row % SCREEN_ROWS) * SCREEN_COLUMNS + c.column % SCREEN_COLUMNS;
	unsigned count = reg_x(call->in.ecx);
	for (unsigned i = 0; i < count && at + i < SCREEN_COLUMNS * SCREEN_ROWS; i++) {
		uint64_t addr = SCREEN_BASE + 2u * (at + i);
		fw_write8(fw, addr, reg_lo(call->in.eax));
		if (with_attr)
			fw_write8(fw, addr + 1, reg_lo(call->in.ebx));
	}
}

/* AH=13h: write the string at es:bp, cx characters (or character and
 * attribute pairs with AL bit 1) from row dh, column dl; AL bit 0 leaves
 * the cursor after it. Control characters act as on the teletype; the
 * characters are console output too. */
static int video_write_string(struct firmware *fw, struct doorbell_call *call, struct dev_stop *stop)
{
	uint8_t mode = reg_lo(call->in.eax);
	struct cursor saved = cursor_get(fw);
	cursor_set(fw, (struct cursor){ .row = reg_hi(call->in.edx), .column = reg_lo(call->in.edx) });
	uint16_t offset = reg_x(call->in.ebp);
	for (unsigned i = 0; i < reg_x(call->in.ecx); i++) {
		uint8_t ch = fw_read8(fw, real_mode_address((uint16_t)call->in.es, offset++));
		uint8_t attr = reg_lo(call->in.ebx);
		if (mode & 2)
			attr = fw_read8(fw, real_mode_address((uint16_t)call->in.es, offset++));
		struct cursor c = cursor_get(fw);
		if (firmware_console_put(fw, ch, stop) < 0)
			return -1;
		if (ch != 0x07 && ch != 0x08 && ch != 0x0a && ch != 0x0d)
			fw_write8(fw, cell(c.row % SCREEN_ROWS, c.column % SCREEN_COLUMNS) + 1, attr);
	}
	if (!(mode & 1))
		cursor_set(fw, saved);
	return 0;
}

int bios_video_service(void *ctx, struct doorbell_call *call, struct dev_stop *stop)
{
	struct firmware *fw = ctx;
	struct doorbell_regs *in = &call->in, *out = &call->out;
	struct cursor c = cursor_get(fw);
	switch (reg_hi(in->eax)) {
	case 0x00: video_set_mode(fw, call); return 0;
	case 0x01: fw_write16(fw, BDA_CURSOR_SHAPE, reg_x(in->ecx)); return 0;
	case 0x02: cursor_set(fw, (struct cursor){ .row = reg_hi(in->edx), .column = reg_lo(in->edx) }); return 0;
	case 0x03:
		set_x(&out->edx, (uint16_t)(c.row << 8 | c.column));
		set_x(&out->ecx, fw_read16(fw, BDA_CURSOR_SHAPE));
		return 0;
	case 0x06:
	case 0x07:
		video_scroll(fw, reg_hi(in->ecx), reg_lo(in->ecx), reg_hi(in->edx), reg_lo(in->edx), reg_lo(in->eax),
			     reg_hi(in->ebx), reg_hi(in->eax) == 0x06);
		return 0;
	case 0x08:
		set_x(&out->eax, fw_read16(fw, cell(c.row % SCREEN_ROWS, c.column % SCREEN_COLUMNS)));
		return 0;
	case 0x09: video_write_char(fw, call, true); return 0;
	case 0x0a: video_write_char(fw, call, false); return 0;
	case 0x0e: return firmware_console_put(fw, reg_lo(in->eax), stop);
	case 0x0f:
		set_lo(&out->eax, fw_read8(fw, BDA_VIDEO_MODE));
		set_hi(&out->eax, SCREEN_COLUMNS);
		set_hi(&out->ebx, 0);
		return 0;
	case 0x13: return video_write_string(fw, call, stop);
	default: return firmware_unsupported(stop, 0x10, reg_hi(in->eax));
	}
}
