#!/bin/bash
# End-to-end tests: the real kvmcheck binary on real YAML and real nasm.
# usage: tests/e2e/run.sh [--update-golden] KVMCHECK
# Runs the emu backend always, and the kvm backend too where /dev/kvm works.
set -u

update_golden=false
if [ "${1:-}" = --update-golden ]; then update_golden=true; shift; fi
KVMCHECK=$(realpath "${1:?usage: run.sh [--update-golden] path/to/kvmcheck}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }
check() { # check NAME COMMAND...: passes when the command succeeds
	local name=$1; shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# kvmcheck ARGS...: runs it into $WORK/out.tap, $WORK/err, $WORK/status
kvmcheck() {
	"$KVMCHECK" "$@" >"$WORK/out.tap" 2>"$WORK/err"
	echo $? >"$WORK/status"
}
status_is() { [ "$(cat "$WORK/status")" = "$1" ]; }
tap_has() { grep -qF -- "$1" "$WORK/out.tap"; }
err_has() { grep -qF -- "$1" "$WORK/err"; }
points() { grep -cE '^(not )?ok [0-9]+' "$1"; }
prove_count() { # the number of tests prove saw, or nothing when it could not parse
	prove --exec cat "$1" 2>&1 | sed -n 's/^Files=1, Tests=\([0-9]*\),.*/\1/p'
}
xml_count() { xmllint --xpath "$2" "$1" 2>/dev/null; }

test_bundled_cases() { # BACKEND
	local b=$1 n
	n=$(grep -c '^name:' cases/*.yaml | awk -F: '{s += $2} END {print s}')
	kvmcheck --backend "$b" --allow-read guests --tap "$WORK/copy.tap" --junit "$WORK/junit.xml" --results "$WORK/$b.results" cases/*.yaml
	check "$b: bundled cases all pass (exit 0)" status_is 0
	check "$b: TAP plan is 1..$n" tap_has "1..$n"
	check "$b: no failing point" bash -c "! grep -q '^not ok' '$WORK/out.tap'"
	check "$b: TAP header names the backend" tap_has "# kvmcheck $("$KVMCHECK" --version | cut -d' ' -f2), backend $b"
	check "$b: summary names the backend" err_has "backend $b"
	check "$b: --tap copy is byte-identical to stdout" cmp -s "$WORK/out.tap" "$WORK/copy.tap"
	check "$b: prove reads $n tests" [ "$(prove_count "$WORK/out.tap")" = "$n" ]
	check "$b: JUnit is well-formed" xmllint --noout "$WORK/junit.xml"
	check "$b: JUnit has $n testcases" [ "$(xml_count "$WORK/junit.xml" 'count(//testcase)')" = "$n" ]
	check "$b: JUnit has no failure" [ "$(xml_count "$WORK/junit.xml" 'count(//failure|//error)')" = 0 ]
	check "$b: JUnit names the backend" [ "$(xml_count "$WORK/junit.xml" 'string(/testsuites/properties/property[@name="backend"]/@value)')" = "$b" ]
	check "$b: one testsuite per case file" [ "$(xml_count "$WORK/junit.xml" 'count(//testsuite)')" = "$(ls cases/*.yaml | wc -l)" ]
	check "$b: hello's output is in system-out" [ "$(xml_count "$WORK/junit.xml" 'string(//testcase[@name="hello prints its greeting"]/system-out)')" = "Hello, KVM!" ]
	cp "$WORK/out.tap" "$WORK/first.tap"
	kvmcheck --backend "$b" --allow-read guests --no-reports cases/*.yaml
	check "$b: TAP is byte-identical run to run" cmp -s "$WORK/out.tap" "$WORK/first.tap"
}

test_failing_cases() { # BACKEND
	local b=$1 n
	kvmcheck --backend "$b" --allow-read guests --junit "$WORK/fail.xml" --no-reports tests/failing/*.yaml
	n=$(points "$WORK/out.tap")
	check "$b: failing examples exit 1" status_is 1
	# all but the good case in front of bad_yaml.yaml's syntax error
	check "$b: every failing example fails ($n points)" [ "$(grep -c '^not ok' "$WORK/out.tap")" = $((n - 1)) ]
	check "$b: prove sees exactly the $n points despite the guest's fake TAP" [ "$(prove_count "$WORK/out.tap")" = "$n" ]
	check "$b: failing JUnit is well-formed" xmllint --noout "$WORK/fail.xml"
	check "$b: failures and errors are told apart" [ "$(xml_count "$WORK/fail.xml" 'count(//error)')" = 5 ]
	check "$b: output diff names the first differing byte" tap_has "serial output differs at byte 7"
	check "$b: register mismatch is named" tap_has "register ax is 0x1234, expected 0x4321"
	check "$b: timeout is reported" tap_has "outcome timeout, expected hlt"
	check "$b: budget is reported" tap_has "outcome max_exits, expected hlt"
	check "$b: triple fault is reported" tap_has "outcome shutdown, expected hlt"
	check "$b: nasm's error names the case file line" tap_has "tests/failing/assemble_error.yaml:5: error: parser: instruction expected"
	check "$b: unknown key names file:line:column" err_has "tests/failing/invalid_case.yaml:5:3: unknown key 'exits' in 'expect'"
	check "$b: out-of-range register names file:line:column" err_has "tests/failing/invalid_case.yaml:10:19: 'al' is 0x100, more than its maximum 255"
	check "$b: missing guest is named" err_has "tests/failing/invalid_case.yaml:13:8: cannot read guest 'tests/failing/../../guests/missing.asm'"
	check "$b: YAML syntax error keeps the good case" tap_has "ok 2 - the first case is fine"
	check "$b: YAML syntax error names its line" tap_has "tests/failing/bad_yaml.yaml:7:"
	check "$b: unmapped access is an error outcome" tap_has "unmapped memory read at 0x00100000 (guest at 0000:"
	check "$b: a boot sector needs its signature" tap_has "preset boot: the boot sector does not end with the signature 0xAA55"
	check "$b: a missing service is named" tap_has "int 21h AH=3Dh (open file) is not provided"
	check "$b: a key read past the input ends the case" tap_has "int 16h AH=00h waits for a key, and the case''s input is used up"
	check "$b: the exit code is checked" tap_has "exit code 1, expected 0"
	check "$b: the console output is checked" tap_has "console output differs at byte 3"
	check "$b: the screen is checked and shown" tap_has "screen row 1 differs"
	if [ "$b" = emu ]; then
		if $update_golden; then cp "$WORK/out.tap" tests/failing/expected.tap; fi
		check "emu: failing TAP matches tests/failing/expected.tap" diff -u tests/failing/expected.tap "$WORK/out.tap"
	fi
}

test_cli() {
	kvmcheck --help
	check "--help exits 0 and shows usage" bash -c "[ \"\$(cat '$WORK/status')\" = 0 ] && grep -q '^usage: kvmcheck' '$WORK/out.tap'"
	kvmcheck --version
	check "--version prints the version" bash -c "grep -qE '^kvmcheck [0-9]+\.[0-9]+' '$WORK/out.tap'"
	kvmcheck --bogus cases/hello.yaml
	check "an unknown option exits 2" status_is 2
	check "an unknown option is named" err_has "unknown or incomplete option '--bogus'"
	kvmcheck
	check "no case files exits 2" status_is 2
	kvmcheck --backend vmware cases/hello.yaml
	check "an unknown backend exits 2" status_is 2
	kvmcheck --backend emu --allow-read guests --no-reports cases/hello.yaml no/such/file.yaml
	check "a missing case file exits 2" status_is 2
	check "a missing case file is a failing point" tap_has "not ok 2 - file"
	check "the other cases still run" tap_has "ok 1 - hello prints its greeting"
	kvmcheck --backend emu --allow-read guests --junit "$WORK/twice.xml" --no-reports cases/hello.yaml cases/hello.yaml
	check "a file named twice still gives unique JUnit names" \
		[ "$(xml_count "$WORK/twice.xml" 'count(//testcase[@name="hello prints its greeting [cases/hello.yaml:0] #2"])')" = 1 ]
	kvmcheck --backend emu --allow-read guests --junit /proc/nonexistent/junit.xml --no-reports cases/hello.yaml
	check "an unwritable report exits 2" status_is 2
	check "TAP is still written when JUnit cannot be" tap_has "ok 1 - hello"
	(cd "$WORK" && "$KVMCHECK" --backend emu --allow-read "$ROOT/guests" "$ROOT/cases/hello.yaml" >/dev/null 2>&1)
	check "reports go to reports/ by default" test -s "$WORK/reports/junit.xml" -a -s "$WORK/reports/kvmcheck.tap"
	check "the results record goes to reports/ by default" test -s "$WORK/reports/results.json"
	kvmcheck report --backend emu "$WORK/reports/results.json"
	check "report refuses an option that runs cases" status_is 2
	check "report names the option it refuses" err_has "option '--backend' does not apply to report"
	kvmcheck report
	check "report without records exits 2" status_is 2
	kvmcheck report "$WORK/no-such.json"
	check "an unreadable record exits 2" status_is 2
	check "an unreadable record is named" err_has "$WORK/no-such.json"
	kvmcheck report "$WORK/reports/junit.xml"
	check "a file that is not a record exits 2" status_is 2
}

no_times() { sed -E 's/ time="[0-9.]+"//g' "$1"; }

# Reports rendered from saved records are the live run's, and records of
# shards merge into the reports of the whole run.
test_report_command() { # BACKEND SUITE-FOLDER EXPECTED-STATUS
	local b=$1 dir=$2 want=$3 files half n
	files=$(LC_ALL=C; printf '%s\n' "$dir"/*.yaml)
	n=$(echo "$files" | wc -l)
	half=$((n / 2))
	kvmcheck --backend "$b" --allow-read guests --no-reports --tap "$WORK/whole.tap" --junit "$WORK/whole.xml" \
		--results "$WORK/whole.results" --json "$WORK/whole.json" $files
	check "$b $dir: the run exits $want" status_is "$want"
	kvmcheck report "$WORK/whole.json" --tap "$WORK/again.tap" --junit "$WORK/again.xml" \
		--results "$WORK/again.results" --json "$WORK/again.json"
	check "$b $dir: report exits as the run did" status_is "$want"
	check "$b $dir: TAP from the record is the run's" cmp -s "$WORK/again.tap" "$WORK/whole.tap"
	check "$b $dir: report writes TAP on stdout too" cmp -s "$WORK/out.tap" "$WORK/whole.tap"
	check "$b $dir: JUnit from the record is the run's" cmp -s "$WORK/again.xml" "$WORK/whole.xml"
	check "$b $dir: the parity file from the record is the run's" cmp -s "$WORK/again.results" "$WORK/whole.results"
	check "$b $dir: the record rewritten is the record" cmp -s "$WORK/again.json" "$WORK/whole.json"

	kvmcheck --backend "$b" --allow-read guests --no-reports --json "$WORK/shard1.json" $(echo "$files" | head -n "$half")
	kvmcheck --backend "$b" --allow-read guests --no-reports --json "$WORK/shard2.json" $(echo "$files" | tail -n +"$((half + 1))")
	kvmcheck report "$WORK/shard2.json" "$WORK/shard1.json" --tap "$WORK/merged.tap" --junit "$WORK/merged.xml" \
		--results "$WORK/merged.results"
	check "$b $dir: merged shards exit as the whole run did" status_is "$want"
	check "$b $dir: merged shards give the whole run's TAP" cmp -s "$WORK/merged.tap" "$WORK/whole.tap"
	check "$b $dir: merged shards give the whole run's JUnit (times aside)" \
		cmp -s <(no_times "$WORK/merged.xml") <(no_times "$WORK/whole.xml")
	check "$b $dir: merged shards give the whole run's parity file" cmp -s "$WORK/merged.results" "$WORK/whole.results"
	kvmcheck report "$WORK/shard1.json" "$WORK/whole.json"
	check "$b $dir: a case in two records exits 2" status_is 2
	check "$b $dir: a case in two records is named" err_has "is in more than one record"
}

kvm_works() {
	"$KVMCHECK" --backend kvm --allow-read guests --no-reports cases/hello.yaml >/dev/null 2>&1
}

test_parity() {
	check "kvm and emu agree case by case" "$ROOT/tests/parity.sh" "$WORK/kvm.results" "$WORK/emu.results"
}

test_cli
test_bundled_cases emu
test_failing_cases emu
test_report_command emu cases 0
test_report_command emu tests/failing 1
if kvm_works; then
	test_bundled_cases kvm
	test_failing_cases kvm
	test_parity
else
	echo "# /dev/kvm does not work here: the kvm backend is tested by make check-kvm"
fi
echo "e2e: $passed passed, $failed failed"
[ "$failed" = 0 ]
