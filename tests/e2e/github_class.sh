#!/bin/bash
# End-to-end test of the GitHub outputs of a class run (several
# --submission): three students graded in one run as GitHub Actions would
# run it (GITHUB_ACTIONS, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY pointed at
# files of a temp folder). One student's folder is named `o%b,c:d`, every
# character of which but the letters a workflow command must escape, and
# its guest prints `::error::`, `##[error]` and `::stop-commands::` lines.
# Checks the one stop-commands region over the run, the annotations (each
# titled with its student, escaped, 10 for the whole run and one notice
# counting the rest), the Classroom outputs (one per student, no `result`,
# and the `students` index, decoded and checked), the class job summary,
# that no hidden expectation reaches any of them, and that a folder whose
# name holds a newline is refused before anything is written.
# usage: tests/e2e/github_class.sh KVMCHECK (KEEP=1: keep the work folder)
set -u

KVMCHECK=$(realpath "${1:?usage: github_class.sh path/to/kvmcheck}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT

SUITE=github-class
. "$ROOT/tests/e2e/lib.sh"

ODD='o%b,c:d'                 # the folder name that needs escaping
ODD_PROPERTY='o%25b%2Cc%3Ad'  # ... as a workflow-command property
ODD_OUTPUT='result_o_b_c_d'   # ... as a step output name
HIDDEN_EXPECT=HIDDEN-EXPECT-k8

# hi.asm that prints TEXT (a nasm string) on the serial port.
printing() { # TEXT
	printf 'bits 16\n\tmov si, msg\n\tmov dx, 0x3f8\nnext:\tlodsb\n\ttest al, al\n\tjz done\n\tout dx, al\n\tjmp next\ndone:\thlt\nmsg:\tdb %s, 0\n' "$1"
}

# The assignment: 7 points in lab.yaml (prints hi 2, adds 2, a hidden case
# 3 that nobody passes), and 4 ungraded cases in many.yaml that everyone
# fails, so that the class has 18 failures but no student more than 7.
# alice: 4/7 (1 + 4 failures); o%b,c:d prints workflow commands and
# subtracts: 0/7 (3 + 4); carol's hi.asm does not assemble (line 3): 2/7
# (2 + 4). They are graded in the order carol, o%b,c:d, alice, so the 10
# annotations are carol's 6 and the first 4 of o%b,c:d's.
make_class() {
	mkdir -p "$WORK/cases" "$WORK/students/alice" "$WORK/students/$ODD" "$WORK/students/carol"
	cat >"$WORK/cases/lab.yaml" <<EOF
name: prints hi
submission: hi.asm
points: 2
expect:
  serial: "hi"
---
name: adds
submission: add.asm
points: 2
registers: {ax: 2, bx: 3}
expect:
  registers: {ax: 5}
---
name: the secret
submission: hi.asm
hidden: true
points: 3
expect:
  serial: "$HIDDEN_EXPECT"
EOF
	{ for i in 1 2 3 4; do
		[ "$i" = 1 ] || echo ---
		printf 'name: wrong %s\npoints: 0\nsource: |\n  bits 16\n  hlt\nexpect:\n  serial: "x"\n' "$i"
	done; } >"$WORK/cases/many.yaml"
	printing '"hi"' >"$WORK/students/alice/hi.asm"
	printf 'bits 16\n\tadd ax, bx\n\thlt\n' >"$WORK/students/alice/add.asm"
	printing '"::error::pwned", 10, "##[error]pwned", 10, "::stop-commands::x", 10, "::x::", 10, "::error::pwned-after", 10' \
		>"$WORK/students/$ODD/hi.asm"
	printf 'bits 16\n\tsub ax, bx\n\thlt\n' >"$WORK/students/$ODD/add.asm"
	printf 'bits 16\n\tmov dx, 0x3f8\n\tmvo al, 1\n\thlt\n' >"$WORK/students/carol/hi.asm"
	printf 'bits 16\n\tadd ax, bx\n\thlt\n' >"$WORK/students/carol/add.asm"
}

# grade NAME ARGS...: a run in $WORK as Actions runs it; its files in $WORK/NAME.
grade() {
	local d=$WORK/$1; shift
	mkdir -p "$d"
	: >"$d/output"; : >"$d/summary"
	(cd "$WORK" && GITHUB_ACTIONS=true GITHUB_OUTPUT="$d/output" GITHUB_STEP_SUMMARY="$d/summary" \
		"$KVMCHECK" --backend emu --no-cache --json "$d/reports/results.json" "$@" >"$d/stdout" 2>"$d/stderr")
	echo $? >"$d/status"
}

# The lines of FILE outside the stop-commands regions, as the runner reads them.
outside() {
	perl -ne '
		BEGIN { $token = "" }
		s/\r?\n\z//;
		if ($token eq "" && /^\s*::stop-commands::(\w+)$/) { $token = $1; next }
		if ($token ne "" && $_ eq "::${token}::") { $token = ""; next }
		print "$_\n" if $token eq "";
	' "$1"
}

# The GITHUB_OUTPUT file as NAME=VALUE lines, each entry checked to be in
# the delimiter form with a fresh random delimiter.
outputs() { # FILE
	perl -e '
		local $/; my $text = <>; my %seen;
		while ($text =~ s/\A([A-Za-z0-9_]+)<<(ghadelimiter_[0-9a-f]{32})\n(.*?)\n\2\n//s) {
			die "delimiter used twice\n" if $seen{$2}++;
			print "$1=$3\n";
		}
		die "not the delimiter form: $text\n" if length $text;
	' "$1"
}

# payload_check OUTPUTS NAME SCORE: the student's Classroom result decodes
# to the reporter's payload, with that score, the class's maximum and a
# hidden test that shows nothing.
payload_check() {
	perl -MJSON::PP -MMIME::Base64 -e '
		my ($file, $name, $score) = @ARGV;
		open my $f, "<", $file or die; my $value;
		while (<$f>) { chomp; $value = $1 if /^\Q$name\E=(.*)$/ }
		die "no output $name\n" unless defined $value;
		my $r = decode_json(decode_base64($value));
		die "version\n" unless $r->{version} == 1;
		die "status $r->{status}\n" unless $r->{status} =~ /^(fail|error)$/;
		die "max_score $r->{max_score}\n" unless $r->{max_score} == 7;
		my @t = @{$r->{tests}};
		die "tests\n" unless @t == 7;
		my $sum = 0; $sum += $_->{score} for @t;
		die "score $sum\n" unless $sum == $score;
		for my $t (@t) {
			for my $k (qw(name status score message test_code filename line_no duration)) {
				die "$k missing\n" unless exists $t->{$k};
			}
		}
		die "hidden\n" unless $t[2]{name} eq "the secret" && $t[2]{status} eq "fail"
			&& $t[2]{message} eq "" && $t[2]{filename} eq "" && $t[2]{test_code} eq "";
	' "$@"
}

index_check() { # OUTPUTS: the `students` index names each student, output and score
	perl -MJSON::PP -e '
		open my $f, "<", $ARGV[0] or die; my $value;
		while (<$f>) { chomp; $value = $1 if /^students=(.*)$/ }
		die "no index\n" unless defined $value;
		my @s = @{decode_json($value)};
		my @want = (["carol", "result_carol", 2], ["o%b,c:d", "result_o_b_c_d", 0], ["alice", "result_alice", 4]);
		die "students\n" unless @s == 3;
		for my $i (0..2) {
			my ($n, $o, $p) = @{$want[$i]};
			die "entry $i: $s[$i]{student} $s[$i]{output} $s[$i]{score}\n"
				unless $s[$i]{student} eq $n && $s[$i]{output} eq $o && $s[$i]{score} == $p
				&& $s[$i]{max_score} == 7 && $s[$i]{status} eq "fail";
		}
	' "$1"
}

test_class_outputs() {
	local d=$WORK/class out
	grade class --submission students/carol --submission "students/$ODD" --submission students/alice \
		cases/lab.yaml cases/many.yaml
	check "a class with failures exits 1" [ "$(cat "$d/status")" = 1 ]
	check "nothing on stderr under Actions" [ ! -s "$d/stderr" ]
	check "each student's reports are in a folder of its name" \
		bash -c 'for s in alice "$2" carol; do [ -s "$1/reports/$s/results.json" ] || exit 1; done' _ "$d" "$ODD"

	# The log
	check "stdout opens one stop-commands region" [ "$(grep -cE '^::stop-commands::[0-9a-f]{32}$' "$d/stdout")" = 1 ]
	check "the class summary is on stdout, inside the region" \
		bash -c 'grep -q "^kvmcheck: class of 3 students" "$1" && ! outside "$1" | grep -q "class of"' _ "$d/stdout"
	check "the odd student is in the class summary, inside the region" grep -qF " $ODD" "$d/stdout"
	out=$(outside "$d/stdout")
	check "outside the region there are only annotations" bash -c '[ -z "$(grep -vE "^::(error|notice) " <<<"$1")" ]' _ "$out"
	check "no guest byte outside the region" bash -c '! grep -qE "pwned|stop-commands::x|##\[" <<<"$1"' _ "$out"
	check "18 failures in the class: 10 error annotations for the whole run" [ "$(grep -c '^::error ' <<<"$out")" = 10 ]
	check "then one notice counting the other 8" \
		bash -c '[ "$(grep -c "^::notice " <<<"$1")" = 1 ] && grep -qE "^::notice title=kvmcheck::8 more errors not annotated" <<<"$1"' _ "$out"
	check "an annotation's title names its student" \
		grep -qxF "::error file=cases/lab.yaml,line=13,title=carol%3A kvmcheck%3A the secret::hidden case did not pass" <<<"$out"
	check "the odd student's name is escaped in the title" \
		grep -qxF "::error file=cases/lab.yaml,line=1,title=$ODD_PROPERTY%3A kvmcheck%3A prints hi::serial output differs at byte 0" <<<"$out"
	check "a student's nasm error is at the student's file and line, titled with the student" \
		grep -qxF "::error file=students/carol/hi.asm,line=3,title=carol%3A nasm%3A prints hi::parser: instruction expected" <<<"$out"
	check "the hidden case's expectation is not in the log" bash -c '! grep -q "$1" "$2"' _ "$HIDDEN_EXPECT" "$d/stdout"

	# GITHUB_OUTPUT
	local o=$d/outputs
	outputs "$d/output" >"$o"
	check "GITHUB_OUTPUT is entries in the delimiter form, fresh delimiters" [ -s "$o" ]
	check "GITHUB_OUTPUT has one output per student and the index, in order" \
		[ "$(cut -d= -f1 "$o" | tr '\n' ' ')" = "result_carol $ODD_OUTPUT result_alice students " ]
	check "no \`result\` output in a class run" bash -c '! grep -q "^result=" "$1"' _ "$o"
	check "alice's result decodes to the reporter's payload, 4 of 7" payload_check "$o" result_alice 4
	check "the odd student's result, under its sanitised name, 0 of 7" payload_check "$o" "$ODD_OUTPUT" 0
	check "carol's result, 2 of 7" payload_check "$o" result_carol 2
	check "the index names each student, output and score" index_check "$o"
	# The README's example reads the index through env:, as a later step would.
	check "the README's jq line lists each student's score" \
		[ "$(STUDENTS=$(sed -n 's/^students=//p' "$o") bash -c 'printf "%s" "$STUDENTS" | jq -r '"'"'.[] | "\(.student): \(.score) / \(.max_score)"'"'"'' | tr '\n' '|')" = \
		"carol: 2 / 7|$ODD: 0 / 7|alice: 4 / 7|" ]
	check "no decoded output holds the hidden expectation" \
		bash -c 'for v in $(grep "^result_" "$1" | cut -d= -f2-); do base64 -d <<<"$v" | grep -q "$2" && exit 1; done; ! grep -q "$2" "$1"' \
		_ "$o" "$HIDDEN_EXPECT"

	# GITHUB_STEP_SUMMARY
	local s=$d/summary
	check "the job summary is one class table" bash -c 'grep -qx "## kvmcheck: class of 3 students" "$1" &&
		grep -qx "| Student | Points | Max | Failed cases |" "$1" && [ "$(grep -c "^## kvmcheck" "$1")" = 1 ]' _ "$s"
	check "alice's row: points, max and failed cases" \
		grep -qxF '| alice | 4 | 7 | the secret, wrong 1, wrong 2, wrong 3, wrong 4 |' "$s"
	check "the odd student's row, its name escaped, the rest counted" \
		grep -qxF '| o\%b\,c\:d | 0 | 7 | prints hi, adds, the secret, wrong 1, wrong 2 and 2 more |' "$s"
	check "a section per student with failures" \
		bash -c 'grep -qx "### alice: 4 / 7" "$1" && grep -qxF "### o\\%b\\,c\\:d: 0 / 7" "$1" && grep -qx "### carol: 2 / 7" "$1"' _ "$s"
	check "each section shows its first 3 failures" [ "$(grep -c '^#### ' "$s")" = 9 ]
	check "the hidden failure shows no details" grep -qx 'Hidden case: its details are not shown.' "$s"
	check "the guest's output is in the summary inside a fence" grep -qx '::error::pwned-after' "$s"
	check "the summary holds no hidden expectation" bash -c '! grep -q "$1" "$2"' _ "$HIDDEN_EXPECT" "$s"
	check "the summary is under 1 MiB" [ "$(stat -c %s "$s")" -lt 1048576 ]
}

test_single_unchanged() {
	local d=$WORK/single
	grade single --submission students/alice cases/lab.yaml
	check "one submission still writes \`result\` alone" [ "$(outputs "$d/output" | cut -d= -f1)" = result ]
	check "one submission's titles name no student" bash -c '! outside "$1" | grep -q "title=alice"' _ "$d/stdout"
}

test_newline_name() {
	local d=$WORK/newline nl=$'eve\nx'
	if ! mkdir -p "$WORK/students/$nl" 2>/dev/null; then
		echo "# the filesystem refuses a newline in a name: not tested"
		return
	fi
	cp "$WORK/students/alice/"*.asm "$WORK/students/$nl/"
	grade newline --submission students/alice --submission "students/$nl" cases/lab.yaml
	check "a folder named with a newline is refused (exit 2)" [ "$(cat "$d/status")" = 2 ]
	check "... saying why" grep -q 'holds a control character' "$d/stderr"
	check "... before any output is written" bash -c '[ ! -s "$1/output" ] && [ ! -s "$1/summary" ] && [ ! -s "$1/stdout" ]' _ "$d"
}

export -f outside
make_class
test_class_outputs
test_single_unchanged
test_newline_name
finish github-class
