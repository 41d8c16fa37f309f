/* Unit tests for x86/cpuid.c: kvmcheck's one CPU model, and how it is cut
 * down to what a host's KVM supports. */
#include <criterion/criterion.h>
#include <string.h>

#include "x86/cpuid.h"

static const struct cpuid_leaf *host_with_everything(void *ctx, uint32_t function, uint32_t index)
{
	static struct cpuid_leaf all;
	(void)ctx;
	all = (struct cpuid_leaf){ function, index, ~0u, ~0u, ~0u, ~0u };
	return &all;
}

static const struct cpuid_leaf *host_with_nothing(void *ctx, uint32_t function, uint32_t index)
{
	(void)ctx, (void)function, (void)index;
	return NULL;
}

static const struct cpuid_leaf *find(const struct cpuid_leaf *leaves, size_t n, uint32_t function)
{
	for (size_t i = 0; i < n; i++)
		if (leaves[i].function == function)
			return &leaves[i];
	cr_assert_fail("leaf %#x missing", function);
	return NULL;
}

Test(cpuid_model, vendor_and_family_are_emus)
{
	const struct cpuid_leaf *l0 = cpuid_model_leaf(0, 0), *l1 = cpuid_model_leaf(1, 0);
	cr_assert_not_null(l0);
	char vendor[13] = {0};
	memcpy(vendor, &l0->ebx, 4);
	memcpy(vendor + 4, &l0->edx, 4);
	memcpy(vendor + 8, &l0->ecx, 4);
	cr_assert_str_eq(vendor, "AuthenticAMD");
	cr_assert_eq(l1->eax, 0x663u, "family 6 model 6 stepping 3, as Unicorn reports");
	cr_assert_null(cpuid_model_leaf(0x40000000, 0), "no hypervisor leaf");
}

Test(cpuid_model, a_host_with_everything_gets_the_model_unchanged)
{
	struct cpuid_leaf out[16];
	size_t n = cpuid_model_filter(host_with_everything, NULL, out, 16);
	cr_assert_gt(n, 0);
	for (size_t i = 0; i < n; i++) {
		const struct cpuid_leaf *want = cpuid_model_leaf(out[i].function, out[i].index);
		cr_assert_not_null(want);
		cr_assert_arr_eq(&out[i], want, sizeof(*want), "leaf %#x", out[i].function);
	}
}

Test(cpuid_model, features_the_host_lacks_are_dropped_but_identity_and_long_mode_stay)
{
	struct cpuid_leaf out[16];
	size_t n = cpuid_model_filter(host_with_nothing, NULL, out, 16);
	cr_assert_eq(find(out, n, 1)->ecx, 0u);
	cr_assert_eq(find(out, n, 1)->edx, 0u);
	cr_assert_eq(find(out, n, 1)->eax, 0x663u);
	cr_assert_eq(find(out, n, 7)->ebx, 0u);
	cr_assert_eq(find(out, n, 0x80000001)->edx, 1u << 29, "LM, for guests that switch to long mode");
	cr_assert_eq(find(out, n, 0)->ebx, 0x68747541u);
}

Test(cpuid_model, the_output_is_bounded)
{
	struct cpuid_leaf out[2];
	cr_assert_eq(cpuid_model_filter(host_with_everything, NULL, out, 2), 2u);
}
