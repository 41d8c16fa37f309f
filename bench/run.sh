#!/bin/bash
# make bench: stage times for the hello case on each backend that works
# here, then suite throughput for 200 generated cases.
# usage: bench/run.sh BENCH_BINARY KVMCHECK [RUNS]
set -eu
BENCH=$(realpath "$1")
KVMCHECK=$(realpath "$2")
RUNS=${3:-200}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"

"$BENCH" cases/hello.yaml "$RUNS"

# 200 distinct cases: each guest prints its own number, so none is alike.
for i in $(seq 1 200); do
	cat <<-CASE
	---
	name: generated $i
	source: |
	  bits 16
	  mov dx, 0x3f8
	  mov ax, $i
	  mov cx, 10
	  mov di, digits + 5
	  next: xor dx, dx
	  div cx
	  add dl, '0'
	  dec di
	  mov [di], dl
	  test ax, ax
	  jnz next
	  mov dx, 0x3f8
	  mov si, di
	  print: lodsb
	  test al, al
	  jz done
	  out dx, al
	  jmp print
	  done: hlt
	  digits: db 0, 0, 0, 0, 0, 0
	expect:
	  serial: "$i"
	CASE
done >"$WORK/suite.yaml"

echo
echo "Suite throughput, 200 generated cases (assembly included), one process:"
echo
echo "| backend | cases | wall s | cases/s |"
echo "|---------|-------|--------|---------|"
for backend in kvm emu; do
	if ! "$KVMCHECK" --backend "$backend" --no-reports cases/hello.yaml >/dev/null 2>&1; then
		echo "| $backend | not available here |"
		continue
	fi
	start=$(date +%s.%N)
	"$KVMCHECK" --backend "$backend" --no-reports "$WORK/suite.yaml" >"$WORK/out.tap" 2>/dev/null ||
		{ echo "bench: the generated suite failed on $backend" >&2; exit 1; }
	end=$(date +%s.%N)
	awk -v b="$backend" -v s="$start" -v e="$end" 'BEGIN { printf "| %-7s | %5d | %6.2f | %7.1f |\n", b, 200, e - s, 200 / (e - s) }'
done
