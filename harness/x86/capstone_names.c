#include "x86/capstone_names.h"

bool x86_cs_open(cs_mode mode, csh *handle)
{
	if (cs_open(CS_ARCH_X86, mode, handle) != CS_ERR_OK)
		return false;
	if (cs_option(*handle, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK) {
		cs_close(handle);
		return false;
	}
	return true;
}

int x86_cs_gpr(x86_reg reg, unsigned *bytes)
{
	static const x86_reg names[GPR_COUNT][3] = {
		[GPR_EAX] = { X86_REG_RAX, X86_REG_EAX, X86_REG_AX },
		[GPR_ECX] = { X86_REG_RCX, X86_REG_ECX, X86_REG_CX },
		[GPR_EDX] = { X86_REG_RDX, X86_REG_EDX, X86_REG_DX },
		[GPR_EBX] = { X86_REG_RBX, X86_REG_EBX, X86_REG_BX },
		[GPR_ESP] = { X86_REG_RSP, X86_REG_ESP, X86_REG_SP },
		[GPR_EBP] = { X86_REG_RBP, X86_REG_EBP, X86_REG_BP },
		[GPR_ESI] = { X86_REG_RSI, X86_REG_ESI, X86_REG_SI },
		[GPR_EDI] = { X86_REG_RDI, X86_REG_EDI, X86_REG_DI },
		[GPR_R8] = { X86_REG_R8, X86_REG_R8D, X86_REG_R8W },
		[GPR_R9] = { X86_REG_R9, X86_REG_R9D, X86_REG_R9W },
		[GPR_R10] = { X86_REG_R10, X86_REG_R10D, X86_REG_R10W },
		[GPR_R11] = { X86_REG_R11, X86_REG_R11D, X86_REG_R11W },
		[GPR_R12] = { X86_REG_R12, X86_REG_R12D, X86_REG_R12W },
		[GPR_R13] = { X86_REG_R13, X86_REG_R13D, X86_REG_R13W },
		[GPR_R14] = { X86_REG_R14, X86_REG_R14D, X86_REG_R14W },
		[GPR_R15] = { X86_REG_R15, X86_REG_R15D, X86_REG_R15W },
	};
	static const unsigned widths[3] = { 8, 4, 2 };
	for (int g = 0; g < GPR_COUNT; g++)
		for (int w = 0; w < 3; w++)
			if (reg == names[g][w]) {
				if (bytes)
					*bytes = widths[w];
				return g;
			}
	return -1;
}

enum seg x86_cs_mem_segment(const x86_op_mem *m)
{
	switch (m->segment) {
	case X86_REG_ES: return SEG_ES;
	case X86_REG_CS: return SEG_CS;
	case X86_REG_SS: return SEG_SS;
	case X86_REG_DS: return SEG_DS;
	case X86_REG_FS: return SEG_FS;
	case X86_REG_GS: return SEG_GS;
	default: break;
	}
	int base = x86_cs_gpr(m->base, NULL);
	return base == GPR_EBP || base == GPR_ESP ? SEG_SS : SEG_DS;
}
