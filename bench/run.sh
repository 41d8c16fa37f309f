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
	if ! "$KVMCHECK" --backend "$backend" --allow-read guests --no-reports cases/hello.yaml >/dev/null 2>&1; then
		echo "| $backend | not available here | | | | | |"
		continue
	fi
	for suite in suite shared; do
		for jobs in 1 2; do
			start=$(date +%s.%N)
			/usr/bin/time -f %M -o "$WORK/rss" "$KVMCHECK" --backend "$backend" -j "$jobs" --allow-read "$ROOT/guests" --no-reports \
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

# What counting instructions costs (README "Metrics"): one loop guest of N
# instructions, run with and without expect.max_instructions; the run
# stage's time (not nasm's) is the best of 3.
loop_case() { # N COUNTED
	printf 'name: loop of %d instructions\nsource: |\n  mov ecx, %d\n  again: dec ecx\n  jnz again\n  hlt\ntimeout_ms: 600000\n' \
		"$1" $((($1 - 2) / 2))
	if [ "$2" = 1 ]; then printf 'expect:\n  max_instructions: %d\n' "$1"; fi
}
best_run_ms() { # BACKEND FILE
	for _ in 1 2 3; do
		"$KVMCHECK" --backend "$1" -v --timing --no-reports "$2" 2>/dev/null | awk '$1 == "run:" { print $2 }'
	done | sort -g | head -n 1
}
echo
echo "Instruction counting, one loop guest (README \"Metrics\"); run stage, best of 3:"
echo
echo "| backend | instructions | run ms, not counted | run ms, counted | cost per instruction counted, us |"
echo "|---------|--------------|---------------------|-----------------|----------------------------------|"
for backend in kvm emu; do
	if ! "$KVMCHECK" --backend "$backend" --allow-read guests --no-reports cases/hello.yaml >/dev/null 2>&1; then
		echo "| $backend | not available here | | | |"
		continue
	fi
	n=1000000
	[ "$backend" = kvm ] && n=100000 # one exit per instruction: 10^6 takes tens of seconds
	loop_case "$n" 0 >"$WORK/loop_plain.yaml"
	loop_case "$n" 1 >"$WORK/loop_counted.yaml"
	plain=$(best_run_ms "$backend" "$WORK/loop_plain.yaml")
	counted=$(best_run_ms "$backend" "$WORK/loop_counted.yaml")
	awk -v b="$backend" -v n="$n" -v p="$plain" -v c="$counted" \
		'BEGIN { printf "| %-7s | %12d | %19.1f | %15.1f | %32.3f |\n", b, n, p, c, (c - p) * 1000 / n }'
done
