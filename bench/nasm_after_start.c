/* make bench's floor under a cold run: nasm's own work on each guest with
 * its exec and start-up paid once. Loaded into nasm with LD_PRELOAD, this
 * runs before nasm's main: for every path in the file that
 * KVMCHECK_BENCH_NASM_LIST names, it forks, and the child goes on into
 * nasm's main with that path as its last argument; the parent waits for
 * each and exits 1 if any failed. No sandbox, no VM: what is left is what
 * any way of running nasm once per distinct guest must pay.
 * usage: KVMCHECK_BENCH_NASM_LIST=F LD_PRELOAD=this.so nasm -f bin -o /dev/null PLACEHOLDER */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int assemble_in_child(char **argv, int last, const char *path)
{
	pid_t pid = fork();
	if (pid == 0) {
		argv[last] = strdup(path);
		return 1;
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* glibc passes main's own argc and argv to constructors. */
__attribute__((constructor)) static void nasm_after_start(int argc, char **argv)
{
	const char *list = getenv("KVMCHECK_BENCH_NASM_LIST");
	if (!list || argc < 2)
		return;
	FILE *f = fopen(list, "r");
	if (!f)
		_exit(2);
	unsetenv("KVMCHECK_BENCH_NASM_LIST");
	char line[4096];
	int failed = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		int rc = assemble_in_child(argv, argc - 1, line);
		if (rc == 1) {
			fclose(f);
			return; /* the child: on into nasm's main */
		}
		failed |= rc < 0;
	}
	fclose(f);
	_exit(failed ? 1 : 0);
}
