#!/bin/bash
# selftest.sh [CACHE_DIR [WORK_DIR]]
#
# Proves the kvm-in-qemu runner works end to end: prepares the kernel cache,
# builds a payload (static kvm_smoke + a dynamically linked helper, to
# exercise library copying), runs it in the nested guest and checks that
# smoke.txt says ok and status is 0. Also prints the per-VM cost measured
# inside the guest (median of N fresh VMs, with and without one idle VM
# held open; N from BENCH_VMS, default 200, 0 skips).
# Defaults: CACHE_DIR=build/kvm-in-qemu, WORK_DIR=build/kvm-in-qemu-selftest
# (relative to the repository root).
set -eu

PROG=kvm-in-qemu-selftest
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${1:-$ROOT/build/kvm-in-qemu}
WORK=${2:-$ROOT/build/kvm-in-qemu-selftest}
BENCH_VMS=${BENCH_VMS:-200}

fail() { echo "$PROG: FAIL: $*" >&2; exit 1; }

build_payload() {
	local p=$1
	rm -rf "$p"
	mkdir -p "$p"
	gcc -O2 -Wall -Wextra -static -o "$p/kvm_smoke" "$HERE/selftest/kvm_smoke.c" ||
		fail "cannot build kvm_smoke.c (static; needs gcc and libc6-dev)"
	# A dynamic binary: only runs if run.sh copied its libraries and loader.
	printf '#include <stdio.h>\nint main(void) { puts("dyn ok"); return 0; }\n' >"$p/dyn.c"
	gcc -O2 -o "$p/dyn_hello" "$p/dyn.c" || fail "cannot build dyn_hello"
	rm "$p/dyn.c"
	cat >"$p/run" <<-PAYLOAD
	#!/bin/sh
	set -e
	./kvm_smoke
	./dyn_hello >"\$OUT/dyn.txt"
	if [ "$BENCH_VMS" -gt 0 ]; then
		./kvm_smoke bench "$BENCH_VMS" | tee "\$OUT/bench.txt"
		./kvm_smoke bench "$BENCH_VMS" hold | tee -a "\$OUT/bench.txt"
	fi
	PAYLOAD
	chmod +x "$p/run"
}

main() {
	"$HERE/prepare.sh" "$CACHE" || fail "prepare.sh failed"
	build_payload "$WORK/payload"
	rm -rf "$WORK/out"
	"$HERE/run.sh" "$CACHE" "$WORK/payload" "$WORK/out" 600 || fail "run.sh failed (see $WORK/out/guest-console.log)"

	[ "$(cat "$WORK/out/status")" = 0 ] || fail "status is not 0"
	[ "$(cat "$WORK/out/smoke.txt" 2>/dev/null)" = ok ] || fail "smoke.txt does not say ok"
	[ "$(cat "$WORK/out/dyn.txt" 2>/dev/null)" = "dyn ok" ] || fail "dynamic binary did not run"
	if [ "$BENCH_VMS" -gt 0 ]; then
		[ -s "$WORK/out/bench.txt" ] || fail "no bench.txt"
		sed 's/^/per-VM cost in the nested guest: /' "$WORK/out/bench.txt"
	fi
	echo "$PROG: PASS"
}

main "$@"
