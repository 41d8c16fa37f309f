#!/bin/bash
# End-to-end test of the HTML report (README "Feedback") in a real browser:
# headless Chromium loads the reports of the failing suite (tests/failing)
# and of the hostile suite (tests/hostile's guest, yaml and assembler cases,
# with a guest that prints a script meant to change the page's title). For
# each the rendered DOM must keep kvmcheck's title and hold the summary, a
# status per case, the register table and the listing with the stopping line
# marked; a screenshot must come out as a PNG; and the browser's console must
# stay silent (no script error, no script refused by the page's policy).
# usage: tests/e2e/html.sh KVMCHECK
# Skips, saying so, only where Chromium is missing and cannot be installed.
# HTML_KEEP=DIR keeps the reports, DOMs, consoles and screenshots in DIR.
set -u
KEEP=${HTML_KEEP:-}
KVMCHECK=$(realpath "${1:?usage: html.sh path/to/kvmcheck}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap '[ -z "$KEEP" ] || cp -R "$WORK/." "$KEEP/"; rm -rf "$WORK"' EXIT
export XDG_CACHE_HOME="$WORK/xdg-cache" # never the user's own assembly cache
cd "$ROOT"

SUITE=html
. "$ROOT/tests/e2e/lib.sh"

# make check installs chromium (DEPS_CHECK); a run of this script alone
# tries the same, as root.
if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ]; then
	tests/deps.sh chromium >/dev/null 2>&1
fi
if ! command -v chromium >/dev/null; then
	echo "# html: SKIP chromium is not installed and could not be installed (apt-get install chromium)"
	echo "html: 0 passed, 0 failed"
	exit 0
fi

# browse NAME ARGS...: Chromium on $WORK/NAME.html, its console in
# $WORK/NAME.console. Root needs --no-sandbox; a profile of its own keeps
# runs apart; a wedged browser fails the check instead of hanging.
browse() {
	local name=$1; shift
	timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$WORK/profile-$name" \
		--enable-logging=stderr --v=0 "$@" "file://$WORK/$name.html" 2>>"$WORK/$name.console"
}
dom() { browse "$1" --dump-dom >"$WORK/$1.dom"; }
screenshot() { (cd "$WORK" && browse "$1" --window-size=1280,2000 --screenshot="$WORK/$1.png" >/dev/null); }
dom_has() { grep -qF -- "$2" "$WORK/$1.dom"; }
dom_count() { grep -oF -- "$2" "$WORK/$1.dom" | wc -l; }
title_of() { sed -n 's:.*<title>\(.*\)</title>.*:\1:p' "$WORK/$1.dom" | head -n 1; }
console_says() { grep -q ':CONSOLE' "$WORK/$1.console"; }
console_silent() { ! console_says "$1"; }
is_png() { [ -s "$WORK/$1.png" ] && [ "$(head -c 8 "$WORK/$1.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }

# The browser checks themselves, on a page whose script sets the title and
# throws: they must see both, or a silent console proves nothing.
test_control() {
	printf '%s\n' '<!DOCTYPE html><html><head><title>before</title></head><body><p>control</p>' \
		"<script>document.title = 'changed'; throw new Error('control error')</script></body></html>" \
		>"$WORK/control.html"
	dom control
	check "control: Chromium runs a page's script (its title changed)" [ "$(title_of control)" = changed ]
	check "control: the console check sees a script error" console_says control
}

# The checks every report gets; NAME.html written, CASES its number of cases.
test_rendered() { # NAME CASES
	local name=$1 cases=$2
	dom "$name"
	check "$name: Chromium renders the report" [ -s "$WORK/$name.dom" ]
	check "$name: the title is kvmcheck's" [ "$(title_of "$name")" = "kvmcheck report" ]
	check "$name: no script, image or event handler in the DOM" \
		bash -c "! grep -qiE '<(script|img|iframe|object)|<[a-z][^>]*[[:space:]]on[a-z]+=' '$WORK/$name.dom'"
	check "$name: the summary counts $cases cases" dom_has "$name" "<h1>kvmcheck report</h1>"
	check "$name: ... in words" grep -qE ": $cases cases, <span class=\"pass\">[0-9]+ passed</span>" "$WORK/$name.dom"
	check "$name: a section per case" [ "$(dom_count "$name" '<section id="case-')" = "$cases" ]
	check "$name: a status per case" \
		[ "$(grep -cE '^<h2><span class="(pass|fail|error|skip)">[a-z_]+</span> [0-9]+ - ' "$WORK/$name.dom")" = "$cases" ]
	check "$name: a register table" dom_has "$name" "<th>eax</th><th>ecx</th>"
	check "$name: the listing marks the stopping line" dom_has "$name" '<pre class="listing">'
	check "$name: the console stays silent" console_silent "$name"
	screenshot "$name"
	check "$name: a screenshot is a PNG" is_png "$name"
}

test_failing() {
	local cases
	"$KVMCHECK" --backend emu --allow-read guests --no-reports --html "$WORK/failing.html" tests/failing/*.yaml \
		>"$WORK/failing.tap" 2>/dev/null
	check "failing: kvmcheck exits 1" [ $? = 1 ]
	cases=$(grep -cE '^(not )?ok [0-9]+' "$WORK/failing.tap")
	test_rendered failing "$cases"
	check "failing: the wrong register's line is marked" \
		dom_has failing '<mark class="stop">tests/failing/wrong_register.yaml:5  hlt</mark>'
	check "failing: lines around it are listed" dom_has failing "tests/failing/runaway_output.yaml:11  out dx, al"
	check "failing: a fault's last instructions, the faulting one last (emu)" bash -c "tr '\n' '~' <'$WORK/failing.dom' |
		grep -qF '<pre class=\"last\">tests/failing/../../guests/unmapped.asm:5 \`mov ax, 0xffff\`~tests/failing/../../guests/unmapped.asm:6 \`mov ds, ax\`~tests/failing/../../guests/unmapped.asm:7 \`mov al, [0x10]\`~</pre>'"
	check "failing: a failing case with firmware shows its final screen" bash -c "tr '\n' '~' <'$WORK/failing.dom' |
		grep -qF '<pre class=\"screen\">Hello~World~</pre>'"
	check "failing: each failure has its status" \
		[ "$(grep -cE '^<h2><span class="(fail|error)">' "$WORK/failing.dom")" = "$(grep -c '^not ok' "$WORK/failing.tap")" ]
}

# A guest printing markup meant to run script and change the title.
script_case() {
	printf '%s\n' 'name: prints a script' 'source: |' '  mov dx, 0x3f8' '  mov si, msg' '  mov cx, len' \
		'  rep outsb' '  hlt' \
		"  msg: db \"<script>document.title='pwned'</script></pre><img src=x onerror=document.title=1>\"" \
		'  len equ $ - msg' 'expect:' '  serial: "nothing"'
}

test_hostile() {
	local h=$WORK/hostile cases
	mkdir -p "$h"
	cp -R tests/hostile/guest tests/hostile/yaml tests/hostile/assembler "$h/"
	script_case >"$h/guest/script.yaml"
	(cd "$h" && "$KVMCHECK" --backend emu --no-reports --html "$WORK/hostile.html" \
		guest/*.yaml yaml/*.yaml assembler/*.yaml >"$WORK/hostile.tap" 2>/dev/null)
	check "hostile: the report is written" test -s "$WORK/hostile.html"
	cases=$(grep -cE '^(not )?ok [0-9]+' "$WORK/hostile.tap")
	test_rendered hostile "$cases"
	check "hostile: the guest's script shows as text" \
		dom_has hostile "&lt;script&gt;document.title='pwned'&lt;/script&gt;&lt;/pre&gt;&lt;img src=x onerror=document.title=1&gt;"
	check "hostile: the guest ran and printed its script" grep -qF "prints a script" "$WORK/hostile.tap" &&
		! grep -A4 'prints a script' "$WORK/hostile.tap" | grep -q 'outcome: assemble_error'
	check "hostile: the title is not the guest's" bash -c "! grep -qE '<title>(pwned|1)</title>' '$WORK/hostile.dom'"
}

test_control
test_failing
test_hostile
finish html
