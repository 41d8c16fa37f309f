/* debug_exit: QEMU's isa-debug-exit convention, so that test programs
 * written for QEMU end the same way here: a write of v to port 0xf4 ends
 * the run with outcome exit and code v (the bytes written, little-endian).
 * On every machine, firmware or not. Reads are those of an unclaimed port. */
#ifndef KVMCHECK_DEV_DEBUG_EXIT_H
#define KVMCHECK_DEV_DEBUG_EXIT_H

#include "machine/dev/device.h"

#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_PORTS 4 /* a 32-bit write carries a 32-bit code */

extern const struct device_type debug_exit_device;

#endif
