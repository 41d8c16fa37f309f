#!/bin/bash
# End-to-end tests of the JUnit flavours (README "Reports"): the default is
# valid against Jenkins' junit-10.xsd (tests/junit/), which allows no `file`
# attribute on a testcase; `--junit-flavor gitlab` adds GitLab's `file` (the
# case file) and `status`, here on the failing and the bundled suites, from
# a run and from its saved record.
# usage: tests/e2e/junit.sh KVMCHECK
set -u
KVMCHECK=$(realpath "${1:?usage: junit.sh path/to/kvmcheck}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export XDG_CACHE_HOME="$WORK/xdg-cache" # never the user's own assembly cache
cd "$ROOT"
SCHEMA=tests/junit/junit-10.xsd

SUITE=junit
. "$ROOT/tests/e2e/lib.sh"
xpath() { xmllint --xpath "$2" "$1" 2>/dev/null; }
valid() { xmllint --noout --schema "$SCHEMA" "$1" 2>/dev/null; }

# Every testcase names the file of its suite, as the case file is named.
files_match_suites() { # JUNIT
	[ "$(xpath "$1" 'count(//testcase)')" = "$(xpath "$1" 'count(//testcase[@file = ../@name])')" ]
}

test_suite() { # NAME CASE-FILES...
	local name=$1; shift
	"$KVMCHECK" --backend emu --allow-read guests --no-reports --junit "$WORK/$name.xml" --json "$WORK/$name.json" \
		"$@" >/dev/null 2>&1
	"$KVMCHECK" --backend emu --allow-read guests --no-reports --junit-flavor gitlab --junit "$WORK/$name-gitlab.xml" \
		"$@" >/dev/null 2>&1
	local cases
	cases=$(xpath "$WORK/$name.xml" 'count(//testcase)')
	check "$name: the default is valid against junit-10.xsd" valid "$WORK/$name.xml"
	check "$name: ... and has no file attribute" [ "$(xpath "$WORK/$name.xml" 'count(//testcase/@file)')" = 0 ]
	check "$name: ... and each case's outcome is a suite property" \
		[ "$(xpath "$WORK/$name.xml" 'count(//property[substring(@name, string-length(@name) - 8) = ": outcome"])')" = "$cases" ]
	check "$name: gitlab: every testcase has its file" files_match_suites "$WORK/$name-gitlab.xml"
	check "$name: gitlab: ... $cases testcases, as the default" [ "$(xpath "$WORK/$name-gitlab.xml" 'count(//testcase)')" = "$cases" ]
	check "$name: gitlab: ... and its status" \
		[ "$(xpath "$WORK/$name-gitlab.xml" 'count(//testcase[@status])')" = "$cases" ]
	check "$name: gitlab: junit-10.xsd rejects the file attribute" \
		bash -c "xmllint --noout --schema '$SCHEMA' '$WORK/$name-gitlab.xml' 2>&1 | grep -q \"attribute 'file': The attribute 'file' is not allowed\""
	"$KVMCHECK" report --junit-flavor gitlab --junit "$WORK/$name-report.xml" --tap - "$WORK/$name.json" >/dev/null 2>&1
	check "$name: gitlab from the saved record: every testcase has its file" files_match_suites "$WORK/$name-report.xml"
}

test_suite failing tests/failing/*.yaml
check "failing: gitlab: the wrong register's case names its file" \
	[ "$(xpath "$WORK/failing-gitlab.xml" 'count(//testcase[@file = "tests/failing/wrong_register.yaml"]/failure)')" -ge 1 ]
test_suite bundled cases/*.yaml
finish junit
