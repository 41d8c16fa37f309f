#include "x86/mode.h"

#include "core/le.h"

#include <stdio.h>
#include <string.h>

#define PAGE_SIZE 0x1000u
#define LARGE_PAGE (2ull << 20)
#define PD_ENTRIES 512u
#define PTE_PRESENT 0x1u
#define PTE_WRITABLE 0x2u
#define PTE_USER 0x4u
#define PTE_LARGE 0x80u

#define TSS_LIMIT 0x67u  /* a 32-bit TSS without an I/O bitmap */
#define GDT_LIMIT (X86_SEL_TSS + 16 - 1)
#define FLAT_LIMIT 0xffffffffu

const char *x86_mode_name(enum x86_mode mode)
{
	switch (mode) {
	case X86_MODE_PROTECTED: return "protected";
	case X86_MODE_LONG: return "long";
	default: return "real";
	}
}

enum x86_mode x86_mode_of(const struct cpu_state *state)
{
	if (state->efer & EFER_LMA)
		return X86_MODE_LONG;
	return (state->cr0 & CR0_PE) ? X86_MODE_PROTECTED : X86_MODE_REAL;
}

uint64_t x86_mode_tables_base(enum x86_mode mode, size_t mem_size)
{
	if (mode == X86_MODE_REAL)
		return mem_size;
	uint64_t top = mem_size & ~(uint64_t)(PAGE_SIZE - 1);
	return top < X86_MODE_TABLES_SIZE ? 0 : top - X86_MODE_TABLES_SIZE;
}

/* The 8 bytes of a segment descriptor, as the CPU reads them. */
static uint64_t descriptor(const struct x86_segment *s)
{
	uint32_t limit = s->g ? s->limit >> 12 : s->limit;
	uint64_t d = (limit & 0xffffu) | (s->base & 0xffffffu) << 16;
	d |= (uint64_t)(s->type & 0xfu) << 40 | (uint64_t)(s->s & 1u) << 44 |
	     (uint64_t)(s->dpl & 3u) << 45 | (uint64_t)(s->present & 1u) << 47;
	d |= (uint64_t)((limit >> 16) & 0xfu) << 48 | (uint64_t)(s->avl & 1u) << 52 |
	     (uint64_t)(s->l & 1u) << 53 | (uint64_t)(s->db & 1u) << 54 | (uint64_t)(s->g & 1u) << 55;
	return d | ((s->base >> 24) & 0xffu) << 56;
}

static struct x86_segment flat_segment(uint16_t selector, uint8_t type, int long_code)
{
	return (struct x86_segment){ .base = 0, .limit = FLAT_LIMIT, .selector = selector, .type = type,
				     .s = 1, .present = 1, .g = 1, .l = long_code ? 1 : 0,
				     .db = long_code ? 0 : 1 };
}

static struct x86_segment tss_segment(uint64_t base)
{
	return (struct x86_segment){ .base = base, .limit = TSS_LIMIT, .selector = X86_SEL_TSS,
				     .type = SEG_TYPE_TSS_BUSY, .present = 1 };
}

/* The GDT and its TSS, and the segment registers loaded from it as if by
 * a far jump (cs) and moves (the rest) and an ltr. */
static void write_gdt(uint8_t *mem, uint64_t tables, int long_code, struct cpu_state *state)
{
	const struct x86_segment code32 = flat_segment(X86_SEL_CODE32, SEG_TYPE_CODE_RX_ACCESSED, 0);
	const struct x86_segment data = flat_segment(X86_SEL_DATA, SEG_TYPE_DATA_RW_ACCESSED, 0);
	const struct x86_segment code64 = flat_segment(X86_SEL_CODE64, SEG_TYPE_CODE_RX_ACCESSED, 1);
	const struct x86_segment tss = tss_segment(tables + X86_TSS_OFFSET);
	uint8_t *gdt = mem + tables + X86_GDT_OFFSET;

	memset(gdt, 0, PAGE_SIZE);
	memset(mem + tables + X86_TSS_OFFSET, 0, PAGE_SIZE);
	le_store(gdt + X86_SEL_CODE32, descriptor(&code32), 8);
	le_store(gdt + X86_SEL_DATA, descriptor(&data), 8);
	le_store(gdt + X86_SEL_CODE64, descriptor(&code64), 8);
	le_store(gdt + X86_SEL_TSS, descriptor(&tss), 8);
	le_store(gdt + X86_SEL_TSS + 8, tss.base >> 32, 8); /* long mode's upper half */

	for (enum seg s = 0; s < SEG_COUNT; s++)
		state->seg[s] = data;
	state->seg[SEG_CS] = long_code ? code64 : code32;
	state->tr = tss;
	state->gdt = (struct x86_table){ .base = tables + X86_GDT_OFFSET, .limit = GDT_LIMIT };
	state->idt = (struct x86_table){ 0 };
}

/* Identity map of all RAM: PML4[0] -> PDPT -> one page directory per GiB,
 * each entry a 2 MiB page; user pages, so that code a case runs at
 * privilege level 3 finds its memory as level 0 does (CR4 leaves SMEP and
 * SMAP off). */
static uint64_t write_page_tables(uint8_t *mem, size_t mem_size, uint64_t tables)
{
	uint64_t pml4 = tables + X86_PML4_OFFSET, pdpt = tables + X86_PDPT_OFFSET;
	uint64_t pages = (mem_size + LARGE_PAGE - 1) / LARGE_PAGE;
	memset(mem + pml4, 0, X86_MODE_TABLES_SIZE - X86_PML4_OFFSET);
	const uint64_t flags = PTE_PRESENT | PTE_WRITABLE | PTE_USER;
	le_store(mem + pml4, pdpt | flags, 8);
	for (uint64_t i = 0; i < pages; i++) {
		uint64_t pd = tables + X86_PD_OFFSET + (i / PD_ENTRIES) * PAGE_SIZE;
		if (i % PD_ENTRIES == 0)
			le_store(mem + pdpt + (i / PD_ENTRIES) * 8, pd | flags, 8);
		le_store(mem + pd + (i % PD_ENTRIES) * 8, i * LARGE_PAGE | flags | PTE_LARGE, 8);
	}
	return pml4;
}

int x86_mode_setup(enum x86_mode mode, uint8_t *mem, size_t mem_size, struct cpu_state *state,
		   char *err, size_t err_len)
{
	if (mode == X86_MODE_REAL)
		return 0;
	if (mem_size < X86_MODE_MIN_RAM || (uint64_t)mem_size > (uint64_t)X86_PD_COUNT << 30) {
		snprintf(err, err_len, "%s mode needs between %u bytes and 4 GiB of RAM for its tables, not %zu",
			 x86_mode_name(mode), X86_MODE_MIN_RAM, mem_size);
		return -1;
	}
	uint64_t tables = x86_mode_tables_base(mode, mem_size);
	write_gdt(mem, tables, mode == X86_MODE_LONG, state);
	/* Caching stays on (CD and NW clear), as any protected-mode OS has it. */
	state->cr0 = CR0_PE | CR0_ET;
	if (mode == X86_MODE_LONG) {
		state->cr3 = write_page_tables(mem, mem_size, tables);
		state->cr4 |= CR4_PAE;
		state->efer |= EFER_LME | EFER_LMA;
		state->cr0 |= CR0_PG;
	}
	return 0;
}
