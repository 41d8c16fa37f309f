#!/bin/bash
# End-to-end tests of grading submissions: cases that name the student's
# file (`submission:`), an inline harness that %includes it, three students
# (correct, partly wrong, hostile) graded in one run, each student's report
# set, the class CSV and summary, --submissions-from on standard input, and
# that the hostile student's reports hold nothing of the case file or of a
# classmate's work.
# usage: tests/e2e/submissions.sh KVMCHECK
set -u

KVMCHECK=$(realpath "${1:?usage: submissions.sh path/to/kvmcheck}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

SUITE=submissions
. "$ROOT/tests/e2e/lib.sh"
# kvmcheck ARGS...: runs it in $WORK into out, err and status
kvmcheck() {
	(cd "$WORK" && "$KVMCHECK" "$@" >"$WORK/out" 2>"$WORK/err"; echo $? >"$WORK/status")
}
status_is() { [ "$(cat "$WORK/status")" = "$1" ]; }
gradescope_score() { perl -MJSON::PP -e 'local $/; open my $f, "<", $ARGV[0] or exit 1; print decode_json(<$f>)->{score}' "$1"; }
out_has() { grep -qF -- "$1" "$WORK/out"; }
xml_value() { xmllint --xpath "$2" "$1" 2>/dev/null; }

CASE_MARKER=CASEFILE-MARKER-93c1
SIBLING_MARKER=SIBLING-MARKER-5b2e

# A program that prints the first 120 bytes of the file it includes with
# incbin (or zeros when there are fewer).
printer() { # PATH
	cat <<ASM
bits 16
org 0
	mov dx, 0x3f8
	mov si, data
	mov cx, 120
next:	mov al, [si]
	out dx, al
	inc si
	loop next
	hlt
data:	incbin "$1"
	times 120 db 0
ASM
}

greeter() { # TEXT
	cat <<ASM
bits 16
org 0
	mov dx, 0x3f8
	mov si, msg
next:	mov al, [si]
	test al, al
	jz done
	out dx, al
	inc si
	jmp next
done:	hlt
msg:	db "$1", 0
ASM
}

make_class() {
	mkdir -p "$WORK/cases" "$WORK/students/alice" "$WORK/students/bob" "$WORK/students/mallory" "$WORK/control"
	cat >"$WORK/cases/class.yaml" <<YAML
# $CASE_MARKER: the instructor's notes, never for a student's eyes
name: greet
submission: greet.asm
expect:
  serial: "Hello"
---
name: add
submission: add.asm
points: 2
registers: {ax: 2, bx: 3}
expect:
  registers: {ax: 5}
---
name: double
submission: double.asm
source: |
  bits 16
  org 0
  mov ax, 21
  call double
  hlt
  %include "double.asm"
expect:
  registers: {ax: 42}
---
name: peek
submission: peek.asm
expect:
  serial: "peek"
---
name: echo
submission: echo.asm
points: 0
expect:
  serial: "echo"
YAML
	local s
	for s in alice bob; do
		{ echo "; $SIBLING_MARKER"; greeter Hello; } >"$WORK/students/$s/greet.asm"
		greeter peek >"$WORK/students/$s/peek.asm"
		greeter echo >"$WORK/students/$s/echo.asm"
	done
	printf 'bits 16\norg 0\n\tadd ax, bx\n\thlt\n' >"$WORK/students/alice/add.asm"
	printf 'bits 16\norg 0\n\tsub ax, bx\n\thlt\n' >"$WORK/students/bob/add.asm"
	printf '; %s\ndouble:\tadd ax, ax\n\tret\n' "$SIBLING_MARKER" >"$WORK/students/alice/double.asm"
	printf 'double:\tshl ax, 1\n\tret\n' >"$WORK/students/bob/double.asm"
	# mallory reaches for the case file by name (as if nasm could read the
	# case folder), by relative and by absolute path,
	# for a classmate's file by absolute path and through ../
	printer ../../cases/class.yaml >"$WORK/students/mallory/greet.asm"
	printer "$WORK/cases/class.yaml" >"$WORK/students/mallory/add.asm"
	printf '%%include "%s"\n' "$WORK/students/alice/double.asm" >"$WORK/students/mallory/double.asm"
	printer ../alice/greet.asm >"$WORK/students/mallory/peek.asm"
	printer class.yaml >"$WORK/students/mallory/echo.asm"
	# The control: the same absolute-path printer, where the case allows
	# reading the cases, does print the marker; so its absence below means
	# the student could not read it, not that the printer is broken.
	cat >"$WORK/control/leak.yaml" <<YAML
name: leak
guest: ../students/mallory/add.asm
assembler: {read: [../cases]}
expect:
  serial: ""
YAML
}

test_class() {
	kvmcheck --backend emu -j 2 --submission students/alice --submission students/bob \
		--submission students/mallory --csv reports/class.csv cases/class.yaml
	check "a class with failures exits 1" status_is 1
	check "the reports folder holds a report set per student and the CSV" [ "$(cd "$WORK/reports" && find . | sort | tr '\n' ' ')" = \
		". ./alice ./alice/junit.xml ./alice/kvmcheck.html ./alice/kvmcheck.tap ./alice/results.json ./bob ./bob/junit.xml ./bob/kvmcheck.html ./bob/kvmcheck.tap ./bob/results.json ./class.csv ./mallory ./mallory/junit.xml ./mallory/kvmcheck.html ./mallory/kvmcheck.tap ./mallory/results.json " ]
	check "the class CSV, exactly" [ "$(cat "$WORK/reports/class.csv")" = "$(printf 'student,points,max,greet,add,double,peek,echo\r\nalice,5,5,1,2,1,1,pass\r\nbob,3,5,1,0,1,1,pass\r\nmallory,0,5,0,0,0,0,fail\r')" ]
	check "no TAP on stdout in a class run" bash -c "! grep -q '^TAP version' '$WORK/out'"
	check "class summary: students and cases" out_has "kvmcheck: class of 3 students, 5 cases each"
	check "class summary: scores" out_has "score: mean 53.3%, median 60.0%, min 0.0%, max 100.0%"
	check "class summary: distribution" out_has "   80-100%]   1 #"
	check "class summary: distribution, bob's fifth" out_has "   60- 80%)   1 #"
	check "class summary: the case most failed first" [ "$(grep -A1 'most failed cases:' "$WORK/out" | tail -n 1)" = "    add: failed by 2 of 3" ]
	check "class summary: a line per student" out_has "  3/5 bob"
	local r=$WORK/reports
	check "alice: every case passes" [ "$(grep -c '^ok ' "$r/alice/kvmcheck.tap")" = 5 ]
	check "alice: the TAP names the run" grep -qx '# run alice' "$r/alice/kvmcheck.tap"
	check "alice: the inline harness %included her routine" grep -qx 'ok 3 - double' "$r/alice/kvmcheck.tap"
	check "bob: add fails, the rest pass" [ "$(grep -E '^(not )?ok' "$r/bob/kvmcheck.tap" | tr '\n' '|')" = \
		"ok 1 - greet|not ok 2 - add|ok 3 - double|ok 4 - peek|ok 5 - echo|" ]
	check "mallory: nothing assembles" [ "$(grep -c "outcome: assemble_error" "$r/mallory/kvmcheck.tap")" = 5 ]
	check "mallory: told what may be read" grep -q "it may read only in students/mallory" "$r/mallory/kvmcheck.tap"
	check "JUnit testsuites are named after the student" [ "$(xml_value "$r/bob/junit.xml" 'string(/testsuites/@name)')" = bob ]
	check "JUnit suites carry the name as a property" [ "$(xml_value "$r/bob/junit.xml" 'string(//testsuite[1]/properties/property[@name="name"]/@value)')" = bob ]
	check "JUnit stays valid against junit-10.xsd" xmllint --noout --schema "$ROOT/tests/junit/junit-10.xsd" "$r/mallory/junit.xml" 2>/dev/null
	check "the results record is named" grep -q '"name": "mallory"' "$r/mallory/results.json"
	check "a saved record renders with its name" bash -c "'$KVMCHECK' report --junit '$WORK/again.xml' '$r/bob/results.json' >/dev/null 2>&1; xmllint --xpath 'string(/testsuites/@name)' '$WORK/again.xml' | grep -qx bob"
	check "mallory's reports hold nothing of the case file" bash -c "! grep -rqF -e '$CASE_MARKER' -e \"instructor's notes\" '$r/mallory'"
	check "mallory's reports hold nothing of alice's files" bash -c "! grep -rqF '$SIBLING_MARKER' '$r/mallory'"
	check "mallory's double did not pass on alice's routine" bash -c "! grep -qx 'ok 3 - double' '$r/mallory/kvmcheck.tap'"
	check "the console holds nothing of the case file" bash -c "! grep -qF '$CASE_MARKER' '$WORK/out' '$WORK/err'"
	kvmcheck --backend emu --allow-read students --allow-read cases --no-reports control/leak.yaml
	check "control: where reading is allowed, the printer prints the marker" out_has "$CASE_MARKER"
}

test_class_options() {
	kvmcheck --backend emu --no-reports --submission students/bob --submission students/mallory \
		--gradescope gs/results.json cases/class.yaml
	check "class: a Gradescope file per student, with that student's score" [ "$(gradescope_score "$WORK/gs/bob/results.json") $(gradescope_score "$WORK/gs/mallory/results.json")" = "3 0" ]
	printf '# the class\nstudents/alice\n\n  students/bob  \n' >"$WORK/list"
	(cd "$WORK" && "$KVMCHECK" --backend emu --submissions-from - --csv from-stdin.csv --no-reports \
		cases/class.yaml <"$WORK/list" >"$WORK/out" 2>"$WORK/err")
	check "--submissions-from - reads the folders from stdin" [ "$(cut -d, -f1-3 "$WORK/from-stdin.csv" | tr -d '\r' | tr '\n' ' ')" = \
		"student,points,max alice,5,5 bob,3,5 " ]
	kvmcheck --backend emu --name 'Alice A.' --submission students/alice --tap run.tap --junit run.xml --no-reports cases/class.yaml
	check "one submission: TAP on stdout names the run" out_has "# run Alice A."
	check "one submission: its reports where they were asked for" [ "$(xml_value "$WORK/run.xml" 'string(/testsuites/@name)')" = "Alice A." ]
	check "one submission: the summary names the run" grep -q '^  run: Alice A\.$' "$WORK/err"
	kvmcheck --backend emu --name 'Alice A.' --submission students/alice --gradescope named.json --no-reports cases/class.yaml
	check "one submission: Gradescope's output names the run" \
		perl -MJSON::PP -e 'local $/; open my $f, "<", $ARGV[0] or exit 1; exit(decode_json(<$f>)->{output} =~ /^kvmcheck \S+ \(backend emu\), run Alice A\.: 5 of 5 cases passed/ ? 0 : 1)' "$WORK/named.json"
	kvmcheck --backend emu --submissions-from list --csv from-file.csv --no-reports cases/class.yaml
	check "--submissions-from FILE reads the folders from the file" [ "$(cut -d, -f1-3 "$WORK/from-file.csv" | tr -d '\r' | tr '\n' ' ')" = \
		"student,points,max alice,5,5 bob,3,5 " ]
	kvmcheck --backend emu --submissions-from no-such-list --no-reports cases/class.yaml
	check "--submissions-from a missing file: exit 2 naming the option" \
		bash -c '[ "$(cat "$1/status")" = 2 ] && grep -q "option .--submissions-from.: cannot open .no-such-list." "$1/err"' _ "$WORK"
	kvmcheck --backend emu --no-reports cases/class.yaml
	check "without --submission a submission case is an error" grep -q "greet.asm'', but no --submission folder was given" "$WORK/out"
	mkdir -p "$WORK/other/alice"
	kvmcheck --backend emu --submission students/alice --submission other/alice cases/class.yaml
	check "two students of one name: exit 2" status_is 2
	check "two students of one name: both named" grep -q "submissions 'students/alice' and 'other/alice' have the same name 'alice'" "$WORK/err"
	kvmcheck --backend emu --name x --submission students/alice --submission students/bob cases/class.yaml
	check "--name with several submissions is refused" grep -q "option '--name' names one run" "$WORK/err"
	mkdir -p "$WORK/students/=evil"
	ln -s ../alice/greet.asm "$WORK/students/=evil/greet.asm"
	kvmcheck --backend emu --submission students/alice --submission students/=evil --csv evil.csv --filter greet cases/class.yaml
	check "a formula-like name is guarded in the CSV" grep -q "^\"'=evil\",0,1," "$WORK/evil.csv"
	check "a symlink leading out of the submission is a case error" grep -qF "greet.asm'' leads out of the submission folder" "$WORK/reports/=evil/kvmcheck.tap"
}

make_class
test_class
test_class_options
finish submissions
