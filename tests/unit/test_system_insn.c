#include <criterion/criterion.h>
#include <stdio.h>

#include "x86/cpu_state.h"
#include "x86/system_insn.h"
#include "testutil.h"

struct decode_row {
	const char *bytes;
	bool long64;
	bool is_one;
	enum sys_insn_kind kind;
	int reg, gpr;
};

static const struct decode_row decode_rows[] = {
	{ "0f22c0", false, true, SYS_INSN_MOV_TO_CR, 0, GPR_EAX },      /* mov cr0, eax */
	{ "0f22e3", false, true, SYS_INSN_MOV_TO_CR, 4, GPR_EBX },      /* mov cr4, ebx */
	{ "660f22c0", false, true, SYS_INSN_MOV_TO_CR, 0, GPR_EAX },    /* a prefix changes nothing */
	{ "0f23f9", false, true, SYS_INSN_MOV_TO_DR, 7, GPR_ECX },      /* mov dr7, ecx */
	{ "0f21fa", false, true, SYS_INSN_MOV_FROM_DR, 7, GPR_EDX },    /* mov edx, dr7 */
	{ "0f30", false, true, SYS_INSN_WRMSR, 0, 0 },
	{ "0f32", false, true, SYS_INSN_RDMSR, 0, 0 },
	{ "440f22c1", true, true, SYS_INSN_MOV_TO_CR, 8, GPR_ECX },     /* mov cr8, rcx */
	{ "410f22c0", true, true, SYS_INSN_MOV_TO_CR, 0, GPR_R8 },      /* mov cr0, r8 */
	{ "0f01c1", false, true, SYS_INSN_HYPERCALL, 0, GPR_ECX },      /* vmcall (gpr: the ModRM's rm) */
	{ "0f01d9", false, true, SYS_INSN_HYPERCALL, 1, GPR_ECX },      /* vmmcall */
	{ "480f01d9", true, true, SYS_INSN_HYPERCALL, 1, GPR_ECX },     /* a REX prefix changes nothing */
	{ "410f22c0", false, false, 0, 0, 0 },                          /* inc cx first, outside 64-bit */
	{ "0f20c0", false, false, 0, 0, 0 },                            /* mov eax, cr0: only read */
	{ "0f22", false, false, 0, 0, 0 },                              /* cut short */
	{ "90", false, false, 0, 0, 0 },
};

Test(system_insn, decodes_the_instructions_emu_checks)
{
	for (size_t i = 0; i < sizeof(decode_rows) / sizeof(decode_rows[0]); i++) {
		const struct decode_row *r = &decode_rows[i];
		uint8_t code[16];
		size_t len = tu_unhex(r->bytes, code);
		struct sys_insn insn;
		bool is_one = sys_insn_decode(code, len, r->long64, &insn);
		cr_expect_eq(is_one, r->is_one, "%s", r->bytes);
		if (!is_one || !r->is_one)
			continue;
		cr_expect_eq(insn.kind, r->kind, "%s", r->bytes);
		cr_expect_eq(insn.reg, r->reg, "%s: reg %d", r->bytes, insn.reg);
		cr_expect_eq(insn.gpr, r->gpr, "%s: gpr %d", r->bytes, insn.gpr);
	}
}

Test(system_insn, hypercalls_are_named_and_explained)
{
	uint8_t code[8];
	cr_expect_str_eq(sys_hypercall_at(code, tu_unhex("0f01c1f4", code), false), "vmcall");
	cr_expect_str_eq(sys_hypercall_at(code, tu_unhex("0f01d9", code), false), "vmmcall");
	cr_expect_null(sys_hypercall_at(code, tu_unhex("0f01e0", code), false), "smsw ax is none");
	cr_expect_null(sys_hypercall_at(code, tu_unhex("0f01", code), false), "cut short");
	char reason[160];
	sys_hypercall_reason(reason, sizeof(reason), "vmcall");
	cr_expect_str_eq(reason, "`vmcall` is a call to the hypervisor, which kvmcheck does not provide");
	uint8_t mem[16] = { 0 };
	tu_unhex("0f01c1", mem + 8);
	cr_expect(sys_insn_present(mem, sizeof(mem)), "the presence scan finds a vmcall");
}

Test(system_insn, memory_is_scanned_for_their_opcodes)
{
	uint8_t mem[64] = { 0 };
	cr_expect_not(sys_insn_present(mem, sizeof(mem)));
	mem[10] = 0x0f;
	mem[11] = 0x20; /* a read of CR0 is not checked */
	cr_expect_not(sys_insn_present(mem, sizeof(mem)));
	mem[62] = 0x0f;
	mem[63] = 0x30;
	cr_expect(sys_insn_present(mem, sizeof(mem)));
	cr_expect_not(sys_insn_present(mem, 63), "the pair must lie inside");
}

struct ctl_row {
	const char *what;
	uint64_t cr0, cr4, efer;
	bool long64;
	int reg;          /* 0: CR0, 4: CR4 */
	uint64_t value;
	bool ok;
};

static const struct ctl_row ctl_rows[] = {
	{ "protection on", CPU_RESET_CR0, 0, 0, false, 0, CPU_RESET_CR0 | CR0_PE, true },
	{ "paging without protection", CPU_RESET_CR0, 0, 0, false, 0, CR0_PG | CR0_ET, false },
	{ "NW without CD", CPU_RESET_CR0, 0, 0, false, 0, CR0_NW | CR0_ET, false },
	{ "caches on", CPU_RESET_CR0, 0, 0, false, 0, CR0_ET, true },
	{ "long mode paging without PAE", CR0_PE | CR0_ET, 0, EFER_LME, false, 0, CR0_PE | CR0_PG | CR0_ET, false },
	{ "long mode paging with PAE", CR0_PE | CR0_ET, CR4_PAE, EFER_LME, false, 0, CR0_PE | CR0_PG | CR0_ET, true },
	{ "paging off in 64-bit code", CR0_PE | CR0_PG, CR4_PAE, EFER_LME | EFER_LMA, true, 0, CR0_PE, false },
	{ "high CR0 bits", CR0_PE, 0, 0, true, 0, (1ull << 32) | CR0_PE, false },
	{ "CR4.PAE", 0, 0, 0, false, 4, CR4_PAE, true },
	{ "CR4 bits 0-10", 0, 0, 0, false, 4, 0x7ff, true },
	{ "CR4 reserved bit 31", 0, 0, 0, false, 4, 1u << 31, false },
	{ "CR4.VMXE without VMX", 0, 0, 0, false, 4, 1u << 13, false },
	{ "CR4.PAE cleared in long mode", CR0_PE | CR0_PG, CR4_PAE, EFER_LME | EFER_LMA, true, 4, 0, false },
};

Test(system_insn, control_register_writes_follow_the_cpu)
{
	for (size_t i = 0; i < sizeof(ctl_rows) / sizeof(ctl_rows[0]); i++) {
		const struct ctl_row *r = &ctl_rows[i];
		struct sys_ctl now = { r->cr0, r->cr4, r->efer, r->long64 };
		bool ok = r->reg == 0 ? sys_cr0_write_ok(&now, r->value) : sys_cr4_write_ok(&now, r->value);
		cr_expect_eq(ok, r->ok, "%s", r->what);
	}
}

struct msr_row {
	const char *what;
	uint32_t index;
	uint64_t value;
	uint64_t cr0, efer;
	bool known, write_ok;
};

static const struct msr_row msr_rows[] = {
	{ "EFER.SCE", 0xc0000080, EFER_SCE, 0, 0, true, true },
	{ "EFER reserved bit", 0xc0000080, 1u << 3, 0, 0, true, false },
	{ "EFER.LME with paging on", 0xc0000080, EFER_LME, CR0_PG | CR0_PE, 0, true, false },
	{ "STAR", 0xc0000081, 0xffffffffffffffffull, 0, 0, true, true },
	{ "LSTAR canonical", 0xc0000082, 0xffff800000000000ull, 0, 0, true, true },
	{ "LSTAR not canonical", 0xc0000082, 0x0000800000000000ull, 0, 0, true, false },
	{ "FS_BASE", 0xc0000100, 0x1000, 0, 0, true, true },
	{ "PAT default", 0x277, 0x0007040600070406ull, 0, 0, true, true },
	{ "PAT type 2", 0x277, 0x02, 0, 0, true, false },
	{ "SYSENTER_EIP", 0x176, 0x1234, 0, 0, true, true },
	{ "APIC base", 0x1b, 0, 0, 0, false, false },
	{ "TSC", 0x10, 0, 0, 0, false, false },
	{ "unknown", 0x12345, 0, 0, 0, false, false },
};

Test(system_insn, only_the_models_msrs_are_there)
{
	for (size_t i = 0; i < sizeof(msr_rows) / sizeof(msr_rows[0]); i++) {
		const struct msr_row *r = &msr_rows[i];
		struct sys_ctl now = { r->cr0, 0, r->efer, false };
		cr_expect_eq(sys_msr_known(r->index), r->known, "%s", r->what);
		cr_expect_eq(sys_msr_write_ok(&now, r->index, r->value), r->write_ok, "%s", r->what);
	}
	struct sys_msr_range ranges[16];
	size_t n = sys_msr_ranges(ranges, 16);
	cr_assert_gt(n, 0);
	for (size_t i = 0; i < n; i++)
		for (uint32_t k = 0; k < ranges[i].count; k++)
			cr_expect(sys_msr_known(ranges[i].first + k));
}

Test(system_insn, dr7_execution_enables)
{
	cr_expect_eq(sys_dr7_exec_enables(0x401), 0x1);                /* L0, execute */
	cr_expect_eq(sys_dr7_exec_enables(0x00010401), 0);             /* L0, write */
	cr_expect_eq(sys_dr7_exec_enables(0x000104cc), 0xcc);          /* L2 G2 L3 G3 execute, 0 write but off */
	cr_expect_eq(sys_dr7_exec_enables(0x00010403), 0);             /* L0 G0 on a write breakpoint */
}
