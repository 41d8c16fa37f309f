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
export XDG_CACHE_HOME="$WORK/xdg-cache" # never the user's own assembly cache
cd "$ROOT"

SUITE=""
. "$ROOT/tests/e2e/lib.sh"

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
tap_block_bytes() { # TAP NAME: bytes of the YAML block under the point named NAME
	awk -v name="$2" '/^(not )?ok [0-9]+/ { inside = index($0, " - " name) > 0; next } inside { n += length($0) + 1 } END { print n + 0 }' "$1"
}
xml_count() { xmllint --xpath "$2" "$1" 2>/dev/null; }

test_bundled_cases() { # BACKEND
	local b=$1 n
	n=$(grep -c '^name:' cases/*.yaml | awk -F: '{s += $2} END {print s}')
	kvmcheck --backend "$b" --allow-read guests --tap "$WORK/copy.tap" --junit "$WORK/junit.xml" --results "$WORK/$b.results" cases/*.yaml
	check "$b: bundled cases all pass (exit 0)" status_is 0
	check "$b: TAP plan is 1..$n" tap_has "1..$n"
	check "$b: no failing point" bash -c "! grep -q '^not ok' '$WORK/out.tap'"
	check "$b: TAP header names the backend" tap_has "# kvmcheck $("$KVMCHECK" --version | head -n 1 | cut -d' ' -f2), backend $b"
	check "$b: summary names the backend" err_has "backend $b"
	check "$b: the summary ends with the totals" [ "$(tail -n 1 "$WORK/err")" = "$n passed, 0 failed" ]
	check "$b: no colour when stderr is not a terminal" bash -c "! grep -q \$'\033' '$WORK/err'"
	check "$b: --tap copy is byte-identical to stdout" cmp -s "$WORK/out.tap" "$WORK/copy.tap"
	check "$b: prove reads $n tests" [ "$(prove_count "$WORK/out.tap")" = "$n" ]
	check "$b: JUnit is well-formed" xmllint --noout "$WORK/junit.xml"
	check "$b: JUnit has $n testcases" [ "$(xml_count "$WORK/junit.xml" 'count(//testcase)')" = "$n" ]
	check "$b: JUnit has no failure" [ "$(xml_count "$WORK/junit.xml" 'count(//failure|//error)')" = 0 ]
	check "$b: JUnit names the backend" [ "$(xml_count "$WORK/junit.xml" 'string(/testsuites/testsuite[1]/properties/property[@name="backend"]/@value)')" = "$b" ]
	check "$b: JUnit is valid against junit-10.xsd" xmllint --noout --schema tests/junit/junit-10.xsd "$WORK/junit.xml"
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
	check "$b: failing JUnit is valid against junit-10.xsd" xmllint --noout --schema tests/junit/junit-10.xsd "$WORK/fail.xml"
	check "$b: a failure's type says what failed" \
		[ "$(xml_count "$WORK/fail.xml" 'string(//testcase[@name="hello does not say hello world"]/failure/@type)')" = serial ]
	check "$b: a failure's message says where" \
		[ "$(xml_count "$WORK/fail.xml" 'string(//testcase[@name="hello does not say hello world"]/failure/@message)')" = "serial output differs at byte 7" ]
	check "$b: a 10,000-byte runaway output gives a JUnit failure text under 4 KiB" \
		[ "$(xml_count "$WORK/fail.xml" 'string-length(//testcase[@name="jmp instead of loop prints without end"]/failure)')" -lt 4096 ]
	check "$b: the whole runaway output is in system-out" \
		[ "$(xml_count "$WORK/fail.xml" 'string-length(//testcase[@name="jmp instead of loop prints without end"]/system-out)')" = 10000 ]
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
	check "$b: a 10,000-byte runaway output gives a TAP block under 4 KiB" \
		[ "$(tap_block_bytes "$WORK/out.tap" 'jmp instead of loop prints without end')" -lt 4096 ]
	check "$b: the runaway output is cut to a window" tap_has "... 9744 more bytes"
	check "$b: TAP 13's message, severity and data keys are there" \
		bash -c "grep -q '^  message: ' '$WORK/out.tap' && grep -q '^  severity: fail' '$WORK/out.tap' && grep -q '^    got: ' '$WORK/out.tap'"
	check "$b: a text diff shows CR" tap_has "    8: '+two\x1b[0m\r'"
	check "$b: binary output is shown as hex" tap_has "    2: '00000010  10 11 12 13 14 15 16 17  18 19 ff fe 00 00 00 00  |................|'"
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
	kvmcheck --backend "$b" --allow-read "$ROOT/guests" --no-reports --color always tests/failing/wrong_output.yaml
	check "$b: --color always colours FAIL" err_has $'\033[1;31mFAIL\033[0m'
	NO_COLOR=1 kvmcheck --backend "$b" --allow-read "$ROOT/guests" --no-reports --color never tests/failing/wrong_output.yaml
	check "$b: --color never does not" bash -c "! grep -q \$'\033' '$WORK/err'"
	kvmcheck --backend "$b" --allow-read "$ROOT/guests" --no-reports --json "$WORK/runaway.json" tests/failing/runaway_output.yaml
	check "$b: the results record keeps all 10,000 bytes" [ "$(perl -MJSON::PP -e 'local $/; my $r = decode_json(<STDIN>); print length $r->{cases}[0]{output}' <"$WORK/runaway.json")" = 10000 ]
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
	check "an unwritable report is found before any case runs" [ ! -s "$WORK/out.tap" ]
	check "an unwritable report is named" err_has "/proc/nonexistent/junit.xml"
	(cd "$WORK" && "$KVMCHECK" --backend emu --allow-read "$ROOT/guests" "$ROOT/cases/hello.yaml" >/dev/null 2>&1)
	check "reports go to reports/ by default" test -s "$WORK/reports/junit.xml" -a -s "$WORK/reports/kvmcheck.tap"
	check "the results record goes to reports/ by default" test -s "$WORK/reports/results.json"
	check "the HTML report goes to reports/ by default" test -s "$WORK/reports/kvmcheck.html"
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

no_ns() { perl -0pe 's/"times_ns": \{[^}]*\}/"times_ns"/g; s/"elapsed_ns": [0-9]+/"elapsed_ns"/' "$1"; }

# -j N gives the reports of -j 1, byte for byte (times aside): the TAP
# stream on stdout, the --tap copy, JUnit, the parity file, the record and
# the exit status.
test_jobs() { # BACKEND SUITE-FOLDER
	local b=$1 dir=$2 j
	for j in 1 2; do
		kvmcheck -j "$j" --backend "$b" --allow-read "$ROOT/guests" --no-reports --tap "$WORK/j$j.copy.tap" --junit "$WORK/j$j.xml" \
			--results "$WORK/j$j.results" --json "$WORK/j$j.json" "$dir"/*.yaml
		cp "$WORK/out.tap" "$WORK/j$j.tap"
		cp "$WORK/status" "$WORK/j$j.status"
	done
	check "$b $dir: -j 2 exits as -j 1" cmp -s "$WORK/j1.status" "$WORK/j2.status"
	check "$b $dir: -j 2 streams -j 1's TAP" cmp -s "$WORK/j1.tap" "$WORK/j2.tap"
	check "$b $dir: -j 2's TAP copy is its stdout" cmp -s "$WORK/j2.copy.tap" "$WORK/j2.tap"
	check "$b $dir: -j 2 writes -j 1's JUnit (times aside)" cmp -s <(no_times "$WORK/j1.xml") <(no_times "$WORK/j2.xml")
	check "$b $dir: -j 2 writes -j 1's parity file" cmp -s "$WORK/j1.results" "$WORK/j2.results"
	check "$b $dir: -j 2 writes -j 1's record (times aside)" cmp -s <(no_ns "$WORK/j1.json") <(no_ns "$WORK/j2.json")
	kvmcheck --in-process --backend "$b" --allow-read "$ROOT/guests" --no-reports "$dir"/*.yaml
	check "$b $dir: -j 1 streams the TAP of a run in kvmcheck's own process" cmp -s "$WORK/j1.tap" "$WORK/out.tap"
}

# A suite whose middle cases spin until a long timeout: an interrupt
# always finds them running.
slow_suite() {
	mkdir -p "$WORK/slow"
	cat >"$WORK/slow/slow.yaml" <<'YAML'
name: quick one
source: hlt
---
name: spins a minute
source: "jmp $"
timeout_ms: 60000
expect: {exit: timeout}
---
name: spins a minute too
source: "jmp $"
timeout_ms: 60000
expect: {exit: timeout}
---
name: never started
source: hlt
YAML
}

# Processes whose command line names the slow suite: kvmcheck's workers and
# case runners are forks of it, so they carry its arguments.
slow_processes() {
	local p n=0
	for p in /proc/[0-9]*; do
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF "$WORK/slow/slow.yaml" && n=$((n + 1))
	done
	echo "$n"
}

# SIG: sent once the first test point is on stdout (read from the stream,
# not after a sleep); kvmcheck must end at once with 128+SIG, with every
# report written and well-formed, the cases not finished skipped, and no
# process of its own left.
test_interrupt() { # SIGNAL STATUS
	local sig=$1 want=$2 pid line
	slow_suite
	rm -f "$WORK/int.fifo" "$WORK/int.tap"
	mkfifo "$WORK/int.fifo"
	"$KVMCHECK" --backend emu -j 2 --tap "$WORK/int.copy.tap" --junit "$WORK/int.xml" --json "$WORK/int.json" \
		"$WORK/slow/slow.yaml" >"$WORK/int.fifo" 2>"$WORK/int.err" &
	pid=$!
	exec 3<"$WORK/int.fifo"
	while IFS= read -r line <&3; do
		printf '%s\n' "$line" >>"$WORK/int.tap"
		case $line in "ok 1 "*) break ;; esac
	done
	kill -"$sig" "$pid"
	cat <&3 >>"$WORK/int.tap"
	exec 3<&-
	wait "$pid"
	echo $? >"$WORK/status"
	check "SIG$sig: kvmcheck exits $want" status_is "$want"
	check "SIG$sig: no process of the run is left" [ "$(slow_processes)" = 0 ]
	check "SIG$sig: the finished case passed" grep -qx "ok 1 - quick one" "$WORK/int.tap"
	check "SIG$sig: the rest are skipped as interrupted" \
		[ "$(grep -c '^ok [234] - .* # SKIP interrupted$' "$WORK/int.tap")" = 3 ]
	check "SIG$sig: prove reads all 4 points" [ "$(prove_count "$WORK/int.tap")" = 4 ]
	check "SIG$sig: the --tap copy is the stream" cmp -s "$WORK/int.tap" "$WORK/int.copy.tap"
	check "SIG$sig: JUnit is well-formed" xmllint --noout "$WORK/int.xml"
	check "SIG$sig: JUnit skips the 3 cases" [ "$(xml_count "$WORK/int.xml" 'count(//testcase/skipped)')" = 3 ]
	check "SIG$sig: the record says not_run" [ "$(grep -c '"outcome": "not_run"' "$WORK/int.json")" = 3 ]
	check "SIG$sig: the summary counts them" grep -qF "3 cases not run (interrupted)" "$WORK/int.err"
}

# SIGKILL leaves kvmcheck no say: its children must end with it
# (PDEATHSIG), the grandchildren with them. Waits for that, within 10 s.
test_sigkill() {
	local pid line i
	slow_suite
	rm -f "$WORK/int.fifo"
	mkfifo "$WORK/int.fifo"
	"$KVMCHECK" --backend emu -j 2 --no-reports "$WORK/slow/slow.yaml" >"$WORK/int.fifo" 2>/dev/null &
	pid=$!
	exec 3<"$WORK/int.fifo"
	while IFS= read -r line <&3; do case $line in "ok 1 "*) break ;; esac; done
	check "SIGKILL: the run's workers are there before" [ "$(slow_processes)" -gt 1 ]
	kill -KILL "$pid"
	cat <&3 >/dev/null
	exec 3<&-
	wait "$pid"
	for i in $(seq 100); do [ "$(slow_processes)" = 0 ] && break; sleep 0.1; done
	check "SIGKILL: no process of the run outlives kvmcheck" [ "$(slow_processes)" = 0 ]
}

# --shard K/N: the shards are disjoint, together the whole suite, chosen
# the same way from GitLab's CI_NODE_INDEX/CI_NODE_TOTAL, and their
# records merged by kvmcheck report give the unsharded run's reports.
test_shards() { # BACKEND
	local b=$1 k files
	files=$(LC_ALL=C; printf '%s\n' cases/*.yaml tests/failing/*.yaml)
	kvmcheck -j 2 --backend "$b" --allow-read "$ROOT/guests" --no-reports --tap "$WORK/unsharded.tap" --junit "$WORK/unsharded.xml" $files
	cp "$WORK/status" "$WORK/unsharded.status"
	"$KVMCHECK" --list $files >"$WORK/all.list"
	rm -f "$WORK"/shard-*.list "$WORK"/shard-*.json
	for k in 1 2 3; do
		"$KVMCHECK" --list --shard "$k/3" $files >"$WORK/shard-$k.list"
		CI_NODE_INDEX=$k CI_NODE_TOTAL=3 "$KVMCHECK" --list $files >"$WORK/ci-$k.list"
		check "shard $k/3 is chosen alike from CI_NODE_INDEX/CI_NODE_TOTAL" cmp -s "$WORK/shard-$k.list" "$WORK/ci-$k.list"
		check "shard $k/3 is not empty" test -s "$WORK/shard-$k.list"
		kvmcheck -j 2 --backend "$b" --allow-read "$ROOT/guests" --no-reports --shard "$k/3" --json "$WORK/shard-$k.json" $files
	done
	check "the shards are disjoint" [ "$(cat "$WORK"/shard-*.list | sort | uniq -d | wc -l)" = 0 ]
	check "the shards together are the suite" cmp -s <(sort "$WORK/all.list") <(cat "$WORK"/shard-*.list | sort)
	kvmcheck report --junit "$WORK/merged-shards.xml" "$WORK"/shard-*.json
	check "$b: merged shards exit as the unsharded run" cmp -s "$WORK/status" "$WORK/unsharded.status"
	check "$b: merged shards give the unsharded TAP" cmp -s "$WORK/out.tap" "$WORK/unsharded.tap"
	check "$b: merged shards give the unsharded JUnit (times aside)" \
		cmp -s <(no_times "$WORK/merged-shards.xml") <(no_times "$WORK/unsharded.xml")
	CI_NODE_INDEX=4 CI_NODE_TOTAL=3 "$KVMCHECK" --list cases/hello.yaml >/dev/null 2>&1
	check "a CI_NODE_INDEX beyond CI_NODE_TOTAL is a usage error" [ $? = 2 ]
}

# --list, --filter, --fail-fast, --tap -, report paths checked first.
test_selection() {
	kvmcheck --list cases/hello.yaml cases/faults.yaml
	check "--list prints FILE:INDEX and name" tap_has "$(printf 'cases/hello.yaml:0\thello prints its greeting')"
	check "--list prints one line per case" [ "$(wc -l <"$WORK/out.tap")" = 3 ]
	kvmcheck --backend emu --allow-read "$ROOT/guests" --no-reports --filter 'hello*' --filter cases/faults.yaml:1 cases/hello.yaml cases/faults.yaml
	check "--filter by name and by FILE:INDEX" [ "$(grep -c '^ok' "$WORK/out.tap")" = 2 ]
	check "--filter keeps the plan to the cases it names" tap_has "1..2"
	kvmcheck --backend emu --allow-read "$ROOT/guests" --no-reports -j 1 --fail-fast tests/failing/assemble_error.yaml cases/hello.yaml
	check "--fail-fast: the run fails" status_is 1
	check "--fail-fast: the cases after the failure are skipped" tap_has "ok 2 - hello prints its greeting # SKIP fail-fast"
	# At -j 2 the case after the failing one ends first, on the other pool
	# process: it still counts as not run, as at -j 1 (whatever the order).
	printf -- '---\nname: spins to its timeout\ntimeout_ms: 2000\nsource: |\n  again: inc ax\n  jmp again\nexpect: {exit: hlt}\n' \
		>"$WORK/spins.yaml"
	kvmcheck --backend emu --allow-read "$ROOT/guests" --no-reports -j 2 --fail-fast "$WORK/spins.yaml" cases/hello.yaml
	check "--fail-fast -j 2: a later case that ended first is skipped" tap_has "ok 2 - hello prints its greeting # SKIP fail-fast"
	check "--fail-fast -j 2: the failing case is reported" grep -q '^not ok 1 - spins to its timeout' "$WORK/out.tap"
	(cd "$WORK" && "$KVMCHECK" --backend emu --allow-read "$ROOT/guests" --no-reports --tap - "$ROOT/cases/hello.yaml" >"$WORK/out.tap" 2>/dev/null)
	check "--tap - writes TAP to stdout" tap_has "ok 1 - hello prints its greeting"
	check "--tap - writes no file called -" test ! -e "$WORK/-"
}

# Two runs at once writing the same report files: each file is one run's
# whole report (atomic replacement), never a mix or a part.
test_concurrent_reports() {
	local a b
	"$KVMCHECK" --backend emu -j 1 --allow-read "$ROOT/guests" --tap "$WORK/same.tap" --junit "$WORK/same.xml" --json "$WORK/same.json" \
		tests/failing/*.yaml >/dev/null 2>&1 &
	a=$!
	"$KVMCHECK" --backend emu -j 1 --allow-read "$ROOT/guests" --tap "$WORK/same.tap" --junit "$WORK/same.xml" --json "$WORK/same.json" \
		cases/*.yaml >/dev/null 2>&1 &
	b=$!
	wait "$a" "$b"
	check "two runs on the same report paths leave well-formed JUnit" xmllint --noout "$WORK/same.xml"
	check "... and TAP prove reads whole" [ -n "$(prove_count "$WORK/same.tap")" ]
	kvmcheck report "$WORK/same.json"
	check "... and a record kvmcheck report reads" bash -c "[ \"\$(cat '$WORK/status')\" != 2 ]"
	check "... and no temporary report file left" [ -z "$(ls -A "$WORK" | grep -F '.tmp-')" ]
}

# nasm's working folders that a killed kvmcheck left are removed by the
# next run: those whose maker (the PID in the name) is dead, and only those.
test_stale_workdirs() {
	local tmp=$WORK/tmpdir dead=999999999
	mkdir -p "$tmp/kvmcheck.$dead.aaaaaa" "$tmp/kvmcheck.1.bbbbbb" "$tmp/other.$dead.cccccc"
	touch "$tmp/kvmcheck.$dead.aaaaaa/guest.asm"
	TMPDIR=$tmp kvmcheck --backend emu --allow-read "$ROOT/guests" --no-reports cases/hello.yaml
	check "a dead run's working folder is removed" [ ! -e "$tmp/kvmcheck.$dead.aaaaaa" ]
	check "a live process's working folder is kept" [ -d "$tmp/kvmcheck.1.bbbbbb" ]
	check "a folder not named as kvmcheck's is kept" [ -d "$tmp/other.$dead.cccccc" ]
}

kvm_works() {
	"$KVMCHECK" --backend kvm --allow-read guests --no-reports cases/hello.yaml >/dev/null 2>&1
}

test_parity() {
	check "kvm and emu agree case by case" "$ROOT/tests/parity.sh" "$WORK/kvm.results" "$WORK/emu.results"
}

# A guest that prints markup and script: the HTML report shows it as text.
test_html() {
	printf '%s\n' 'name: prints a script' 'source: |' '  mov dx, 0x3f8' '  mov si, msg' '  mov cx, len' \
		'  rep outsb' '  hlt' "  msg: db \"<script>document.title='pwned'</script></pre><img src=x onerror=alert(1)>\"" \
		'  len equ $ - msg' 'expect:' '  serial: "nothing"' >"$WORK/script.yaml"
	kvmcheck --backend emu --no-reports --html "$WORK/script.html" "$WORK/script.yaml"
	check "html: the report is written" test -s "$WORK/script.html"
	# libxml2's parser knows HTML 4 only: <mark>, <section> and <details> are named, not fatal.
	check "html: it parses as HTML" bash -c "xmllint --html --noout '$WORK/script.html' 2>/dev/null"
	check "html: the title is kvmcheck's" [ "$(xmllint --html --xpath 'string(//title)' "$WORK/script.html" 2>/dev/null)" = "kvmcheck report" ]
	check "html: no script element at all" [ "$(xmllint --html --xpath 'count(//script|//img|//*[@onerror])' "$WORK/script.html" 2>/dev/null)" = 0 ]
	check "html: the guest's script shows as text" \
		grep -qF "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" "$WORK/script.html"
}

test_cli
test_html
test_bundled_cases emu
test_failing_cases emu
test_report_command emu cases 0
test_report_command emu tests/failing 1
test_jobs emu cases
test_jobs emu tests/failing
test_interrupt INT 130
test_interrupt TERM 143
test_interrupt HUP 129
test_sigkill
test_shards emu
test_selection
test_concurrent_reports
test_stale_workdirs
check "persistent assembly cache (tests/e2e/cache.sh)" "$ROOT/tests/e2e/cache.sh" "$KVMCHECK"
check "make install, with and without the zygote's library (tests/e2e/install.sh)" "$ROOT/tests/e2e/install.sh"
check "no mount namespace: nasm refused unless --unsafe-assembler (tests/e2e/sandbox_refusal.sh)" "$ROOT/tests/e2e/sandbox_refusal.sh" "$KVMCHECK"
check "grading submissions (tests/e2e/submissions.sh)" "$ROOT/tests/e2e/submissions.sh" "$KVMCHECK"
check "grading a class in one parallel run (tests/e2e/class.sh)" "$ROOT/tests/e2e/class.sh" "$KVMCHECK"
check "GitHub outputs of a class run: fence, annotations, summary, Classroom (tests/e2e/github_class.sh)" "$ROOT/tests/e2e/github_class.sh" "$KVMCHECK"
check "the Gradescope and Classroom examples, run locally (tests/e2e/examples.sh)" "$ROOT/tests/e2e/examples.sh" "$KVMCHECK"
check "grading: points, partial credit, hidden cases and tags (tests/e2e/grading.sh)" "$ROOT/tests/e2e/grading.sh" "$KVMCHECK"
. "$ROOT/tests/e2e/feedback.sh"
if kvm_works; then
	test_bundled_cases kvm
	test_failing_cases kvm
	test_parity
else
	echo "# /dev/kvm does not work here: the kvm backend is tested by make check-kvm"
fi
check "metrics: size and instruction limits (tests/e2e/metrics.sh)" "$ROOT/tests/e2e/metrics.sh" "$KVMCHECK"
check "memory: expect.memory by label and screen attributes (tests/e2e/memory.sh)" "$ROOT/tests/e2e/memory.sh" "$KVMCHECK"
check "html: the reports in headless Chromium (tests/e2e/html.sh)" "$ROOT/tests/e2e/html.sh" "$KVMCHECK"
check "junit: the Jenkins and GitLab flavours (tests/e2e/junit.sh)" "$ROOT/tests/e2e/junit.sh" "$KVMCHECK"
check "dosbox: the .COM cases give DOSBox's output (tests/e2e/dosbox.sh)" "$ROOT/tests/e2e/dosbox.sh" "$KVMCHECK"
. "$ROOT/tests/e2e/platforms.sh"
finish e2e
