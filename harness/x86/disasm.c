#include "x86/disasm.h"

#include <capstone/capstone.h>
#include <stdio.h>

static cs_mode capstone_mode(int bits)
{
	return bits == 64 ? CS_MODE_64 : bits == 32 ? CS_MODE_32 : CS_MODE_16;
}

size_t x86_disasm_one(const uint8_t *code, size_t len, uint64_t address, int bits, char *out, size_t out_len)
{
	if (out_len)
		out[0] = '\0';
	csh handle;
	if (cs_open(CS_ARCH_X86, capstone_mode(bits), &handle) != CS_ERR_OK)
		return 0;
	cs_insn *insn = NULL;
	size_t size = 0;
	if (cs_disasm(handle, code, len, address, 1, &insn) == 1) {
		size = insn->size;
		if (insn->op_str[0])
			snprintf(out, out_len, "%s %s", insn->mnemonic, insn->op_str);
		else
			snprintf(out, out_len, "%s", insn->mnemonic);
		cs_free(insn, 1);
	}
	cs_close(&handle);
	return size;
}
