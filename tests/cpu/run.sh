#!/bin/bash
# The CPU conformance suite: guests written here (tests/cpu/*.yaml) that
# check what a real CPU does and print PASS/FAIL lines. Every case must pass
# on emu; on kvm (where `kvmcheck --backend kvm` works) every case must pass
# too, except that the cases in kvm-may-not-run.txt may end with "this
# host's KVM cannot execute" instead.
# usage: tests/cpu/run.sh path/to/kvmcheck
set -u
KVMCHECK=$(realpath "${1:?usage: run.sh path/to/kvmcheck}")
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../.."
XDG_CACHE_HOME=$(mktemp -d) && export XDG_CACHE_HOME # never the user's own assembly cache
trap 'rm -rf "$XDG_CACHE_HOME"' EXIT
failed=0

# Prints "name<TAB>reason" for each failing test point of a TAP stream.
failures() {
	awk '/^not ok/ { sub(/^not ok [0-9]+ - /, ""); name = $0; next }
	     /^  message: / && name != "" { sub(/^  message: /, ""); print name "\t" $0; name = "" }'
}

run_on() {
	local backend=$1 tap
	tap=$("$KVMCHECK" --backend "$backend" --no-reports tests/cpu/*.yaml 2>/dev/null)
	local total=$(printf '%s\n' "$tap" | grep -c '^ok\|^not ok')
	local bad=0 excused=0
	while IFS=$'\t' read -r name reason; do
		[ -n "$name" ] || continue
		if [ "$backend" = kvm ] && grep -qxF "$name" tests/cpu/kvm-may-not-run.txt &&
			[[ "$reason" == *"this host''s KVM cannot execute"* ]]; then
			echo "skip - $backend: $name: $reason"
			excused=$((excused + 1))
		else
			echo "FAIL - $backend: $name: $reason"
			bad=$((bad + 1))
		fi
	done < <(printf '%s\n' "$tap" | failures)
	# A failing point the parser above could not read fails all the same.
	local notok=$(printf '%s\n' "$tap" | grep -c '^not ok')
	bad=$((notok - excused))
	echo "cpu ($backend): $total cases, $((total - notok)) passed, $excused beyond this host's KVM, $bad failed"
	[ "$total" -gt 0 ] && [ "$bad" = 0 ] || failed=1
}

run_on emu
if "$KVMCHECK" --backend kvm --allow-read guests --no-reports cases/hello.yaml >/dev/null 2>&1; then
	run_on kvm
else
	echo "cpu (kvm): skipped, no working /dev/kvm here"
fi
exit $failed
