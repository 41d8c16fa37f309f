/*
 * kvm_smoke: minimal /dev/kvm check meant to run inside the nested guest.
 *
 *   kvm_smoke                 run one real-mode guest, print its exits,
 *                             write "ok" to $OUT/smoke.txt on success
 *   kvm_smoke bench N [hold]  time N fresh VMs (create VM+vCPU, run to HLT,
 *                             close) and print the median in ms; "hold"
 *                             keeps one extra idle VM open meanwhile
 *
 * The guest code is: mov dx,0x3f8; mov al,'A'; out dx,al; hlt
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE (1u << 20)

static const unsigned char guest_code[] = {
	0xba, 0xf8, 0x03, /* mov dx, 0x3f8 */
	0xb0, 0x41,       /* mov al, 'A'   */
	0xee,             /* out dx, al    */
	0xf4,             /* hlt           */
};

static int kvm_fd;
static void *guest_mem;
static int vcpu_mmap_size;
static int verbose;

static void die(const char *fmt, ...)
{
	va_list ap;
	int err = errno;

	va_start(ap, fmt);
	fputs("kvm_smoke: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	exit(1);
}

struct vm {
	int vm_fd, vcpu_fd;
	struct kvm_run *run;
};

/* Create a VM with 1 MiB of memory at GPA 0 and one vCPU in real mode at 0:0. */
static void vm_create(struct vm *vm)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = MEM_SIZE,
		.userspace_addr = (unsigned long)guest_mem,
	};
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	vm->vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		die("KVM_CREATE_VM");
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		die("KVM_CREATE_VCPU");
	vm->run = mmap(NULL, vcpu_mmap_size, PROT_READ | PROT_WRITE,
		       MAP_SHARED, vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED)
		die("mmap kvm_run");

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		die("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		die("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0;
	regs.rflags = 2;
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		die("KVM_SET_REGS");
}

static void vm_destroy(struct vm *vm)
{
	munmap(vm->run, vcpu_mmap_size);
	close(vm->vcpu_fd);
	close(vm->vm_fd);
}

/* Run to HLT; return 0 iff the exits were exactly: OUT 0x3f8 'A', then HLT. */
static int vm_run_expect(struct vm *vm)
{
	int saw_out = 0;

	for (;;) {
		struct kvm_run *r = vm->run;

		if (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0)
			die("KVM_RUN");
		switch (r->exit_reason) {
		case KVM_EXIT_IO: {
			char c = *((char *)r + r->io.data_offset);

			if (verbose)
				printf("exit: IO %s port=0x%x size=%d data='%c'\n",
				       r->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
				       r->io.port, r->io.size, c);
			if (saw_out || r->io.direction != KVM_EXIT_IO_OUT ||
			    r->io.port != 0x3f8 || r->io.size != 1 || c != 'A')
				return -1;
			saw_out = 1;
			break;
		}
		case KVM_EXIT_HLT:
			if (verbose)
				printf("exit: HLT\n");
			return saw_out ? 0 : -1;
		default:
			printf("exit: unexpected reason %u\n", r->exit_reason);
			return -1;
		}
	}
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int smoke(void)
{
	struct vm vm;
	const char *out = getenv("OUT");
	char path[4096];
	FILE *f;
	int rc;

	verbose = 1;
	vm_create(&vm);
	rc = vm_run_expect(&vm);
	vm_destroy(&vm);
	if (rc) {
		printf("smoke: FAIL\n");
		return 1;
	}
	printf("smoke: ok\n");
	snprintf(path, sizeof(path), "%s/smoke.txt", out ? out : ".");
	f = fopen(path, "w");
	if (!f)
		die("open %s", path);
	fputs("ok\n", f);
	return fclose(f) ? 1 : 0;
}

static int bench(int n, int hold)
{
	struct vm idle, vm;
	double *t = calloc(n, sizeof(*t));
	int i;

	if (!t || n < 1)
		return 1;
	if (hold)
		vm_create(&idle);
	for (i = 0; i < n; i++) {
		double t0 = now_ms();

		vm_create(&vm);
		if (vm_run_expect(&vm)) {
			printf("bench: VM %d gave unexpected exits\n", i);
			return 1;
		}
		vm_destroy(&vm);
		t[i] = now_ms() - t0;
	}
	if (hold)
		vm_destroy(&idle);
	qsort(t, n, sizeof(*t), cmp_double);
	printf("bench: %d VMs, %s idle VM held: median %.3f ms (min %.3f, max %.3f)\n",
	       n, hold ? "one" : "no", t[n / 2], t[0], t[n - 1]);
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die("open /dev/kvm");
	if (ioctl(kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		die("KVM_GET_API_VERSION mismatch");
	vcpu_mmap_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu_mmap_size <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE");
	guest_mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guest_mem == MAP_FAILED)
		die("mmap guest memory");
	memcpy(guest_mem, guest_code, sizeof(guest_code));

	if (argc >= 3 && !strcmp(argv[1], "bench"))
		return bench(atoi(argv[2]), argc >= 4 && !strcmp(argv[3], "hold"));
	return smoke();
}
