/* Unit tests for the doorbell (dev/doorbell.c) and guest_ram.c: the request
 * block's checks and codec against a RAM buffer, and real guests, assembled
 * by nasm, that ring it on both backends (kvm where /dev/kvm works). */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "machine/dev/doorbell.h"
#include "machine/guest_ram.h"
#include "machine/machine.h"
#include "run/worker.h"
#include "testutil.h"

#define RAM_SIZE 4096u
#define SERVICE_NEXT 0x42   /* every register plus one, ds and es swapped, CF set */
#define SERVICE_UPCASE 0x43 /* cx bytes at ds:si to es:di in upper case; ax = bytes copied */

static uint8_t ram_bytes[RAM_SIZE];
static struct guest_ram ram = { .base = ram_bytes, .size = RAM_SIZE };
static struct doorbell_table table;
static char err[200];

static int service_next(void *ctx, struct doorbell_call *call, struct dev_stop *stop)
{
	(void)ctx, (void)stop;
	const struct doorbell_regs *in = &call->in;
	struct doorbell_regs *out = &call->out;
	out->eax = in->eax + 1;
	out->ebx = in->ebx + 1;
	out->ecx = in->ecx + 1;
	out->edx = in->edx + 1;
	out->esi = in->esi + 1;
	out->edi = in->edi + 1;
	out->ebp = in->ebp + 1;
	out->ds = in->es;
	out->es = in->ds;
	out->eflags = in->eflags | 1;
	return 0;
}

static int service_upcase(void *ctx, struct doorbell_call *call, struct dev_stop *stop)
{
	(void)ctx;
	uint8_t text[256];
	uint16_t len = (uint16_t)call->in.ecx;
	if (len > sizeof(text))
		return dev_stop_set(stop, OUTCOME_ERROR, "upcase: %u bytes is too long", len);
	uint64_t from = real_mode_address((uint16_t)call->in.ds, (uint16_t)call->in.esi);
	uint64_t to = real_mode_address((uint16_t)call->in.es, (uint16_t)call->in.edi);
	if (guest_ram_read(call->ram, from, text, len) < 0)
		return dev_stop_set(stop, OUTCOME_ERROR, "upcase: ds:si is outside RAM");
	for (uint16_t i = 0; i < len; i++)
		text[i] = (uint8_t)toupper(text[i]);
	if (guest_ram_write(call->ram, to, text, len) < 0)
		return dev_stop_set(stop, OUTCOME_ERROR, "upcase: es:di is outside RAM");
	call->out.eax = len;
	return 0;
}

static int service_over_limit(void *ctx, struct doorbell_call *call, struct dev_stop *stop)
{
	(void)ctx, (void)call;
	return dev_stop_set(stop, OUTCOME_OUTPUT_LIMIT, "serial output beyond its limit of 0 bytes");
}

static void table_init(void)
{
	memset(ram_bytes, 0, sizeof(ram_bytes));
	doorbell_table_init(&table);
	cr_assert_eq(doorbell_register(&table, SERVICE_NEXT, service_next, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(doorbell_register(&table, SERVICE_UPCASE, service_upcase, NULL, err, sizeof(err)), 0, "%s", err);
}

static void put32(uint64_t at, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		ram_bytes[at + i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(uint64_t at)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v |= (uint32_t)ram_bytes[at + i] << (8 * i);
	return v;
}

/* A well-formed block at `at` asking for service, each register in = base + its slot. */
static void block_write(uint64_t at, uint16_t service, uint32_t base)
{
	put32(at, DOORBELL_MAGIC);
	ram_bytes[at + 4] = DOORBELL_VERSION;
	ram_bytes[at + 5] = 0;
	ram_bytes[at + 6] = (uint8_t)service;
	ram_bytes[at + 7] = (uint8_t)(service >> 8);
	for (uint32_t i = 0; i < 10; i++)
		put32(at + DOORBELL_IN_OFFSET + 4 * i, base + i);
}

/* ---- guest_ram ---------------------------------------------------------- */

struct range_case {
	uint64_t addr, len;
	bool inside;
};

static const struct range_case ranges[] = {
	{ 0, RAM_SIZE, true },     { 1, RAM_SIZE, false },   { RAM_SIZE, 0, true },
	{ RAM_SIZE, 1, false },    { RAM_SIZE - 1, 1, true }, { RAM_SIZE - 1, 2, false },
	{ UINT64_MAX, 2, false },  { 2, UINT64_MAX, false }, { UINT64_MAX - RAM_SIZE + 1, RAM_SIZE, false },
};

Test(guest_ram, accesses_are_refused_unless_wholly_inside)
{
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		const struct range_case *c = &ranges[i];
		cr_assert_eq(guest_ram_contains(&ram, c->addr, c->len), c->inside, "0x%llx+0x%llx",
			     (unsigned long long)c->addr, (unsigned long long)c->len);
	}
	uint8_t buf[4] = { 1, 2, 3, 4 };
	memset(ram_bytes, 0, sizeof(ram_bytes));
	cr_assert_eq(guest_ram_write(&ram, RAM_SIZE - 2, buf, 4), -1);
	cr_assert_eq(ram_bytes[RAM_SIZE - 2], 0, "nothing is written by a refused access");
	cr_assert_eq(guest_ram_write(&ram, RAM_SIZE - 4, buf, 4), 0);
	uint8_t back[4] = {0};
	cr_assert_eq(guest_ram_read(&ram, RAM_SIZE - 4, back, 4), 0);
	cr_assert_eq(memcmp(back, buf, 4), 0);
	cr_assert_eq(guest_ram_read(&ram, RAM_SIZE - 3, back, 4), -1);
	cr_assert_eq(real_mode_address(0xffff, 0xffff), 0x10ffefu);
}

/* The stretches guest_ram_each_touched visits, recorded by a visitor
 * that never stops the walk. */
static struct {
	const uint8_t *p[8];
	size_t n[8];
	int count;
} seen;

static bool record_stretch(const uint8_t *p, size_t n, void *ctx)
{
	(void)ctx;
	if (seen.count < 8) {
		seen.p[seen.count] = p;
		seen.n[seen.count] = n;
	}
	seen.count++;
	return false;
}

static bool find_byte_5a(const uint8_t *p, size_t n, void *ctx)
{
	(void)ctx;
	return memchr(p, 0x5a, n) != NULL;
}

/* Only touched pages are visited (with one byte more), untouched ones are
 * left unmapped, and a byte on a touched page is found wherever it is. */
Test(guest_ram, only_touched_pages_are_visited)
{
	enum { PAGES = 64 };
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len = PAGES * page;
	uint8_t *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(mem, MAP_FAILED);
	mem[5 * page + 7] = 1;
	mem[6 * page] = 1;
	mem[40 * page + page - 1] = 0x5a;
	mem[PAGES * page - 1] = 1;
	seen.count = 0;
	cr_assert_eq(guest_ram_each_touched(mem, len, record_stretch, NULL), 0);
	cr_assert_eq(seen.count, 3);
	cr_assert_eq(seen.p[0], mem + 5 * page);
	cr_assert_eq(seen.n[0], 2 * page + 1, "pages 5 and 6 and the first byte of 7");
	cr_assert_eq(seen.p[1], mem + 40 * page);
	cr_assert_eq(seen.n[1], page + 1);
	cr_assert_eq(seen.p[2], mem + (PAGES - 1) * page);
	cr_assert_eq(seen.n[2], page, "nothing after the end");
	unsigned char resident[PAGES];
	cr_assert_eq(mincore(mem, len, resident), 0);
	cr_assert_eq(resident[20] & 1, 0, "an untouched page was not faulted in");
	cr_assert_eq(guest_ram_each_touched(mem, len, find_byte_5a, NULL), 1);
	mem[40 * page + page - 1] = 0;
	cr_assert_eq(guest_ram_each_touched(mem, len, find_byte_5a, NULL), 0);
	munmap(mem, len);
}

/* A process forked after a walk (a pool process after kvmcheck's own, a
 * worker after its pool process) walks its own pages, not its parent's:
 * a page only the child touched is found there. */
Test(guest_ram, a_forked_child_walks_its_own_pages)
{
	enum { PAGES = 16 };
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len = PAGES * page;
	uint8_t *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(mem, MAP_FAILED);
	mem[0] = 1;
	cr_assert_eq(guest_ram_each_touched(mem, len, find_byte_5a, NULL), 0);
	pid_t child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		mem[10 * page] = 0x5a; /* present in the child's map alone */
		_exit(guest_ram_each_touched(mem, len, find_byte_5a, NULL) == 1 ? 0 : 1);
	}
	int status;
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child walked its parent's pages");
	cr_assert_eq(guest_ram_each_touched(mem, len, find_byte_5a, NULL), 0, "the parent's own pages again");
	munmap(mem, len);
}

/* ---- the service table --------------------------------------------------- */

TestSuite(doorbell, .init = table_init);

Test(doorbell, registration_refuses_duplicates_missing_functions_and_overflow)
{
	cr_assert_eq(doorbell_register(&table, SERVICE_NEXT, service_upcase, NULL, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "doorbell: service 66 is registered already");
	cr_assert_eq(doorbell_lookup(&table, SERVICE_NEXT)->fn, service_next, "the first one stays");
	cr_assert_eq(doorbell_register(&table, 9, NULL, NULL, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "doorbell: service 9 has no function");
	cr_assert_null(doorbell_lookup(&table, 9));
	for (uint16_t id = 1000; table.count < DOORBELL_MAX_SERVICES; id++)
		cr_assert_eq(doorbell_register(&table, id, service_next, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(doorbell_register(&table, 7, service_next, NULL, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "no room for service 7"), "%s", err);
}

/* ---- ringing with a block in RAM ----------------------------------------- */

Test(doorbell, a_ring_passes_the_registers_in_and_writes_them_out)
{
	block_write(0x100, SERVICE_NEXT, 0x1000);
	uint8_t before[DOORBELL_OUT_OFFSET];
	memcpy(before, ram_bytes + 0x100, sizeof(before));
	struct dev_stop stop;
	cr_assert_eq(doorbell_ring(&table, &ram, NULL, 0x100, &stop), 0, "%s", stop.reason);
	const uint32_t want[10] = { 0x1001, 0x1002, 0x1003, 0x1004, 0x1005, 0x1006, 0x1007,
				    0x1008 /* es in */, 0x1007 /* ds in */, 0x1009 | 1 };
	for (int i = 0; i < 10; i++)
		cr_assert_eq(get32(0x100 + DOORBELL_OUT_OFFSET + 4 * i), want[i], "out slot %d: 0x%x", i,
			     get32(0x100 + DOORBELL_OUT_OFFSET + 4 * i));
	cr_assert_eq(memcmp(before, ram_bytes + 0x100, sizeof(before)), 0, "header and in are left alone");
	cr_assert_eq(ram_bytes[0xff], 0);
	cr_assert_eq(ram_bytes[0x100 + DOORBELL_BLOCK_SIZE], 0, "nothing after the block");
}

Test(doorbell, out_starts_as_a_copy_of_in)
{
	block_write(0x200, SERVICE_UPCASE, 0);
	/* ds=0 si=0x300 es=0 di=0x400 cx=3 */
	put32(0x200 + DOORBELL_IN_OFFSET + 4 * 2, 3);
	put32(0x200 + DOORBELL_IN_OFFSET + 4 * 4, 0x300);
	put32(0x200 + DOORBELL_IN_OFFSET + 4 * 5, 0x400);
	put32(0x200 + DOORBELL_IN_OFFSET + 4 * 7, 0);
	put32(0x200 + DOORBELL_IN_OFFSET + 4 * 8, 0);
	memcpy(ram_bytes + 0x300, "abc", 3);
	struct dev_stop stop;
	cr_assert_eq(doorbell_ring(&table, &ram, NULL, 0x200, &stop), 0, "%s", stop.reason);
	cr_assert_eq(memcmp(ram_bytes + 0x400, "ABC", 3), 0);
	cr_assert_eq(get32(0x200 + DOORBELL_OUT_OFFSET), 3, "ax: bytes copied");
	cr_assert_eq(get32(0x200 + DOORBELL_OUT_OFFSET + 4 * 1), 1, "bx as passed");
	cr_assert_eq(get32(0x200 + DOORBELL_OUT_OFFSET + 4 * 9), 9, "flags as passed");
}

Test(doorbell, a_block_at_the_very_end_of_ram_is_served)
{
	block_write(RAM_SIZE - DOORBELL_BLOCK_SIZE, SERVICE_NEXT, 0);
	struct dev_stop stop;
	cr_assert_eq(doorbell_ring(&table, &ram, NULL, RAM_SIZE - DOORBELL_BLOCK_SIZE, &stop), 0, "%s", stop.reason);
	cr_assert_eq(get32(RAM_SIZE - 4), 9 | 1);
}

struct bad_block {
	const char *what;
	uint64_t at;
	uint32_t magic;
	uint16_t version;
	uint16_t service;
	const char *reason;
};

static const struct bad_block bad_blocks[] = {
	{ "runs past RAM", RAM_SIZE - DOORBELL_BLOCK_SIZE + 1, DOORBELL_MAGIC, 1, SERVICE_NEXT,
	  "doorbell: request block at 0xfa9 is not inside guest RAM (4096 bytes)" },
	{ "starts at the end of RAM", RAM_SIZE, 0, 0, 0,
	  "doorbell: request block at 0x1000 is not inside guest RAM (4096 bytes)" },
	{ "far outside", 0xfffffff0u, 0, 0, 0,
	  "doorbell: request block at 0xfffffff0 is not inside guest RAM (4096 bytes)" },
	{ "no magic", 0x80, 0, 1, SERVICE_NEXT,
	  "doorbell: no request block at 0x80 (magic 0x00000000, not 0x4244564b)" },
	{ "another version", 0x80, DOORBELL_MAGIC, 2, SERVICE_NEXT,
	  "doorbell: request block at 0x80 is version 2; kvmcheck speaks 1" },
	{ "unknown service", 0x80, DOORBELL_MAGIC, 1, 7, "doorbell: unknown service 7" },
};

Test(doorbell, malformed_blocks_and_unknown_services_end_the_run_with_an_error)
{
	for (size_t i = 0; i < sizeof(bad_blocks) / sizeof(bad_blocks[0]); i++) {
		const struct bad_block *c = &bad_blocks[i];
		memset(ram_bytes, 0, sizeof(ram_bytes));
		if (c->at + DOORBELL_BLOCK_SIZE <= RAM_SIZE) {
			block_write(c->at, c->service, 0x10);
			put32(c->at, c->magic);
			ram_bytes[c->at + 4] = (uint8_t)c->version;
		}
		struct dev_stop stop = {0};
		cr_assert_eq(doorbell_ring(&table, &ram, NULL, c->at, &stop), -1, "%s", c->what);
		cr_assert_eq(stop.outcome, OUTCOME_ERROR, "%s", c->what);
		cr_assert_str_eq(stop.reason, c->reason, "%s", c->what);
		if (c->at < RAM_SIZE - DOORBELL_BLOCK_SIZE)
			cr_assert_eq(get32(c->at + DOORBELL_OUT_OFFSET), 0, "%s: out not written", c->what);
	}
}

Test(doorbell, a_service_can_end_the_run_its_own_way)
{
	cr_assert_eq(doorbell_register(&table, 5, service_over_limit, NULL, err, sizeof(err)), 0, "%s", err);
	block_write(0, 5, 0);
	struct dev_stop stop;
	cr_assert_eq(doorbell_ring(&table, &ram, NULL, 0, &stop), -1);
	cr_assert_eq(stop.outcome, OUTCOME_OUTPUT_LIMIT);
	cr_assert_str_eq(stop.reason, "serial output beyond its limit of 0 bytes");
	cr_assert_eq(get32(DOORBELL_OUT_OFFSET), 0, "a failed service's out is not written");
}

Test(doorbell, a_service_cannot_reach_past_ram)
{
	block_write(0, SERVICE_UPCASE, 0);
	put32(DOORBELL_IN_OFFSET + 4 * 2, 4);           /* cx */
	put32(DOORBELL_IN_OFFSET + 4 * 4, 0x10);        /* si */
	put32(DOORBELL_IN_OFFSET + 4 * 5, 0xfffe);      /* di */
	put32(DOORBELL_IN_OFFSET + 4 * 7, 0);           /* ds */
	put32(DOORBELL_IN_OFFSET + 4 * 8, 0x00ff);      /* es: es:di is 0x10ee, past 4 KiB */
	struct dev_stop stop;
	cr_assert_eq(doorbell_ring(&table, &ram, NULL, 0, &stop), -1);
	cr_assert_str_eq(stop.reason, "upcase: es:di is outside RAM");
}

/* ---- the doorbell on the port bus ---------------------------------------- */

static struct pio_bus bus;
static _Alignas(max_align_t) uint8_t doorbell_state[256];

static void attach(const struct doorbell_table *services)
{
	cr_assert(doorbell_device.state_size <= sizeof(doorbell_state));
	pio_bus_init(&bus);
	struct device_env env = { .bus = &bus, .ram = ram, .services = services };
	cr_assert_eq(doorbell_device.attach(doorbell_state, &env, err, sizeof(err)), 0, "%s", err);
}

Test(doorbell, no_services_no_port)
{
	attach(NULL);
	cr_assert_eq(bus.count, 0);
	cr_assert_null(pio_device_at(&bus, DOORBELL_PORT));
}

Test(doorbell, with_services_it_claims_four_firmware_ports_that_read_the_magic)
{
	attach(&table);
	for (uint16_t p = DOORBELL_PORT; p < DOORBELL_PORT + 4; p++)
		cr_assert(pio_is_firmware(&bus, p), "port 0x%x", p);
	cr_assert_null(pio_device_at(&bus, DOORBELL_PORT - 1));
	cr_assert_null(pio_device_at(&bus, DOORBELL_PORT + 4));
	uint8_t in[4];
	struct dev_stop stop;
	cr_assert_eq(pio_read(&bus, DOORBELL_PORT, in, 4, &stop), 0);
	cr_assert_eq(memcmp(in, "KVDB", 4), 0);
}

struct bad_ring {
	uint16_t port;
	uint8_t size;
	const char *reason;
};

static const struct bad_ring bad_rings[] = {
	{ DOORBELL_PORT, 1, "doorbell: a ring is a 32-bit out to port 0x510, not a 1-byte write to 0x510" },
	{ DOORBELL_PORT, 2, "doorbell: a ring is a 32-bit out to port 0x510, not a 2-byte write to 0x510" },
	{ DOORBELL_PORT + 1, 4, "doorbell: a ring is a 32-bit out to port 0x510, not a 3-byte write to 0x511" },
	{ DOORBELL_PORT - 2, 4, "doorbell: a ring is a 32-bit out to port 0x510, not a 2-byte write to 0x510" },
};

Test(doorbell, a_ring_must_be_one_32_bit_write_to_its_port)
{
	attach(&table);
	block_write(0, SERVICE_NEXT, 0);
	for (size_t i = 0; i < sizeof(bad_rings) / sizeof(bad_rings[0]); i++) {
		const uint8_t zero[4] = {0};
		struct dev_stop stop = {0};
		cr_assert_eq(pio_write(&bus, bad_rings[i].port, zero, bad_rings[i].size, &stop), -1, "ring %zu", i);
		cr_assert_eq(stop.outcome, OUTCOME_ERROR);
		cr_assert_str_eq(stop.reason, bad_rings[i].reason);
	}
	const uint8_t addr0[4] = {0};
	struct dev_stop stop;
	cr_assert_eq(pio_write(&bus, DOORBELL_PORT, addr0, 4, &stop), 0, "%s", stop.reason);
	cr_assert_eq(get32(DOORBELL_OUT_OFFSET), 1);
}

/* ---- real guests on both backends ---------------------------------------- */

/* Rings SERVICE_NEXT and prints the low byte of each register it returns,
 * then SERVICE_UPCASE and prints what it wrote; BLOCK_AT and FIRST_SERVICE
 * are defined before this text. */
static const char guest_source[] =
	"bits 16\n"
	"org 0\n"
	"\tmov dword [block], 0x4244564b\n"
	"\tmov word [block+4], 1\n"
	"\tmov word [block+6], FIRST_SERVICE\n"
	"\tmov si, block+8\n"
	"\tmov eax, 'a'\n"
	"fill:\tmov [si], eax\n"
	"\tinc eax\n"
	"\tadd si, 4\n"
	"\tcmp si, block+8+7*4\n"
	"\tjne fill\n"
	"\tmov dword [block+36], 'D'\n"
	"\tmov dword [block+40], 'E'\n"
	"\tmov dword [block+44], '@'\n"
	"\tmov dx, 0x510\n"
	"\tmov eax, BLOCK_AT\n"
	"\tout dx, eax\n"
	"\tmov si, block+48\n"
	"\tmov cx, 10\n"
	"\tmov dx, 0x3f8\n"
	"print:\tmov al, [si]\n"
	"\tout dx, al\n"
	"\tadd si, 4\n"
	"\tloop print\n"
	"\tmov word [block+6], 0x43\n"
	"\tmov dword [block+16], 5\n"       /* cx */
	"\tmov dword [block+24], greeting\n" /* si */
	"\tmov dword [block+28], shout\n"    /* di */
	"\tmov dword [block+36], 0\n"        /* ds */
	"\tmov dword [block+40], 0\n"        /* es */
	"\tmov dx, 0x510\n"
	"\tmov eax, BLOCK_AT\n"
	"\tout dx, eax\n"
	"\tmov cx, [block+48]\n"             /* ax out: bytes copied */
	"\tmov si, shout\n"
	"\tmov dx, 0x3f8\n"
	"\tcld\n"
	"\trep outsb\n"
	"\thlt\n"
	"greeting: db 'hello'\n"
	"shout: times 5 db 0\n"
	"align 4\n"
	"block: times 88 db 0\n";

#define GUEST_OUTPUT "bcdefghEDAHELLO"
#define GUEST_EXITS 16 /* 10 outs, a rep outsb of 5, hlt */
#define GUEST_RINGS 2

/* Assembles guest_source behind defines into *len bytes (malloc'd). */
static uint8_t *assemble_guest(const char *defines, size_t *len)
{
	char dir[300], src[400], bin[400], cmd[1000];
	tu_tmpdir_make(dir, sizeof(dir));
	tu_path(src, sizeof(src), dir, "g.asm");
	tu_path(bin, sizeof(bin), dir, "g.bin");
	FILE *f = fopen(src, "w");
	cr_assert_not_null(f);
	fprintf(f, "%s\n%s", defines, guest_source);
	cr_assert_eq(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "nasm -f bin -o '%s' '%s'", bin, src);
	cr_assert_eq(system(cmd), 0, "nasm failed");
	f = fopen(bin, "rb");
	cr_assert_not_null(f);
	uint8_t *bytes = malloc(4096);
	cr_assert_not_null(bytes);
	*len = fread(bytes, 1, 4096, f);
	fclose(f);
	cr_assert(tu_tmpdir_remove(dir));
	return bytes;
}

static struct run_result result;

static void result_fini(void)
{
	run_result_free(&result);
}

static const struct backend_ops *backend_named(const char *name)
{
	if (strcmp(name, "emu") == 0)
		return &backend_emu;
	char why[200];
	if (!backend_kvm.available(why, sizeof(why)))
		cr_skip_test("no KVM here: %s", why);
	return &backend_kvm;
}

static void run_guest(const char *backend, const char *defines, uint64_t max_exits,
		      const struct doorbell_table *services)
{
	size_t len = 0;
	uint8_t *image = assemble_guest(defines, &len);
	struct machine_config cfg = {
		.image = image, .image_len = len, .memory_size = 1u << 20, .max_exits = max_exits,
		.timeout_ms = 5000, .output_limit = 1024, .doorbell = services,
	};
	cpu_state_reset(&cfg.initial);
	memset(&result, 0, sizeof(result));
	machine_run(backend_named(backend), &cfg, &result);
	free(image);
}

TestSuite(doorbell_guest, .init = table_init, .fini = result_fini);

static void serves_and_counts_apart(const char *backend)
{
	run_guest(backend, "%define FIRST_SERVICE 0x42\n%define BLOCK_AT block", GUEST_EXITS, &table);
	cr_assert_eq(result.outcome, OUTCOME_HLT, "%s: %s", backend, result.message ? result.message : "");
	cr_assert_eq(result.output.len, strlen(GUEST_OUTPUT));
	cr_assert_eq(memcmp(result.output.data, GUEST_OUTPUT, result.output.len), 0, "%s: %.*s", backend,
		     (int)result.output.len, result.output.data);
	cr_assert_eq(result.exits, GUEST_EXITS, "%s: the rings cost the guest nothing", backend);
	cr_assert_eq(result.firmware_exits, GUEST_RINGS, "%s", backend);
}

Test(doorbell_guest, serves_requests_and_counts_them_apart_on_emu) { serves_and_counts_apart("emu"); }
Test(doorbell_guest, serves_requests_and_counts_them_apart_on_kvm) { serves_and_counts_apart("kvm"); }

static void guest_budget_still_binds(const char *backend)
{
	run_guest(backend, "%define FIRST_SERVICE 0x42\n%define BLOCK_AT block", GUEST_EXITS - 1, &table);
	cr_assert_eq(result.outcome, OUTCOME_MAX_EXITS, "%s", backend);
	cr_assert_eq(result.exits, GUEST_EXITS - 1, "%s", backend);
	cr_assert_eq(result.firmware_exits, GUEST_RINGS, "%s", backend);
}

Test(doorbell_guest, the_guests_own_exits_still_spend_the_budget_on_emu) { guest_budget_still_binds("emu"); }
Test(doorbell_guest, the_guests_own_exits_still_spend_the_budget_on_kvm) { guest_budget_still_binds("kvm"); }

static void unknown_service(const char *backend)
{
	run_guest(backend, "%define FIRST_SERVICE 7\n%define BLOCK_AT block", 100, &table);
	cr_assert_eq(result.outcome, OUTCOME_ERROR, "%s", backend);
	cr_assert_not(result.host_fault, "the guest asked for it");
	cr_assert_not_null(result.message);
	static const char want[] = "doorbell: unknown service 7 (guest at 0000:";
	cr_assert_eq(strncmp(result.message, want, strlen(want)), 0, "%s: %s", backend, result.message);
	cr_assert_eq(result.output.len, 0);
	cr_assert_eq(result.exits, 0);
	cr_assert_eq(result.firmware_exits, 1);
}

Test(doorbell_guest, an_unknown_service_is_an_error_on_emu) { unknown_service("emu"); }
Test(doorbell_guest, an_unknown_service_is_an_error_on_kvm) { unknown_service("kvm"); }

static void block_outside_ram(const char *backend)
{
	run_guest(backend, "%define FIRST_SERVICE 0x42\n%define BLOCK_AT 0xfffd0", 100, &table);
	cr_assert_eq(result.outcome, OUTCOME_ERROR, "%s", backend);
	cr_assert_not_null(result.message);
	cr_assert_not_null(strstr(result.message, "doorbell: request block at 0xfffd0 is not inside guest RAM "
						  "(1048576 bytes)"), "%s: %s", backend, result.message);
	cr_assert_eq(result.output.len, 0);
}

Test(doorbell_guest, a_block_outside_ram_is_refused_on_emu) { block_outside_ram("emu"); }
Test(doorbell_guest, a_block_outside_ram_is_refused_on_kvm) { block_outside_ram("kvm"); }

/* Without services the port is any unclaimed port: the ring is dropped. */
static void no_firmware_no_doorbell(const char *backend)
{
	run_guest(backend, "%define FIRST_SERVICE 7\n%define BLOCK_AT block", 100, NULL);
	cr_assert_eq(result.outcome, OUTCOME_HLT, "%s", backend);
	cr_assert_eq(result.firmware_exits, 0);
	/* Ten outs of the untouched (zero) out slots, the two dropped rings, hlt;
	 * the zero byte count left in the out area makes rep outsb do nothing. */
	cr_assert_eq(result.exits, 13, "%s: the two rings are the guest's", backend);
	cr_assert_eq(result.output.len, 10);
	for (size_t i = 0; i < result.output.len; i++)
		cr_assert_eq(result.output.data[i], 0, "%s: byte %zu", backend, i);
}

Test(doorbell_guest, without_services_the_port_is_unclaimed_on_emu) { no_firmware_no_doorbell("emu"); }
Test(doorbell_guest, without_services_the_port_is_unclaimed_on_kvm) { no_firmware_no_doorbell("kvm"); }

static void probe(const char *backend, const struct doorbell_table *services, uint32_t want)
{
	/* mov dx,0x510; in eax,dx; hlt */
	static const uint8_t code[] = { 0xba, 0x10, 0x05, 0x66, 0xed, 0xf4 };
	struct machine_config cfg = {
		.image = code, .image_len = sizeof(code), .memory_size = 1u << 20, .max_exits = 10,
		.timeout_ms = 5000, .output_limit = 1024, .doorbell = services,
	};
	cpu_state_reset(&cfg.initial);
	memset(&result, 0, sizeof(result));
	machine_run(backend_named(backend), &cfg, &result);
	cr_assert_eq(result.outcome, OUTCOME_HLT, "%s", backend);
	cr_assert_eq(result.regs.gpr[GPR_EAX], want, "%s: eax 0x%x", backend, result.regs.gpr[GPR_EAX]);
}

static void probe_both_ways(const char *backend)
{
	probe(backend, &table, DOORBELL_MAGIC);
	cr_assert_eq(result.firmware_exits, 1, "%s", backend);
	cr_assert_eq(result.exits, 1, "%s: the hlt", backend);
	run_result_free(&result);
	probe(backend, NULL, 0xffffffffu);
	cr_assert_eq(result.firmware_exits, 0, "%s", backend);
	cr_assert_eq(result.exits, 2, "%s", backend);
}

Test(doorbell_guest, the_port_reads_the_magic_only_with_services_on_emu) { probe_both_ways("emu"); }
Test(doorbell_guest, the_port_reads_the_magic_only_with_services_on_kvm) { probe_both_ways("kvm"); }

/* The count crosses the pipe from a case's worker process. */
Test(doorbell_guest, firmware_exits_come_back_from_a_worker)
{
	size_t len = 0;
	uint8_t *image = assemble_guest("%define FIRST_SERVICE 0x42\n%define BLOCK_AT block", &len);
	struct machine_config cfg = {
		.image = image, .image_len = len, .memory_size = 1u << 20, .max_exits = GUEST_EXITS,
		.timeout_ms = 5000, .output_limit = 1024, .doorbell = &table,
	};
	cpu_state_reset(&cfg.initial);
	worker_run_machine(&backend_emu, &cfg, 2000, &result);
	free(image);
	cr_assert_eq(result.outcome, OUTCOME_HLT, "%s", result.message ? result.message : "");
	cr_assert_eq(result.exits, GUEST_EXITS);
	cr_assert_eq(result.firmware_exits, GUEST_RINGS);
}
