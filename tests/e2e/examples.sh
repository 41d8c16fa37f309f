#!/bin/bash
# End-to-end tests of the grading platforms' examples, run here without the
# platforms: examples/gradescope/run_autograder on a folder laid out as
# Gradescope's /autograder (its results.json checked against the spec's
# fields, and the one it writes when kvmcheck cannot run), and the kvmcheck
# step of examples/github-classroom/classroom.yml run as Actions would, the
# Classroom result it writes decoded and checked. The assignment is
# tests/e2e/class/, graded for bob (9.5 of 18 points).
# usage: tests/e2e/examples.sh KVMCHECK (KEEP=1: keep the work folder to look at)
set -u

KVMCHECK=$(realpath "${1:?usage: examples.sh path/to/kvmcheck}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT

SUITE=examples
. "$ROOT/tests/e2e/lib.sh"

ASSIGNMENT=$ROOT/tests/e2e/class/assignment.yaml
STUDENT=$ROOT/tests/e2e/class/bob
SCORE=9.5
# The hidden cases' distinctive strings (see the assignment).
SECRETS=(HIDDENINPUT-q7 HIDDEN-IN-x9 HIDDEN-HARNESS-w5)
# kvmcheck as the examples find it: on PATH, by that name.
mkdir -p "$WORK/bin"
ln -s "$KVMCHECK" "$WORK/bin/kvmcheck"

no_secret_in() { # FILE...
	local s
	for s in "${SECRETS[@]}"; do ! grep -qi -- "$s" "$@" || return 1; done
}

# An /autograder folder: the zip's files in source/, bob's in submission/.
make_autograder() { # DIR
	mkdir -p "$1/source/cases" "$1/submission"
	cp "$ROOT/examples/gradescope/run_autograder" "$ROOT/examples/gradescope/setup.sh" "$1/source/"
	cp "$ASSIGNMENT" "$1/source/cases/"
	cp "$STUDENT"/*.asm "$1/submission/"
}

test_gradescope() {
	local a=$WORK/autograder
	make_autograder "$a"
	# Gradescope runs it from elsewhere, with kvmcheck installed on PATH.
	(cd / && PATH="$WORK/bin:$PATH" AUTOGRADER_ROOT=$a bash "$a/source/run_autograder" >"$WORK/gs.stdout" 2>"$WORK/gs.stderr")
	check "gradescope: run_autograder exits 0 for a failing submission" [ $? = 0 ]
	check "gradescope: results.json has the spec's fields and bob's score" \
		"$ROOT/tests/e2e/gradescope_valid.py" "$a/results/results.json" "$SCORE" 18 10
	check "gradescope: the TAP stream goes to stdout" grep -qx "# score $SCORE/18" "$WORK/gs.stdout"
	check "gradescope: neither results.json nor stdout holds a hidden secret" \
		no_secret_in "$a/results/results.json" "$WORK/gs.stdout" "$WORK/gs.stderr"
	check "gradescope: kvmcheck wrote no other file" [ "$(find "$a" -path "$a/source" -prune -o -path "$a/submission" -prune \
		-o -type f -print)" = "$a/results/results.json" ]

	# Gradescope's containers have no /dev/kvm: hidden here, the same grade,
	# on emu, without a word about it.
	if unshare -m true 2>/dev/null; then
		rm -rf "$a/results"
		(cd / && PATH="$WORK/bin:$PATH" AUTOGRADER_ROOT=$a unshare -m sh -c \
			'mount --bind /dev/null /dev/kvm 2>/dev/null || mount -t tmpfs none /dev/kvm 2>/dev/null; exec bash "$1"' _ \
			"$a/source/run_autograder" >"$WORK/nokvm.stdout" 2>"$WORK/nokvm.stderr")
		check "gradescope: without /dev/kvm the guests run on emu" grep -qx '# kvmcheck .*, backend emu' "$WORK/nokvm.stdout"
		check "gradescope: ... with the same grade" \
			"$ROOT/tests/e2e/gradescope_valid.py" "$a/results/results.json" "$SCORE" 18 10
		check "gradescope: ... and not a word about /dev/kvm" bash -c '! grep -qE "/dev/kvm|backend kvm" "$1"' _ "$WORK/nokvm.stderr"
	else
		echo "# cannot hide /dev/kvm here (no unshare -m): run_autograder without it is not tested"
	fi

	check "gradescope: where user namespaces work, nasm runs in its own world (no --unsafe-assembler)" \
		bash -c '! grep -q "no user namespaces here" "$1"' _ "$WORK/gs.stderr"
	# A container without user namespaces (the test hook: Landlock alone),
	# each run with an empty assembly cache: a hit would need no nasm.
	rm -rf "$a/results"
	(cd / && PATH="$WORK/bin:$PATH" AUTOGRADER_ROOT=$a KVMCHECK_TEST_SANDBOX=landlock XDG_CACHE_HOME=$WORK/cache1 \
		bash "$a/source/run_autograder" \
		>"$WORK/nons.stdout" 2>"$WORK/nons.stderr")
	check "gradescope: without user namespaces, once a probe shows Landlock refusing a read, --unsafe-assembler is passed" \
		grep -qx 'run_autograder: no user namespaces here: nasm runs under Landlock alone (--unsafe-assembler)' "$WORK/nons.stderr"
	check "gradescope: ... with the same grade" \
		"$ROOT/tests/e2e/gradescope_valid.py" "$a/results/results.json" "$SCORE" 18 10
	rm -rf "$a/results"
	(cd / && PATH="$WORK/bin:$PATH" AUTOGRADER_ROOT=$a KVMCHECK_TEST_SANDBOX=landlock KVMCHECK_UNSAFE_ASSEMBLER=no \
		XDG_CACHE_HOME=$WORK/cache2 bash "$a/source/run_autograder" >/dev/null 2>&1)
	check "gradescope: with KVMCHECK_UNSAFE_ASSEMBLER=no every case is refused, and results.json says why" python3 -c "import json, sys
r = json.load(open('$a/results/results.json'))
sys.exit(not (r['score'] == 0 and len(r['tests']) == 10
    and all('private world cannot be built here' in t.get('output', '') for t in r['tests'] if t['visibility'] == 'visible')))"

	# Where kvmcheck cannot run, the student is told, in a results.json.
	rm -rf "$a/results"
	(cd / && AUTOGRADER_ROOT=$a KVMCHECK=$WORK/no-such-kvmcheck bash "$a/source/run_autograder" >/dev/null 2>&1)
	check "gradescope: without kvmcheck run_autograder still exits 0" [ $? = 0 ]
	check "gradescope: ... and its results.json says so, with a score of 0" python3 -c "import json, sys
r = json.load(open('$a/results/results.json'))
sys.exit(not (r['score'] == 0 and r['tests'] == [] and 'exit status 127' in r['output'] and r['stdout_visibility'] == 'hidden'))"
}

# The steps of the Classroom workflow that matter here, from its YAML:
# prints the kvmcheck step's command, after checking the reporter reads it.
classroom_step() {
	python3 - "$ROOT/examples/github-classroom/classroom.yml" <<'PY'
import sys, yaml
w = yaml.safe_load(open(sys.argv[1]))
steps = w["jobs"]["run-autograding-tests"]["steps"]
by_id = {s.get("id"): s for s in steps}
kvm = by_id["kvmcheck"]
reporter = next(s for s in steps if s.get("uses", "").startswith("classroom-resources/autograding-grading-reporter@"))
assert kvm.get("continue-on-error") is True
assert reporter["with"]["runners"] == "kvmcheck"
assert reporter["env"]["KVMCHECK_RESULTS"] == "${{ steps.kvmcheck.outputs.result }}"
assert any("udevadm trigger --name-match=kvm" in s.get("run", "") for s in steps)
userns = [i for i, s in enumerate(steps) if "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0" in s.get("run", "")]
assert userns and userns[0] < steps.index(kvm), "user namespaces are allowed before the kvmcheck step"
assert any("make -C \"$RUNNER_TEMP/kvmcheck\" deps" in s.get("run", "") for s in steps)
print(kvm["run"])
PY
}

# The value of output NAME in a GITHUB_OUTPUT file (NAME<<DELIMITER form).
github_output() { # FILE NAME
	awk -v name="$2" '
		!inside && index($0, name "<<") == 1 { delim = substr($0, length(name) + 3); inside = 1; next }
		inside && $0 == delim { exit }
		inside { print }' "$1"
}

test_classroom() {
	local repo=$WORK/repo cmd
	cmd=$(classroom_step)
	check "classroom: the workflow parses, allows user namespaces before kvmcheck, and its reporter reads its result" [ -n "$cmd" ]
	# The template repository: the student's sources at its root, the cases in tests/.
	mkdir -p "$repo/tests"
	cp "$STUDENT"/*.asm "$repo/"
	cp "$ASSIGNMENT" "$repo/tests/"
	: >"$WORK/github_output"
	: >"$WORK/step_summary"
	# As Actions runs a step: bash -e, in the checkout, with its variables.
	(cd "$repo" && PATH="$WORK/bin:$PATH" GITHUB_ACTIONS=true GITHUB_OUTPUT=$WORK/github_output \
		GITHUB_STEP_SUMMARY=$WORK/step_summary bash -e -c "$cmd" >"$WORK/cr.stdout" 2>"$WORK/cr.stderr")
	check "classroom: the step fails for failing cases (continue-on-error keeps the job going)" [ $? = 1 ]
	github_output "$WORK/github_output" result | base64 -d >"$WORK/result.json" 2>/dev/null
	check "classroom: the result output decodes to the reporter's JSON, with bob's points" python3 -c "import json, sys
r = json.load(open('$WORK/result.json'))
t = r['tests']
fields = {'name', 'status', 'score', 'message', 'test_code', 'filename', 'line_no', 'duration'}
sys.exit(not (r['version'] == 1 and r['status'] == 'fail' and r['max_score'] == 18 and len(t) == 10
    and all(fields <= set(x) for x in t) and sum(x['score'] for x in t) == $SCORE
    and [x['status'] for x in t].count('pass') == 4))"
	check "classroom: the job summary gives the score" grep -qF "**Score: $SCORE / 18**" "$WORK/step_summary"
	check "classroom: no output of the step holds a hidden secret" \
		no_secret_in "$WORK/result.json" "$WORK/step_summary" "$WORK/cr.stdout" "$WORK/cr.stderr"
}

test_gradescope
test_classroom
finish examples
