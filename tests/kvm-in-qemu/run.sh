#!/bin/bash
# run.sh CACHE_DIR PAYLOAD_DIR OUT_DIR [TIMEOUT_S]
#
# Boot Debian's kernel (prepared by prepare.sh into CACHE_DIR) in TCG QEMU
# with a CPU that has SVM+NPT, so that the guest gets a nested /dev/kvm, and
# run PAYLOAD_DIR/run inside it (cwd /payload, env OUT=/out).
#
# Afterwards OUT_DIR (must be empty or absent) holds whatever the payload
# wrote under /out, plus:
#   status             exit status of /payload/run (only if it ran)
#   guest-console.log  the guest's serial console (kernel + payload output)
#
# Exit status: 0 payload ran and exited 0; 1 payload ran and failed;
# 2 usage; 3 the guest/infrastructure failed (no status file).
#
# Environment:
#   KVM_AMD_PARAMS  insmod parameters for kvm-amd.ko (default "npt=0":
#                   shadow paging measured faster for many small VMs here)
#   QEMU            QEMU binary (default qemu-system-x86_64)
#   GUEST_MEM       guest RAM (default 1G)
#   QEMU_CPU        guest CPU model (default qemu64,+svm,+npt)
set -eu

PROG=kvm-in-qemu
HERE=$(cd "$(dirname "$0")" && pwd)
BUSYBOX=${BUSYBOX:-/bin/busybox}
QEMU=${QEMU:-qemu-system-x86_64}
KVM_AMD_PARAMS=${KVM_AMD_PARAMS-npt=0}
GUEST_MEM=${GUEST_MEM:-1G}
QEMU_CPU=${QEMU_CPU:-qemu64,+svm,+npt}

WORK=
QEMU_PID=
OUT_DIR=

die() { echo "$PROG: $*" >&2; exit 3; }

cleanup() {
	# Never leave QEMU behind (timeout forwards TERM to QEMU).
	if [ -n "$QEMU_PID" ]; then kill "$QEMU_PID" 2>/dev/null || true; wait "$QEMU_PID" 2>/dev/null || true; fi
	if [ -n "$WORK" ]; then rm -rf "$WORK"; fi
}

check_host() {
	local cache=$1 payload=$2
	command -v "$QEMU" >/dev/null || die "no QEMU: $QEMU not found (apt-get install qemu-system-x86)"
	command -v cpio >/dev/null || die "no cpio on the host (apt-get install cpio)"
	command -v timeout >/dev/null || die "no timeout on the host (coreutils)"
	if [ ! -s "$cache/version" ] || [ ! -s "$cache/kernel" ] || [ ! -s "$cache/modules/order" ]; then
		die "no kernel cache in $cache (run prepare.sh $cache first)"
	fi
	[ -x "$BUSYBOX" ] || die "no $BUSYBOX (apt-get install busybox-static)"
	! ldd "$BUSYBOX" >/dev/null 2>&1 || die "$BUSYBOX is dynamically linked (apt-get install busybox-static)"
	[ -f "$payload/run" ] || die "no $payload/run: the payload must provide a run script"
}

is_elf() { [ "$(od -An -tx1 -N4 "$1" 2>/dev/null | tr -d ' ')" = 7f454c46 ]; }

# Copy the shared libraries and loader every ELF file in the payload needs,
# at the same paths as on the host (the loader path is baked into binaries).
copy_libs() {
	local payload=$1 root=$2 f lib
	find "$payload" -type f | while read -r f; do
		is_elf "$f" || continue
		ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
			while read -r lib; do
				[ -e "$root$lib" ] && continue
				mkdir -p "$root$(dirname "$lib")"
				cp -L "$lib" "$root$lib" || die "cannot copy $lib (needed by $f)"
			done
	done
}

# Initramfs root: busybox + applet symlinks, modules, payload, libs, /init.
build_root() {
	local cache=$1 payload=$2 root=$3 marker=$4 applet
	mkdir -p "$root"/{bin,dev,proc,sys,etc,out,lib/kiq-modules,payload}
	cp "$BUSYBOX" "$root/bin/busybox"
	# Same result as "busybox --install -s", done on the host so init needs no /proc yet.
	for applet in $("$BUSYBOX" --list); do
		[ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
	done
	cp "$cache"/modules/*.ko "$cache/modules/order" "$root/lib/kiq-modules/" ||
		die "cannot copy the modules from $cache"
	cp -a "$payload/." "$root/payload/" || die "cannot copy the payload $payload"
	copy_libs "$payload" "$root"
	cp "$HERE/guest-init.sh" "$root/init"
	chmod 755 "$root/init"
	printf 'M=%s\nKVM_AMD_PARAMS="%s"\n' "$marker" "$KVM_AMD_PARAMS" >"$root/etc/kiq.conf"
}

make_initramfs() {
	local root=$1 out=$2
	# Uncompressed newc: bigger, but quicker to build and for the guest to unpack.
	(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet) >"$out" ||
		die "cannot build the initramfs"
}

# Run QEMU in the background (so cleanup can stop it); return its exit status.
run_qemu() {
	local kernel=$1 initrd=$2 console=$3 results=$4 limit=$5 rc=0
	timeout -k 5 "$limit" "$QEMU" \
		-accel tcg -cpu "$QEMU_CPU" -m "$GUEST_MEM" -smp 1 \
		-nodefaults -no-user-config -display none -monitor none -no-reboot \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 quiet" \
		-serial "file:$console" -serial "file:$results" \
		</dev/null >"$WORK/qemu.stderr" 2>&1 &
	QEMU_PID=$!
	wait "$QEMU_PID" || rc=$?
	QEMU_PID=
	return "$rc"
}

# Lines of the results port carrying our marker, without the marker.
marked() { tr -d '\r' <"$1" | sed -n "s/^$2 //p"; }

# Decide from what came back (never from QEMU's exit status alone).
# Sets PAYLOAD_STATUS or dies with one line.
check_results() {
	local results=$1 console=$2 marker=$3 qrc=$4 limit=$5 lines line
	lines=$(marked "$results" "$marker")
	line=$(echo "$lines" | sed -n 's/^FAIL //p' | head -n1)
	[ -z "$line" ] || die "guest setup failed: $line"
	PAYLOAD_STATUS=$(echo "$lines" | sed -n 's/^STATUS \([0-9]*\)$/\1/p')
	if [ -n "$PAYLOAD_STATUS" ] && echo "$lines" | grep -qx END && [ "$qrc" = 0 ]; then
		return 0
	fi
	# Incomplete: name the most likely cause.
	line=$(tr -d '\r' <"$console" | grep -m1 'Kernel panic' || true)
	[ -z "$line" ] || die "guest kernel panic: $line"
	case $qrc in 124 | 137) die "QEMU hung: no complete result within $limit s" ;; esac
	[ "$qrc" = 0 ] || die "QEMU failed (exit $qrc): $(tail -n1 "$WORK/qemu.stderr")"
	echo "$lines" | grep -qx BEGIN || die "guest init never started (see console log)"
	echo "$lines" | grep -qx KVM-READY || die "guest stopped before /dev/kvm was ready"
	[ -n "$PAYLOAD_STATUS" ] || die "payload did not finish (no STATUS line)"
	die "results truncated (no END line)"
}

# Decode the base64 tar between TAR-BEGIN and TAR-END into OUT_DIR.
unpack_out() {
	local results=$1 marker=$2 out=$3
	tr -d '\r' <"$results" |
		sed -n "/^$marker TAR-BEGIN\$/,/^$marker TAR-END\$/{/^$marker /d;p}" |
		base64 -d | gzip -dc | tar xf - -C "$out" 2>"$WORK/tar.stderr" ||
		die "results missing or corrupt: $(tail -n1 "$WORK/tar.stderr")"
}

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }

main() {
	if [ $# -lt 3 ] || [ $# -gt 4 ]; then
		echo "usage: $0 CACHE_DIR PAYLOAD_DIR OUT_DIR [TIMEOUT_S]" >&2
		exit 2
	fi
	local cache=$1 payload=$2 limit=${4:-600} marker t0 t1 qrc=0
	OUT_DIR=$3
	check_host "$cache" "$payload"
	mkdir -p "$OUT_DIR" || die "cannot create $OUT_DIR"
	# Refuse stale results: a leftover file must never pass for a new one.
	[ -z "$(ls -A "$OUT_DIR")" ] || die "OUT_DIR $OUT_DIR is not empty"

	trap cleanup EXIT
	trap 'exit 3' INT TERM HUP
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/kvm-in-qemu.XXXXXX")
	marker="KIQ-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')"
	build_root "$cache" "$payload" "$WORK/root" "$marker"
	make_initramfs "$WORK/root" "$WORK/initrd"
	: >"$WORK/console" ; : >"$WORK/results"

	t0=$(date +%s%N)
	run_qemu "$cache/kernel" "$WORK/initrd" "$WORK/console" "$WORK/results" "$limit" || qrc=$?
	t1=$(date +%s%N)
	# The console log is worth keeping whatever happened.
	cp "$WORK/console" "$OUT_DIR/guest-console.log"

	check_results "$WORK/results" "$WORK/console" "$marker" "$qrc" "$limit"
	unpack_out "$WORK/results" "$marker" "$OUT_DIR"
	echo "$PAYLOAD_STATUS" >"$OUT_DIR/status"
	cp "$WORK/console" "$OUT_DIR/guest-console.log"
	echo "$PROG: guest ran in $(elapsed "$t0" "$t1") s"
	if [ "$PAYLOAD_STATUS" != 0 ]; then
		echo "$PROG: payload exited with status $PAYLOAD_STATUS" >&2
		exit 1
	fi
}

main "$@"
