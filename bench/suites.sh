# Sourced by bench/run.sh and bench/cold_profile.sh: the suites of the
# throughput rows. Uses WORK (where the suites go) and CASES (their size),
# and runs from the repository's root.

# A guest that prints its number n: as small as a hello, and no two alike.
number_guest() {
	cat <<-ASM
	bits 16
	mov ax, $1
	mov cx, 10
	mov di, digits + 5
	next: xor dx, dx
	div cx
	add dl, '0'
	dec di
	mov [di], dl
	test ax, ax
	jnz next
	mov dx, 0x3f8
	mov si, di
	print: lodsb
	test al, al
	jz done
	out dx, al
	jmp print
	done: hlt
	digits: db 0, 0, 0, 0, 0, 0
	ASM
}

# N distinct guests, each in a folder of its own as a class's submissions
# are (nasm may read its guest's folder, so that is what it is given), and
# one guest shared by N cases with different inputs.
make_suites() {
	local s=$WORK/suite i
	mkdir -p "$s/shared"
	for i in $(seq 1 "$CASES"); do
		mkdir "$s/g$i"
		number_guest "$i" >"$s/g$i/guest.asm"
		printf -- '---\nname: distinct %d\nguest: g%d/guest.asm\nexpect: {serial: "%d"}\n' "$i" "$i" "$i"
	done >"$s/distinct.yaml"
	cp guests/echo_upper.asm "$s/shared/guest.asm"
	for i in $(seq 1 "$CASES"); do
		printf -- '---\nname: shared %d\nguest: shared/guest.asm\ninput: "abc%d"\nexpect: {serial: "ABC%d"}\n' "$i" "$i" "$i"
	done >"$s/shared.yaml"
}
