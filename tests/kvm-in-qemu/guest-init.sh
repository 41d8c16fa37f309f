#!/bin/sh
# /init of the initramfs that run.sh builds (busybox sh, PID 1).
#
# Loads KVM, runs /payload/run with OUT=/out, and reports on the second
# serial port (/dev/ttyS1, a file on the host) with lines prefixed by a
# per-run marker, so that the host never mistakes stale or foreign text for
# a result:
#   $M BEGIN | $M KVM-READY | $M FAIL <why> | $M STATUS <n>
#   $M TAR-BEGIN <base64 of gzipped tar of /out> $M TAR-END | $M END
# /etc/kiq.conf (written by run.sh) sets M and KVM_AMD_PARAMS.
#
# shellcheck disable=SC3043  # busybox ash has "local"
export PATH=/bin
# shellcheck source=/dev/null
. /etc/kiq.conf

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# Without devtmpfs there are no device nodes at all: make the few we need.
[ -c /dev/console ] || mknod /dev/console c 5 1
[ -c /dev/null ] || mknod /dev/null c 1 3
[ -c /dev/ttyS1 ] || mknod /dev/ttyS1 c 4 65
# The kernel could not open /dev/console before devtmpfs existed.
exec </dev/null >/dev/console 2>&1
exec 3>/dev/ttyS1

say() { echo "$M $*" >&3; echo "$M $*"; }

# Report, then close ttyS1 (the last close waits for the UART to drain) and
# power off so that QEMU exits.
finish() {
	say END
	exec 3>&-
	poweroff -f
	sleep 60  # poweroff -f does not return; never let init exit (panic)
}

fail() { say "FAIL $*"; finish; }

load_modules() {
	local m params err
	# shellcheck disable=SC2013  # module file names have no spaces
	for m in $(cat /lib/kiq-modules/order); do
		params=
		[ "$m" = kvm-amd.ko ] && params=$KVM_AMD_PARAMS
		# shellcheck disable=SC2086  # params are separate words on purpose
		err=$(insmod /lib/kiq-modules/$m $params 2>&1) ||
			fail "insmod $m $params refused: $(echo "$err" | tail -n1)"
	done
}

ensure_dev_kvm() {
	local majmin
	if [ ! -c /dev/kvm ] && [ -r /sys/class/misc/kvm/dev ]; then
		majmin=$(cat /sys/class/misc/kvm/dev)
		mknod /dev/kvm c "${majmin%:*}" "${majmin#*:}"
	fi
	[ -c /dev/kvm ] || fail "no /dev/kvm after loading kvm-amd"
}

run_payload() {
	mkdir -p /out
	chmod +x /payload/run
	(cd /payload && OUT=/out exec /payload/run)
	say "STATUS $?"
}

send_out() {
	say TAR-BEGIN
	# base64 keeps the tty layer from mangling binary data
	tar cf - -C /out . | gzip | base64 >&3
	say TAR-END
}

say BEGIN
[ -x /payload/run ] || [ -f /payload/run ] || fail "no /payload/run in the initramfs"
load_modules
ensure_dev_kvm
say KVM-READY
run_payload
send_out
finish
