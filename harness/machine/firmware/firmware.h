/* firmware: kvmcheck's own BIOS and DOS, for cases that ask for one
 * (`firmware: bios` / `dos`, or a preset implying one). Its guest half
 * (guests/firmware/firmware.asm, embedded at build time) is loaded at
 * F000:0000; every interrupt vector points at a stub there that hands the
 * call to the host through the doorbell, where the services below run,
 * one file per interrupt family: bios_video.c (int 10h), bios_disk.c
 * (int 13h), bios_keyboard.c (int 16h), bios_system.c (int 11h, 12h, 15h,
 * 1Ah), dos.c (int 20h, 21h). Calls into the firmware are the firmware's
 * exits, not the student's.
 *
 * Guest memory the firmware uses: the interrupt vector table (0x0-0x3ff),
 * the BIOS data area (0x400-0x4ff), the text screen (B800:0000, 80x25
 * character and attribute bytes), its own code at 0xF0000 and its request
 * block at 0xFE000; for a .COM program, the PSP. */
#ifndef KVMCHECK_FIRMWARE_H
#define KVMCHECK_FIRMWARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"
#include "machine/dev/device.h"
#include "machine/dev/doorbell.h"
#include "machine/dev/sink.h"
#include "machine/dev/stop.h"
#include "machine/dev/timer.h"
#include "machine/guest_ram.h"
#include "x86/cpu_state.h"

#define FIRMWARE_SEGMENT 0xf000
#define FIRMWARE_BASE 0xf0000u
#define FIRMWARE_STUB_SIZE 8       /* bytes per vector's stub in firmware.asm */
#define FIRMWARE_IRET_OFFSET 0x800 /* firmware.asm's do_nothing: a lone iret */
#define FIRMWARE_TIMER_OFFSET 0x801 /* firmware.asm's timer_irq: int 08h */
#define FIRMWARE_TIMER_VECTOR 0x08
#define FIRMWARE_TIMER_HOOK 0x1c
#define FIRMWARE_LOWEST_LOAD 0x500 /* below: the vector table and the BIOS data area */
#define FIRMWARE_MIN_MEMORY 0x100000u

#define SCREEN_BASE 0xb8000u
#define SCREEN_COLUMNS 80
#define SCREEN_ROWS 25
#define SCREEN_BYTES (SCREEN_COLUMNS * SCREEN_ROWS * 2)
#define SCREEN_ATTRIBUTE 0x07      /* light grey on black */

/* BIOS data area fields (physical addresses). */
#define BDA_EQUIPMENT 0x410
#define BDA_MEMORY_KB 0x413
#define BDA_VIDEO_MODE 0x449
#define BDA_COLUMNS 0x44a
#define BDA_PAGE_SIZE 0x44c
#define BDA_CURSOR 0x450           /* page 0: column, then row */
#define BDA_CURSOR_SHAPE 0x460
#define BDA_ACTIVE_PAGE 0x462
#define BDA_CRTC_PORT 0x463
#define BDA_TICKS 0x46c
#define BDA_MIDNIGHT 0x470
#define BDA_HARD_DISKS 0x475
#define BDA_ROWS_MINUS_ONE 0x484

#define FLAG_CF 0x0001u
#define FLAG_ZF 0x0040u

/* Whether the timer's interrupt runs only the firmware's own code: int
 * 08h and int 1Ch are still the firmware's. Then a guest parked in `jmp $`
 * can never leave it. */
bool firmware_timer_unhooked(const struct guest_ram *ram);

/* The guest half, generated from firmware.asm at build time. */
extern const uint8_t firmware_image[];
extern const size_t firmware_image_len;

enum firmware_kind {
	FIRMWARE_NONE,
	FIRMWARE_BIOS, /* int 10h, 11h, 12h, 13h, 15h, 16h, 1Ah */
	FIRMWARE_DOS,  /* the BIOS and int 20h, 21h */
};

/* What a run's firmware is given. */
struct firmware_config {
	enum firmware_kind kind;
	const uint8_t *disk;   /* int 13h's one drive (a boot sector's whole image), or NULL */
	size_t disk_len;
	uint8_t drive;         /* that drive's number: 0x00 floppy, 0x80 hard disk */
	uint16_t psp_segment;  /* where a .COM program's PSP is built; 0: none */
	const char *args;      /* the PSP's command tail, or NULL */
	/* The clock at the start (the case's `date:` and `time:`): int 21h
	 * AH=2Ah's date, and the tick count since midnight that int 1Ah AH=00h
	 * and int 21h AH=2Ch read. year 0: 2000-01-01; both default to what a
	 * run always started with, never the host's clock. */
	uint16_t year;
	uint8_t month, day;
	uint32_t seconds_since_midnight;
};

/* One run's firmware: the device's state. */
struct firmware {
	const struct firmware_config *cfg;
	struct guest_ram ram;
	struct output_sink *console;
	const struct bytes *input; /* what the keyboard types, the case's `input` */
	size_t input_pos;
	struct pc_timer *timer;    /* the PIT and PIC, in virtual time */
	uint64_t wait_rest;        /* int 15h 86h's wait below one PIT clock, in 1/1000000 clocks */
	struct doorbell_table table;
	struct doorbell doorbell;
};

extern const struct device_type firmware_device;

/* The services, one per interrupt family (doorbell_service_fn, ctx the
 * struct firmware). */
int bios_video_service(void *ctx, struct doorbell_call *call, struct dev_stop *stop);
int bios_disk_service(void *ctx, struct doorbell_call *call, struct dev_stop *stop);
int bios_keyboard_service(void *ctx, struct doorbell_call *call, struct dev_stop *stop);
int bios_equipment_service(void *ctx, struct doorbell_call *call, struct dev_stop *stop);
int bios_memory_size_service(void *ctx, struct doorbell_call *call, struct dev_stop *stop);
int bios_system_service(void *ctx, struct doorbell_call *call, struct dev_stop *stop);
int bios_clock_service(void *ctx, struct doorbell_call *call, struct dev_stop *stop);
int bios_timer_service(void *ctx, struct doorbell_call *call, struct dev_stop *stop);
int dos_terminate_service(void *ctx, struct doorbell_call *call, struct dev_stop *stop);
int dos_service(void *ctx, struct doorbell_call *call, struct dev_stop *stop);

/* The BIOS tick count (18.2 a second) at a time of day, rounded up so
 * that int 21h AH=2Ch, converting the ticks back, gives that very second. */
uint32_t firmware_ticks_at(uint32_t seconds_since_midnight);

/* 0 for Sunday to 6 for Saturday, as int 21h AH=2Ah returns it in AL;
 * Gregorian, any year from 1 on. */
uint8_t firmware_day_of_week(uint16_t year, uint8_t month, uint8_t day);

/* Ends the run with outcome error: "int 21h AH=3Dh (open file) is not
 * provided". Returns -1. */
int firmware_unsupported(struct dev_stop *stop, uint8_t vector, uint8_t ah);

/* A character of the firmware's output: to the console output and, as the
 * BIOS teletype writes it, to the screen. Returns 0, or -1 with stop filled
 * (the console output over its limit). */
int firmware_console_put(struct firmware *fw, uint8_t ch, struct dev_stop *stop);

/* The BIOS teletype (int 10h AH=0Eh) on the screen: BEL, BS, LF and CR
 * move the cursor, other characters are written and advance it, and the
 * screen scrolls up past the last row. */
void video_teletype(struct firmware *fw, uint8_t ch);

/* The keyboard: the case's input as typed keys, LF typed as Enter (CR).
 * key is scan code << 8 | ASCII. Both return false when the input is used up. */
bool keyboard_peek(const struct firmware *fw, uint16_t *key);
bool keyboard_read(struct firmware *fw, uint16_t *key);

/* Ends the run when a call must wait for a key and none will come: outcome
 * error, "int 16h AH=00h waits for a key, and the case's input is used up". */
int keyboard_used_up(struct dev_stop *stop, uint8_t vector, uint8_t ah);

/* When regs stand in the firmware (a service ended the run there), the
 * interrupt the guest called and where: the `int n` before the return
 * address the CPU pushed. False when regs are elsewhere. */
bool firmware_caller(const struct guest_ram *ram, const struct cpu_state *regs, uint8_t *vector, uint16_t *cs,
		     uint16_t *ip);

/* Little helpers on guest RAM; outside RAM reads as 0 and writes are dropped
 * (the firmware's own areas are inside RAM: the loader makes sure). */
uint8_t fw_read8(const struct firmware *fw, uint64_t addr);
uint16_t fw_read16(const struct firmware *fw, uint64_t addr);
uint32_t fw_read32(const struct firmware *fw, uint64_t addr);
void fw_write8(struct firmware *fw, uint64_t addr, uint8_t v);
void fw_write16(struct firmware *fw, uint64_t addr, uint16_t v);
void fw_write32(struct firmware *fw, uint64_t addr, uint32_t v);

/* Parts of the 32-bit registers a call carries. */
static inline uint8_t reg_lo(uint32_t r) { return (uint8_t)r; }
static inline uint8_t reg_hi(uint32_t r) { return (uint8_t)(r >> 8); }
static inline uint16_t reg_x(uint32_t r) { return (uint16_t)r; }
static inline void set_lo(uint32_t *r, uint8_t v) { *r = (*r & ~0xffu) | v; }
static inline void set_hi(uint32_t *r, uint8_t v) { *r = (*r & ~0xff00u) | (uint32_t)v << 8; }
static inline void set_x(uint32_t *r, uint16_t v) { *r = (*r & ~0xffffu) | v; }
static inline void set_flag(uint32_t *flags, uint32_t flag, bool on) { *flags = on ? *flags | flag : *flags & ~flag; }

#endif
