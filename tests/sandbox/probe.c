/* Tries one thing a confined tool must not be able to do and exits 0 only
 * when it was prevented; test_sandbox.c builds and runs it in the sandbox.
 *   probe socket        no socket of any family can be made
 *   probe connect PORT  no TCP connection to 127.0.0.1:PORT
 *   probe read PATH     PATH cannot be opened for reading
 *   probe write PATH    PATH cannot be created
 *   probe env           the environment is empty
 *   probe fds           only fds 0-2 are open
 *   probe caps          no capability is held
 *   probe fork          no new process can be made
 *   probe ptrace        (expects to be killed by SIGSYS; exits 3 otherwise) */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int no_socket(void)
{
	static const int kinds[][2] = {
		{ AF_INET, SOCK_STREAM }, { AF_INET, SOCK_DGRAM }, { AF_INET6, SOCK_STREAM },
		{ AF_UNIX, SOCK_STREAM }, { AF_NETLINK, SOCK_RAW }, { AF_PACKET, SOCK_RAW },
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		int fd = socket(kinds[i][0], kinds[i][1], 0);
		if (fd >= 0) {
			printf("socket(%d, %d) worked\n", kinds[i][0], kinds[i][1]);
			return 1;
		}
	}
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0) {
		printf("socketpair worked\n");
		return 1;
	}
	return 0;
}

static int no_connect(const char *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(port)) };
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
		printf("connected to 127.0.0.1:%s\n", port);
		return 1;
	}
	return 0;
}

static int no_open(const char *path, int flags)
{
	int fd = open(path, flags, 0600);
	if (fd < 0)
		return 0;
	printf("opened %s\n", path);
	return 1;
}

static int no_fds(void)
{
	for (int fd = 3; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0) {
			printf("fd %d is open\n", fd);
			return 1;
		}
	return 0;
}

static int no_caps(void)
{
	struct __user_cap_header_struct head = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &head, data) < 0)
		return 2;
	if (data[0].effective | data[1].effective | data[0].permitted | data[1].permitted) {
		printf("capabilities held: %x %x\n", data[0].permitted, data[1].permitted);
		return 1;
	}
	return 0;
}

static int no_fork(void)
{
	pid_t pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	printf("fork worked\n");
	return 1;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	if (!strcmp(what, "socket"))
		return no_socket();
	if (!strcmp(what, "connect") && argc > 2)
		return no_connect(argv[2]);
	if (!strcmp(what, "read") && argc > 2)
		return no_open(argv[2], O_RDONLY);
	if (!strcmp(what, "write") && argc > 2)
		return no_open(argv[2], O_WRONLY | O_CREAT);
	if (!strcmp(what, "env"))
		return environ && environ[0] ? 1 : 0;
	if (!strcmp(what, "fds"))
		return no_fds();
	if (!strcmp(what, "caps"))
		return no_caps();
	if (!strcmp(what, "fork"))
		return no_fork();
	if (!strcmp(what, "ptrace")) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		return 3;
	}
	fprintf(stderr, "probe: unknown test %s\n", what);
	return 2;
}
