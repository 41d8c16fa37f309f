#include "x86/align_check.h"
#include "x86/capstone_names.h"

#include <stdlib.h>

struct x86_align_decoder {
	csh handle[3]; /* 16-, 32- and 64-bit code */
};

struct x86_align_decoder *x86_align_decoder_open(void)
{
	static const cs_mode modes[3] = { CS_MODE_16, CS_MODE_32, CS_MODE_64 };
	struct x86_align_decoder *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	for (int i = 0; i < 3; i++) {
		if (!x86_cs_open(modes[i], &d->handle[i])) {
			for (int j = 0; j < i; j++)
				cs_close(&d->handle[j]);
			free(d);
			return NULL;
		}
	}
	return d;
}

void x86_align_decoder_close(struct x86_align_decoder *d)
{
	if (d == NULL)
		return;
	for (int i = 0; i < 3; i++)
		cs_close(&d->handle[i]);
	free(d);
}

/* A register's value as the address arithmetic sees it: the whole
 * register, or its low 32 or 16 bits. */
static bool reg_value(x86_reg reg, const struct x86_align_regs *regs, uint64_t *value)
{
	unsigned bytes;
	int gpr = x86_cs_gpr(reg, &bytes);
	*value = 0;
	if (reg == X86_REG_INVALID)
		return true;
	if (gpr < 0)
		return false; /* rip-relative, or a register no address is made of */
	*value = bytes == 8 ? regs->gpr[gpr] : regs->gpr[gpr] & ((1ull << (8 * bytes)) - 1);
	return true;
}

/* The alignment an operand of this size needs; 0: none checked here. */
static unsigned alignment_of(unsigned size)
{
	switch (size) {
	case 2: return 2;
	case 4: return 4;
	case 6: return 4;
	case 8: case 10: return 8;
	default: return 0;
	}
}

static bool misaligned(uint64_t address, unsigned size)
{
	unsigned a = alignment_of(size);
	return a && (address & (a - 1));
}

/* The stack slot the instruction pushes to or pops from, as an offset
 * from SP, and its size; false when it uses no stack slot itself. */
static bool stack_slot(const cs_insn *insn, bool long64, bool code32, int64_t *offset, unsigned *size)
{
	const cs_x86 *x = &insn->detail->x86;
	unsigned word = long64 ? 8 : code32 ? 4 : 2;
	if (x->prefix[2] == 0x66)
		word = long64 || code32 ? 2 : 4;
	bool push = false;
	switch (insn->id) {
	case X86_INS_PUSH:
	case X86_INS_CALL:
	case X86_INS_PUSHF: case X86_INS_PUSHFD: case X86_INS_PUSHFQ:
		push = true;
		break;
	case X86_INS_POP:
	case X86_INS_RET:
	case X86_INS_POPF: case X86_INS_POPFD: case X86_INS_POPFQ:
	case X86_INS_IRET: case X86_INS_IRETD: case X86_INS_IRETQ:
		break;
	default:
		return false;
	}
	/* A push or pop of a memory or register operand moves its size. */
	if ((insn->id == X86_INS_PUSH || insn->id == X86_INS_POP) && x->op_count == 1 && x->operands[0].type != X86_OP_IMM)
		word = x->operands[0].size;
	*size = word;
	*offset = push ? -(int64_t)word : 0;
	return true;
}

bool x86_align_misaligned(struct x86_align_decoder *d, const uint8_t *code, size_t len, bool long64, bool code32,
			  const struct x86_align_regs *regs)
{
	csh h = d->handle[long64 ? 2 : code32 ? 1 : 0];
	cs_insn *insn = NULL;
	if (cs_disasm(h, code, len, 0, 1, &insn) != 1)
		return false;
	const cs_x86 *x = &insn->detail->x86;
	bool found = false;
	for (uint8_t i = 0; i < x->op_count && !found; i++) {
		const cs_x86_op *op = &x->operands[i];
		if (op->type != X86_OP_MEM || insn->id == X86_INS_LEA || insn->id == X86_INS_NOP)
			continue;
		uint64_t base, index;
		if (!reg_value(op->mem.base, regs, &base) || !reg_value(op->mem.index, regs, &index))
			continue;
		uint64_t address = base + index * (uint64_t)op->mem.scale + (uint64_t)op->mem.disp;
		if (!long64)
			address &= x->addr_size == 2 ? 0xffffu : 0xffffffffu;
		enum seg seg = x86_cs_mem_segment(&op->mem);
		if (!long64 || seg == SEG_FS || seg == SEG_GS)
			address += regs->seg_base[seg];
		found = misaligned(address, op->size);
	}
	int64_t offset;
	unsigned size;
	if (!found && stack_slot(insn, long64, code32, &offset, &size)) {
		uint64_t sp = regs->gpr[GPR_ESP];
		if (!long64)
			sp &= code32 ? 0xffffffffu : 0xffffu;
		found = misaligned(sp + (uint64_t)offset + (long64 ? 0 : regs->seg_base[SEG_SS]), size);
	}
	cs_free(insn, 1);
	return found;
}
