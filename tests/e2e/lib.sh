# lib.sh: the check counter every end-to-end script shares. A script sets
# SUITE (the prefix of its lines; empty for none), sources this file, and
# ends with `finish NAME`, which prints the count and fails when a check did.
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok - ${SUITE:+$SUITE: }$1"; }
fail() { failed=$((failed + 1)); echo "FAIL - ${SUITE:+$SUITE: }$1"; }
check() { # check NAME COMMAND...: passes when the command succeeds
	local name=$1; shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}
finish() { # finish NAME: the closing count; the status says whether every check passed
	echo "$1: $passed passed, $failed failed"
	[ "$failed" = 0 ]
}
