/* The library preloaded into a zygote's nasm (zygote.h), built alone as
 * kvmcheck-zygote.so and never linked into kvmcheck. Its constructor runs
 * after the dynamic loader and before nasm's main: told a socket, it
 * serves requests there and returns only in a child. Loaded without one,
 * it does nothing. */
#include <stdlib.h>
#include <unistd.h>

#include "assemble/sandbox/zygote.h"

/* glibc passes main's own argc and argv to constructors. */
__attribute__((constructor)) static void zygote_preload(int argc, char **argv, char **envp)
{
	(void)envp;
	const char *fd = getenv(SANDBOX_ZYGOTE_ENV);
	if (!fd)
		return;
	char *end;
	long sock = strtol(fd, &end, 10);
	if (*end || sock < 3 || sock > 65535)
		_exit(127);
	sandbox_zygote_serve((int)sock, argc, argv);
}
