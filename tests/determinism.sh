#!/bin/bash
# Determinism: the same guest gets the same outcome, output and registers on
# every run. Every case of the bundled, failing and CPU suites and of the
# hostile suite's guest folder (rendered as tests/hostile/run.sh renders it)
# runs REPEAT times in one run at -j 2, so that repetitions race each other
# on both cores, and each repetition is compared with the first by
# tests/parity.sh (what it compares depends on the outcome: a timeout's
# outcome only, since how far a guest gets in its time is the machine's).
# A flaky outcome that shows once in a few dozen runs fails here.
#
# usage: tests/determinism.sh path/to/kvmcheck [REPEAT]
# Runs on emu always, and on kvm where `kvmcheck --backend kvm` works.
# DETERMINISM_EXTRA="FILE..." adds case files: one whose guest prints a
# byte of its time stamp counter makes the check fail, as it should.
set -u
KVMCHECK=$(realpath "${1:?usage: determinism.sh path/to/kvmcheck [REPEAT]}")
REPEAT=${2:-10}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export XDG_CACHE_HOME="$WORK/xdg-cache" # never the user's own assembly cache
SUITE=determinism
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/hostile/render.sh"
cd "$ROOT" || exit 2

hostile_render "$ROOT/tests/hostile" "$WORK/hostile" "$WORK/secrets" assembler guest
# output_default_cap waits out a 20 s timeout: a run of its own in the
# hostile suite, not REPEAT of them here.
rm "$WORK/hostile/guest/output_default_cap.yaml"
read -ra extra <<<"${DETERMINISM_EXTRA:-}"
FILES=(cases/*.yaml tests/failing/*.yaml tests/cpu/*.yaml "$WORK"/hostile/assembler/*.yaml "$WORK"/hostile/guest/*.yaml "${extra[@]}")

# split RESULTS: one results file per repetition, $WORK/rep.N, each case's
# Nth line (a file named REPEAT times gives its cases REPEAT times, under
# the same name).
split_repetitions() {
	rm -f "$WORK"/rep.*
	awk -F'\t' -v dir="$WORK" '
		FNR == 1 { header = $0; next }
		{ n = ++seen[$1]; f = dir "/rep." n
		  if (!(f in opened)) { print header > f; opened[f] = 1 }
		  print > f }' "$1"
}

run_on() { # BACKEND
	local b=$1 args=() f i cases
	for ((i = 0; i < REPEAT; i++)); do args+=("${FILES[@]}"); done
	"$KVMCHECK" --backend "$b" -j 2 --allow-read guests --no-reports --results "$WORK/$b.results" "${args[@]}" \
		>/dev/null 2>"$WORK/$b.err"
	cases=$(($(wc -l <"$WORK/$b.results") - 1))
	check "$b: the run gave a result for each of the $REPEAT repetitions ($cases cases)" \
		[ "$cases" -gt 0 ] && [ $((cases % REPEAT)) = 0 ]
	split_repetitions "$WORK/$b.results"
	for ((i = 2; i <= REPEAT; i++)); do
		f=$WORK/rep.$i
		if "$ROOT/tests/parity.sh" "$WORK/rep.1" "$f" >"$WORK/parity.out" 2>&1; then
			pass "$b: repetition $i gives repetition 1's results ($(sed -n 's/^parity: \([0-9]*\) cases.*/\1/p' "$WORK/parity.out") cases)"
		else
			fail "$b: repetition $i differs from repetition 1:"
			sed 's/^/    /' "$WORK/parity.out"
		fi
	done
}

run_on emu
if "$KVMCHECK" --backend kvm --allow-read guests --no-reports cases/hello.yaml >/dev/null 2>&1; then
	run_on kvm
else
	echo "# determinism (kvm): skipped, no working /dev/kvm here"
fi
finish determinism
