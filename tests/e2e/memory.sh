#!/bin/bash
# End-to-end tests of expect.memory and expect.screen_attributes (README
# "The case format"): real YAML, real nasm, on emu always and on kvm where
# /dev/kvm works. A .COM program's sum and string by label (pass, a wrong
# value, a misspelt label, partial credit, a hidden case), a boot sector's
# coloured text by attribute and address, a warm cache that still finds
# the labels, and the reports a record rebuilds.
# usage: tests/e2e/memory.sh KVMCHECK   (run from tests/e2e/run.sh)
set -u
KVMCHECK=$(realpath "${1:?usage: memory.sh path/to/kvmcheck}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"
export XDG_CACHE_HOME="$WORK/xdg" # never the user's own assembly cache

SUITE=memory
. "$ROOT/tests/e2e/lib.sh"
inodes() { find "$1" -type f -printf '%f %i\n' | sort; }

cat >"$WORK/wrong.yaml" <<CASES
name: a wrong sum is named by its label
preset: com
guest: $ROOT/guests/dos_sum.asm
expect:
  memory: {total: {word: 5051}, buffer: "HELLO\$"}
---
name: a misspelt label
preset: com
guest: $ROOT/guests/dos_sum.asm
expect:
  memory: {totl: {word: 5050}}
---
name: partial credit for the console, none for memory
preset: com
guest: $ROOT/guests/dos_sum.asm
points: {console: 1, memory: 2}
expect:
  console: "HELLO"
  memory: {buffer: "HELLX\$"}
---
name: a hidden memory check
preset: com
guest: $ROOT/guests/dos_sum.asm
hidden: true
expect:
  memory: {total: {word: 4242}}
---
name: a wrong colour is named by its cell
preset: boot
guest: $ROOT/guests/boot_colour.asm
expect:
  screen_attributes: [{row: 2, columns: [0, 9], attribute: 0x4f}]
---
name: an address beyond RAM
source: hlt
expect:
  memory: {0x100000: [0]}
CASES

run() { # NAME BACKEND FILE...: TAP, JUnit, the record and the status into $WORK/NAME.*
	local name=$1 b=$2; shift 2
	"$KVMCHECK" --backend "$b" --allow-read "$ROOT/guests" --no-reports --junit "$WORK/$name.xml" \
		--json "$WORK/$name.json" "$@" >"$WORK/$name.tap" 2>"$WORK/$name.err"
	echo $? >"$WORK/$name.status"
}
has() { grep -qF -- "$2" "$WORK/$1.tap"; }

test_backend() { # BACKEND
	local b=$1
	run "$b-cases" "$b" cases/memory.yaml
	check "$b: cases/memory.yaml passes" [ "$(cat "$WORK/$b-cases.status")" = 0 ]
	check "$b: ... both cases" [ "$(grep -c '^ok ' "$WORK/$b-cases.tap")" = 2 ]

	run "$b-wrong" "$b" "$WORK/wrong.yaml"
	check "$b: wrong expectations fail" [ "$(cat "$WORK/$b-wrong.status")" = 1 ]
	check "$b: a wrong word names the label, its address and both values" \
		has "$b-wrong" "message: 'memory at total (0x1012a) is word 5050 (ba 13), expected word 5051 (bb 13)'"
	check "$b: ... and lists each entry under memory" has "$b-wrong" '      actual: word 5050 (ba 13)'
	check "$b: a misspelt label is said so" has "$b-wrong" "message: 'label \`totl\` is not defined in the program'"
	check "$b: a wrong string shows both" \
		has "$b-wrong" "message: 'memory at buffer (0x1012c) is \`HELLO\$\` (48 45 4c 4c 4f 24), expected \`HELLX\$\` (48 45 4c 4c 58 24); first difference at byte 4'"
	check "$b: the console's part is earned, memory's not" has "$b-wrong" "points: '1/3'"
	check "$b: a hidden case shows no expected value" bash -c "! grep -q '4242' '$WORK/$b-wrong.tap' '$WORK/$b-wrong.xml'"
	check "$b: ... in the record either" bash -c "! grep -q '4242' '$WORK/$b-wrong.json'"
	check "$b: a wrong colour names the first cell" \
		has "$b-wrong" "message: 'screen attribute at row 2, column 0 is 0x4e, expected 0x4f'"
	check "$b: an address beyond RAM is a case error with its line" \
		grep -qF "wrong.yaml:37:12: 'expect.memory' at 0x100000 (1 bytes) is outside the guest's 1048576 bytes of RAM" "$WORK/$b-wrong.err"
	check "$b: JUnit is valid" bash -c "xmllint --noout --schema tests/junit/junit-10.xsd '$WORK/$b-wrong.xml' 2>/dev/null"
	check "$b: JUnit names the memory check" grep -qF 'memory at total: expected word 5051 (bb 13), actual word 5050 (ba 13) (mismatch)' "$WORK/$b-wrong.xml"
	"$KVMCHECK" report "$WORK/$b-wrong.json" --tap "$WORK/$b-again.tap" >/dev/null 2>&1
	check "$b: TAP rebuilt from the record is the run's" cmp -s "$WORK/$b-again.tap" "$WORK/$b-wrong.tap"
}

test_backend emu
rm -rf "$XDG_CACHE_HOME"
run cold emu "$WORK/wrong.yaml" cases/memory.yaml
inodes "$XDG_CACHE_HOME/kvmcheck" >"$WORK/cold.inodes"
run warm emu "$WORK/wrong.yaml" cases/memory.yaml
check "a warm cache still finds the labels (TAP as cold)" cmp -s "$WORK/cold.tap" "$WORK/warm.tap"
check "... assembling nothing anew" cmp -s "$WORK/cold.inodes" <(inodes "$XDG_CACHE_HOME/kvmcheck")
check "... with labels in it" has warm 'label `totl` is not defined'
run pool emu -j 2 "$WORK/wrong.yaml" cases/memory.yaml
check "-j 2 (the pool) reports as one process does" cmp -s "$WORK/cold.tap" "$WORK/pool.tap"
if "$KVMCHECK" --backend kvm --allow-read guests --no-reports cases/hello.yaml >/dev/null 2>&1; then
	test_backend kvm
	check "kvm and emu give the same messages and memory" \
		cmp -s <(grep -E "^(not )?ok|message:|expected:|actual:" "$WORK/emu-wrong.tap") \
		<(grep -E "^(not )?ok|message:|expected:|actual:" "$WORK/kvm-wrong.tap")
else
	echo "# memory: /dev/kvm does not work here: the kvm backend is tested by make check-kvm"
fi
finish memory
