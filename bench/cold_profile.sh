#!/bin/bash
# Where the CPU time of a cold run goes (README "Speed"): `perf record` of
# kvmcheck on CASES distinct guests (make bench's suite) with an empty
# assembly cache, its samples split by the process they fell in:
#   nasm            nasm itself: its zygote and each child forked from it
#                   (zygote.h), which confines itself before nasm's main
#                   (namespaces, bind mounts, Landlock, seccomp)
#   sandbox set-up  the same confinement where nasm is exec'd instead
#                   (KVMCHECK_TEST_ZYGOTE=0): the child a pool process
#                   forks for nasm, before it execs nasm
#   pool process    the VM, nasm's work folder and copies, the cache entry
#   kvmcheck        kvmcheck's own process (cases, verdicts, reports)
#   start-up        ldd and nasm -v, once per run
# A profile, never a test: the shares hold on a loaded machine too, since
# only the samples of kvmcheck's own processes count.
# usage: bench/cold_profile.sh KVMCHECK [CASES] [JOBS]
set -eu
KVMCHECK=$(realpath "$1")
CASES=${2:-200}
JOBS=${3:-1}
FREQ=1999
ROOT=$(cd "$(dirname "$0")/.." && pwd)
command -v perf >/dev/null || { echo "cold_profile: perf is missing" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"
# shellcheck source=bench/suites.sh
. "$ROOT/bench/suites.sh"
make_suites

perf record -q -F "$FREQ" -o "$WORK/perf.data" -- "$KVMCHECK" --backend emu -j "$JOBS" \
	--cache-dir "$WORK/cache" --no-reports "$WORK/suite/distinct.yaml" >"$WORK/out.tap" 2>"$WORK/err" ||
	{ echo "cold_profile: the run failed:" >&2; head -n 20 "$WORK/out.tap" "$WORK/err" >&2; exit 1; }

# Fork and exec events give each pid its parent and its program; a sample
# belongs to the part its pid and its command name say.
perf script -i "$WORK/perf.data" --show-task-events -F comm,pid 2>/dev/null | awk -v freq="$FREQ" -v cases="$CASES" '
	/PERF_RECORD_COMM exec: kvmcheck:/ && !root { split($NF, a, "[:/]"); root = a[2]; next }
	/PERF_RECORD_FORK/ { split($NF, f, "[():]+"); parent[f[2]] = f[4]; next }
	/PERF_RECORD/ { next }
	{
		pid = $2
		if ($1 == "nasm" && parent[pid] != root) part = "nasm"
		else if ($1 != "kvmcheck") part = "start-up"
		else if (pid == root) part = "kvmcheck"
		else if (parent[pid] == root) part = "pool process"
		else part = "sandbox set-up"
		n[part]++
		total++
	}
	END {
		printf "| part | samples | share | CPU ms per case |\n|---|---|---|---|\n"
		split("nasm,sandbox set-up,pool process,kvmcheck,start-up", order, ",")
		for (i = 1; i <= 5; i++)
			printf "| %s | %d | %.1f%% | %.3f |\n", order[i], n[order[i]], 100 * n[order[i]] / total,
				n[order[i]] / freq / cases * 1000
		printf "| all | %d | 100%% | %.3f |\n", total, total / freq / cases * 1000
	}'
