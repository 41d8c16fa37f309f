#!/bin/bash
# End-to-end test of grading a class in one run: the 10-case assignment of
# tests/e2e/class/ (points, partial credit, hidden cases, an ungraded case),
# three students graded together with -j 2, cases of different students
# side by side: alice (correct), bob (partly wrong) and mallory, whose every
# file tries to read the case file (by name, through ../, by absolute path)
# or a classmate's file. Checks the exact score of each student in every
# report, the class CSV, each student's Gradescope results.json against the
# spec's fields, that no student-facing output holds a hidden case's input,
# expectation or output, that -j 1 writes the same reports as -j 2, and an
# interrupt in the middle of the class; and the class run as a GitHub
# Actions step (each student's Classroom output decoded, annotations, the
# job summary, no hidden secret in any of them). On emu, and on kvm where
# /dev/kvm works.
# usage: tests/e2e/class.sh KVMCHECK (KEEP=1: keep the work folder to look at)
set -u

KVMCHECK=$(realpath "${1:?usage: class.sh path/to/kvmcheck}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT

SUITE=class
. "$ROOT/tests/e2e/lib.sh"

STUDENTS=(alice bob mallory)
# Each student's score, worked out by hand from the assignment's comments
# and the students' mistakes (tests/e2e/class/bob/*.asm say which).
declare -A SCORE=([alice]=18 [bob]=9.5 [mallory]=0)
CASE_MARKER=CASEFILE-MARKER-41d7
SIBLING_MARKER=SIBLING-MARKER-7c0f
# The hidden cases' input, expected output and the hidden harness's text
# (grep -i also finds them upper-cased by a guest), and the hidden sum's
# expected value, which bob misses, in decimal and hex.
SECRETS=(HIDDENINPUT-q7 HIDDEN-IN-x9 HIDDEN-HARNESS-w5)
SECRET_NUMBERS='(^|[^0-9.])4916([^0-9]|$)|0x0*1334'

# A program that prints the first 120 bytes of what LINE (an incbin) brings.
printer() { # LINE
	printf 'bits 16\norg 0\n\tmov dx, 0x3f8\n\tmov si, data\n\tmov cx, 120\n\trep outsb\n\thlt\ndata:\t%s\n\ttimes 120 db 0\n' "$1"
}

make_class() {
	mkdir -p "$WORK/cases" "$WORK/students/mallory" "$WORK/control"
	cp "$ROOT/tests/e2e/class/assignment.yaml" "$WORK/cases/"
	cp -r "$ROOT/tests/e2e/class/alice" "$ROOT/tests/e2e/class/bob" "$WORK/students/"
	cp "$ROOT/guests/echo_upper.asm" "$WORK/students/alice/upper.asm" # alice's is the bundled one
	local m=$WORK/students/mallory
	printer 'incbin "../../cases/assignment.yaml"' >"$m/upper.asm"
	printer "incbin \"$WORK/cases/assignment.yaml\"" >"$m/add.asm"
	printf '%%include "../alice/double.asm"\n' >"$m/double.asm"
	printer 'incbin "assignment.yaml"' >"$m/greet.asm"
	# The control: mallory's absolute-path printer, where a case may read
	# the case folder, does print the marker; so its absence from her
	# reports means she could not read it, not that the printer is broken.
	printf '%s\n' 'name: leak' 'guest: ../students/mallory/add.asm' 'assembler: {read: [../cases]}' 'expect: {serial: ""}' >"$WORK/control/leak.yaml"
}

# grade DIR ARGS...: the class in $WORK, every report of every student
# under DIR, the console in DIR/stdout and DIR/stderr.
grade() {
	local dir=$1; shift
	mkdir -p "$dir"
	(cd "$WORK" && "$KVMCHECK" "$@" --no-cache --submission students/alice --submission students/bob \
		--submission students/mallory --tap "$dir/kvmcheck.tap" --junit "$dir/junit.xml" \
		--json "$dir/results.json" --html "$dir/report.html" --gradescope "$dir/gradescope.json" \
		--csv "$dir/class.csv" cases/assignment.yaml >"$dir/stdout" 2>"$dir/stderr"
	 echo $? >"$dir/status")
}

# Each case's Gradescope visibility: hidden cases are after_published
# unless they say otherwise.
VISIBILITIES=visible,visible,after_published,after_published,visible,after_published,visible,after_due_date,visible,after_published

# Files under DIR holding a hidden case's secret, one per line.
files_with_secrets() {
	local s
	{
		for s in "${SECRETS[@]}"; do grep -ril -- "$s" "$1"; done
		grep -rlE -- "$SECRET_NUMBERS" "$1"
	} | sort -u
}

# A report with what changes from run to run (durations) left out.
no_times() { # FILE
	case $1 in
	*.xml) sed -E 's/ time="[0-9.]+"//g' "$1" ;;
	*.json) python3 -c 'import json, sys
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k not in ("elapsed_ns", "times_ns", "execution_time")}
    return [strip(x) for x in v] if isinstance(v, list) else v
print(json.dumps(strip(json.load(open(sys.argv[1]))), sort_keys=True, indent=1))' "$1" ;;
	*) cat "$1" ;;
	esac
}

# Every report of the -j 1 run is the -j 2 run's, times aside.
same_reports() { # DIR1 DIR2
	local f
	for f in class.csv alice/kvmcheck.tap bob/kvmcheck.tap mallory/kvmcheck.tap alice/junit.xml bob/junit.xml \
		mallory/junit.xml alice/results.json bob/results.json mallory/results.json alice/gradescope.json \
		bob/gradescope.json mallory/gradescope.json; do
		cmp -s <(no_times "$1/$f") <(no_times "$2/$f") || { echo "# $f differs"; return 1; }
	done
}

test_class() { # BACKEND
	local b=$1 d=$WORK/$1/j2 s leaked
	grade "$d" --backend "$b" -j 2
	check "$b: the class exits 1 (some failed)" [ "$(cat "$d/status")" = 1 ]
	check "$b: a report set per student" [ "$(cd "$d" && find . -mindepth 2 -type f | sort | tr '\n' ' ')" = \
		"./alice/gradescope.json ./alice/junit.xml ./alice/kvmcheck.tap ./alice/report.html ./alice/results.json ./bob/gradescope.json ./bob/junit.xml ./bob/kvmcheck.tap ./bob/report.html ./bob/results.json ./mallory/gradescope.json ./mallory/junit.xml ./mallory/kvmcheck.tap ./mallory/report.html ./mallory/results.json " ]
	check "$b: the class CSV, exactly" [ "$(cat "$d/class.csv")" = "$(printf '%s\r\n' \
		'student,points,max,upper-cases a word,partial credit for output and count,hidden input,"hidden, partial credit",adds two registers,hidden sum,doubles through the harness,hidden harness,ungraded greeting,hidden empty input' \
		'alice,18,18,2,3,3,2,2,1,2,2,pass,1' \
		'bob,9.5,18,0,2,0,0.5,2,0,2,2,fail,1' \
		'mallory,0,18,0,0,0,0,0,0,0,0,fail,0')" ]
	check "$b: the class summary scores each student" \
		[ "$(grep -E '^  [0-9.]+/18 ' "$d/stdout" | tr '\n' '|')" = "  18/18 alice|  9.5/18 bob|  0/18 mallory|" ]
	check "$b: the class summary's mean" grep -qxF "  score: mean 50.9%, median 52.8%, min 0.0%, max 100.0%" "$d/stdout"
	for s in "${STUDENTS[@]}"; do
		check "$b: $s's TAP ends with the score" [ "$(tail -n 1 "$d/$s/kvmcheck.tap")" = "# score ${SCORE[$s]}/18" ]
		check "$b: $s's TAP names the student" grep -qx "# run $s" "$d/$s/kvmcheck.tap"
		check "$b: $s's JUnit carries the score" [ "$(xmllint --xpath 'string(//testsuite[1]/properties/property[@name="score"]/@value)' "$d/$s/junit.xml")" = "${SCORE[$s]}" ]
		check "$b: $s's JUnit is valid against junit-10.xsd" xmllint --noout --schema "$ROOT/tests/junit/junit-10.xsd" "$d/$s/junit.xml" 2>/dev/null
		check "$b: $s's Gradescope results.json has the spec's fields and the score" \
			"$ROOT/tests/e2e/gradescope_valid.py" "$d/$s/gradescope.json" "${SCORE[$s]}" 18 10 "$VISIBILITIES"
		check "$b: $s's HTML report gives the score" grep -qF "<p>score ${SCORE[$s]}/18</p>" "$d/$s/report.html"
	done
	check "$b: bob: partial credit, and half a hidden case" \
		[ "$(grep -E "^  points: '" "$d/bob/kvmcheck.tap" | tr '\n' '|')" = "  points: '0/2'|  points: '2/3'|  points: '0/3'|  points: '0.5/2'|  points: '0/1'|  points: '0/0'|" ]
	check "$b: bob: the hidden cases he failed say nothing but that" \
		[ "$(grep -c "message: 'hidden case: details are not shown'" "$d/bob/kvmcheck.tap")" = 3 ]
	check "$b: mallory: nothing assembles" [ "$(grep -c 'outcome: assemble_error' "$d/mallory/kvmcheck.tap")" = 5 ]
	check "$b: mallory: her reaches for the cases and alice's file all fail" \
		[ "$(grep -oE "(unable to get length of file|unable to open include file) [^:']*" "$d/mallory/kvmcheck.tap" | LC_ALL=C sort -u | tr '\n' '|')" = \
		"unable to get length of file \`../../cases/assignment.yaml|unable to get length of file \`$WORK/cases/assignment.yaml|unable to get length of file \`assignment.yaml|unable to open include file \`../alice/double.asm|" ]
	check "$b: mallory's reports hold nothing of the case file or of alice's" \
		bash -c "! grep -rqF -e '$CASE_MARKER' -e '$SIBLING_MARKER' '$d/mallory' '$d/stdout' '$d/stderr'"
	leaked=$(files_with_secrets "$d" | tr '\n' ' ')
	check "$b: no report, CSV or console output holds a hidden secret${leaked:+ (in: $leaked)}" [ -z "$leaked" ]
	grade "$WORK/$b/j1" --backend "$b" -j 1
	check "$b: -j 1 writes -j 2's reports, student by student (times aside)" same_reports "$WORK/$b/j1" "$d"
	check "$b: -j 1 prints -j 2's class summary" cmp -s "$WORK/$b/j1/stdout" "$d/stdout"
}

# The class as a GitHub Actions step: a Classroom output per student with
# that student's score, annotations titled by student under one cap, the
# class job summary; and none of them, decoded, holds a hidden secret.
test_github() {
	local d=$WORK/github s leaked
	mkdir -p "$d/decoded"
	: >"$d/output"; : >"$d/summary"
	GITHUB_ACTIONS=true GITHUB_OUTPUT="$d/output" GITHUB_STEP_SUMMARY="$d/summary" grade "$d" --backend emu -j 2
	perl -e 'local $/; my $t = <STDIN>;
		while ($t =~ s/\A(\w+)<<(ghadelimiter_[0-9a-f]{32})\n(.*?)\n\2\n//s) {
			open my $f, ">", "$ARGV[0]/$1" or die; print $f $3; }
		exit(length $t ? 1 : 0)' "$d/decoded" <"$d/output"
	check "github: GITHUB_OUTPUT holds only delimited entries" [ $? = 0 ]
	check "github: an output per student and the index, no result" \
		[ "$(ls "$d/decoded" | tr '\n' ' ')" = "result_alice result_bob result_mallory students " ]
	for s in "${STUDENTS[@]}"; do
		base64 -d "$d/decoded/result_$s" >"$d/decoded/$s.json"
		check "github: $s's Classroom result: 10 tests, ${SCORE[$s]} of 18" perl -MJSON::PP -e '
			local $/; my $r = decode_json(<STDIN>); my $sum = 0; $sum += $_->{score} for @{$r->{tests}};
			exit(@{$r->{tests}} == 10 && $r->{max_score} == 18 && $sum == $ARGV[0] ? 0 : 1)' "${SCORE[$s]}" <"$d/decoded/$s.json"
	done
	check "github: the annotations are titled by student, 10 in all, then a notice" bash -c '
		grep -q "^::error .*,title=bob%3A kvmcheck%3A " "$1" && [ "$(grep -c "^::error " "$1")" = 10 ] &&
		[ "$(grep -c "^::notice title=kvmcheck::" "$1")" = 1 ]' _ "$d/stdout"
	check "github: the job summary has a row per student" \
		[ "$(grep -oE '^\| (alice|bob|mallory) \| [0-9.]+ \| 18 \|' "$d/summary" | tr '\n' ' ')" = "| alice | 18 | 18 | | bob | 9.5 | 18 | | mallory | 0 | 18 | " ]
	leaked=$(files_with_secrets "$d" | tr '\n' ' ')
	check "github: no output, decoded result, summary or log holds a hidden secret${leaked:+ (in: $leaked)}" [ -z "$leaked" ]
}

# The greps above find the secrets where they are: the instructor's run
# with --reveal-hidden shows each of them, and the control prints the case
# file where a case may read it.
test_controls() {
	local d=$WORK/reveal s missing=
	grade "$d" --backend emu -j 2 --reveal-hidden
	for s in "${SECRETS[@]}"; do grep -rqi -- "$s" "$d" || missing="$missing $s"; done
	grep -rqE -- "$SECRET_NUMBERS" "$d/bob" || missing="$missing 0x1334"
	check "control: --reveal-hidden shows every secret${missing:+ (not:$missing)}" [ -z "$missing" ]
	(cd "$WORK" && "$KVMCHECK" --backend emu --allow-read students --allow-read cases --no-reports control/leak.yaml \
		>"$WORK/leak.out" 2>&1)
	check "control: where reading is allowed, mallory's printer prints the case file" grep -qF "$CASE_MARKER" "$WORK/leak.out"
}

# A class whose students each have a quick case and one that spins for a
# minute, graded with -j 2: the case runners take alice's two cases, then
# bob's quick one in the slot alice's quick one leaves, then bob's spinning
# one. Once bob's spinning case is assembled (its entry is the fourth in
# the fresh cache), both quick cases are done and carol's never started.
# SIGINT then: exit 130, every student's reports written, each finished
# case in them, the rest skipped as interrupted.
test_interrupt() {
	local d=$WORK/int s pid i entries=0
	mkdir -p "$d/cases" "$d/cache"
	printf '%s\n' 'name: quick' 'submission: quick.asm' '---' 'name: spins a minute' 'submission: spin.asm' \
		'timeout_ms: 60000' 'expect: {exit: timeout}' >"$d/cases/slow.yaml"
	for s in alice bob carol; do
		mkdir -p "$d/$s"
		printf '; %s\nhlt\n' "$s" >"$d/$s/quick.asm"
		printf '; %s\njmp $\n' "$s" >"$d/$s/spin.asm"
	done
	(cd "$d" && exec "$KVMCHECK" --backend emu -j 2 --cache-dir cache --submission alice --submission bob \
		--submission carol --tap out/kvmcheck.tap --csv out/class.csv --no-reports cases/slow.yaml \
		>stdout 2>stderr) &
	pid=$!
	for ((i = 0; i < 1000 && entries < 4; i++)); do
		entries=$(find "$d/cache" -maxdepth 1 -type f -regextype egrep -regex '.*/[0-9a-f]{32}' | wc -l)
		[ "$entries" -ge 4 ] || sleep 0.02
	done
	kill -INT "$pid"
	wait "$pid"
	check "SIGINT in a class: exit 130" [ $? = 130 ]
	check "SIGINT in a class: the class CSV is written" [ "$(cut -d, -f1-3 "$d/out/class.csv" | tr -d '\r' | tr '\n' ' ')" = \
		"student,points,max alice,1,2 bob,1,2 carol,0,2 " ]
	for s in alice bob; do
		check "SIGINT in a class: $s's finished case is in his or her report" grep -qx 'ok 1 - quick' "$d/out/$s/kvmcheck.tap"
		check "SIGINT in a class: $s's running case is skipped" grep -qx 'ok 2 - spins a minute # SKIP interrupted' "$d/out/$s/kvmcheck.tap"
	done
	check "SIGINT in a class: carol's cases, never started, are skipped" \
		[ "$(grep -c '^ok [12] - .* # SKIP interrupted$' "$d/out/carol/kvmcheck.tap")" = 2 ]
}

make_class
test_class emu
test_github
test_controls
test_interrupt
if "$KVMCHECK" --backend kvm --no-reports --allow-read "$ROOT/guests" "$ROOT/cases/hello.yaml" >/dev/null 2>&1; then
	test_class kvm
	check "kvm and emu give the same class CSV" cmp -s "$WORK/kvm/j2/class.csv" "$WORK/emu/j2/class.csv"
else
	echo "# /dev/kvm does not work here: the class is graded on emu only"
fi
finish class
