#!/bin/bash
# Part of make check: runs make check-kvm where QEMU and Debian's kernel
# package can be had (CI: always). As root, missing packages are installed
# first; without root and without them, says so and skips.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ] && ! command -v qemu-system-x86_64 >/dev/null; then
	echo "check-kvm: skipped: qemu-system-x86_64 is missing and only root can install it"
	exit 0
fi
start=$SECONDS
make -C "$ROOT" --no-print-directory check-kvm
status=$?
echo "check-kvm took $((SECONDS - start)) s"
exit $status
