#!/bin/bash
# End-to-end test of `make install`: the installed kvmcheck finds the
# zygote's library in its ../lib/kvmcheck and says so in --version, runs
# a case; without the library it says nasm is exec'd and still runs it.
# usage: tests/e2e/install.sh   (run from tests/e2e/run.sh, after make all)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"

SUITE=install
. "$ROOT/tests/e2e/lib.sh"

make -s install DESTDIR="$WORK/dest" PREFIX=/usr >"$WORK/make.out" 2>&1
check "make install DESTDIR=... PREFIX=/usr succeeds" [ $? = 0 ]
BIN="$WORK/dest/usr/bin/kvmcheck"
LIB="$WORK/dest/usr/lib/kvmcheck/kvmcheck-zygote.so"
check "... and installs kvmcheck and the zygote's library" [ -x "$BIN" -a -f "$LIB" ]
"$BIN" --version >"$WORK/version" 2>&1
check "--version names the installed library" \
	grep -qxF "nasm: forked after its start-up ($WORK/dest/usr/bin/../lib/kvmcheck/kvmcheck-zygote.so)" "$WORK/version"
"$BIN" --backend emu --allow-read guests --no-reports --no-cache cases/hello.yaml >"$WORK/with.tap" 2>&1
check "the installed kvmcheck passes hello" grep -q '^ok 1 ' "$WORK/with.tap"

rm "$LIB"
"$BIN" --version >"$WORK/version" 2>&1
check "without the library --version says nasm is exec'd" grep -q "^nasm: exec'd for each assembly" "$WORK/version"
"$BIN" --backend emu --allow-read guests --no-reports --no-cache cases/hello.yaml >"$WORK/without.tap" 2>&1
check "... and hello still passes" grep -q '^ok 1 ' "$WORK/without.tap"

finish install
