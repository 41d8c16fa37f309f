#include "machine/firmware/firmware.h"

#include <stdio.h>
#include <string.h>

/* The services by vector. Every other vector's stub reaches
 * firmware_no_handler, and the vectors in quiet_vectors do nothing. */
static const struct {
	uint8_t vector;
	doorbell_service_fn fn;
	enum firmware_kind needs;
} firmware_services[] = {
	{ 0x10, bios_video_service, FIRMWARE_BIOS },
	{ 0x11, bios_equipment_service, FIRMWARE_BIOS },
	{ 0x12, bios_memory_size_service, FIRMWARE_BIOS },
	{ 0x13, bios_disk_service, FIRMWARE_BIOS },
	{ 0x15, bios_system_service, FIRMWARE_BIOS },
	{ 0x16, bios_keyboard_service, FIRMWARE_BIOS },
	{ 0x1a, bios_clock_service, FIRMWARE_BIOS },
	{ FIRMWARE_TIMER_VECTOR, bios_timer_service, FIRMWARE_BIOS },
	{ 0x20, dos_terminate_service, FIRMWARE_DOS },
	{ 0x21, dos_service, FIRMWARE_DOS },
};

/* Hardware interrupts other than the timer's (no device raises them),
 * the timer's user hook, Ctrl-Break and DOS's Ctrl-C and critical-error
 * handlers: an iret. */
static bool quiet_vector(unsigned vector)
{
	return (vector >= 0x09 && vector <= 0x0f) || (vector >= 0x70 && vector <= 0x77) || vector == 0x1b ||
	       vector == 0x1c || vector == 0x23 || vector == 0x24;
}

/* Names for the message of a service that is not there. */
static const struct {
	uint8_t vector;
	int ah; /* -1: the whole vector */
	const char *name;
} service_names[] = {
	{ 0x00, -1, "divide error" }, { 0x01, -1, "single step" }, { 0x03, -1, "breakpoint" },
	{ 0x04, -1, "overflow" }, { 0x05, -1, "print screen / bound" }, { 0x06, -1, "invalid opcode" },
	{ 0x07, -1, "no coprocessor" }, { 0x14, -1, "serial port" }, { 0x17, -1, "printer" },
	{ 0x18, -1, "ROM BASIC" }, { 0x19, -1, "bootstrap" }, { 0x33, -1, "mouse" },
	{ 0x10, 0x05, "select display page" }, { 0x10, 0x0b, "set palette" }, { 0x10, 0x0c, "write pixel" },
	{ 0x10, 0x0d, "read pixel" }, { 0x10, 0x10, "palette registers" }, { 0x10, 0x11, "character generator" },
	{ 0x10, 0x12, "alternate select" }, { 0x10, 0x1a, "display combination" }, { 0x10, 0x4f, "VESA" },
	{ 0x13, 0x01, "disk status" }, { 0x13, 0x03, "write sectors" }, { 0x13, 0x04, "verify sectors" },
	{ 0x13, 0x15, "disk type" }, { 0x13, 0x43, "extended write" }, { 0x13, 0x48, "extended drive parameters" },
	{ 0x15, 0x24, "A20 gate" }, { 0x15, 0x88, "extended memory size" }, { 0x15, 0xc0, "system configuration" },
	{ 0x15, 0xe8, "memory map" }, { 0x16, 0x03, "typematic rate" }, { 0x16, 0x05, "store keystroke" },
	{ 0x1a, 0x01, "set tick count" }, { 0x1a, 0x02, "read RTC time" }, { 0x1a, 0x04, "read RTC date" },
	{ 0x21, 0x03, "auxiliary input" }, { 0x21, 0x04, "auxiliary output" }, { 0x21, 0x05, "printer output" },
	{ 0x21, 0x0d, "disk reset" }, { 0x21, 0x0e, "select disk" }, { 0x21, 0x19, "get current disk" },
	{ 0x21, 0x1a, "set DTA" }, { 0x21, 0x2b, "set date" }, { 0x21, 0x2d, "set time" },
	{ 0x21, 0x2f, "get DTA" }, { 0x21, 0x31, "terminate and stay resident" }, { 0x21, 0x33, "Ctrl-Break check" },
	{ 0x21, 0x36, "free disk space" }, { 0x21, 0x39, "create directory" }, { 0x21, 0x3a, "remove directory" },
	{ 0x21, 0x3b, "change directory" }, { 0x21, 0x3c, "create file" }, { 0x21, 0x3d, "open file" },
	{ 0x21, 0x3e, "close file" }, { 0x21, 0x3f, "read file" }, { 0x21, 0x41, "delete file" },
	{ 0x21, 0x42, "seek" }, { 0x21, 0x43, "file attributes" }, { 0x21, 0x44, "IOCTL" },
	{ 0x21, 0x47, "get current directory" }, { 0x21, 0x48, "allocate memory" }, { 0x21, 0x49, "free memory" },
	{ 0x21, 0x4a, "resize memory block" }, { 0x21, 0x4b, "execute program" }, { 0x21, 0x4d, "get return code" },
	{ 0x21, 0x4e, "find first file" }, { 0x21, 0x4f, "find next file" }, { 0x21, 0x56, "rename file" },
	{ 0x21, 0x57, "file date and time" }, { 0x21, 0x62, "get PSP" },
};

static const char *service_name(uint8_t vector, int ah)
{
	for (size_t i = 0; i < sizeof(service_names) / sizeof(service_names[0]); i++)
		if (service_names[i].vector == vector && service_names[i].ah == ah)
			return service_names[i].name;
	return NULL;
}

int firmware_unsupported(struct dev_stop *stop, uint8_t vector, uint8_t ah)
{
	const char *name = service_name(vector, ah);
	return dev_stop_set(stop, OUTCOME_ERROR, "int %02Xh AH=%02Xh%s%s%s is not provided", vector, ah,
			    name ? " (" : "", name ? name : "", name ? ")" : "");
}

/* A vector with no service of this firmware. */
static int firmware_no_handler(void *ctx, struct doorbell_call *call, struct dev_stop *stop)
{
	const struct firmware *fw = ctx;
	uint8_t vector = (uint8_t)call->service;
	if ((vector == 0x20 || vector == 0x21) && fw->cfg->kind == FIRMWARE_BIOS)
		return dev_stop_set(stop, OUTCOME_ERROR,
				    "int %02Xh AH=%02Xh is a DOS service, and the case's firmware is bios "
				    "(DOS needs `firmware: dos` or `preset: com`)", vector, reg_hi(call->in.eax));
	const char *name = service_name(vector, -1);
	return dev_stop_set(stop, OUTCOME_ERROR, "int %02Xh%s%s%s is not provided", vector, name ? " (" : "",
			    name ? name : "", name ? ")" : "");
}

uint8_t fw_read8(const struct firmware *fw, uint64_t addr)
{
	uint8_t v = 0;
	guest_ram_read(&fw->ram, addr, &v, 1);
	return v;
}

uint16_t fw_read16(const struct firmware *fw, uint64_t addr)
{
	return (uint16_t)(fw_read8(fw, addr) | fw_read8(fw, addr + 1) << 8);
}

uint32_t fw_read32(const struct firmware *fw, uint64_t addr)
{
	return fw_read16(fw, addr) | (uint32_t)fw_read16(fw, addr + 2) << 16;
}

void fw_write8(struct firmware *fw, uint64_t addr, uint8_t v)
{
	guest_ram_write(&fw->ram, addr, &v, 1);
}

void fw_write16(struct firmware *fw, uint64_t addr, uint16_t v)
{
	fw_write8(fw, addr, (uint8_t)v);
	fw_write8(fw, addr + 1, (uint8_t)(v >> 8));
}

void fw_write32(struct firmware *fw, uint64_t addr, uint32_t v)
{
	fw_write16(fw, addr, (uint16_t)v);
	fw_write16(fw, addr + 2, (uint16_t)(v >> 16));
}

int firmware_console_put(struct firmware *fw, uint8_t ch, struct dev_stop *stop)
{
	enum sink_status status = output_sink_put(fw->console, ch);
	if (status != SINK_KEPT)
		return output_sink_stop(fw->console, status, stop);
	video_teletype(fw, ch);
	return 0;
}

bool firmware_caller(const struct guest_ram *ram, const struct cpu_state *regs, uint8_t *vector, uint16_t *cs,
		     uint16_t *ip)
{
	if (regs->seg[SEG_CS].selector != FIRMWARE_SEGMENT || regs->rip < FIRMWARE_IRET_OFFSET)
		return false;
	/* the stub's stack: the vector it pushed, then the int's ip, cs and flags */
	uint8_t frame[6];
	uint64_t sp = real_mode_address(regs->seg[SEG_SS].selector, (uint16_t)regs->gpr[GPR_ESP]);
	if (guest_ram_read(ram, sp, frame, sizeof(frame)) < 0)
		return false;
	*vector = frame[0];
	*ip = (uint16_t)((frame[2] | frame[3] << 8) - 2);
	*cs = (uint16_t)(frame[4] | frame[5] << 8);
	return true;
}

static uint16_t firmware_vector_offset(unsigned vector)
{
	if (vector == FIRMWARE_TIMER_VECTOR)
		return FIRMWARE_TIMER_OFFSET;
	return quiet_vector(vector) ? FIRMWARE_IRET_OFFSET : (uint16_t)(vector * FIRMWARE_STUB_SIZE);
}

static uint32_t ivt_entry(const struct guest_ram *ram, unsigned vector)
{
	uint8_t e[4] = { 0 };
	guest_ram_read(ram, vector * 4, e, sizeof(e));
	return (uint32_t)(e[0] | e[1] << 8) | (uint32_t)(e[2] | e[3] << 8) << 16;
}

bool firmware_timer_unhooked(const struct guest_ram *ram)
{
	const uint32_t firmware = (uint32_t)FIRMWARE_SEGMENT << 16;
	return ivt_entry(ram, FIRMWARE_TIMER_VECTOR) == (firmware | firmware_vector_offset(FIRMWARE_TIMER_VECTOR)) &&
	       ivt_entry(ram, FIRMWARE_TIMER_HOOK) == (firmware | firmware_vector_offset(FIRMWARE_TIMER_HOOK));
}

static void firmware_write_vectors(struct firmware *fw)
{
	for (unsigned v = 0; v < 256; v++) {
		uint16_t offset = firmware_vector_offset(v);
		fw_write16(fw, v * 4, offset);
		fw_write16(fw, v * 4 + 2, FIRMWARE_SEGMENT);
	}
}

static void firmware_write_bda(struct firmware *fw)
{
	uint64_t kb = fw->ram.size / 1024;
	bool floppy = fw->cfg->disk && fw->cfg->drive < 0x80;
	/* 80x25 colour, plus a floppy drive when the disk is one */
	fw_write16(fw, BDA_EQUIPMENT, floppy ? 0x0021 : 0x0020);
	fw_write16(fw, BDA_MEMORY_KB, (uint16_t)(kb < 640 ? kb : 640));
	fw_write8(fw, BDA_VIDEO_MODE, 3);
	fw_write16(fw, BDA_COLUMNS, SCREEN_COLUMNS);
	fw_write16(fw, BDA_PAGE_SIZE, 0x1000);
	fw_write16(fw, BDA_CURSOR, 0);
	fw_write16(fw, BDA_CURSOR_SHAPE, 0x0607);
	fw_write8(fw, BDA_ACTIVE_PAGE, 0);
	fw_write16(fw, BDA_CRTC_PORT, 0x3d4);
	fw_write32(fw, BDA_TICKS, firmware_ticks_at(fw->cfg->seconds_since_midnight));
	fw_write8(fw, BDA_HARD_DISKS, fw->cfg->disk && fw->cfg->drive >= 0x80 ? 1 : 0);
	fw_write8(fw, BDA_ROWS_MINUS_ONE, SCREEN_ROWS - 1);
}

static void firmware_clear_screen(struct firmware *fw)
{
	for (uint32_t i = 0; i < SCREEN_COLUMNS * SCREEN_ROWS; i++)
		fw_write16(fw, SCREEN_BASE + 2 * i, SCREEN_ATTRIBUTE << 8 | ' ');
}

/* A .COM program's PSP: int 20h at PSP:0000 (where a `ret` to the zero
 * word on the stack lands), the top of memory, the command tail at 80h. */
static void firmware_write_psp(struct firmware *fw)
{
	uint64_t psp = real_mode_address(fw->cfg->psp_segment, 0);
	fw_write16(fw, psp, 0x20cd);
	fw_write16(fw, psp + 2, 0xa000);
	const char *args = fw->cfg->args ? fw->cfg->args : "";
	size_t len = strlen(args);
	if (len > 126)
		len = 126;
	fw_write8(fw, psp + 0x80, (uint8_t)len);
	guest_ram_write(&fw->ram, psp + 0x81, args, len);
	fw_write8(fw, psp + 0x81 + len, '\r');
	/* the word a .COM's final `ret` pops: back to PSP:0000 */
	fw_write16(fw, psp + 0xfffe, 0);
}

static int firmware_register_services(struct firmware *fw, char *err, size_t err_len)
{
	doorbell_table_init(&fw->table);
	for (size_t i = 0; i < sizeof(firmware_services) / sizeof(firmware_services[0]); i++) {
		if (firmware_services[i].needs > fw->cfg->kind)
			continue;
		if (doorbell_register(&fw->table, firmware_services[i].vector, firmware_services[i].fn, fw, err,
				      err_len) < 0)
			return -1;
	}
	for (unsigned v = 0; v < 256; v++)
		if (!doorbell_lookup(&fw->table, (uint16_t)v) &&
		    doorbell_register(&fw->table, (uint16_t)v, firmware_no_handler, fw, err, err_len) < 0)
			return -1;
	return 0;
}

static int firmware_attach(void *state, const struct device_env *env, char *err, size_t err_len)
{
	if (!env->firmware || env->firmware->kind == FIRMWARE_NONE)
		return 0;
	struct firmware *fw = state;
	*fw = (struct firmware){ .cfg = env->firmware, .ram = env->ram, .console = env->console, .input = env->input,
				 .timer = env->timer };
	if (!fw->timer) {
		snprintf(err, err_len, "the firmware needs the machine's timer");
		return -1;
	}
	if (!guest_ram_contains(&fw->ram, FIRMWARE_BASE, 0x10000)) {
		snprintf(err, err_len, "the firmware needs at least %u bytes of guest RAM", FIRMWARE_MIN_MEMORY);
		return -1;
	}
	guest_ram_write(&fw->ram, FIRMWARE_BASE, firmware_image, firmware_image_len);
	firmware_write_vectors(fw);
	firmware_write_bda(fw);
	firmware_clear_screen(fw);
	if (fw->cfg->psp_segment)
		firmware_write_psp(fw);
	if (firmware_register_services(fw, err, err_len) < 0)
		return -1;
	return doorbell_claim(&fw->doorbell, env->bus, &fw->table, env->ram, env->output, err, err_len);
}

const struct device_type firmware_device = {
	.name = "firmware", .state_size = sizeof(struct firmware), .attach = firmware_attach,
};
