#include "machine/dev/debug_exit.h"

static int debug_exit_write(void *ctx, uint16_t port, const uint8_t *data, uint8_t len, struct dev_stop *stop)
{
	(void)ctx;
	if (port != DEBUG_EXIT_PORT)
		return 0; /* the code starts at 0xf4; bytes written higher up alone say nothing */
	uint32_t code = 0;
	for (uint8_t i = 0; i < len; i++)
		code |= (uint32_t)data[i] << (8 * i);
	return dev_stop_exit(stop, code, "the program wrote %u to the exit port 0x%x", code, DEBUG_EXIT_PORT);
}

static int debug_exit_attach(void *state, const struct device_env *env, char *err, size_t err_len)
{
	(void)state;
	struct pio_device dev = { .name = "debug-exit", .base = DEBUG_EXIT_PORT, .len = DEBUG_EXIT_PORTS,
				  .write = debug_exit_write };
	return pio_register(env->bus, &dev, err, err_len);
}

const struct device_type debug_exit_device = {
	.name = "debug-exit", .state_size = 1, .attach = debug_exit_attach,
};
