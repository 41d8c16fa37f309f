#!/bin/bash
# End-to-end tests of grading: points, partial credit, hidden cases, tags.
# usage: tests/e2e/grading.sh KVMCHECK
# Runs tests/e2e/grading/assignment.yaml on emu, and on kvm where /dev/kvm
# works; checks the score in every report, and that no student-facing
# output (stdout, stderr, every report file, a record rendered again) holds
# any of the hidden cases' distinctive strings, which --reveal-hidden shows.
set -u

KVMCHECK=$(realpath "${1:?usage: grading.sh path/to/kvmcheck}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"

ASSIGNMENT=tests/e2e/grading/assignment.yaml
# The hidden cases' input, expected output, guest message and assembler
# message; grep -i also finds them upper-cased by the guest.
SECRETS=(HIDDENINPUT-q7 HIDDEN-IN-x9 HIDDEN-EXPECT-z3 GUESTSECRET-m4 HIDDENASM-k2)
# The parity file shows output as hex: the guest's output of two of them.
SECRETS_HEX=("$(printf HIDDENINPUT-Q7 | od -An -tx1 | tr -d ' \n')" "$(printf GUESTSECRET-m4 | od -An -tx1 | tr -d ' \n')")

SUITE=grading
. "$ROOT/tests/e2e/lib.sh"
xml_value() { xmllint --xpath "$2" "$1" 2>/dev/null; }

# run DIR ARGS...: kvmcheck with every report file under DIR, stdout and stderr there too
run() {
	local dir=$1; shift
	mkdir -p "$dir"
	"$KVMCHECK" "$@" --tap "$dir/copy.tap" --junit "$dir/junit.xml" --json "$dir/results.json" \
		--results "$dir/parity.txt" --html "$dir/report.html" >"$dir/stdout" 2>"$dir/stderr"
	echo $? >"$dir/status"
}

# Files under DIR holding any secret (text or hex), one per line.
files_with_secrets() {
	local s
	{
		for s in "${SECRETS[@]}"; do grep -ril -- "$s" "$1"; done
		for s in "${SECRETS_HEX[@]}"; do grep -ril -- "$s" "$1"; done
	} | sort -u
}

# Every secret shows somewhere under DIR.
every_secret_in() {
	local s
	for s in "${SECRETS[@]}"; do grep -riq -- "$s" "$1" || { echo "# $s is not in $1"; return 1; }; done
}

test_scores() { # BACKEND DIR
	local b=$1 d=$2
	check "$b: a failing assignment exits 1" [ "$(cat "$d/status")" = 1 ]
	check "$b: TAP ends with the score" [ "$(tail -n 1 "$d/stdout")" = "# score 8.5/13" ]
	check "$b: prove reads the TAP with its score line" bash -c "prove --exec cat '$d/stdout' 2>&1 | grep -q '^Files=1, Tests=8,'"
	check "$b: partial credit shows in TAP" grep -qF "  points: '2/3'" "$d/stdout"
	check "$b: a hidden case's points show in TAP" grep -qF "  points: '0.5/2'" "$d/stdout"
	check "$b: the summary gives the score" grep -qx "score: 8.5/13" "$d/stderr"
	check "$b: the summary still ends with the totals" [ "$(tail -n 1 "$d/stderr")" = "4 passed, 4 failed" ]
	check "$b: JUnit carries the file's score" \
		[ "$(xml_value "$d/junit.xml" 'string(//testsuite[1]/properties/property[@name="score"]/@value)')" = 8.5 ]
	check "$b: JUnit carries the file's max_score" \
		[ "$(xml_value "$d/junit.xml" 'string(//testsuite[1]/properties/property[@name="max_score"]/@value)')" = 13 ]
	check "$b: JUnit carries the run's total" \
		[ "$(xml_value "$d/junit.xml" 'string(//testsuite[1]/properties/property[@name="total_max_score"]/@value)')" = 13 ]
	check "$b: JUnit is valid against junit-10.xsd" xmllint --noout --schema tests/junit/junit-10.xsd "$d/junit.xml"
	check "$b: the record holds each case's points" \
		python3 -c "import json,sys; r=json.load(open('$d/results.json')); c=r['cases']; \
sys.exit(not ([x['points_earned'] for x in c] == [2,2,3,0.5,0,0,0,1] and sum(x['points_max'] for x in c) == 13 \
and [x['hidden'] for x in c] == [False,False,True,True,True,True,False,False] and c[4]['visibility'] == 'after_due_date' \
and c[2]['visibility'] == 'after_published' and c[7]['tags'] == ['slow','io']))"
	check "$b: the HTML report gives the score" grep -qF "<p>score 8.5/13</p>" "$d/report.html"
}

test_hidden() { # BACKEND
	local b=$1
	local student=$WORK/$b-student teacher=$WORK/$b-teacher
	run "$student" --backend "$b" -v "$ASSIGNMENT"
	test_scores "$b" "$student"
	check "$b: a visible failure still shows its details" grep -qF "register cx is 2 (0x2), expected 5 (0x5)" "$student/stdout"
	check "$b: a hidden failure says only that it is hidden" \
		grep -qF "FAIL $ASSIGNMENT: secret expectation fails - hidden case: details are not shown" "$student/stderr"
	check "$b: the hidden cases' names are shown" grep -qF "not ok 5 - secret guest message" "$student/stdout"
	local leaked
	leaked=$(files_with_secrets "$student")
	check "$b: no report, stdout or stderr holds a hidden string${leaked:+ (in: $leaked)}" [ -z "$leaked" ]
	# The saved record cannot be made to reveal them later.
	mkdir -p "$student/again"
	"$KVMCHECK" report --reveal-hidden --tap "$student/again/copy.tap" --junit "$student/again/junit.xml" \
		--html "$student/again/report.html" --results "$student/again/parity.txt" "$student/results.json" \
		>"$student/again/stdout" 2>"$student/again/stderr"
	leaked=$(files_with_secrets "$student/again")
	check "$b: kvmcheck report --reveal-hidden on the students' record reveals nothing${leaked:+ (in: $leaked)}" [ -z "$leaked" ]
	check "$b: ... and gives the same score" grep -qx "# score 8.5/13" "$student/again/stdout"

	run "$teacher" --backend "$b" --reveal-hidden "$ASSIGNMENT"
	test_scores "$b (--reveal-hidden)" "$teacher"
	check "$b: --reveal-hidden shows every hidden string" every_secret_in "$teacher"
	check "$b: the leak search finds the hidden output in the instructor's parity file" \
		bash -c "[ -n \"\$(grep -il -- '${SECRETS_HEX[1]}' '$teacher/parity.txt')\" ]"
	local f
	for f in stdout junit.xml results.json report.html; do
		check "$b: --reveal-hidden shows the hidden expectation in $f" grep -qi -- HIDDEN-EXPECT-z3 "$teacher/$f"
	done
	check "$b: --reveal-hidden shows the hidden output in the parity file" grep -qi -- "${SECRETS_HEX[0]}" "$teacher/parity.txt"
}

test_tags() {
	"$KVMCHECK" --backend emu --no-reports --skip-tags slow "$ASSIGNMENT" >"$WORK/skip.tap" 2>/dev/null
	check "--skip-tags leaves the tagged case out" bash -c "grep -qx '1..7' '$WORK/skip.tap' && ! grep -q 'tagged as slow' '$WORK/skip.tap'"
	check "--skip-tags: the score counts only the cases run" grep -qx "# score 7.5/12" "$WORK/skip.tap"
	"$KVMCHECK" --backend emu --no-reports --tags nothing,io --list "$ASSIGNMENT" >"$WORK/list" 2>/dev/null
	check "--tags with --list names only the tagged case" [ "$(cat "$WORK/list")" = "$ASSIGNMENT:7	tagged as slow" ]
	"$KVMCHECK" --backend emu --no-reports --tags io --skip-tags slow --list "$ASSIGNMENT" >"$WORK/list" 2>/dev/null
	check "--skip-tags wins over --tags" [ ! -s "$WORK/list" ]
	"$KVMCHECK" --backend emu --no-reports --tags io --filter 'upper*' --list "$ASSIGNMENT" >"$WORK/list" 2>/dev/null
	check "--tags and --filter both apply" [ ! -s "$WORK/list" ]
}

test_bad_points() {
	printf '%s\n' 'name: bad part' 'source: "hlt"' 'points: {serial: 1}' >"$WORK/bad.yaml"
	"$KVMCHECK" --backend emu --no-reports "$WORK/bad.yaml" >"$WORK/bad.tap" 2>"$WORK/bad.err"
	check "a part naming a group the case does not check is a case error at its place" \
		grep -qF "$WORK/bad.yaml:3:10: points: 'serial' names checks the case does not make" "$WORK/bad.err"
}

test_hidden emu
test_tags
test_bad_points
if "$KVMCHECK" --backend kvm --no-reports cases/hello.yaml --allow-read guests >/dev/null 2>&1; then
	test_hidden kvm
else
	echo "# /dev/kvm does not work here: grading is tested on emu only"
fi
finish grading
