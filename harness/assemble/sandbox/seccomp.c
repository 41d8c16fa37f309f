/* The seccomp BPF program: see sandbox_seccomp.h. */
#include "assemble/sandbox/seccomp.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/seccomp.h>

#if defined(__x86_64__)
#define SB_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SB_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#define DENY (SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))
#define KILL SECCOMP_RET_KILL_PROCESS

struct sys_rule {
	long nr;
	uint32_t action;
};

/* Sockets and new processes fail softly (a tool may probe and carry on);
 * calls that only serve an escape or a kernel exploit kill the process. */
static const struct sys_rule sys_rules[] = {
	{ SYS_socket, DENY }, { SYS_socketpair, DENY }, { SYS_clone, DENY }, { SYS_unshare, DENY },
	{ SYS_setns, DENY },
#ifdef SYS_fork
	{ SYS_fork, DENY }, { SYS_vfork, DENY },
#endif
#ifdef SYS_clone3
	{ SYS_clone3, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA) },
#endif
	{ SYS_ptrace, KILL }, { SYS_process_vm_readv, KILL }, { SYS_process_vm_writev, KILL }, { SYS_bpf, KILL },
	{ SYS_perf_event_open, KILL }, { SYS_userfaultfd, KILL }, { SYS_keyctl, KILL }, { SYS_add_key, KILL },
	{ SYS_request_key, KILL }, { SYS_kexec_load, KILL }, { SYS_init_module, KILL }, { SYS_finit_module, KILL },
	{ SYS_delete_module, KILL }, { SYS_mount, KILL }, { SYS_umount2, KILL }, { SYS_pivot_root, KILL },
	{ SYS_chroot, KILL }, { SYS_swapon, KILL }, { SYS_swapoff, KILL }, { SYS_reboot, KILL }, { SYS_acct, KILL },
	{ SYS_open_by_handle_at, KILL }, { SYS_syslog, KILL }, { SYS_personality, KILL },
#ifdef SYS_iopl
	{ SYS_iopl, KILL }, { SYS_ioperm, KILL },
#endif
#ifdef SYS_kexec_file_load
	{ SYS_kexec_file_load, KILL },
#endif
#ifdef SYS_io_uring_setup
	{ SYS_io_uring_setup, KILL }, { SYS_io_uring_enter, KILL }, { SYS_io_uring_register, KILL },
#endif
#ifdef SYS_open_tree
	{ SYS_open_tree, KILL }, { SYS_move_mount, KILL }, { SYS_fsopen, KILL }, { SYS_fsconfig, KILL },
	{ SYS_fsmount, KILL }, { SYS_fspick, KILL },
#endif
#ifdef SYS_mount_setattr
	{ SYS_mount_setattr, KILL },
#endif
};

static void push(struct sandbox_filter *f, struct sock_filter insn)
{
	f->insn[f->len++] = insn;
}

/* Another architecture's calling convention (int 0x80, x32) would name
 * different system calls by the same numbers: those are killed outright. */
void sandbox_seccomp_build(struct sandbox_filter *f)
{
	f->len = 0;
#ifdef SB_AUDIT_ARCH
	_Static_assert(5 + 2 * sizeof(sys_rules) / sizeof(*sys_rules) + 1 <= SANDBOX_FILTER_MAX,
		       "seccomp program too long");
	push(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
	push(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SB_AUDIT_ARCH, 1, 0));
	push(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, KILL));
	push(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
#ifdef __x86_64__
	push(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1));
	push(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, KILL));
#endif
	for (size_t i = 0; i < sizeof(sys_rules) / sizeof(*sys_rules); i++) {
		push(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)sys_rules[i].nr, 0, 1));
		push(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, sys_rules[i].action));
	}
	push(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
#endif
}

int sandbox_seccomp_install(const struct sandbox_filter *f)
{
	struct sock_fprog prog = { .len = f->len, .filter = (struct sock_filter *)f->insn };
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

bool sandbox_seccomp_works(void)
{
#ifdef SB_AUDIT_ARCH
	uint32_t action = SECCOMP_RET_KILL_PROCESS;
	return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
#else
	return false;
#endif
}
