# Sourced by tests/e2e/run.sh (its check, kvmcheck, tap_has, err_has, WORK
# and kvm_works): the usual student bugs in tests/feedback/, each a real
# guest, on emu and on kvm where /dev/kvm works. Each failure must say where
# it stopped in the source and give the hint for its bug.

test_feedback() { # BACKEND
	local b=$1
	kvmcheck --backend "$b" --no-reports --junit "$WORK/feedback.xml" --html "$WORK/feedback.html" \
		tests/feedback/feedback.yaml
	check "$b: feedback cases all fail (exit 1)" status_is 1
	check "$b: hint: no hlt" tap_has "Likely cause: the program does not stop where its work ends"
	check "$b: hint: int 10h names AH and the preset" \
		tap_has "the program calls int 0x10 with AH=0x0e (teletype output), but this case runs without firmware"
	check "$b: hint: the BIOS preset" tap_has '`preset: boot` (a boot sector at 0000:7C00) or `firmware: bios`'
	# where sp ends depends on how far the damaged code ran: on kvm not always at 0x18
	check "$b: hint: a stack inside the program" \
		grep -qE "hint: 'Observed: the stack pointer ss:sp = 0000:00[0-9a-f]{2} lies inside the program" "$WORK/out.tap"
	check "$b: hint: polling the line status register" \
		tap_has "while the program read the serial line status register (port 0x3fd) over and over"
	check "$b: hint: output that stopped early" tap_has "the serial output stopped after 2 of the 5 bytes expected"
	check "$b: hint: an unmapped read names address and segment" \
		tap_has "Observed: a read at 0x100000 (ds=ffff, es=0000), beyond the end of the guest"
	check "$b: hint: a loop at the timeout" tap_has "at the timeout the program was still running"
	check "$b: every failure has a hint" [ "$(grep -c "^  hint: 'Observed: " "$WORK/out.tap")" = 7 ]
	check "$b: stopped at the hlt, inline source on the case file's line" \
		tap_has "stopped_at: 'tests/feedback/feedback.yaml:68 \`hlt\`'"
	check "$b: stopped in an %include'd file, on its own line" \
		tap_has "stopped_at: 'tests/feedback/lib.inc:2 \`spin: jmp spin\`'"
	# emu's hook on every real-mode instruction (segment limits) keeps ip
	# exact at an unmapped access, as kvm's.
	check "$b: an unmapped read stops at its instruction" \
		tap_has "stopped_at: 'tests/feedback/feedback.yaml:77 \`mov al, [0x10]\`"
	check "$b: the summary says where it stopped" err_has "      stopped at tests/feedback/lib.inc:2 \`spin: jmp spin\`"
	check "$b: the summary gives the hint" err_has "      hint: Observed: the serial output stopped after 2 of the 5"
	check "$b: the JUnit failure text has the hint" grep -qF "hint: Observed: the program calls int 0x10" "$WORK/feedback.xml"
	check "$b: feedback JUnit is valid against junit-10.xsd" \
		xmllint --noout --schema tests/junit/junit-10.xsd "$WORK/feedback.xml"
	check "$b: the HTML report has the hints" [ "$(grep -c '<p class="hint">' "$WORK/feedback.html")" = 7 ]
	kvmcheck --backend "$b" --allow-read guests --no-reports -v cases/hello.yaml
	check "$b: a passing case shows neither, even with -v" bash -c "! grep -qE '^  (stopped_at|hint):' '$WORK/out.tap'"
}

test_feedback emu
if kvm_works; then test_feedback kvm; fi
