#!/bin/bash
# make bench: stage times for the hello case on each backend that works
# here; then kvmcheck's throughput on suites of N cases (default 1000) next
# to the QEMU-per-case way (one qemu-system-i386 boot per case, as graders
# that run each submission in QEMU do). A benchmark that prints tables,
# never a test: nothing here passes or fails on a time.
# usage: [BENCH_REPEAT=R] bench/run.sh BENCH_BINARY KVMCHECK [RUNS] [CASES] [QEMU_RUNS]
set -eu
BENCH=$(realpath "$1")
KVMCHECK=$(realpath "$2")
RUNS=${3:-200}      # stage-time samples per backend
CASES=${4:-1000}    # cases per kvmcheck suite
QEMU_RUNS=${5:-10}  # QEMU boots per row (fewer when one takes long)
REPEAT=${BENCH_REPEAT:-3} # runs of each kvmcheck and nasm row: best and median shown
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"

NASM_AFTER_START=$(dirname "$BENCH")/nasm-after-start.so
[ -f "$NASM_AFTER_START" ] || { echo "bench: no $NASM_AFTER_START (make bench builds it)" >&2; exit 2; }
declare -A nasm_floor

"$BENCH" cases/hello.yaml "$RUNS" | tee "$WORK/stages"

# ---- the suites -------------------------------------------------------------

# number_guest and make_suites (bench/suites.sh): the suites below.
# shellcheck source=bench/suites.sh
. "$ROOT/bench/suites.sh"

# ---- QEMU per case ------------------------------------------------------------

# A boot-sector hello: prints on COM1, then ends QEMU through isa-debug-exit.
make_boot_sector() {
	cat >"$WORK/boot.asm" <<-'ASM'
	bits 16
	org 0x7c00
	mov dx, 0x3f8
	mov si, msg
	next: lodsb
	test al, al
	jz done
	out dx, al
	jmp next
	done: mov dx, 0xf4
	xor al, al
	out dx, al
	hlt
	msg: db "hello", 0
	times 510-($-$$) db 0
	dw 0xaa55
	ASM
	nasm -f bin -o "$WORK/boot.bin" "$WORK/boot.asm"
}

# qemu_case ACCEL OUT: one boot; isa-debug-exit's value 0 exits with status 1.
qemu_case() {
	local status=0
	timeout 120 /usr/bin/time -f %M -o "$2.rss" qemu-system-i386 -accel "$1" -nographic -serial stdio -monitor none \
		-nic none -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-drive "format=raw,file=$WORK/boot.bin,if=ide,snapshot=on" >"$2.out" 2>"$2.err" </dev/null || status=$?
	# SeaBIOS's own progress dots may land between the guest's letters.
	[ "$status" = 1 ] && tr -d '.\r\n' <"$2.out" | grep -q hello
}

# qemu_row ACCEL JOBS: QEMU_RUNS boots, JOBS at once (fewer boots when the
# first ones are slow); prints "seconds-per-case peak-RSS-KiB boots".
qemu_row() {
	local accel=$1 jobs=$2 done=0 start end rss=0 r
	start=$(date +%s.%N)
	while [ "$done" -lt "$QEMU_RUNS" ]; do
		local pids=() k
		for k in $(seq 1 "$jobs"); do
			qemu_case "$accel" "$WORK/q$k" & pids+=($!)
		done
		for k in "${pids[@]}"; do wait "$k" || return 1; done
		for k in $(seq 1 "$jobs"); do
			r=$(tail -n 1 "$WORK/q$k.rss")
			[ "$r" -gt "$rss" ] && rss=$r
		done
		done=$((done + jobs))
		end=$(date +%s.%N)
		awk -v s="$start" -v e="$end" 'BEGIN { exit !(e - s > 60) }' && break
	done
	awk -v s="$start" -v e="$end" -v n="$done" -v r="$rss" 'BEGIN { printf "%.6f %d %d\n", (e - s) / n, r, n }'
}

# ---- kvmcheck -----------------------------------------------------------------

# kvmcheck_once BACKEND JOBS SUITE CACHE-DIR: prints "seconds peak-RSS-KiB".
kvmcheck_once() {
	local start end
	start=$(date +%s.%N)
	/usr/bin/time -f %M -o "$WORK/rss" "$KVMCHECK" --backend "$1" -j "$2" --cache-dir "$4" --no-reports \
		"$WORK/suite/$3.yaml" >"$WORK/out.tap" 2>"$WORK/err" ||
		{ echo "bench: the $3 suite failed on $1 with -j $2:" >&2; head -n 20 "$WORK/out.tap" "$WORK/err" >&2; exit 1; }
	end=$(date +%s.%N)
	awk -v s="$start" -v e="$end" -v r="$(tail -n 1 "$WORK/rss")" 'BEGIN { printf "%.6f %d\n", e - s, r }'
}

# nasm_once JOBS: nasm alone on the distinct guests, one process per guest,
# JOBS at once, no sandbox and no VM: the floor under a cold run (prints
# "seconds peak-RSS-KiB").
nasm_once() {
	local start end
	start=$(date +%s.%N)
	(cd "$WORK/suite" && seq 1 "$CASES" |
		/usr/bin/time -f %M -o "$WORK/rss" xargs -P "$1" -I{} nasm -f bin -o /dev/null g{}/guest.asm)
	end=$(date +%s.%N)
	awk -v s="$start" -v e="$end" -v r="$(tail -n 1 "$WORK/rss")" 'BEGIN { printf "%.6f %d\n", e - s, r }'
}

# nasm_after_start_once JOBS: nasm's own work on the distinct guests with
# its exec and start-up paid once per process (bench/nasm_after_start.c
# forks each assembly from a nasm that has started), JOBS such processes
# sharing the guests: the floor under a cold run of any design that runs
# nasm once per distinct guest (prints "seconds peak-RSS-KiB").
nasm_after_start_once() {
	local start end k status=0 pids=()
	for k in $(seq 0 $(($1 - 1))); do
		seq 1 "$CASES" | awk -v j="$1" -v k="$k" '(NR - 1) % j == k { print "g" $1 "/guest.asm" }' >"$WORK/nasm-list.$k"
	done
	start=$(date +%s.%N)
	for k in $(seq 0 $(($1 - 1))); do
		# env, not time, takes the preload: it would fork time itself.
		(cd "$WORK/suite" && /usr/bin/time -f %M -o "$WORK/rss.$k" env KVMCHECK_BENCH_NASM_LIST="$WORK/nasm-list.$k" \
			LD_PRELOAD="$NASM_AFTER_START" nasm -f bin -o /dev/null guest.asm) &
		pids+=($!)
	done
	for k in "${pids[@]}"; do wait "$k" || status=$?; done
	end=$(date +%s.%N)
	[ "$status" = 0 ] || { echo "bench: nasm after its start-up failed on a guest (status $status)" >&2; exit 1; }
	awk -v s="$start" -v e="$end" -v r="$(cat "$WORK"/rss.* | sort -n | tail -n 1)" 'BEGIN { printf "%.6f %d\n", e - s, r }'
}

# best_of COMMAND...: runs COMMAND REPEAT times (a cold row's own command
# empties its cache first); prints "best-seconds median-seconds
# peak-RSS-KiB". A run of a second or less moves with whatever else the
# machine does: the best of a few says what kvmcheck itself takes.
best_of() {
	local k
	for k in $(seq 1 "$REPEAT"); do "$@"; done | sort -n |
		awk '{ t[NR] = $1; if ($2 > r) r = $2 } END { printf "%.6f %.6f %d\n", t[1], t[int((NR + 1) / 2)], r }'
}

# kvmcheck_row BACKEND JOBS SUITE CACHE-DIR cold|warm
kvmcheck_cold() { rm -rf "$4"; kvmcheck_once "$@"; }
kvmcheck_row() {
	if [ "$5" = cold ]; then best_of kvmcheck_cold "$1" "$2" "$3" "$4"; else best_of kvmcheck_once "$1" "$2" "$3" "$4"; fi
}

backend_works() {
	"$KVMCHECK" --backend "$1" --allow-read guests --no-reports --no-cache cases/hello.yaml >/dev/null 2>&1
}

make_suites
make_boot_sector

echo
echo "Throughput: suites of $CASES cases, kvmcheck (each case in a fresh VM in a worker, peak RSS the"
echo "largest process's) next to one qemu-system-i386 boot per case (TCG for emu, -accel kvm for kvm,"
echo "boot-sector hello, isa-debug-exit; $QEMU_RUNS boots or fewer when they are slow, per case)."
echo "\"cold\": an empty assembly cache; \"warm\": the same suite again on the cache the cold run filled."
echo "Each kvmcheck and nasm row ran $REPEAT times (BENCH_REPEAT): wall s and cases/s are the best run's,"
echo "median s the median run's."
echo
echo "| backend | suite | -j | cases | wall s | median s | cases/s | x QEMU-per-case | peak RSS MiB |"
echo "|---------|-------|----|-------|--------|----------|---------|-----------------|--------------|"
for jobs in 1 2; do
	read -r secs median rss < <(best_of nasm_once "$jobs")
	awk -v j="$jobs" -v c="$CASES" -v s="$secs" -v m="$median" -v r="$rss" \
		'BEGIN { printf "| nasm    | %d distinct guests, nasm alone (no sandbox, no VM) | %d | %5d | %6.2f | %6.2f | %7.1f | - | %5.1f |\n", c, j, c, s, m, c / s, r / 1024 }'
done
for jobs in 1 2; do
	read -r secs median rss < <(best_of nasm_after_start_once "$jobs")
	nasm_floor[$jobs]=$secs
	awk -v j="$jobs" -v c="$CASES" -v s="$secs" -v m="$median" -v r="$rss" \
		'BEGIN { printf "| nasm    | %d distinct guests, nasm forked after its start-up (no exec, no sandbox, no VM) | %d | %5d | %6.2f | %6.2f | %7.1f | - | %5.1f |\n", c, j, c, s, m, c / s, r / 1024 }'
done
declare -A qemu_rate
for pair in "emu tcg" "kvm kvm"; do
	set -- $pair
	backend=$1 accel=$2
	if ! backend_works "$backend"; then
		echo "| $backend | not available here | | | | | | | |"
		continue
	fi
	for jobs in 1 2; do
		if read -r per rss n < <(qemu_row "$accel" "$jobs") && [ -n "${per:-}" ]; then
			qemu_rate[$backend$jobs]=$(awk -v p="$per" 'BEGIN { printf "%.6f", 1 / p }')
			awk -v a="$accel" -v j="$jobs" -v p="$per" -v r="$rss" -v n="$n" \
				'BEGIN { printf "| qemu %s | boot-sector hello, one boot per case | %d | %5d | %6.2f | - | %7.2f | 1 | %5.1f |\n", a, j, n, p * n, 1 / p, r / 1024 }'
		else
			echo "| qemu $accel | boot-sector hello: QEMU did not finish it here | $jobs | | | | | | |"
		fi
		for row in "distinct cold" "distinct warm" "shared warm"; do
			set -- $row
			suite=$1 temp=$2
			cache="$WORK/cache-$backend-$jobs-$suite"
			read -r secs median rss < <(kvmcheck_row "$backend" "$jobs" "$suite" "$cache" "$temp")
			label="$CASES distinct guests, $temp cache"
			[ "$suite" = shared ] && label="1 guest x $CASES inputs (assembled once)"
			awk -v b="$backend" -v l="$label" -v j="$jobs" -v c="$CASES" -v s="$secs" -v m="$median" -v r="$rss" \
				-v q="${qemu_rate[$backend$jobs]:-}" \
				'BEGIN { x = q == "" ? "-" : sprintf("%.0f", c / s / q);
					 printf "| %-7s | %s | %d | %5d | %6.2f | %6.2f | %7.1f | %s | %5.1f |\n", b, l, j, c, s, m, c / s, x, r / 1024 }'
		done
	done
done

# The most a run could do here with a fresh VM per case and nothing else
# (no sandbox, no cache, no verdict, no report), JOBS at once: cold, nasm's
# own work per distinct guest (the rows above with its start-up paid once)
# plus the stage table's VM create+run+teardown; warm, the VM alone.
echo
echo "Ceilings on this machine, a fresh VM per case and nothing else: cold = 1 / (nasm forked after its"
echo "start-up, wall s per case + VM ms / 1000 / -j); warm = -j / (VM ms / 1000):"
echo
echo "| backend | -j | nasm after start-up, wall ms per case | VM create+run+teardown ms | cold ceiling cases/s | warm ceiling cases/s |"
echo "|---------|----|----------------------------------------|---------------------------|----------------------|----------------------|"
for backend in emu kvm; do
	vm=$(awk -F'|' -v b="$backend" '$2 ~ "^ *" b " *$" { gsub(/ /, "", $8); print $8 }' "$WORK/stages")
	[ -n "$vm" ] || continue
	for jobs in 1 2; do
		awk -v b="$backend" -v j="$jobs" -v s="${nasm_floor[$jobs]}" -v c="$CASES" -v vm="$vm" \
			'BEGIN { per = s / c; printf "| %-7s | %d | %38.3f | %25.3f | %20.0f | %20.0f |\n", b, j, per * 1000, vm,
				 1 / (per + vm / 1000 / j), j / (vm / 1000) }'
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

# The report writers against the size of a guest's output (README
# "Benchmark"): one failing case whose output differs halfway, rendered by
# each writer; a flat "ms per MiB" down the sizes is a writer linear in its
# input. bench-reports is built beside the bench binary.
BENCH_REPORTS=$(dirname "$BENCH")/bench-reports
echo
echo "Report writers, one failing case with 1, 16 and 64 MiB of output (text with markup, quotes, a"
echo "control byte and UTF-8; the record holds the output, the expected and the actual value):"
echo
if [ -x "$BENCH_REPORTS" ]; then
	mkdir -p "$WORK/reports"
	"$BENCH_REPORTS" "$WORK/reports" 1 16 64
else
	echo "(no $BENCH_REPORTS: make bench builds it)"
fi
