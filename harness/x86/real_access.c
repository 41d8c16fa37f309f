#include "x86/real_access.h"
#include "x86/capstone_names.h"
#include "x86/insn.h"

#include <stdlib.h>
#include <string.h>

struct real_decoder {
	csh handle;
};

struct real_decoder *real_decoder_open(void)
{
	struct real_decoder *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	if (!x86_cs_open(CS_MODE_16, &d->handle)) {
		free(d);
		return NULL;
	}
	return d;
}

void real_decoder_close(struct real_decoder *decoder)
{
	if (decoder == NULL)
		return;
	cs_close(&decoder->handle);
	free(decoder);
}

/* ---- Capstone's names to ours ------------------------------------------ */

/* One of the eight registers real mode addresses with, by its 16- or
 * 32-bit name. */
static int gpr_of(x86_reg reg)
{
	unsigned bytes;
	int gpr = x86_cs_gpr(reg, &bytes);
	return gpr >= 0 && gpr < GPR_R8 && bytes <= 4 ? gpr : REAL_ACCESS_NO_REG;
}

/* Instructions with a memory operand that touch no memory. */
static bool touches_no_memory(unsigned id)
{
	switch (id) {
	case X86_INS_LEA:
	case X86_INS_NOP:
	case X86_INS_PREFETCH:
	case X86_INS_PREFETCHNTA:
	case X86_INS_PREFETCHT0:
	case X86_INS_PREFETCHT1:
	case X86_INS_PREFETCHT2:
	case X86_INS_PREFETCHW:
	case X86_INS_INVLPG:
		return true;
	default:
		return false;
	}
}

/* movs, cmps, stos, lods, scas, ins, outs: a rep prefix repeats them. */
static bool is_string_opcode(const cs_x86 *x)
{
	uint8_t op = x->opcode[0];
	return x->opcode[1] == 0 && ((op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf) ||
				     (op >= 0x6c && op <= 0x6f));
}

static void need(struct real_access *a, int gpr)
{
	if (gpr != REAL_ACCESS_NO_REG)
		a->regs_needed |= (uint16_t)(1u << gpr);
}

/* Capstone 4 gives the size of the register half of a far pointer load
 * and 2 or 4 for the FPU and SSE state areas; these are what the CPU
 * reads or writes. */
static unsigned operand_size(unsigned id, const cs_x86_op *op, unsigned opsize)
{
	switch (id) {
	case X86_INS_LDS: case X86_INS_LES: case X86_INS_LSS: case X86_INS_LFS: case X86_INS_LGS:
		return opsize + 2;
	case X86_INS_FNSAVE: case X86_INS_FRSTOR:
		return opsize == 4 ? 108 : 94;
	case X86_INS_FXSAVE: case X86_INS_FXRSTOR:
		return 512;
	default:
		return op->size ? op->size : 1;
	}
}

/* The default segment is SS for an address based on BP or SP. */
static bool add_operand(struct real_access *a, const cs_x86_op *op, unsigned size, bool a32)
{
	const x86_op_mem *m = &op->mem;
	int base = gpr_of(m->base), index = gpr_of(m->index);
	if ((m->base != X86_REG_INVALID && base == REAL_ACCESS_NO_REG) ||
	    (m->index != X86_REG_INVALID && index == REAL_ACCESS_NO_REG))
		return false;  /* eip-relative or the like: not real mode's */
	enum seg seg = x86_cs_mem_segment(m);
	if (a->count == REAL_ACCESS_MAX_OPERANDS)
		return false;
	a->mem[a->count++] = (struct real_operand){
		.seg = (uint8_t)seg, .base = (int8_t)base, .index = (int8_t)index,
		.scale = (uint8_t)(m->scale ? m->scale : 1), .a32 = a32, .disp = (int32_t)m->disp,
		.size = (uint16_t)size,
	};
	need(a, base);
	need(a, index);
	return true;
}

/* xlat's operand is implicit: ds:[bx + al]. */
static void add_xlat(struct real_access *a, const cs_x86 *x, bool a32)
{
	int seg;
	switch (x->prefix[1]) {
	case X86_PREFIX_ES: seg = SEG_ES; break;
	case X86_PREFIX_CS: seg = SEG_CS; break;
	case X86_PREFIX_SS: seg = SEG_SS; break;
	case X86_PREFIX_FS: seg = SEG_FS; break;
	case X86_PREFIX_GS: seg = SEG_GS; break;
	default: seg = SEG_DS; break;
	}
	a->mem[a->count++] = (struct real_operand){
		.seg = (uint8_t)seg, .base = GPR_EBX, .index = REAL_ACCESS_NO_REG, .plus_al = true,
		.scale = 1, .a32 = a32, .size = 1,
	};
	need(a, GPR_EBX);
	need(a, GPR_EAX);
}

static void use_stack(struct real_access *a, int direction, unsigned unit, unsigned units)
{
	a->stack = (struct real_stack_use){ .direction = (int8_t)direction, .unit = (uint8_t)unit,
					    .units = (uint8_t)units };
	need(a, GPR_ESP);
}

/* The implicit pushes and pops; `int n` is the deliverer's (see header). */
static void add_stack(struct real_access *a, const cs_insn *insn, unsigned opsize)
{
	const cs_x86 *x = &insn->detail->x86;
	switch (insn->id) {
	case X86_INS_PUSH: case X86_INS_PUSHF: case X86_INS_PUSHFD: case X86_INS_CALL:
		use_stack(a, -1, opsize, 1);
		return;
	case X86_INS_POP: case X86_INS_POPF: case X86_INS_POPFD: case X86_INS_RET:
		use_stack(a, +1, opsize, 1);
		return;
	case X86_INS_PUSHAW: case X86_INS_PUSHAL:
		use_stack(a, -1, opsize, 8);
		return;
	case X86_INS_POPAW: case X86_INS_POPAL:
		use_stack(a, +1, opsize, 8);
		return;
	case X86_INS_LCALL:
		use_stack(a, -1, opsize, 2);
		return;
	case X86_INS_RETF:
		use_stack(a, +1, opsize, 2);
		return;
	case X86_INS_IRET: case X86_INS_IRETD:
		use_stack(a, +1, opsize, 3);
		return;
	case X86_INS_ENTER:
		/* BP, then one frame pointer per nesting level below the first. */
		use_stack(a, -1, opsize, 1 + (x->op_count > 1 ? (unsigned)(x->operands[1].imm & 31) : 0));
		return;
	case X86_INS_LEAVE:
		use_stack(a, +1, opsize, 1);
		a->stack.from_bp = true;
		need(a, GPR_EBP);
		return;
	default:
		return;
	}
}

bool real_access_decode(struct real_decoder *decoder, const uint8_t *code, size_t len,
			struct real_access *out)
{
	memset(out, 0, sizeof(*out));
	cs_insn *insn = NULL;
	if (decoder == NULL || cs_disasm(decoder->handle, code, len, 0, 1, &insn) != 1)
		return false;
	const cs_x86 *x = &insn->detail->x86;
	bool a32 = x->prefix[3] == 0x67;
	unsigned opsize = x->prefix[2] == 0x66 ? 4 : 2;
	bool ok = true;
	if (!touches_no_memory(insn->id)) {
		for (int i = 0; i < x->op_count && ok; i++)
			if (x->operands[i].type == X86_OP_MEM)
				ok = add_operand(out, &x->operands[i], operand_size(insn->id, &x->operands[i], opsize), a32);
		if (insn->id == X86_INS_XLATB && out->count == 0)
			add_xlat(out, x, a32);
	}
	add_stack(out, insn, opsize);
	if (is_string_opcode(x) && (x->prefix[0] == X86_PREFIX_REP || x->prefix[0] == X86_PREFIX_REPNE)) {
		out->rep = true;
		out->rep_a32 = a32;
		need(out, GPR_ECX);
	}
	cs_free(insn, 1);
	if (!ok)
		memset(out, 0, sizeof(*out));
	return ok;
}

/* ---- the checks --------------------------------------------------------- */

static uint64_t operand_offset(const struct real_operand *m, const uint32_t gpr[GPR_R8])
{
	uint64_t mask = m->a32 ? 0xffffffffu : 0xffffu;
	uint64_t ea = (uint64_t)(int64_t)m->disp;
	if (m->base != REAL_ACCESS_NO_REG)
		ea += gpr[m->base] & mask;
	if (m->index != REAL_ACCESS_NO_REG)
		ea += (uint64_t)(gpr[m->index] & mask) * m->scale;
	if (m->plus_al)
		ea += gpr[GPR_EAX] & 0xff;
	return ea & mask;
}

static bool fits(uint64_t offset, unsigned size, uint32_t limit)
{
	return offset + size - 1 <= limit;
}

/* Each push or pop in turn, SP wrapping within 16 bits as it moves. */
static bool stack_fits(const struct real_stack_use *s, const uint32_t gpr[GPR_R8], uint32_t limit)
{
	uint16_t sp = (uint16_t)gpr[s->from_bp ? GPR_EBP : GPR_ESP];
	for (unsigned k = 0; k < s->units; k++) {
		if (s->direction < 0)
			sp = (uint16_t)(sp - s->unit);
		if (!fits(sp, s->unit, limit))
			return false;
		if (s->direction > 0)
			sp = (uint16_t)(sp + s->unit);
	}
	return true;
}

enum real_limit_fault real_access_fault(const struct real_access *access, const uint32_t gpr[GPR_R8],
					const uint32_t limit[SEG_COUNT])
{
	if (access->rep && (access->rep_a32 ? gpr[GPR_ECX] : gpr[GPR_ECX] & 0xffff) == 0)
		return REAL_LIMIT_OK;
	for (unsigned i = 0; i < access->count; i++) {
		const struct real_operand *m = &access->mem[i];
		if (!fits(operand_offset(m, gpr), m->size, limit[m->seg]))
			return m->seg == SEG_SS ? REAL_LIMIT_SS : REAL_LIMIT_GP;
	}
	if (access->stack.direction != 0 && !stack_fits(&access->stack, gpr, limit[SEG_SS]))
		return REAL_LIMIT_SS;
	return REAL_LIMIT_OK;
}

bool real_frame_fits(uint16_t sp, unsigned words, uint32_t limit)
{
	struct real_stack_use frame = { .direction = -1, .unit = 2, .units = (uint8_t)words };
	uint32_t gpr[GPR_R8] = { [GPR_ESP] = sp };
	return stack_fits(&frame, gpr, limit);
}

/* ---- the cache ---------------------------------------------------------- */

/* One-byte opcodes that touch no memory whatever follows (without
 * prefixes): inc/dec and mov of registers, ALU on al/ax with an immediate,
 * jumps, loops, port I/O, flag operations, hlt. `int n` is the
 * deliverer's. */
static bool opcode_touches_no_memory(uint8_t op)
{
	if ((op >= 0x40 && op <= 0x4f) || (op >= 0x70 && op <= 0x7f) || (op >= 0x90 && op <= 0x99) ||
	    (op >= 0xb0 && op <= 0xbf) || (op >= 0xe0 && op <= 0xe7) || (op >= 0xec && op <= 0xef) ||
	    (op >= 0xf8 && op <= 0xfd) || (op >= 0xcc && op <= 0xce))
		return true;
	/* add, or, adc, sbb, and, sub, xor, cmp al/ax, imm; daa, das, aaa, aas */
	if (op < 0x40 && ((op & 7) == 4 || (op & 7) == 5 || ((op & 7) == 7 && op >= 0x27)))
		return true;
	switch (op) {
	case 0x9b: case 0x9e: case 0x9f: case 0xa8: case 0xa9: case 0xd4: case 0xd5:
	case 0xe9: case 0xea: case 0xeb: case 0xf4: case 0xf5:
		return true;
	default:
		return false;
	}
}

/* Opcodes whose ModRM byte with mod 3 names registers only: the ALU's r/m
 * forms, test, xchg, mov (also of segment registers), shifts and rotates,
 * group 3 (test, not, neg, mul, div), inc/dec r/m8, imul. */
static bool register_form_touches_no_memory(uint8_t op)
{
	if (op < 0x40 && (op & 7) <= 3)
		return true;
	switch (op) {
	case 0x69: case 0x6b: case 0x80: case 0x81: case 0x83: case 0x84: case 0x85: case 0x86: case 0x87:
	case 0x88: case 0x89: case 0x8a: case 0x8b: case 0x8c: case 0x8e: case 0xc0: case 0xc1:
	case 0xd0: case 0xd1: case 0xd2: case 0xd3: case 0xf6: case 0xf7: case 0xfe:
		return true;
	default:
		return false;
	}
}

/* Most instructions of ordinary code need no decoding at all: Capstone
 * costs about a microsecond for each instruction seen first. */
static bool plainly_touches_no_memory(const uint8_t *code, size_t length)
{
	if (opcode_touches_no_memory(code[0]))
		return true;
	return length >= 2 && (code[1] >> 6) == 3 && register_form_touches_no_memory(code[0]);
}

static size_t slot_of(uint64_t address)
{
	return (size_t)((address ^ (address >> 8)) % REAL_ACCESS_CACHE_SLOTS);
}

static bool slot_holds(const struct real_access_slot *s, uint64_t address, const uint8_t *code, size_t length)
{
	return s->length == length && s->address == address && memcmp(s->bytes, code, length) == 0;
}

static bool checks_anything(const struct real_access *a)
{
	return a->count > 0 || a->stack.direction != 0;
}

const struct real_access_slot *real_access_slot_lookup(struct real_access_cache *cache, uint64_t address,
						       const uint8_t *code, size_t length)
{
	if (length == 0 || length > REAL_ACCESS_MAX_INSN)
		return NULL;
	struct real_access_slot *s = &cache->slot[slot_of(address)];
	if (!slot_holds(s, address, code, length)) {
		s->address = address;
		s->length = (uint8_t)length;
		memcpy(s->bytes, code, length);
		s->loads_cs = x86_insn_may_load_cs(code, length);
		if (plainly_touches_no_memory(code, length)) {
			s->known = false;
		} else {
			if (cache->decoder == NULL)
				cache->decoder = real_decoder_open();
			s->known = real_access_decode(cache->decoder, code, length, &s->access);
		}
	}
	return s;
}

const struct real_access *real_access_of(const struct real_access_slot *slot)
{
	return slot->known && checks_anything(&slot->access) ? &slot->access : NULL;
}

const struct real_access *real_access_lookup(struct real_access_cache *cache, uint64_t address,
					     const uint8_t *code, size_t length)
{
	const struct real_access_slot *s = real_access_slot_lookup(cache, address, code, length);
	return s != NULL ? real_access_of(s) : NULL;
}

void real_access_cache_free(struct real_access_cache *cache)
{
	if (cache == NULL)
		return;
	real_decoder_close(cache->decoder);
	free(cache);
}

struct real_access_cache *real_access_thread_cache(void)
{
	static _Thread_local struct real_access_cache *cache;
	if (cache == NULL)
		cache = calloc(1, sizeof(*cache));
	return cache;
}
