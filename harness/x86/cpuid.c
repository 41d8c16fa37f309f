#include "x86/cpuid.h"

#define VENDOR_EBX 0x68747541u  /* "Auth" */
#define VENDOR_EDX 0x69746e65u  /* "enti" */
#define VENDOR_ECX 0x444d4163u  /* "cAMD" */
#define EXT_LM (1u << 29)

/* Read from Unicorn 2.0.1 by a guest running cpuid in its 64-bit mode:
 * the values emu's guests see (its 16- and 32-bit modes leave out LM and
 * report 32 bits less of virtual address width in 0x80000008). */
static const struct cpuid_leaf model[] = {
	{ 0x00000000, 0, 0x0000000d, VENDOR_EBX, VENDOR_ECX, VENDOR_EDX },
	{ 0x00000001, 0, 0x00000663, 0x00000800, 0x02182200, 0x07088100 },
	{ 0x00000007, 0, 0x00000000, 0x00180108, 0x00000000, 0x00000000 },
	{ 0x80000000, 0, 0x8000000a, VENDOR_EBX, VENDOR_ECX, VENDOR_EDX },
	{ 0x80000001, 0, 0x00000663, 0x00000000, 0x00001031, 0xa8000000 },
	{ 0x80000008, 0, 0x00003028, 0x00000000, 0x00000000, 0x00000000 },
};

#define MODEL_LEAVES (sizeof(model) / sizeof(model[0]))

const struct cpuid_leaf *cpuid_model_leaf(uint32_t function, uint32_t index)
{
	for (size_t i = 0; i < MODEL_LEAVES; i++) {
		if (model[i].function == function && model[i].index == index)
			return &model[i];
	}
	return NULL;
}

/* Leaves whose registers are feature bits, to be cut down to the host's. */
static bool is_feature_leaf(uint32_t function)
{
	return function == 0x00000001 || function == 0x00000007 || function == 0x80000001;
}

size_t cpuid_model_filter(const struct cpuid_leaf *(*host_leaf)(void *ctx, uint32_t function, uint32_t index),
			  void *ctx, struct cpuid_leaf *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < MODEL_LEAVES && n < max; i++) {
		struct cpuid_leaf leaf = model[i];
		const struct cpuid_leaf *host = host_leaf(ctx, leaf.function, leaf.index);
		if (is_feature_leaf(leaf.function)) {
			uint32_t lm = leaf.function == 0x80000001 ? leaf.edx & EXT_LM : 0;
			leaf.ebx &= host ? host->ebx : 0;
			leaf.ecx &= host ? host->ecx : 0;
			leaf.edx = (leaf.edx & (host ? host->edx : 0)) | lm;
			/* family/model/stepping (eax of 1 and 0x80000001) and leaf
			 * 1's ebx (CLFLUSH size) are the model's, not features */
			if (leaf.function == 0x00000001)
				leaf.ebx = model[i].ebx;
		}
		out[n++] = leaf;
	}
	return n;
}
