/* int 13h: one drive, the case's disk image (a boot sector's whole
 * binary), read-only. A floppy (drive 00h) has the 1.44 MB geometry; a
 * hard disk (80h) 16 heads of 63 sectors and the LBA extensions. Sectors
 * past the image's end read as zeros. Status codes are the BIOS's: AH=0
 * and CF clear on success, else AH the error and CF set. */
#include "machine/firmware/firmware.h"

#define SECTOR 512u
#define STATUS_BAD_COMMAND 0x01
#define STATUS_NOT_FOUND 0x04
#define STATUS_NO_MEDIA 0xaa

struct geometry {
	uint32_t cylinders, heads, sectors;
};

static struct geometry disk_geometry(const struct firmware_config *cfg)
{
	if (cfg->drive < 0x80)
		return (struct geometry){ 80, 2, 18 };
	uint64_t per_cylinder = 16u * 63u * SECTOR;
	uint64_t cylinders = (cfg->disk_len + per_cylinder - 1) / per_cylinder;
	return (struct geometry){ (uint32_t)(cylinders ? (cylinders > 1024 ? 1024 : cylinders) : 1), 16, 63 };
}

static bool disk_present(const struct firmware *fw, uint8_t drive)
{
	return fw->cfg->disk && drive == fw->cfg->drive;
}

static void disk_status(struct doorbell_call *call, uint8_t status)
{
	set_hi(&call->out.eax, status);
	set_flag(&call->out.eflags, FLAG_CF, status != 0);
}

/* Copies count sectors from lba to physical address to. A sector beyond
 * the image reads as zeros. Returns 0, or a status. */
static uint8_t disk_read(struct firmware *fw, uint64_t lba, uint32_t count, uint64_t to)
{
	uint8_t sector[SECTOR];
	for (uint32_t i = 0; i < count; i++) {
		uint64_t at = (lba + i) * SECTOR;
		for (uint32_t b = 0; b < SECTOR; b++)
			sector[b] = at + b < fw->cfg->disk_len ? fw->cfg->disk[at + b] : 0;
		if (guest_ram_write(&fw->ram, to + (uint64_t)i * SECTOR, sector, SECTOR) < 0)
			return STATUS_BAD_COMMAND;
	}
	return 0;
}

/* AH=02h: al sectors from cylinder ch (+ cl bits 6-7 high), head dh,
 * sector cl bits 0-5, to es:bx. */
static void disk_read_chs(struct firmware *fw, struct doorbell_call *call)
{
	struct geometry g = disk_geometry(fw->cfg);
	uint32_t cl = reg_lo(call->in.ecx);
	uint32_t cylinder = reg_hi(call->in.ecx) | (cl & 0xc0) << 2;
	uint32_t sector = cl & 0x3f, head = reg_hi(call->in.edx), count = reg_lo(call->in.eax);
	if (sector == 0 || sector > g.sectors || head >= g.heads || cylinder >= g.cylinders || count == 0) {
		set_lo(&call->out.eax, 0);
		disk_status(call, STATUS_NOT_FOUND);
		return;
	}
	uint64_t lba = ((uint64_t)cylinder * g.heads + head) * g.sectors + sector - 1;
	uint64_t to = real_mode_address((uint16_t)call->in.es, reg_x(call->in.ebx));
	uint8_t status = disk_read(fw, lba, count, to);
	set_lo(&call->out.eax, status ? 0 : (uint8_t)count);
	disk_status(call, status);
}

/* AH=08h: the drive's geometry. */
static void disk_parameters(struct firmware *fw, struct doorbell_call *call)
{
	struct geometry g = disk_geometry(fw->cfg);
	uint32_t last = g.cylinders - 1;
	set_hi(&call->out.ecx, (uint8_t)last);
	set_lo(&call->out.ecx, (uint8_t)(g.sectors | (last >> 2 & 0xc0)));
	set_hi(&call->out.edx, (uint8_t)(g.heads - 1));
	set_lo(&call->out.edx, 1);
	set_lo(&call->out.ebx, fw->cfg->drive < 0x80 ? 4 : 0);
	set_x(&call->out.edi, 0);
	call->out.es = 0;
	disk_status(call, 0);
}

/* AH=42h: the disk address packet at ds:si (size, 0, count, buffer
 * offset:segment, LBA). */
static void disk_read_lba(struct firmware *fw, struct doorbell_call *call)
{
	uint64_t packet = real_mode_address((uint16_t)call->in.ds, reg_x(call->in.esi));
	uint16_t count = fw_read16(fw, packet + 2);
	uint64_t to = real_mode_address(fw_read16(fw, packet + 6), fw_read16(fw, packet + 4));
	uint64_t lba = fw_read32(fw, packet + 8) | (uint64_t)fw_read32(fw, packet + 12) << 32;
	if (fw_read8(fw, packet) < 0x10 || lba > UINT32_MAX) {
		disk_status(call, STATUS_BAD_COMMAND);
		return;
	}
	uint8_t status = disk_read(fw, lba, count, to);
	if (status)
		fw_write16(fw, packet + 2, 0);
	disk_status(call, status);
}

int bios_disk_service(void *ctx, struct doorbell_call *call, struct dev_stop *stop)
{
	struct firmware *fw = ctx;
	uint8_t ah = reg_hi(call->in.eax), drive = reg_lo(call->in.edx);
	bool hard = drive >= 0x80;
	switch (ah) {
	case 0x00: disk_status(call, disk_present(fw, drive) ? 0 : STATUS_BAD_COMMAND); return 0;
	case 0x02:
	case 0x08:
	case 0x41:
	case 0x42:
		break;
	default: return firmware_unsupported(stop, 0x13, ah);
	}
	if (!disk_present(fw, drive)) {
		disk_status(call, hard ? STATUS_BAD_COMMAND : STATUS_NO_MEDIA);
		return 0;
	}
	if (ah == 0x02)
		disk_read_chs(fw, call);
	else if (ah == 0x08)
		disk_parameters(fw, call);
	else if (!hard || (ah == 0x41 && reg_x(call->in.ebx) != 0x55aa))
		disk_status(call, STATUS_BAD_COMMAND); /* no extensions on a floppy */
	else if (ah == 0x41) {
		set_x(&call->out.ebx, 0xaa55);
		set_x(&call->out.ecx, 1); /* the packet functions */
		disk_status(call, 0);
		set_hi(&call->out.eax, 0x30);
	} else
		disk_read_lba(fw, call);
	return 0;
}
