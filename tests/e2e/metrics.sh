#!/bin/bash
# End-to-end tests of the metrics (README "Metrics"): expect.max_size and
# expect.max_instructions on real cases, on emu always and on kvm where
# /dev/kvm works, with the counts equal between the two and to a hand count.
# usage: tests/e2e/metrics.sh KVMCHECK
set -u
KVMCHECK=$(realpath "${1:?usage: metrics.sh path/to/kvmcheck}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"

SUITE=metrics
. "$ROOT/tests/e2e/lib.sh"

# 1 + 10 * (dec, jnz) + hlt = 22 instructions in 7 bytes.
cat >"$WORK/metrics.yaml" <<CASES
name: small and quick
source: |
  mov cx, 10
  again: dec cx
  jnz again
  hlt
expect:
  max_size: 7
  max_instructions: 22
---
name: too big
source: |
  times 40 nop
  hlt
expect:
  max_size: 32
---
name: too slow
source: |
  mov cx, 10
  again: dec cx
  jnz again
  hlt
expect:
  max_instructions: 21
---
name: a runaway stops at its limit
source: |
  jmp \$
timeout_ms: 60000
expect:
  max_instructions: 1000
---
name: the firmware's instructions do not count
preset: com
guest: $ROOT/guests/dos_hello.asm
expect:
  console: "Hello, world!\r\n"
  exit_code: 0
  max_instructions: 100
CASES

run() { # BACKEND: TAP with every block, JUnit, the summary
	local b=$1 start end
	start=$(date +%s)
	"$KVMCHECK" --backend "$b" -v --allow-read "$ROOT/guests" --no-reports --junit "$WORK/$b.xml" \
		"$WORK/metrics.yaml" >"$WORK/$b.tap" 2>"$WORK/$b.err"
	echo $? >"$WORK/$b.status"
	end=$(date +%s)
	echo $((end - start)) >"$WORK/$b.seconds"
}

# The figure of the case named NAME in BACKEND's TAP: "binary_size" or "instructions".
figure() { # BACKEND NAME KEY
	awk -v name="$2" -v key="  $3: " '/^(not )?ok [0-9]+/ { inside = index($0, " - " name) > 0; next }
		inside && index($0, key) == 1 { print substr($0, length(key) + 1); exit }' "$WORK/$1.tap"
}

test_backend() { # BACKEND
	local b=$1
	run "$b"
	check "$b: some cases fail" [ "$(cat "$WORK/$b.status")" = 1 ]
	check "$b: the case within both limits passes" grep -qx "ok 1 - small and quick" "$WORK/$b.tap"
	check "$b: its size is the binary's" [ "$(figure "$b" "small and quick" binary_size)" = 7 ]
	check "$b: its count is the hand count" [ "$(figure "$b" "small and quick" instructions)" = 22 ]
	check "$b: too big fails on its size" grep -qF "message: 'binary of 41 bytes, more than the limit of 32'" "$WORK/$b.tap"
	check "$b: ... and shows the limit" grep -qx "  expected_max_size: 32" "$WORK/$b.tap"
	check "$b: too slow stops one past the limit" \
		grep -qF "stopped after 22 instructions: more than the limit of 21" "$WORK/$b.tap"
	check "$b: ... with outcome max_instructions" [ "$(figure "$b" "too slow" outcome)" = max_instructions ]
	check "$b: a runaway stops at its limit" [ "$(figure "$b" "a runaway" instructions)" = 1001 ]
	check "$b: ... long before its 60 s timeout" [ "$(cat "$WORK/$b.seconds")" -lt 30 ]
	check "$b: the DOS hello passes" grep -qx "ok 5 - the firmware's instructions do not count" "$WORK/$b.tap"
	check "$b: ... counting only the program's 5 instructions" \
		[ "$(figure "$b" "the firmware's instructions" instructions)" = 5 ]
	check "$b: the summary shows the figures of a failing case" grep -qx "    41 bytes" "$WORK/$b.err"
	# Counting costs on every instruction, so only a case that asks counts.
	check "$b: a case without max_instructions has its size but is not counted" \
		[ "$(figure "$b" "too big" binary_size)/$(figure "$b" "too big" instructions)" = "41/" ]
	check "$b: JUnit is valid" bash -c "xmllint --noout --schema tests/junit/junit-10.xsd '$WORK/$b.xml' 2>/dev/null"
	check "$b: JUnit carries the count" \
		[ "$(xmllint --xpath 'string(//property[@name="too slow: instructions"]/@value)' "$WORK/$b.xml")" = 22 ]
}

test_backend emu
if "$KVMCHECK" --backend kvm --allow-read guests --no-reports cases/hello.yaml >/dev/null 2>&1; then
	test_backend kvm
	check "kvm and emu count the same, case by case" \
		cmp -s <(grep '^  instructions: ' "$WORK/emu.tap") <(grep '^  instructions: ' "$WORK/kvm.tap")
else
	echo "# metrics: /dev/kvm does not work here: kvm counts are tested by make check-kvm"
fi
finish metrics
