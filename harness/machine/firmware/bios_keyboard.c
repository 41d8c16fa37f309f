/* int 16h: the keyboard, typing the case's `input` one key per byte. The
 * keys are there when asked for: a program never waits, and a read with
 * nothing left to type ends the run instead of hanging it. */
#include "machine/firmware/firmware.h"

/* US layout: the scan code of each printable ASCII character, by row. */
static const struct {
	const char *plain, *shifted;
	uint8_t first_scan;
} key_rows[] = {
	{ "1234567890-=", "!@#$%^&*()_+", 0x02 },
	{ "qwertyuiop[]", "QWERTYUIOP{}", 0x10 },
	{ "asdfghjkl;'`", "ASDFGHJKL:\"~", 0x1e },
	{ "\\zxcvbnm,./", "|ZXCVBNM<>?", 0x2b },
};

static uint8_t scan_code(uint8_t ascii)
{
	switch (ascii) {
	case 0x1b: return 0x01;
	case 0x08: return 0x0e;
	case 0x09: return 0x0f;
	case 0x0d: return 0x1c;
	case ' ': return 0x39;
	}
	for (size_t r = 0; r < sizeof(key_rows) / sizeof(key_rows[0]); r++)
		for (size_t i = 0; key_rows[r].plain[i]; i++)
			if (key_rows[r].plain[i] == ascii || key_rows[r].shifted[i] == ascii)
				return (uint8_t)(key_rows[r].first_scan + i);
	return 0;
}

bool keyboard_peek(const struct firmware *fw, uint16_t *key)
{
	if (!fw->input || fw->input_pos >= fw->input->len)
		return false;
	uint8_t ascii = fw->input->data[fw->input_pos];
	if (ascii == '\n')
		ascii = '\r'; /* Enter */
	*key = (uint16_t)(scan_code(ascii) << 8 | ascii);
	return true;
}

bool keyboard_read(struct firmware *fw, uint16_t *key)
{
	if (!keyboard_peek(fw, key))
		return false;
	fw->input_pos++;
	return true;
}

int keyboard_used_up(struct dev_stop *stop, uint8_t vector, uint8_t ah)
{
	return dev_stop_set(stop, OUTCOME_ERROR, "int %02Xh AH=%02Xh waits for a key, and the case's input is used up",
			    vector, ah);
}

int bios_keyboard_service(void *ctx, struct doorbell_call *call, struct dev_stop *stop)
{
	struct firmware *fw = ctx;
	uint8_t ah = reg_hi(call->in.eax);
	uint16_t key = 0;
	switch (ah) {
	case 0x00:
	case 0x10:
		if (!keyboard_read(fw, &key))
			return keyboard_used_up(stop, 0x16, ah);
		set_x(&call->out.eax, key);
		return 0;
	case 0x01:
	case 0x11: {
		bool ready = keyboard_peek(fw, &key);
		set_flag(&call->out.eflags, FLAG_ZF, !ready);
		if (ready)
			set_x(&call->out.eax, key);
		return 0;
	}
	case 0x02: set_lo(&call->out.eax, 0); return 0; /* no shift key held */
	case 0x12: set_x(&call->out.eax, 0); return 0;
	default: return firmware_unsupported(stop, 0x16, ah);
	}
}
