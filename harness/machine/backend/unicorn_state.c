#include "machine/backend/unicorn_state.h"

#include "machine/backend/unicorn_marks.h"

#include <stdint.h>
#include <string.h>

/* QEMU 5's CPUX86State (Unicorn 2.0.1) begins:
 *   target_ulong regs[16], eip, eflags, cc_dst, cc_src, cc_src2;
 *   uint32_t cc_op; int32_t df; uint32_t hflags; uint32_t hflags2;
 *   SegmentCache segs[6];  (uint32_t selector; target_ulong base;
 *                           uint32_t limit, flags: 24 bytes)
 * with target_ulong 8 bytes: Unicorn builds one x86-64 core for every
 * mode. HF_CPL_MASK is hflags' low two bits. */
#define REG_SLOT UNICORN_MARK_SLOT
#define EIP_AT (UNICORN_STATE_GPRS * REG_SLOT)
#define HFLAGS_AT (EIP_AT + 5u * REG_SLOT + 4u + 4u)
#define SEGS_AT (HFLAGS_AT + 8u)
#define SEG_CACHE_BYTES 24u
#define QEMU_R_CS 1u
#define QEMU_R_SS 2u
#define HF_CPL_MASK 0x3u
#define MARKERS 4

static const int marked_ids[MARKERS] = { UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_EBX };
static const uint32_t marker_values[MARKERS] = { 0x63706c31u, 0xb01dface, 0x5eed2c03u, 0x1e7e1304u };
static const struct unicorn_marks marks = { marked_ids, marker_values, MARKERS };

static void locate(uc_engine *uc, struct unicorn_state *c)
{
	c->tried = true;
	size_t regs = unicorn_marks_locate(uc, &marks, &c->context, &c->size);
	if (regs == 0 || regs + SEGS_AT + 3 * SEG_CACHE_BYTES > c->size)
		return;
	c->regs_at = regs;
	c->located = true;
}

/* What the API says agrees with the layout assumed. */
static bool layout_holds(uc_engine *uc, const uint8_t *regs)
{
	uint32_t eip = 0, cs = 0, ss = 0;
	if (uc_reg_read(uc, UC_X86_REG_EIP, &eip) != UC_ERR_OK || uc_reg_read(uc, UC_X86_REG_CS, &cs) != UC_ERR_OK ||
	    uc_reg_read(uc, UC_X86_REG_SS, &ss) != UC_ERR_OK)
		return false;
	return unicorn_load32(regs + EIP_AT) == eip &&
	       unicorn_load32(regs + SEGS_AT + QEMU_R_CS * SEG_CACHE_BYTES) == (cs & 0xffffu) &&
	       unicorn_load32(regs + SEGS_AT + QEMU_R_SS * SEG_CACHE_BYTES) == (ss & 0xffffu) &&
	       (unicorn_load32(regs + HFLAGS_AT) & HF_CPL_MASK) == (cs & HF_CPL_MASK);
}

/* A fresh save of the engine's state, its registers located and the
 * layout checked: NULL when not. */
static uint8_t *saved_registers(uc_engine *uc, struct unicorn_state *c)
{
	if (!c->tried)
		locate(uc, c);
	if (!c->located || uc_context_save(uc, c->context) != UC_ERR_OK)
		return NULL;
	uint8_t *regs = (uint8_t *)c->context + c->regs_at;
	return layout_holds(uc, regs) ? regs : NULL;
}

bool unicorn_state_set_cpl(uc_engine *uc, struct unicorn_state *c, unsigned cpl)
{
	uint8_t *regs = cpl <= HF_CPL_MASK ? saved_registers(uc, c) : NULL;
	if (regs == NULL)
		return false;
	uint32_t hflags = (unicorn_load32(regs + HFLAGS_AT) & ~HF_CPL_MASK) | cpl;
	memcpy(regs + HFLAGS_AT, &hflags, sizeof(hflags));
	return uc_context_restore(uc, c->context) == UC_ERR_OK;
}

bool unicorn_state_read_gprs(uc_engine *uc, struct unicorn_state *c, uint64_t gpr[UNICORN_STATE_GPRS])
{
	const uint8_t *regs = saved_registers(uc, c);
	if (regs == NULL)
		return false;
	memcpy(gpr, regs, UNICORN_STATE_GPRS * REG_SLOT);
	return true;
}

bool unicorn_state_write_gprs(uc_engine *uc, struct unicorn_state *c, const uint64_t gpr[UNICORN_STATE_GPRS])
{
	uint8_t *regs = saved_registers(uc, c);
	if (regs == NULL)
		return false;
	memcpy(regs, gpr, UNICORN_STATE_GPRS * REG_SLOT);
	return uc_context_restore(uc, c->context) == UC_ERR_OK;
}

void unicorn_state_free(struct unicorn_state *c)
{
	if (c->context != NULL)
		uc_context_free(c->context);
	*c = (struct unicorn_state){ 0 };
}
