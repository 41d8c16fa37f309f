/* The parts of a backend that tests of the run's processes (worker.c,
 * scheduler.c) fake alike: a VM that is created, loaded and destroyed
 * without doing anything. Each test supplies the run that it is about. */
#ifndef KVMCHECK_TEST_FAKE_BACKEND_H
#define KVMCHECK_TEST_FAKE_BACKEND_H

#include "machine/backend.h"

static inline bool always(char *why, size_t len)
{
	(void)why, (void)len;
	return true;
}

static inline int fake_create(struct vm **vm, uint8_t *mem, size_t size, enum x86_mode mode, char *err, size_t len)
{
	(void)mem, (void)size, (void)mode, (void)err, (void)len;
	*vm = (struct vm *)1;
	return 0;
}

static inline int fake_state(struct vm *vm, const struct cpu_state *s, char *err, size_t len)
{
	(void)vm, (void)s, (void)err, (void)len;
	return 0;
}

static inline void fake_kick(struct vm *vm)
{
	(void)vm;
}

static inline void fake_destroy(struct vm *vm)
{
	(void)vm;
}

#endif
