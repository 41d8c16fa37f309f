# render.sh: sourced by tests/hostile/run.sh and tests/kvm-in-qemu/check-kvm.sh.
# Renders the hostile suite's case folders into a folder of its own, with
# the marker files (the secrets no report may show) in another folder, the
# symlinks and hard links pointing there, and the guest files nobody would
# commit. Sets SECRET_FILE, SECRET_LINK and MARKER.
#
# hostile_render HERE SUITE SECRETS FOLDER...
#   HERE     tests/hostile
#   SUITE    where the case folders go (made if missing)
#   SECRETS  where the markers go: outside SUITE, in SUITE's filesystem
#            (the hard links need that)
#   FOLDER   the case folders of HERE to render (assembler, guest, ...)

random_hex() { od -An -N12 -tx1 /dev/urandom | tr -d ' \n'; }

# TEMPLATE.yaml.in -> TEMPLATE.yaml, with the markers' paths in.
hostile_render_template() { # SUITE SECRETS TEMPLATE
	local suite=$1 secrets=$2 tpl=$3 dir
	dir=$(dirname "$tpl")
	sed -e "s|@MARKER_REL_CWD@|$(realpath --relative-to="$suite" "$MARKER")|g" \
	    -e "s|@MARKER_REL@|$(realpath --relative-to="$dir" "$MARKER")|g" \
	    -e "s|@MARKER_DIR@|$secrets|g" -e "s|@MARKER@|$MARKER|g" "$tpl" >"${tpl%.in}"
	rm "$tpl"
}

hostile_render() {
	local here=$1 suite=$2 secrets=$3 folder tpl
	shift 3
	SECRET_FILE=kvmcheck-marker-$(random_hex)  # in the marker file
	SECRET_LINK=kvmcheck-linked-$(random_hex)  # behind the symlinked guest
	MARKER=$secrets/marker.inc
	mkdir -p "$suite" "$secrets"
	printf '%%error %s\nhlt\n' "$SECRET_FILE" >"$MARKER"
	printf '%%error %s\nhlt\n' "$SECRET_LINK" >"$secrets/linked-guest.asm"

	for folder in "$@"; do cp -R "$here/$folder" "$suite/"; done
	for tpl in "$suite"/*/*.yaml.in; do
		[ -e "$tpl" ] && hostile_render_template "$suite" "$secrets" "$tpl"
	done

	# Symlinks inside a case folder that point outside it.
	ln -s "$MARKER" "$suite/assembler/link-to-marker.inc"
	ln -s "$secrets" "$suite/assembler/link-to-secret-dir"
	ln -s "$secrets/linked-guest.asm" "$suite/assembler/linked-guest.asm"
	# A hard link inside a case folder to a file outside.
	ln "$secrets/linked-guest.asm" "$suite/assembler/hard-linked-guest.asm"
	printf '%%error %s\nhlt\n' "$SECRET_FILE" >"$secrets/hard.inc"
	ln "$secrets/hard.inc" "$suite/assembler/hard-link.inc"

	# Guest files nobody would commit.
	printf 'mov al, 1\0\0garbage\0\nhlt\n' >"$suite/assembler/nul.asm"
	perl -e 'print "hlt\n; ", "x" x 1000000, "\ndb ", join(",", ("0x90") x 200000), "\n"' >"$suite/assembler/long-line.asm"
	perl -e 'srand(42); print map { chr(int(rand(256))) } 1 .. 4096' >"$suite/assembler/binary.asm"
}
