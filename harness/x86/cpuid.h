/* cpuid: the one CPU model kvmcheck's guests see, on every backend. It is
 * what Unicorn 2.0.1's default x86 CPU reports (an "AuthenticAMD" family 6
 * model 6 stepping 3 with the features its TCG emulates), so that a guest
 * that tests a feature bit takes the same path on kvm as on emu. The kvm
 * backend filters KVM_GET_SUPPORTED_CPUID through it and sets the result
 * with KVM_SET_CPUID2; emu reports it by itself. */
#ifndef KVMCHECK_X86_CPUID_H
#define KVMCHECK_X86_CPUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cpuid_leaf {
	uint32_t function, index;
	uint32_t eax, ebx, ecx, edx;
};

/* The model's leaf for function/index, or NULL: a leaf the model does not
 * have reads as zeros (as on AMD, for a function up to the maximum). */
const struct cpuid_leaf *cpuid_model_leaf(uint32_t function, uint32_t index);

/* The model's leaves, in order, with the host's support taken into account:
 * each feature bit only where the host's leaf (found through host_leaf) has
 * it too, except long mode, which every guest that switches modes needs.
 * Writes at most max leaves to out; returns how many. */
size_t cpuid_model_filter(const struct cpuid_leaf *(*host_leaf)(void *ctx, uint32_t function, uint32_t index),
			  void *ctx, struct cpuid_leaf *out, size_t max);

#endif
