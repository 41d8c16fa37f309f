#!/bin/bash
# Hostile-input suite: kvmcheck on inputs written to break it (YAML, guest
# sources, guests). This script makes the inputs and runs kvmcheck on them;
# check.pl then asserts the exact outcome and verdict of every case
# (expected.txt), key diagnostics (diagnostics.txt), well-formed reports,
# and that no host secret reaches any report.
#
# usage: tests/hostile/run.sh path/to/kvmcheck
#
# Runs on the emu backend always, and on the kvm backend too where
# `kvmcheck --backend kvm` works; both must give the expected outcomes, and
# kvm and emu must agree case by case (parity-known.txt lists the gaps known
# today). Large inputs, the marker files with their secrets and the symlinks
# are made at test time in folders from mktemp -d; nothing is written into
# the repository.
#
# Output (check.pl's): one `ok - ...`, `FAIL - ...` or `xfail - ...` line
# per check (xfail: a known kvmcheck bug, named in the line, that still
# shows; it does not fail the suite), then exactly `hostile: N passed, M failed`.
set -u

KVMCHECK=$(realpath "${1:?usage: run.sh path/to/kvmcheck}")
HERE=$(cd "$(dirname "$0")" && pwd)
START=$(date +%s)

T=$(mktemp -d)       # the rendered suite, generated inputs, reports
SECRETS=$(mktemp -d) # the markers: outside the repository and outside $T
PLANTED=$(mktemp -d) # the oracle test's secret, there in one run and not in the other
# HOSTILE_KEEP=DIR keeps the reports of every run in DIR for a closer look.
cleanup() {
	[ -z "${HOSTILE_KEEP:-}" ] || { mkdir -p "$HOSTILE_KEEP" && cp -R "$T/out/." "$HOSTILE_KEEP/"; }
	rm -rf "$T" "$SECRETS" "$PLANTED"
}
trap cleanup EXIT
export XDG_CACHE_HOME="$T/xdg-cache" # never the user's own assembly cache

for tool in nasm perl prove xmllint od realpath timeout; do
	command -v "$tool" >/dev/null || { echo "FAIL - $tool is missing"; echo "hostile: 0 passed, 1 failed"; exit 1; }
done

# ---- secrets, markers and the suite, rendered into $S ---------------------

S=$T/suite
OUT=$T/out
WORKTMP=$T/tmp # TMPDIR of each run, WORKTMP/NAME: where nasm's working folders go
mkdir -p "$S" "$OUT" "$WORKTMP"
# shellcheck source=tests/hostile/render.sh
. "$HERE/render.sh"
hostile_render "$HERE" "$S" "$SECRETS" assembler guest yaml control huge
SECRET_ENV=kvmcheck-env-$(random_hex)      # in kvmcheck's environment

# Generated YAML.
G=$S/yaml/gen
mkdir -p "$G"
perl -e 'srand(7); print map { chr(int(rand(256))) } 1 .. 4096' >"$G/binary_garbage.yaml"
perl -e 'print "name: a 3 MB document\nsource: |\n"; print "  nop ; ", "x" x 60, "\n" for 1 .. 45000; print "  hlt\n"' >"$G/big_document.yaml"
perl -e 'print "name: 10000 levels of flow nesting\nsource: hlt\ninput: ", "[" x 10000, "]" x 10000, "\n"' >"$G/deep_flow.yaml"
perl -e 'print "name: 10000 levels of block nesting\nsource: hlt\ninput:\n  ", "- " x 10000, "x\n"' >"$G/deep_block.yaml"
perl -e 'printf "---\nname: document %d of 5000\n", $_ for 1 .. 5000' >"$G/many_documents.yaml"
# 1000 small documents of 122 nodes each: no document is large, the file is.
perl -e 'printf "---\nname: small document %d\ninput: [%s]\n", $_, join(",", (65) x 117) for 1 .. 1000' >"$G/many_nodes.yaml"
perl -e 'print "\xff\xfe", join("", map { "$_\0" } split //, "name: a UTF-16 case file\nsource: hlt\n")' >"$G/utf16.yaml"
perl -e 'print "name: ", "n" x 100000, "\nsource: hlt\n"' >"$G/long_name.yaml"
EVIL_FILE=$(printf 'evil\n#ok 7\t\xff]]>--"&<.yaml')
printf 'source: hlt\nexpect: {exit: timeout}\n' >"$G/$EVIL_FILE"

# Case files that are no files at all, or too large: these make kvmcheck
# exit 2 (an unreadable case file), so they run on their own.
IO=$S/io
mkdir -p "$IO/a_folder.yaml"
perl -e 'print "name: a 5 MB case file\nsource: |\n"; print "  nop ; ", "x" x 60, "\n" for 1 .. 75000; print "  hlt\n"' >"$IO/too_big.yaml"

# ---- running kvmcheck -----------------------------------------------------

# kvmcheck_run NAME BACKEND FILES...: runs kvmcheck in $S into $OUT/NAME.*,
# with its own TMPDIR ($WORKTMP/NAME), which must end up empty.
kvmcheck_run() {
	local name=$1 backend=$2
	shift 2
	mkdir -p "$WORKTMP/$name"
	(cd "$S" && env TMPDIR="$WORKTMP/$name" KVMCHECK_TEST_SECRET="$SECRET_ENV" timeout "${RUN_TIMEOUT:-600}" \
		"$KVMCHECK" --backend "$backend" --no-reports --junit "$OUT/$name.xml" --results "$OUT/$name.results" \
		"$@" >"$OUT/$name.tap" 2>"$OUT/$name.err")
	echo $? >"$OUT/$name.status"
}

cd "$S" || exit 1
MAIN_FILES=(assembler/*.yaml guest/*.yaml)
YAML_FILES=(yaml/*.yaml yaml/gen/*)
KVM_MAIN_FILES=()
for f in "${MAIN_FILES[@]}"; do [ "$f" = guest/output_default_cap.yaml ] || KVM_MAIN_FILES+=("$f"); done

# Everything needs nasm to run in its sandbox; check.pl says so once if it cannot.
(cd "$HERE/../.." && "$KVMCHECK" --backend emu --allow-read guests --no-reports cases/hello.yaml >"$OUT/probe.tap" 2>&1)
echo $? >"$OUT/probe.status"

kvmcheck_run emu-main emu "${MAIN_FILES[@]}"
kvmcheck_run emu-yaml emu "${YAML_FILES[@]}"
# Sequential (-j 1) where the others run as many cases at once as there
# are CPUs: the reports must not tell the two apart.
kvmcheck_run emu-yaml-again emu -j 1 "${YAML_FILES[@]}"
kvmcheck_run emu-main-j1 emu -j 1 "${MAIN_FILES[@]}"
kvmcheck_run emu-io emu io/too_big.yaml io/a_folder.yaml
# A FIFO among the case files: nothing will ever write to it.
mkfifo "$IO/fifo.yaml"
RUN_TIMEOUT=10 kvmcheck_run emu-fifo emu io/fifo.yaml
# The oracle property: generated sources touching files inside and outside;
# the reports with the planted secret there and without it must not differ.
# It runs under each filesystem mechanism of nasm's sandbox, forced by the
# KVMCHECK_TEST_SANDBOX test hook: both (the default here), the mount
# namespace alone, Landlock alone; a mechanism this host lacks is probed and
# said so. --no-cache: the cache the first run filled would otherwise hand
# the second run the first one's assemblies, and the reports would agree
# whatever nasm could learn. Landlock alone (no user namespaces) is refused
# without --unsafe-assembler: one run shows the refusal, and the pair runs
# with the flag, to show what the flag accepts (stat() outside shows).
ORACLE_CASES=${ORACLE_CASES:-200}
ORACLE_MECHANISMS=${ORACLE_MECHANISMS:-both mountns landlock}
echo "$ORACLE_MECHANISMS" >"$OUT/oracle-mechanisms"
mkdir -p "$S/oracle"
printf 'db "inside"\n' >"$S/oracle/inside.inc"
perl "$HERE/oracle_gen.pl" "$PLANTED/planted.inc" "$(realpath --relative-to="$S/oracle" "$PLANTED/planted.inc")" \
	"${ORACLE_SEED:-13}" "$ORACLE_CASES" >"$S/oracle/generated.yaml"
for mechanism in $ORACLE_MECHANISMS; do
	unsafe=()
	[ "$mechanism" != landlock ] || unsafe=(--unsafe-assembler)
	(cd "$HERE/../.." && KVMCHECK_TEST_SANDBOX=$mechanism "$KVMCHECK" --backend emu --allow-read guests --no-reports \
		--no-cache "${unsafe[@]}" cases/hello.yaml >"$OUT/probe-$mechanism.tap" 2>&1)
	echo $? >"$OUT/probe-$mechanism.status"
	printf '%%error %s\ndb "%s"\n' "$SECRET_FILE" "$SECRET_FILE" >"$PLANTED/planted.inc"
	[ "$mechanism" != landlock ] ||
		KVMCHECK_TEST_SANDBOX=landlock kvmcheck_run emu-oracle-landlock-refused emu --no-cache oracle/generated.yaml
	KVMCHECK_TEST_SANDBOX=$mechanism kvmcheck_run "emu-oracle-$mechanism-present" emu --no-cache "${unsafe[@]}" \
		oracle/generated.yaml
	rm "$PLANTED/planted.inc"
	KVMCHECK_TEST_SANDBOX=$mechanism kvmcheck_run "emu-oracle-$mechanism-absent" emu --no-cache "${unsafe[@]}" \
		oracle/generated.yaml
done
# The largest output a case may keep, 64 MiB, on its own: every report
# written, and the results record read back by `kvmcheck report`. On emu
# only: this host's kvm exits once per byte of rep outsb, and took 436 s of
# CPU for the whole case (README.md). The hang guard is generous and
# nothing is timed; the seconds are only said.
HUGE_START=$(date +%s)
RUN_TIMEOUT=600 kvmcheck_run emu-huge emu --no-cache --json "$OUT/emu-huge.json" --html "$OUT/emu-huge.html" \
	huge/output_64mib.yaml
echo $(($(date +%s) - HUGE_START)) >"$OUT/emu-huge.seconds"
(timeout 600 "$KVMCHECK" report --results "$OUT/emu-huge-again.results" "$OUT/emu-huge.json" \
	>"$OUT/emu-huge-again.tap" 2>"$OUT/emu-huge-again.err")
echo $? >"$OUT/emu-huge-again.status"

# The positive control: the leak checks must find a secret that got out.
kvmcheck_run emu-control emu --allow-read "$SECRETS" control/leak_control.yaml

if (cd "$HERE/../.." && "$KVMCHECK" --backend kvm --allow-read guests --no-reports cases/hello.yaml >/dev/null 2>&1); then
	kvmcheck_run kvm-main kvm "${KVM_MAIN_FILES[@]}"
	kvmcheck_run kvm-yaml kvm "${YAML_FILES[@]}"
fi

perl "$HERE/check.pl" --tables "$HERE" --out "$OUT" --suite "$S" --secrets "$SECRETS" --worktmp "$WORKTMP" \
	--secret-file "$SECRET_FILE" --secret-env "$SECRET_ENV" --secret-link "$SECRET_LINK" --started "$START"
