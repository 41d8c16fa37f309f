# Grading-platform output, end to end: sourced by tests/e2e/run.sh (uses its
# check/pass/fail, $KVMCHECK and $WORK). Runs a small assignment as GitHub
# Actions would (GITHUB_ACTIONS, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY in a temp
# folder) with a guest that tries to inject workflow commands, and with
# --gradescope; checks the fence, the annotations, the Classroom payload,
# results.json and the job summary with Perl's core modules (no jq needed).

platforms_assignment() { # DIR: 4 cases worth 8 points: passes (2, on the leaderboard), prints
	# workflow commands (3), does not assemble (1), hidden and failing (2)
	mkdir -p "$1"
	cat >"$1/pwn.asm" <<'EOF'
bits 16
	mov si, msg
	mov dx, 0x3f8
next:	lodsb
	test al, al
	jz done
	out dx, al
	jmp next
done:	hlt
msg:	db "::error::pwned", 10, "##[error]pwned", 10, "::stop-commands::x", 10, "::x::", 10, "::error::pwned-after", 10, "``````", 0
EOF
	printf 'bits 16\n\tmov ax, 1\n\tmvo bx, 2\n\thlt\n' >"$1/typo.asm"
	cat >"$1/lab.yaml" <<'EOF'
name: halts
points: 2
leaderboard: true
source: |
  bits 16
  hlt
expect:
  max_instructions: 10
---
name: "prints, then | *halts*"
points: 3
guest: pwn.asm
expect:
  serial: "Hello"
---
name: typo
guest: typo.asm
---
name: secret
hidden: true
points: 2
source: |
  bits 16
  mov dx, 0x3f8
  mov al, 'H'
  out dx, al
  mov al, '-'
  out dx, al
  mov al, '7'
  out dx, al
  hlt
expect:
  serial: "HIDDEN-EXPECT-42"
EOF
	{ for i in $(seq 1 12); do
		[ "$i" = 1 ] || echo ---
		printf 'name: wrong %s\nsource: |\n  bits 16\n  hlt\nexpect:\n  serial: "x"\n' "$i"
	done; } >"$1/many.yaml"
}

# The lines of FILE outside the stop-commands region, in order.
platforms_outside() {
	perl -ne '
		BEGIN { $token = "" }
		s/\r?\n\z//;
		if ($token eq "" && /^::stop-commands::(\w+)$/) { $token = $1; next }
		if ($token ne "" && $_ eq "::${token}::") { $token = ""; next }
		print "$_\n" if $token eq "";
	' "$1"
}

platforms_classroom_check() { # GITHUB_OUTPUT file: the decoded payload is what the reporter reads
	perl -MJSON::PP -MMIME::Base64 -e '
		local $/; my $text = <>;
		$text =~ /\Aresult<<(ghadelimiter_[0-9a-f]{32})\n([A-Za-z0-9+\/=]+)\n\1\n\z/ or die "not the delimiter form\n";
		my $r = decode_json(decode_base64($2));
		die "version\n" unless $r->{version} == 1;
		die "status $r->{status}\n" unless $r->{status} eq "fail";
		die "max_score\n" unless $r->{max_score} == 8;
		my @t = @{$r->{tests}};
		die "tests\n" unless @t == 4;
		my @want = ("pass", "fail", "fail", "fail");
		for my $i (0..3) {
			die "status of $i\n" unless $t[$i]{status} eq $want[$i];
			for my $k (qw(name status score message test_code filename line_no duration)) {
				die "$k missing in $i\n" unless exists $t[$i]{$k};
			}
		}
		die "score\n" unless $t[0]{score} == 2 && $t[1]{score} == 0;
		die "hidden\n" unless $t[3]{name} eq "secret" && $t[3]{message} eq "" && $t[3]{filename} eq "";
		die "filename\n" unless $t[1]{filename} =~ /lab\.yaml$/ && $t[1]{line_no} == 9;
	' "$1"
}

platforms_gradescope_check() { # results.json: the spec's fields with their types
	perl -MJSON::PP -e '
		local $/; my $r = decode_json(<>);
		sub num { my $v = shift; defined $v && !ref $v && $v =~ /^-?[0-9.]+(e[-+]?[0-9]+)?$/i }
		die "score\n" unless num($r->{score}) && $r->{score} == 2;
		die "execution_time\n" unless num($r->{execution_time});
		for my $k (qw(output visibility stdout_visibility)) { die "$k\n" unless defined $r->{$k} && !ref $r->{$k} }
		die "stdout_visibility\n" unless $r->{stdout_visibility} eq "hidden";
		my @t = @{$r->{tests}};
		die "tests\n" unless @t == 4;
		for my $t (@t) {
			die "name\n" unless length $t->{name};
			die "number\n" unless defined $t->{number};
			die "score/max_score\n" unless num($t->{score}) && num($t->{max_score});
			die "status $t->{status}\n" unless $t->{status} =~ /^(passed|failed)$/;
			die "output_format\n" unless $t->{output_format} =~ /^(md|text)$/;
			die "tags\n" unless ref $t->{tags} eq "ARRAY";
			die "visibility\n" unless $t->{visibility} =~ /^(visible|hidden|after_due_date|after_published)$/;
		}
		die "passed\n" unless $t[0]{status} eq "passed" && $t[1]{status} eq "failed";
		# the guest output sits in a fence longer than its own run of six backticks
		die "fence\n" unless $t[1]{output} =~ /^`{7}\n::error::pwned\n/m;
		die "max_score\n" unless $t[0]{max_score} == 2 && $t[1]{max_score} == 3 && $t[3]{max_score} == 2;
		die "hidden output\n" unless $t[3]{output} eq "" && $t[3]{visibility} eq "after_published";
		my @board = @{$r->{leaderboard} || []};
		die "leaderboard\n" unless @board == 2 && $board[0]{name} eq "halts: size (bytes)" && $board[0]{value} == 1
			&& $board[1]{name} eq "halts: instructions" && $board[1]{value} == 1 && $board[1]{order} eq "asc";
	' "$1"
}

test_platforms() {
	local dir="$WORK/platforms" out
	platforms_assignment "$dir/lab"
	: >"$dir/output"; : >"$dir/summary"
	GITHUB_ACTIONS=true GITHUB_OUTPUT="$dir/output" GITHUB_STEP_SUMMARY="$dir/summary" \
		"$KVMCHECK" --backend emu --no-reports --gradescope "$dir/results.json" "$dir/lab/lab.yaml" >"$dir/log" 2>"$dir/err"
	check "platforms: a failing assignment exits 1" [ $? = 1 ]
	# The runner reads stderr apart from stdout: nothing that may quote a
	# student may go there, outside the fenced stream.
	check "platforms: nothing on stderr under Actions" [ ! -s "$dir/err" ]
	check "platforms: the summary is on stdout, inside the region" \
		bash -c 'grep -q "^kvmcheck: 4 cases" "$1" && ! platforms_outside "$1" | grep -q "^kvmcheck: "' _ "$dir/log"
	check "platforms: the log opens a stop-commands region" grep -qE '^::stop-commands::[0-9a-f]{32}$' "$dir/log"
	out=$(platforms_outside "$dir/log" | grep -E '^\s*::|##\[')
	check "platforms: the guest's bytes are in the log, inside the region" grep -qF 'pwned-after' "$dir/log"
	check "platforms: nothing of the guest's outside the region" \
		bash -c '! platforms_outside "$1" | grep -qE "pwned|stop-commands::x"' _ "$dir/log"
	check "platforms: outside the region the only commands are annotations" \
		bash -c '[ -z "$(grep -vE "^::(error|notice) " <<<"$1")" ]' _ "$out"
	check "platforms: the failing case is annotated at its case line, escaped" \
		grep -qxF "::error file=$dir/lab/lab.yaml,line=9,title=kvmcheck%3A prints%2C then | *halts*::serial output differs at byte 0" <<<"$out"
	check "platforms: nasm's error is annotated at the student's line" \
		grep -qxF "::error file=$dir/lab/typo.asm,line=3,title=nasm%3A typo::parser: instruction expected" <<<"$out"
	check "platforms: the Classroom result decodes to the reporter's payload" platforms_classroom_check "$dir/output"
	check "platforms: results.json has Gradescope's fields and types" platforms_gradescope_check "$dir/results.json"
	check "platforms: the job summary has the score" grep -qF '**Score: 2 / 8**' "$dir/summary"
	check "platforms: the hidden case is in the summary by name and points" grep -qF '| ❌ fail | secret | ' "$dir/summary"
	check "platforms: nothing of the hidden case's expectation or output in any output" \
		bash -c '! grep -q "HIDDEN-\|H-7" "$@" && ! sed -n 2p "$1" | base64 -d | grep -q "HIDDEN-\|H-7"' _ \
		"$dir/output" "$dir/log" "$dir/summary" "$dir/results.json"
	check "platforms: the summary escapes the case name's markdown" grep -qF 'prints\, then \| \*halts\*' "$dir/summary"
	check "platforms: the summary fences the guest output beyond its backticks" grep -qx '```````' "$dir/summary"
	check "platforms: the summary is under 1 MiB" [ "$(stat -c %s "$dir/summary")" -lt 1048576 ]

	GITHUB_ACTIONS=true "$KVMCHECK" --backend emu --no-reports "$dir/lab/many.yaml" >"$dir/many.log" 2>&1
	out=$(platforms_outside "$dir/many.log" | grep '^::')
	check "platforms: 12 failures give 10 error annotations" [ "$(grep -c '^::error ' <<<"$out")" = 10 ]
	check "platforms: then one notice counts the other 2" grep -qE '^::notice title=kvmcheck::2 more errors not annotated' <<<"$out"

	env -u GITHUB_ACTIONS -u GITHUB_OUTPUT -u GITHUB_STEP_SUMMARY \
		"$KVMCHECK" --backend emu --tap "$dir/plain.tap" --no-reports "$dir/lab/lab.yaml" >"$dir/plain.out" 2>/dev/null
	check "platforms: outside GitHub stdout is the plain TAP" cmp -s "$dir/plain.out" "$dir/plain.tap"

	if unshare -m true 2>/dev/null; then
		unshare -m sh -c 'mount --bind /dev/null /dev/kvm 2>/dev/null || mount -t tmpfs none /dev/kvm 2>/dev/null; exec "$@"' _ \
			"$KVMCHECK" --backend auto --no-reports "$dir/lab/lab.yaml" >"$dir/auto.tap" 2>"$dir/auto.err"
		check "platforms: --backend auto without /dev/kvm runs on emu" grep -qx '# kvmcheck .*, backend emu' "$dir/auto.tap"
		check "platforms: ... and says nothing about it" bash -c '! grep -qE "/dev/kvm|backend kvm" "$1"' _ "$dir/auto.err"
	else
		echo "# cannot hide /dev/kvm here (no unshare -m): --backend auto fallback not tested"
	fi
}
export -f platforms_outside
test_platforms
