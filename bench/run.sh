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

# 200 cases of one guest with different inputs, as when one program is
# graded against many inputs: it is assembled once.
for i in $(seq 1 200); do
	printf -- '---\nname: shared %d\nguest: %s/guests/echo_upper.asm\ninput: "abc%d"\nexpect: {serial: "ABC%d"}\n' \
		"$i" "$ROOT" "$i" "$i"
done >"$WORK/shared.yaml"

echo
echo "Suite throughput, one kvmcheck run per row (each case in its own worker),"
echo "with -j 1 (one case at a time) and -j 2 (two at once); peak RSS is kvmcheck's own:"
echo
echo "| backend | suite | -j | cases | wall s | cases/s | peak RSS MiB |"
echo "|---------|-------|----|-------|--------|---------|--------------|"
for backend in kvm emu; do
	if ! "$KVMCHECK" --backend "$backend" --no-reports cases/hello.yaml >/dev/null 2>&1; then
		echo "| $backend | not available here | | | | | |"
		continue
	fi
	for suite in suite shared; do
		for jobs in 1 2; do
			start=$(date +%s.%N)
			/usr/bin/time -f %M -o "$WORK/rss" "$KVMCHECK" --backend "$backend" -j "$jobs" --no-reports \
				"$WORK/$suite.yaml" >"$WORK/out.tap" 2>/dev/null ||
				{ echo "bench: the $suite suite failed on $backend with -j $jobs" >&2; exit 1; }
			end=$(date +%s.%N)
			label="200 distinct guests"
			[ "$suite" = shared ] && label="1 guest, 200 inputs"
			awk -v b="$backend" -v l="$label" -v j="$jobs" -v s="$start" -v e="$end" -v r="$(tail -n 1 "$WORK/rss")" \
				'BEGIN { printf "| %-7s | %s | %d | %5d | %6.2f | %7.1f | %5.1f |\n", b, l, j, 200, e - s, 200 / (e - s), r / 1024 }'
		done
	done
done
