/* int 20h and int 21h: the DOS services of character I/O, vectors, date
 * and time, version and termination, as MS-DOS does them. Output goes to
 * the console (and, through the BIOS teletype, to the screen); input is
 * the keyboard's (the case's `input`). Date and time are the case's, never
 * the host's: its `date:` (default 2000-01-01), and the time of day the
 * BIOS tick count says (which starts at its `time:`). */
#include "machine/firmware/firmware.h"

#define DOS_MAX_STRING 0x10000u /* a $-string longer than its segment has no end */
#define DOS_INVALID_HANDLE 6

int dos_terminate_service(void *ctx, struct doorbell_call *call, struct dev_stop *stop)
{
	(void)ctx, (void)call;
	return dev_stop_exit(stop, 0, "the program ended with int 20h");
}

static int dos_put(struct firmware *fw, uint8_t ch, struct dev_stop *stop)
{
	return firmware_console_put(fw, ch, stop);
}

/* AH=01h, 07h, 08h: the next key's ASCII in AL, echoed by 01h. */
static int dos_read_key(struct firmware *fw, struct doorbell_call *call, bool echo, struct dev_stop *stop)
{
	uint16_t key;
	if (!keyboard_read(fw, &key))
		return keyboard_used_up(stop, 0x21, reg_hi(call->in.eax));
	set_lo(&call->out.eax, (uint8_t)key);
	return echo ? dos_put(fw, (uint8_t)key, stop) : 0;
}

/* AH=06h: DL=FFh reads a key if one is there (ZF clear) or not (ZF set);
 * any other DL is written. */
static int dos_direct_io(struct firmware *fw, struct doorbell_call *call, struct dev_stop *stop)
{
	uint8_t dl = reg_lo(call->in.edx);
	if (dl != 0xff) {
		set_lo(&call->out.eax, dl);
		return dos_put(fw, dl, stop);
	}
	uint16_t key;
	bool ready = keyboard_read(fw, &key);
	set_lo(&call->out.eax, ready ? (uint8_t)key : 0);
	set_flag(&call->out.eflags, FLAG_ZF, !ready);
	return 0;
}

/* AH=09h: the string at ds:dx up to '$'. */
static int dos_print_string(struct firmware *fw, struct doorbell_call *call, struct dev_stop *stop)
{
	uint16_t offset = reg_x(call->in.edx);
	for (uint32_t i = 0; i < DOS_MAX_STRING; i++) {
		uint8_t ch = fw_read8(fw, real_mode_address((uint16_t)call->in.ds, (uint16_t)(offset + i)));
		if (ch == '$')
			return 0;
		if (dos_put(fw, ch, stop) < 0)
			return -1;
	}
	return dev_stop_set(stop, OUTCOME_ERROR, "int 21h AH=09h: no '$' ends the string at %04x:%04x",
			    reg_x(call->in.ds), offset);
}

/* AH=0Ah: a line into the buffer at ds:dx (byte 0 its size, byte 1 the
 * count read, then the characters and the CR). Keys are echoed, Backspace
 * takes the last one back ("\b \b"), and keys beyond the room are refused. */
static int dos_buffered_input(struct firmware *fw, struct doorbell_call *call, struct dev_stop *stop)
{
	uint64_t buffer = real_mode_address((uint16_t)call->in.ds, reg_x(call->in.edx));
	uint8_t room = fw_read8(fw, buffer);
	if (room == 0)
		return 0;
	uint8_t count = 0;
	for (;;) {
		uint16_t key;
		if (!keyboard_read(fw, &key))
			return keyboard_used_up(stop, 0x21, 0x0a);
		uint8_t ch = (uint8_t)key;
		if (ch == '\r') {
			fw_write8(fw, buffer + 2 + count, '\r');
			fw_write8(fw, buffer + 1, count);
			return dos_put(fw, '\r', stop);
		}
		if (ch == 0x08) {
			if (count == 0)
				continue;
			count--;
			if (dos_put(fw, 0x08, stop) < 0 || dos_put(fw, ' ', stop) < 0 || dos_put(fw, 0x08, stop) < 0)
				return -1;
			continue;
		}
		if (count + 1 >= room)
			continue; /* the last byte is the CR's */
		fw_write8(fw, buffer + 2 + count++, ch);
		if (dos_put(fw, ch, stop) < 0)
			return -1;
	}
}

/* AH=0Ch: the keyboard buffer holds nothing typed ahead (keys come when
 * asked for), so only the function in AL is left to run. */
static int dos_flush_and_read(struct firmware *fw, struct doorbell_call *call, struct dev_stop *stop)
{
	switch (reg_lo(call->in.eax)) {
	case 0x01: return dos_read_key(fw, call, true, stop);
	case 0x06: return dos_direct_io(fw, call, stop);
	case 0x07:
	case 0x08: return dos_read_key(fw, call, false, stop);
	case 0x0a: return dos_buffered_input(fw, call, stop);
	default: set_lo(&call->out.eax, 0); return 0;
	}
}

/* AH=40h: cx bytes at ds:dx to a handle; only stdout and stderr are open. */
static int dos_write_handle(struct firmware *fw, struct doorbell_call *call, struct dev_stop *stop)
{
	uint16_t handle = reg_x(call->in.ebx), count = reg_x(call->in.ecx), offset = reg_x(call->in.edx);
	if (handle != 1 && handle != 2) {
		set_x(&call->out.eax, DOS_INVALID_HANDLE);
		set_flag(&call->out.eflags, FLAG_CF, true);
		return 0;
	}
	for (uint16_t i = 0; i < count; i++)
		if (dos_put(fw, fw_read8(fw, real_mode_address((uint16_t)call->in.ds, (uint16_t)(offset + i))), stop) < 0)
			return -1;
	set_x(&call->out.eax, count);
	set_flag(&call->out.eflags, FLAG_CF, false);
	return 0;
}

/* AH=2Ch: the time of day from the tick count, 1193182 / 65536 ticks a second. */
static void dos_get_time(struct firmware *fw, struct doorbell_call *call)
{
	uint64_t centis = (uint64_t)fw_read32(fw, BDA_TICKS) * 65536u * 100u / 1193182u;
	set_hi(&call->out.ecx, (uint8_t)(centis / 360000 % 24));
	set_lo(&call->out.ecx, (uint8_t)(centis / 6000 % 60));
	set_hi(&call->out.edx, (uint8_t)(centis / 100 % 60));
	set_lo(&call->out.edx, (uint8_t)(centis % 100));
}

uint8_t firmware_day_of_week(uint16_t year, uint8_t month, uint8_t day)
{
	/* Sakamoto's method: January and February count in the year before */
	static const uint8_t month_offset[] = { 0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4 };
	unsigned y = year - (month < 3);
	return (uint8_t)((y + y / 4 - y / 100 + y / 400 + month_offset[(month - 1) % 12] + day) % 7);
}

/* AH=2Ah: the year in CX, month in DH, day in DL, day of the week in AL. */
static void dos_get_date(const struct firmware *fw, struct doorbell_call *call)
{
	uint16_t year = fw->cfg->year ? fw->cfg->year : 2000;
	uint8_t month = fw->cfg->year ? fw->cfg->month : 1, day = fw->cfg->year ? fw->cfg->day : 1;
	set_x(&call->out.ecx, year);
	set_hi(&call->out.edx, month);
	set_lo(&call->out.edx, day);
	set_lo(&call->out.eax, firmware_day_of_week(year, month, day));
}

static void dos_vector(struct firmware *fw, struct doorbell_call *call, bool set)
{
	uint64_t entry = reg_lo(call->in.eax) * 4u;
	if (set) {
		fw_write16(fw, entry, reg_x(call->in.edx));
		fw_write16(fw, entry + 2, (uint16_t)call->in.ds);
	} else {
		set_x(&call->out.ebx, fw_read16(fw, entry));
		call->out.es = fw_read16(fw, entry + 2);
	}
}

int dos_service(void *ctx, struct doorbell_call *call, struct dev_stop *stop)
{
	struct firmware *fw = ctx;
	struct doorbell_regs *in = &call->in, *out = &call->out;
	uint8_t ah = reg_hi(in->eax);
	switch (ah) {
	case 0x00: return dev_stop_exit(stop, 0, "the program ended with int 21h AH=00h");
	case 0x01: return dos_read_key(fw, call, true, stop);
	case 0x02: set_lo(&out->eax, reg_lo(in->edx)); return dos_put(fw, reg_lo(in->edx), stop);
	case 0x06: return dos_direct_io(fw, call, stop);
	case 0x07:
	case 0x08: return dos_read_key(fw, call, false, stop);
	case 0x09: set_lo(&out->eax, '$'); return dos_print_string(fw, call, stop);
	case 0x0a: return dos_buffered_input(fw, call, stop);
	case 0x0b: {
		uint16_t key;
		set_lo(&out->eax, keyboard_peek(fw, &key) ? 0xff : 0x00);
		return 0;
	}
	case 0x0c: return dos_flush_and_read(fw, call, stop);
	case 0x25: dos_vector(fw, call, true); return 0;
	case 0x2a: dos_get_date(fw, call); return 0;
	case 0x2c: dos_get_time(fw, call); return 0;
	case 0x30:
		set_x(&out->eax, 0x0005); /* DOS 5.0 */
		set_x(&out->ebx, 0);
		set_x(&out->ecx, 0);
		return 0;
	case 0x35: dos_vector(fw, call, false); return 0;
	case 0x40: return dos_write_handle(fw, call, stop);
	case 0x4c: {
		uint8_t code = reg_lo(in->eax);
		return dev_stop_exit(stop, code, "the program ended with int 21h AH=4Ch, code %u", code);
	}
	default: return firmware_unsupported(stop, 0x21, ah);
	}
}
