#!/bin/bash
# End-to-end tests of the refusal where nasm's private world (a user and
# mount namespace) cannot be built: the test hook KVMCHECK_TEST_SANDBOX=
# landlock makes kvmcheck behave as on a host with Landlock and no user
# namespaces. Without --unsafe-assembler every assembly is refused (outcome
# error, with what is missing and the two ways on); with it nasm runs under
# Landlock alone, and what it makes is never cached.
# usage: tests/e2e/sandbox_refusal.sh KVMCHECK   (run from tests/e2e/run.sh)
set -u
KVMCHECK=$(realpath "${1:?usage: sandbox_refusal.sh path/to/kvmcheck}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"
export XDG_CACHE_HOME="$WORK/xdg"
CACHE="$XDG_CACHE_HOME/kvmcheck"

SUITE=refusal
. "$ROOT/tests/e2e/lib.sh"
entries() { find "$1" -type f 2>/dev/null | wc -l; }

# run NAME ARGS...: the bundled hello case into $WORK/NAME.*
run() {
	local name=$1; shift
	"$KVMCHECK" --backend emu --allow-read guests --no-reports --junit "$WORK/$name.xml" \
		--results "$WORK/$name.results" "$@" cases/hello.yaml >"$WORK/$name.tap" 2>"$WORK/$name.err"
	echo $? >"$WORK/$name.status"
}

if ! (KVMCHECK_TEST_SANDBOX=landlock "$KVMCHECK" --backend emu --allow-read guests --no-reports --no-cache \
	--unsafe-assembler cases/hello.yaml >/dev/null 2>&1); then
	echo "# no Landlock here: the refusal is tested by tests/unit/test_sandbox.c alone"
	echo "refusal: 0 passed, 0 failed"
	exit 0
fi

WHY="nasm's private world cannot be built here: user namespaces are not available (user namespace: turned off by the policy); enable them (on Ubuntu 24.04: sysctl kernel.apparmor_restrict_unprivileged_userns=0) or pass --unsafe-assembler to run nasm with Landlock alone, where the existence and size of files outside can show"

KVMCHECK_TEST_SANDBOX=landlock run refused
check "without a namespace nasm is refused: kvmcheck exits 1" [ "$(cat "$WORK/refused.status")" = 1 ]
check "... the case's outcome is error" grep -qx $'cases/hello.yaml:0\terror\t0\t-\t-' "$WORK/refused.results"
check "... its details say what is missing and the two ways on, whole" \
	grep -qxF "  details: '${WHY//\'/\'\'}'" "$WORK/refused.tap"
check "... JUnit has an <error> for it" grep -q '<error message="outcome error, expected hlt: nasm'"'"'s private world' "$WORK/refused.xml"
check "... and the summary counts an error" grep -q '^kvmcheck: 1 case, 0 passed, 0 failed, 1 error' "$WORK/refused.err"
check "a refused assembly stores nothing in the cache" [ "$(entries "$CACHE")" = 0 ]

KVMCHECK_TEST_SANDBOX=landlock run unsafe --unsafe-assembler
check "with --unsafe-assembler nasm runs under Landlock alone: the case passes" grep -qx 'ok 1 - hello prints its greeting' "$WORK/unsafe.tap"
check "... kvmcheck exits 0" [ "$(cat "$WORK/unsafe.status")" = 0 ]
check "... and its assembly is never cached" [ "$(entries "$CACHE")" = 0 ]

# Where the world can be built, the same case is cached; a later run that
# could not build it is served that assembly, since a hit runs no nasm.
run normal
check "with the namespace the case passes and is cached" \
	[ "$(cat "$WORK/normal.status")" = 0 ] && [ "$(entries "$CACHE")" = 1 ]
KVMCHECK_TEST_SANDBOX=landlock run warm
check "a cache hit needs no nasm, so no refusal" grep -qx 'ok 1 - hello prints its greeting' "$WORK/warm.tap"

finish refusal
