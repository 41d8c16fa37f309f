#!/bin/sh
# tests/fuzz/run.sh SECONDS: builds the libFuzzer targets into build/fuzz/ and runs
# each for SECONDS seconds on a copy of its committed seed corpus, both at
# once (each is single-threaded). Prints one line per target and exits
# non-zero when any of them found a crash, a leak, a hang or a broken
# invariant; the input that did it is kept in build/fuzz/artifacts-TARGET/.
#
# The seed corpora (tests/fuzz/corpus/TARGET/) are committed and only read: what a
# run discovers goes to build/fuzz/corpus-TARGET/. To grow the committed
# corpus on purpose, merge by hand:
#   build/fuzz/fuzz_TARGET -merge=1 tests/fuzz/corpus/TARGET build/fuzz/corpus-TARGET
set -eu

usage() {
	echo "usage: tests/fuzz/run.sh SECONDS" >&2
	exit 2
}
[ $# -eq 1 ] || usage
case "$1" in '' | *[!0-9]*) usage ;; esac
SECONDS_EACH=$1

cd "$(dirname "$0")/../.."
OUT=build/fuzz
TARGETS="case_load guest"

# The sanitizer runtimes (libclang-rt) carry libFuzzer itself.
tests/deps.sh clang libclang-rt-14-dev pkg-config libyaml-dev libxml2-dev libunicorn-dev

CC=clang
# -fno-sanitize-recover: a UBSan report must stop the run, or libFuzzer
# never hears of it.
CFLAGS="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
	-g -O1 -std=c17 -D_GNU_SOURCE -Wall -Wextra -Iharness"

# Every harness source but cli/main.c (libFuzzer brings its own main) and
# the zygote's preload library (built alone, for nasm), and
# every package the Makefile links (it passes PKGS), so that a new file in
# harness/ needs no line here.
harness_sources() {
	find harness -name '*.c' ! -path harness/cli/main.c ! -path harness/assemble/sandbox/zygote_preload.c | sort
}

build() {
	target=$1
	# and the firmware's image, which the Makefile assembles and generates
	srcs="$(harness_sources) build/gen/firmware_image.c"
	pkgs=${PKGS:-yaml-0.1 libxml-2.0 unicorn}
	# shellcheck disable=SC2046,SC2086 # the lists are meant to be split
	$CC $CFLAGS $(pkg-config --cflags $pkgs) "tests/fuzz/fuzz_$target.c" $srcs \
		-o "$OUT/fuzz_$target" $(pkg-config --libs $pkgs)
}

# Extra libFuzzer flags per target.
#   case_load: the case format's words make mutations land in valid YAML.
#   guest: libFuzzer's per-input leak check rescans the whole heap whenever
#     mallocs and frees do not pair up, which Unicorn's own leaks make happen
#     on most inputs and which cost 85% of the throughput; LeakSanitizer
#     still checks everything once at exit, with Unicorn's leaks suppressed.
flags_for() {
	case "$1" in
	case_load) echo "-dict=tests/fuzz/case_load.dict" ;;
	guest) echo "-detect_leaks=0" ;;
	esac
}

# One libFuzzer process for at most $2 seconds, its output into $3.
fuzz_once() {
	target=$1 left=$2 log=$3
	# libFuzzer's -timeout cannot fire while machine_run owns SIGALRM
	# (fuzz_guest has a watchdog of its own for that), and nothing in the
	# process catches a hang outside an input: the outer timeout does.
	# shellcheck disable=SC2046
	ASAN_OPTIONS=detect_leaks=1 \
	LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0" \
	UBSAN_OPTIONS=print_stacktrace=1 \
	timeout --kill-after=10 $((left + 60 + left / 4)) \
		"$OUT/fuzz_$target" -max_total_time="$left" -max_len=4096 -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$OUT/artifacts-$target/" \
		$(flags_for "$target") "$OUT/corpus-$target" >"$log" 2>&1
}

# Unicorn's own abort while translating an instruction (see fuzz_guest.c),
# reached by a guest that wrote the bytes at run time: known, contained by
# kvmcheck's worker, and not what the fuzzer is after.
is_unicorn_abort() {
	grep -q 'tcg fatal error' "$1" && grep -q 'deadly signal' "$1"
}

# Executions of one libFuzzer process: its last "#N" status line.
execs_of() {
	sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$1" | tail -n 1
}

# Renames the input behind a known abort and takes it out of the corpus
# copy, where it would abort the next round straight away.
set_aside() {
	for f in "$OUT/artifacts-$1"/crash-*; do
		[ -f "$f" ] || continue
		sum=$(sha1sum <"$f" | cut -d ' ' -f 1)
		find "$OUT/corpus-$1" -type f -exec sha1sum {} + | while read -r other path; do
			[ "$other" != "$sum" ] || rm -f "$path"
		done
		mv "$f" "$OUT/artifacts-$1/unicorn-abort-${f##*/crash-}"
	done
}

# Fuzzes TARGET until its time is up. A known Unicorn abort sets the input
# aside and carries on where the corpus left off; anything else ends the
# run with libFuzzer's status. Writes "status execs unicorn-aborts" to
# build/fuzz/TARGET.rc.
run() {
	target=$1
	rm -rf "$OUT/corpus-$target" "$OUT/artifacts-$target"
	mkdir -p "$OUT/artifacts-$target"
	cp -R "tests/fuzz/corpus/$target" "$OUT/corpus-$target"
	: >"$OUT/$target.log"
	deadline=$(($(date +%s) + SECONDS_EACH))
	execs=0 aborts=0 rc=0
	while :; do
		left=$((deadline - $(date +%s)))
		[ "$left" -ge 1 ] || break
		fuzz_once "$target" "$left" "$OUT/$target.round.log"
		rc=$?
		cat "$OUT/$target.round.log" >>"$OUT/$target.log"
		execs=$((execs + $(execs_of "$OUT/$target.round.log") + 0))
		if [ "$rc" -eq 0 ] || [ "$aborts" -ge 20 ] || ! is_unicorn_abort "$OUT/$target.round.log"; then
			break
		fi
		aborts=$((aborts + 1))
		set_aside "$target"
		rc=0
	done
	echo "$rc $execs $aborts" >"$OUT/$target.rc"
}

# One line for a target: its numbers, or what went wrong and where.
report() {
	target=$1 rc=$2 execs=$3 aborts=$4 took=$5
	log=$OUT/$target.log
	files=$(find "$OUT/corpus-$target" -type f | wc -l)
	cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		known=""
		[ "$aborts" -eq 0 ] || known=" ($aborts known Unicorn aborts set aside in $OUT/artifacts-$target)"
		echo "fuzz: $target ran $took s, $execs execs ($((execs / (took > 0 ? took : 1))) exec/s)," \
			"cov ${cov:-?}, corpus $files files, no crash$known"
		return 0
	fi
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		what="hung (killed after $took s)"
	else
		what=$(grep -m 1 -E '^==[0-9]+==ERROR|^fuzz_[a-z_]*: |ALARM|out-of-memory|runtime error' "$log" ||
			echo "exit status $rc")
	fi
	input=$(find "$OUT/artifacts-$target" -type f ! -name 'unicorn-abort-*' | head -n 1)
	echo "fuzz: $target FAILED: $what; input ${input:-none saved}; log $log"
	# The report itself, for CI logs where build/ is not kept.
	sed -n '/^==[0-9]*==ERROR\|runtime error\|^fuzz_[a-z_]*: \|ALARM/,$p' "$log" | head -n 40 | sed 's/^/    /'
	return 1
}

mkdir -p "$OUT"
make --no-print-directory build/gen/firmware_image.c >/dev/null
for target in $TARGETS; do
	if ! build "$target"; then
		echo "fuzz: cannot build fuzz_$target (clang -fsanitize=fuzzer needs libclang-rt-14-dev)" >&2
		exit 1
	fi
done

pids=""
start=$(date +%s)
for target in $TARGETS; do
	(
		set +e
		run "$target"
	) &
	pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
took=$(($(date +%s) - start))

status=0
for target in $TARGETS; do
	# shellcheck disable=SC2046 # "status execs aborts"
	report "$target" $(cat "$OUT/$target.rc") "$took" || status=1
done
exit $status
