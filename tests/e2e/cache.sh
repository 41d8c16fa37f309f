#!/bin/bash
# End-to-end tests of the persistent assembly cache: a warm run's reports
# equal a cold run's (times aside), a warm run assembles nothing anew (its
# entries keep their inodes: a store always renames a new file into place),
# a damaged entry is replaced, a changed source is a new entry, the
# folder is private, and --no-cache and --cache-dir do what they say.
# usage: tests/e2e/cache.sh KVMCHECK   (run from tests/e2e/run.sh)
set -u
KVMCHECK=$(realpath "${1:?usage: cache.sh path/to/kvmcheck}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"
export XDG_CACHE_HOME="$WORK/xdg"
CACHE="$XDG_CACHE_HOME/kvmcheck"

SUITE=cache
. "$ROOT/tests/e2e/lib.sh"
no_times() { sed -E 's/ time="[0-9.]+"//g' "$1"; }
no_ns() { perl -0pe 's/"times_ns": \{[^}]*\}/"times_ns"/g; s/"elapsed_ns": [0-9]+/"elapsed_ns"/' "$1"; }
no_secs() { sed -E 's/, [0-9.]+ s\)/)/' "$1"; }
inodes() { find "$1" -type f -printf '%f %i\n' | sort; }
entries() { find "$1" -type f | wc -l; }

# run NAME ARGS...: the bundled and the failing suites into $WORK/NAME.*
run() {
	local name=$1; shift
	"$KVMCHECK" --backend emu --allow-read guests --no-reports --junit "$WORK/$name.xml" --json "$WORK/$name.json" \
		--results "$WORK/$name.results" "$@" cases/*.yaml tests/failing/*.yaml >"$WORK/$name.tap" 2>"$WORK/$name.err"
	echo $? >"$WORK/$name.status"
}
same_reports() { # A B: the reports of runs A and B agree, times aside
	cmp -s "$WORK/$1.tap" "$WORK/$2.tap" && cmp -s "$WORK/$1.status" "$WORK/$2.status" &&
		cmp -s "$WORK/$1.results" "$WORK/$2.results" &&
		cmp -s <(no_times "$WORK/$1.xml") <(no_times "$WORK/$2.xml") &&
		cmp -s <(no_ns "$WORK/$1.json") <(no_ns "$WORK/$2.json")
}

run nocache --no-cache
check "--no-cache creates no cache folder" [ ! -e "$XDG_CACHE_HOME" ]

run cold
check "a cold run fills \$XDG_CACHE_HOME/kvmcheck" [ "$(entries "$CACHE")" -gt 10 ]
check "a cold run reports as --no-cache does" same_reports nocache cold
check "the cache folder is 0700" [ "$(stat -c %a "$CACHE")" = 700 ]
check "every entry is 0600" [ -z "$(find "$CACHE" -type f ! -perm 0600)" ]
check "the cache adds nothing to stderr" cmp -s <(no_secs "$WORK/nocache.err") <(no_secs "$WORK/cold.err")
inodes "$CACHE" >"$WORK/cold.inodes"

run warm
check "a warm run's reports equal the cold run's (times aside)" same_reports cold warm
inodes "$CACHE" >"$WORK/warm.inodes"
check "a warm run assembles nothing anew (no entry rewritten or added)" cmp -s "$WORK/cold.inodes" "$WORK/warm.inodes"

run warm2 -j 2
check "a warm -j 2 run's reports equal the cold run's" same_reports cold warm2

# Every entry damaged: all are misses, reassembled and replaced, with the same reports.
for f in "$CACHE"/*; do head -c 20 "$f" >"$f.cut" && mv "$f.cut" "$f"; done
run damaged
check "truncated entries give the cold run's reports" same_reports cold damaged
# By size, not inode: a freed inode number may be reused by a replacement.
check "truncated entries are replaced" [ -z "$(find "$CACHE" -type f -size -21c)" ]
inodes "$CACHE" >"$WORK/damaged.inodes"
run again
inodes "$CACHE" >"$WORK/again.inodes"
check "the replaced entries hit" cmp -s "$WORK/damaged.inodes" "$WORK/again.inodes"

# A guest file is one entry whichever case file names it: the case file
# only names the messages of an inline source.
mkdir -p "$WORK/named/g"
printf 'bits 16\nmov al, 7\nhlt\n' >"$WORK/named/g/guest.asm"
printf 'name: first\nguest: g/guest.asm\nexpect: {registers: {al: 7}}\n' >"$WORK/named/first.yaml"
printf 'name: second\nguest: g/guest.asm\nexpect: {registers: {al: 7}}\n' >"$WORK/named/second.yaml"
"$KVMCHECK" --backend emu --no-reports "$WORK/named/first.yaml" >"$WORK/first.tap" 2>&1
before=$(entries "$CACHE")
"$KVMCHECK" --backend emu --no-reports "$WORK/named/second.yaml" >"$WORK/second.tap" 2>&1
check "a guest named by another case file hits its entry" \
	[ "$(entries "$CACHE")" = "$before" ] && grep -q '^ok 1 - second' "$WORK/second.tap"

# A changed source is a new entry, the old one stays.
mkdir -p "$WORK/suite"
printf 'name: one\nsource: "mov al, 1\\nhlt"\nexpect: {registers: {al: 1}}\n' >"$WORK/suite/a.yaml"
"$KVMCHECK" --backend emu --no-reports "$WORK/suite/a.yaml" >"$WORK/one.tap" 2>&1
before=$(entries "$CACHE")
printf 'name: one\nsource: "mov al, 2\\nhlt"\nexpect: {registers: {al: 2}}\n' >"$WORK/suite/a.yaml"
"$KVMCHECK" --backend emu --no-reports "$WORK/suite/a.yaml" >"$WORK/two.tap" 2>&1
check "a changed source is a new entry" [ "$(entries "$CACHE")" = $((before + 1)) ]
check "and is judged on its own binary" grep -q '^ok 1 - one' "$WORK/two.tap"

# --cache-dir puts the entries there, and nowhere else.
"$KVMCHECK" --backend emu --no-reports --cache-dir "$WORK/elsewhere" "$WORK/suite/a.yaml" >/dev/null 2>&1
check "--cache-dir DIR keeps entries in DIR" [ "$(entries "$WORK/elsewhere")" = 1 ]
check "--cache-dir DIR adds none to the default folder" [ "$(entries "$CACHE")" = $((before + 1)) ]

# A folder others may write in is not used (an entry there could be anyone's), and the run goes on.
mkdir -m 0777 "$WORK/open"
chmod 0777 "$WORK/open"
"$KVMCHECK" --backend emu --no-reports --cache-dir "$WORK/open" "$WORK/suite/a.yaml" >"$WORK/open.tap" 2>"$WORK/open.err"
check "a folder others may write in is refused, with a warning" grep -q 'others may write in it' "$WORK/open.err"
check "and the run goes on without it" grep -q '^ok 1 - one' "$WORK/open.tap"
check "and nothing is stored there" [ "$(entries "$WORK/open")" = 0 ]

# An assembler.read folder outside the case folder (allowed by --allow-read):
# the key covers its copy, so a warm run hits, and a changed file there is
# reassembled rather than served the stale binary, which would still pass.
mkdir -p "$WORK/readcase/cases" "$WORK/readcase/lib"
printf 'VALUE equ 5\n' >"$WORK/readcase/lib/value.inc"
printf 'name: reads lib\nsource: |\n  %%include "%s/value.inc"\n  mov al, VALUE\n  hlt\nassembler: {read: [../lib]}\nexpect: {registers: {al: 5}}\n' \
	"$WORK/readcase/lib" >"$WORK/readcase/cases/read.yaml"
read_run() { # NAME
	"$KVMCHECK" --backend emu --no-reports --allow-read "$WORK/readcase/lib" "$WORK/readcase/cases/read.yaml" \
		>"$WORK/$1.tap" 2>&1
}
before=$(entries "$CACHE")
read_run read-cold
check "a case with an assembler.read folder is cached" [ "$(entries "$CACHE")" = $((before + 1)) ]
before=$(entries "$CACHE")
inodes "$CACHE" >"$WORK/read-cold.inodes"
read_run read-warm
inodes "$CACHE" >"$WORK/read-warm.inodes"
check "... its warm run assembles nothing anew" cmp -s "$WORK/read-cold.inodes" "$WORK/read-warm.inodes"
check "... and passes from the cache" grep -q '^ok 1 - reads lib' "$WORK/read-warm.tap"
printf 'VALUE equ 6\n' >"$WORK/readcase/lib/value.inc"
read_run read-changed
check "a changed file in an assembler.read folder is reassembled, not served stale" \
	grep -q '^not ok 1 - reads lib' "$WORK/read-changed.tap"
check "... as a new entry" [ "$(entries "$CACHE")" = $((before + 1)) ]

# Pruning: four entries of about 300 KB, then a run kept within 1 MiB
# removes the least recently used down to three quarters of it; the run's
# own hit was touched, so it stays.
PRUNE=$WORK/prune
mkdir -p "$PRUNE/cases"
for i in 1 2 3 4; do
	printf 'name: big %s\nsource: |\n  hlt\n  times 300000 db %s\n' "$i" "$i" >"$PRUNE/cases/big$i.yaml"
done
big_run() { # N [OPTIONS...]
	local n=$1; shift
	XDG_CACHE_HOME="$PRUNE/xdg" "$KVMCHECK" --backend emu --no-reports "$@" "$PRUNE/cases/big$n.yaml" >/dev/null 2>&1
}
for i in 1 2 3 4; do big_run "$i"; done
cache_bytes() { find "$PRUNE/xdg/kvmcheck" -type f -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }'; }
check "four big entries hold more than 1 MiB" [ "$(cache_bytes)" -gt 1048576 ]
big_run 1 # a hit: big 1 is now the most recently used
big_run 4 --cache-max-mb 1
check "--cache-max-mb 1 keeps the cache within three quarters of 1 MiB" [ "$(cache_bytes)" -le 786432 ]
check "... by removing the least recently used: two entries stay" [ "$(entries "$PRUNE/xdg/kvmcheck")" = 2 ]
inodes "$PRUNE/xdg/kvmcheck" >"$WORK/prune-before.inodes"
big_run 1 --cache-max-mb 1
big_run 4 --cache-max-mb 1
inodes "$PRUNE/xdg/kvmcheck" >"$WORK/prune-after.inodes"
check "... the recently used big 1 and the run's own big 4, which hit again" \
	cmp -s "$WORK/prune-before.inodes" "$WORK/prune-after.inodes"
XDG_CACHE_HOME="$PRUNE/xdg" "$KVMCHECK" --cache-max-mb lots cases/hello.yaml >/dev/null 2>"$WORK/prune.err"
check "a bad --cache-max-mb is a usage error naming the option" \
	grep -qF "option '--cache-max-mb' needs a whole number of MiB from 0 to" "$WORK/prune.err"

finish cache
