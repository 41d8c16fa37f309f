/* cpu_state: everything about the guest CPU that kvmcheck sets before a run
 * and reads back after it, for real, protected and long mode alike. It is
 * the one description both backends translate (backend/kvm.c to kvm_regs
 * and kvm_sregs, backend/emu.c to Unicorn's registers); the set-up of a mode
 * is x86/mode.c's. */
#ifndef KVMCHECK_CPU_STATE_H
#define KVMCHECK_CPU_STATE_H

#include <stdint.h>

/* In encoding order, so the index is the register's number in ModRM. */
enum gpr {
	GPR_EAX, GPR_ECX, GPR_EDX, GPR_EBX, GPR_ESP, GPR_EBP, GPR_ESI, GPR_EDI,
	GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
	GPR_COUNT
};
enum seg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_COUNT };

#define CR0_PE (1u << 0)
#define CR0_ET (1u << 4)
#define CR0_NW (1u << 29)
#define CR0_CD (1u << 30)
#define CR0_PG (1u << 31)
#define CR4_PAE (1u << 5)
#define EFER_SCE (1u << 0)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define RFLAGS_FIXED (1u << 1)  /* reserved, always reads as 1 */

/* What a real CPU (and KVM's reset) leaves in CR0: CD | NW | ET. */
#define CPU_RESET_CR0 (CR0_CD | CR0_NW | CR0_ET)

/* Segment descriptor types (the 4-bit type field). */
#define SEG_TYPE_DATA_RW_ACCESSED 0x3
#define SEG_TYPE_CODE_RX_ACCESSED 0xb
#define SEG_TYPE_LDT 0x2
#define SEG_TYPE_TSS_BUSY 0xb  /* 32-bit busy TSS; in long mode the 64-bit one */

/* A segment register with its hidden part, as KVM's struct kvm_segment has
 * it: what the CPU loaded from the descriptor (or, in real mode, base =
 * selector * 16). */
struct x86_segment {
	uint64_t base;
	uint32_t limit;     /* in bytes, granularity already applied */
	uint16_t selector;
	uint8_t type;       /* descriptor type, 4 bits */
	uint8_t s;          /* 1: code or data, 0: system (TSS, LDT) */
	uint8_t dpl;
	uint8_t present;
	uint8_t avl;
	uint8_t l;          /* 64-bit code */
	uint8_t db;         /* 32-bit default operand size */
	uint8_t g;          /* limit counted in 4 KiB pages */
};

/* GDTR or IDTR. */
struct x86_table {
	uint64_t base;
	uint16_t limit;
};

struct cpu_state {
	uint64_t gpr[GPR_COUNT];
	uint64_t rip;
	uint64_t rflags;
	struct x86_segment seg[SEG_COUNT];
	struct x86_segment tr;
	struct x86_segment ldtr;
	uint64_t cr0, cr2, cr3, cr4;
	uint64_t efer;
	struct x86_table gdt;
	struct x86_table idt;
};

/* Real mode as a CPU comes out of reset, except that cs is 0 rather than
 * f000 (base 0, not ffff0000): every selector and base 0, limits 0xffff,
 * CR0 0x60000010, descriptor tables at 0 with limit 0xffff, rflags 0x2,
 * everything else 0. */
void cpu_state_reset(struct cpu_state *state);

/* Loads a real-mode segment register: base follows the selector. */
void cpu_state_set_real_segment(struct cpu_state *state, enum seg seg, uint16_t selector);

#endif
