#!/bin/bash
# tcg-limits.sh [QEMU...]: boots two real-mode probes (probes/limits.asm) in each
# QEMU's TCG and prints what it did: whether ip past offset 0xffff of the
# code segment raises #GP or wraps to 0, and whether a word at ds:0xffff
# raises #GP. Under make check-kvm's nested kvm-amd, TCG runs the nested
# guest's real mode, so what it does here is what the kvm rows and CPU
# cases that expect these faults meet there (README, "How real KVM is
# tested"). Prints one line per QEMU and probe; exits 1 when a probe could
# not be assembled or booted.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
[ $# -gt 0 ] || set -- qemu-system-x86_64
status=0

# probe QEMU NAME: the letter the probe printed, or nothing
probe() {
	timeout 60 "$1" -accel tcg -nographic -serial stdio -monitor none -nic none \
		-device isa-debug-exit,iobase=0xf4,iosize=4 \
		-drive "format=raw,file=$WORK/$2.bin,if=ide,snapshot=on" </dev/null 2>/dev/null |
		tr -d '\r' | tail -c 1
}

if ! nasm -f bin -DCODE_LIMIT -o "$WORK/code_limit.bin" "$HERE/probes/limits.asm" ||
	! nasm -f bin -o "$WORK/data_limit.bin" "$HERE/probes/limits.asm"; then
	echo "tcg-limits: probes/limits.asm does not assemble"
	exit 1
fi
for qemu in "$@"; do
	version=$("$qemu" --version 2>/dev/null | head -n 1 | sed 's/^QEMU emulator version //')
	case $(probe "$qemu" code_limit) in
	G) said="raises #GP" ;;
	W) said="wraps ip to 0 (no #GP)" ;;
	*) said="did not say"; status=1 ;;
	esac
	echo "tcg-limits: QEMU ${version:-?} TCG, ip past 0xffff of a real-mode code segment: $said"
	case $(probe "$qemu" data_limit) in
	G | S) said="raises #GP or #SS" ;;
	N) said="reads on (no #GP)" ;;
	*) said="did not say"; status=1 ;;
	esac
	echo "tcg-limits: QEMU ${version:-?} TCG, a word at ds:0xffff in real mode: $said"
done
exit "$status"
