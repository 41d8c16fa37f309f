#include "x86/insn_faults.h"

#include "x86/insn.h"
#include "x86/protected_interrupt.h"

#define X86_VECTOR_BR 5
#define X86_VECTOR_NM 7
#define X86_VECTOR_MF 16
#define X86_VECTOR_XM 19

#define PREFIX_SS 0x36
#define PREFIX_ADDRESS_SIZE 0x67

struct decoded {
	size_t at;          /* the opcode's offset */
	bool ss_override;
	bool other_override;
	bool addr16;
};

static bool is_segment_override(uint8_t b)
{
	return b == 0x26 || b == 0x2e || b == PREFIX_SS || b == 0x3e || b == 0x64 || b == 0x65;
}

/* The opcode's offset, and what its prefixes say about the operand. */
static struct decoded walk_prefixes(const uint8_t *code, size_t len, const struct x86_fault_context *ctx)
{
	struct decoded d = { .at = x86_insn_opcode_offset(code, len, ctx->long64), .addr16 = !ctx->code32 };
	bool flip = false;
	for (size_t i = 0; i < d.at && i < len; i++) {
		d.ss_override |= code[i] == PREFIX_SS;
		d.other_override |= is_segment_override(code[i]) && code[i] != PREFIX_SS;
		flip |= code[i] == PREFIX_ADDRESS_SIZE;
	}
	if (ctx->long64)
		d.addr16 = false; /* 0x67 picks 32-bit addressing there */
	else if (flip)
		d.addr16 = !d.addr16;
	return d;
}

/* One-byte opcodes that push or pop, or otherwise use the stack. */
static bool uses_stack(uint8_t op)
{
	switch (op) {
	case 0x06: case 0x07: case 0x0e: case 0x16: case 0x17: case 0x1e: case 0x1f:
	case 0x60: case 0x61: case 0x68: case 0x6a: case 0x8f: case 0x9a: case 0x9c: case 0x9d:
	case 0xc2: case 0xc3: case 0xc8: case 0xc9: case 0xca: case 0xcb: case 0xe8:
		return true;
	default:
		return op >= 0x50 && op <= 0x5f;
	}
}

/* One-byte opcodes followed by a ModRM byte. */
static bool has_modrm(uint8_t op)
{
	if (op < 0x40)
		return (op & 7) < 4;
	return op == 0x62 || op == 0x63 || op == 0x69 || op == 0x6b || (op >= 0x80 && op <= 0x8f) ||
	       op == 0xc0 || op == 0xc1 || (op >= 0xc4 && op <= 0xc7) || (op >= 0xd0 && op <= 0xd3) ||
	       (op >= 0xd8 && op <= 0xdf) || op == 0xf6 || op == 0xf7 || op == 0xfe || op == 0xff;
}

/* A memory operand whose default segment is SS: based on bp (16-bit
 * addressing) or on ebp/esp (32-bit). */
static bool modrm_on_stack(const uint8_t *code, size_t len, size_t at, bool addr16)
{
	if (at >= len)
		return false;
	uint8_t mod = code[at] >> 6, rm = code[at] & 7;
	if (mod == 3)
		return false;
	if (addr16)
		return rm == 2 || rm == 3 || (rm == 6 && mod != 0);
	if (rm == 5)
		return mod != 0;
	if (rm != 4 || at + 1 >= len)
		return false;
	uint8_t base = code[at + 1] & 7;
	return base == 4 || (base == 5 && mod != 0);
}

static bool modrm_is_memory(const uint8_t *code, size_t len, size_t at)
{
	return at < len && (code[at] >> 6) != 3;
}

/* The ModRM reg field: which instruction of a group. */
static unsigned modrm_reg(const uint8_t *code, size_t len, size_t at)
{
	return at < len ? (code[at] >> 3) & 7u : 0;
}

static bool raises_ss(const uint8_t *code, size_t len, const struct decoded *d)
{
	uint8_t op = code[d->at];
	size_t modrm = d->at + 1;
	if (uses_stack(op))
		return true;
	if (op == 0xff && (modrm_reg(code, len, modrm) == 2 || modrm_reg(code, len, modrm) == 3 ||
			   modrm_reg(code, len, modrm) == 6))
		return true;
	if (!has_modrm(op) || !modrm_is_memory(code, len, modrm))
		return false;
	return d->ss_override || (!d->other_override && modrm_on_stack(code, len, modrm, d->addr16));
}

/* An instruction that loads a segment register from a descriptor in
 * protected mode: mov and pop to one, lds and its kin, the far jumps,
 * calls and returns, iret. Sets *ss when SS is the one loaded. */
static bool loads_segment(const uint8_t *code, size_t len, const struct decoded *d, bool long64, bool *ss)
{
	uint8_t op = code[d->at], next = d->at + 1 < len ? code[d->at + 1] : 0;
	*ss = (op == 0x8e && modrm_reg(code, len, d->at + 1) == 2) || op == 0x17 || (op == 0x0f && next == 0xb2);
	switch (op) {
	case 0x8e:
		return true;
	case 0x07: case 0x17: case 0x1f: case 0xc4: case 0xc5:
		return !long64; /* invalid, or VEX, in 64-bit code */
	case 0x0f:
		return next == 0xa1 || next == 0xa9 || next == 0xb2 || next == 0xb4 || next == 0xb5;
	default:
		return x86_insn_is_far_transfer(code, len, long64);
	}
}

static void add(uint8_t *vectors, size_t max, size_t *n, uint8_t vector)
{
	for (size_t i = 0; i < *n; i++)
		if (vectors[i] == vector)
			return;
	if (*n < max)
		vectors[(*n)++] = vector;
}

/* A two-byte (0f) opcode of SSE, SSE2 or SSE3 that works on XMM state:
 * with CR0.TS set it raises #NM, as x87 does. */
static bool is_sse(uint8_t op2)
{
	return (op2 >= 0x10 && op2 <= 0x17) || (op2 >= 0x28 && op2 <= 0x2f) || (op2 >= 0x50 && op2 <= 0x7f) ||
	       (op2 >= 0xc2 && op2 <= 0xc6) || op2 >= 0xd0 || op2 == 0xae;
}

/* One of them that computes in floating point, so that an unmasked MXCSR
 * exception (invalid, denormal, divide by zero, overflow, underflow,
 * precision) raises #XM: sqrt, add, mul, the conversions, sub, min, div,
 * max, the compares, haddps/hsubps and addsubps. */
static bool is_sse_arithmetic(uint8_t op2)
{
	return op2 == 0x2a || op2 == 0x2c || op2 == 0x2d || op2 == 0x2e || op2 == 0x2f || op2 == 0x51 ||
	       (op2 >= 0x58 && op2 <= 0x5f) || op2 == 0x7c || op2 == 0x7d || op2 == 0xc2 || op2 == 0xd0 ||
	       op2 == 0xe6;
}

/* The SSE faults: #NM while the FPU state is not the task's, else #XM for
 * arithmetic when unmasked exceptions are delivered. */
static void add_sse(const uint8_t *code, size_t len, const struct decoded *d, const struct x86_fault_context *ctx,
		    uint8_t *vectors, size_t max, size_t *n)
{
	if (code[d->at] != 0x0f || d->at + 1 >= len || !is_sse(code[d->at + 1]))
		return;
	if (ctx->fpu_unavailable)
		add(vectors, max, n, X86_VECTOR_NM);
	else if (ctx->simd_exceptions && is_sse_arithmetic(code[d->at + 1]))
		add(vectors, max, n, X86_VECTOR_XM);
}

/* The faults the instruction raises by what it is. */
static void add_own(const uint8_t *code, size_t len, const struct x86_fault_context *ctx, uint8_t *vectors,
		    size_t max, size_t *n)
{
	struct decoded d = walk_prefixes(code, len, ctx);
	if (d.at >= len)
		return;
	uint8_t op = code[d.at];
	unsigned reg = modrm_reg(code, len, d.at + 1);
	if (((op == 0xf6 || op == 0xf7) && reg >= 6) || (op == 0xd4 && !ctx->long64))
		add(vectors, max, n, X86_VECTOR_DE);
	if (op == 0x62 && !ctx->long64)
		add(vectors, max, n, X86_VECTOR_BR);
	if ((op >= 0xd8 && op <= 0xdf) || op == 0x9b)
		add(vectors, max, n, ctx->fpu_unavailable ? X86_VECTOR_NM : X86_VECTOR_MF);
	add_sse(code, len, &d, ctx, vectors, max, n);
	if (op == 0xcf && ctx->protected_mode && ctx->nested_task && !ctx->long64)
		add(vectors, max, n, X86_VECTOR_TS);
	bool loads_ss = false;
	if (ctx->protected_mode && loads_segment(code, len, &d, ctx->long64, &loads_ss))
		add(vectors, max, n, loads_ss ? X86_VECTOR_SS : X86_VECTOR_NP);
	if (raises_ss(code, len, &d))
		add(vectors, max, n, X86_VECTOR_SS);
}

size_t x86_insn_fault_vectors(const uint8_t *code, size_t len, const struct x86_fault_context *ctx, uint8_t *vectors,
			      size_t max)
{
	size_t n = 0;
	add_own(code, len, ctx, vectors, max, &n);
	if (ctx->alignment_checked)
		add(vectors, max, &n, X86_VECTOR_AC);
	if (ctx->paging)
		add(vectors, max, &n, X86_VECTOR_PF);
	add(vectors, max, &n, X86_VECTOR_GP);
	add(vectors, max, &n, X86_VECTOR_UD);
	add(vectors, max, &n, X86_VECTOR_DE);
	add(vectors, max, &n, X86_VECTOR_SS);
	return n;
}
