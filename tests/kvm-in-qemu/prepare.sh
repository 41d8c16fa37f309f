#!/bin/bash
# prepare.sh CACHE_DIR
#
# Fetch Debian's own amd64 kernel package (the one linux-image-amd64's
# candidate depends on) and extract into CACHE_DIR what run.sh needs:
#   CACHE_DIR/kernel          ELF vmlinux (boots via PVH, faster) or, if
#                             extraction failed, the bzImage vmlinuz
#   CACHE_DIR/modules/*.ko    kvm-amd.ko and its dependencies, uncompressed
#   CACHE_DIR/modules/order   load order, one file name per line
#   CACHE_DIR/version         kernel package name, written last; its presence
#                             marks the cache as complete
# Idempotent: an already complete cache is reused as is.
set -eu

PROG=kvm-in-qemu

die() { echo "$PROG: $*" >&2; exit 1; }

# The kernel package that a fresh "apt-get install linux-image-amd64" would pull.
kernel_package() {
	local dep
	dep=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)
	[ -n "$dep" ] && echo "$dep"
}

# apt-get download into the current directory; one line on failure.
download() {
	local pkg=$1 err
	if ! err=$(apt-get download "$pkg" 2>&1); then
		die "cannot download $pkg: $(echo "$err" | grep -E '^(E|Err):' | tail -n1)"
	fi
	compgen -G "${pkg}_*.deb" >/dev/null || die "cannot download $pkg: no .deb after apt-get download"
}

# Write to OUT the ELF vmlinux embedded in an XZ bzImage, as the
# kernel's scripts/extract-vmlinux does: try each XZ magic offset until one
# decompresses to an ELF file.
extract_vmlinux() {
	local vmlinuz=$1 out=$2 off
	# shellcheck disable=SC2013  # offsets are plain numbers
	for off in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" 2>/dev/null | cut -d: -f1); do
		if tail -c "+$((off + 1))" "$vmlinuz" | xz -dc --single-stream >"$out" 2>/dev/null &&
			[ "$(od -An -tx1 -N4 "$out" | tr -d ' ')" = 7f454c46 ]; then
			return 0
		fi
	done
	rm -f "$out"
	return 1
}

# Module file name for module NAME ("-" and "_" are interchangeable).
find_module() {
	local tree=$1 name=$2 f
	f=$(find "$tree" \( -name "$name.ko*" -o -name "${name//_/-}.ko*" -o -name "${name//-/_}.ko*" \) | head -n1)
	[ -n "$f" ] || die "module $name not found in the kernel package"
	echo "$f"
}

# Comma-separated dependencies of a (possibly compressed) module file.
module_deps() {
	local ko=$1
	case $ko in
	*.xz) xz -dc "$ko" ;;
	*.zst) zstd -dc "$ko" ;;
	*.gz) gzip -dc "$ko" ;;
	*) cat "$ko" ;;
	esac | tr '\0' '\n' | sed -n 's/^depends=//p' | head -n1
}

# Copy NAME and (first) its dependencies into $MODDIR, appending to the order file.
add_module() {
	local tree=$1 name=$2 ko dep base
	ko=$(find_module "$tree" "$name")
	base=$(basename "$ko"); base=${base%.xz}; base=${base%.zst}; base=${base%.gz}
	grep -qxF "$base" "$MODDIR/order" 2>/dev/null && return 0
	for dep in $(module_deps "$ko" | tr ',' ' '); do
		add_module "$tree" "$dep"
	done
	case $ko in
	*.xz) xz -dc "$ko" >"$MODDIR/$base" ;;
	*.zst) zstd -dc "$ko" >"$MODDIR/$base" ;;
	*.gz) gzip -dc "$ko" >"$MODDIR/$base" ;;
	*) cp "$ko" "$MODDIR/$base" ;;
	esac || die "cannot decompress $ko"
	echo "$base" >>"$MODDIR/order"
}

main() {
	[ $# -eq 1 ] || { echo "usage: $0 CACHE_DIR" >&2; exit 2; }
	local cache=$1 pkg
	for tool in apt-cache apt-get dpkg xz od; do
		command -v "$tool" >/dev/null || die "missing host tool: $tool"
	done
	mkdir -p "$cache" || die "cannot create $cache"
	cache=$(cd "$cache" && pwd)
	if ! pkg=$(kernel_package); then
		# No apt lists (e.g. no apt-get update yet): any complete cache will do.
		[ -s "$cache/version" ] && exit 0
		die "cannot find the kernel package linux-image-amd64 depends on (try: apt-get update)"
	fi
	if [ "$(cat "$cache/version" 2>/dev/null)" = "$pkg" ]; then
		exit 0  # complete cache for the current kernel package
	fi

	# Build in a scratch dir inside the cache, then move into place, so an
	# interrupted run never leaves a half-filled cache that looks complete.
	rm -f "$cache/version"
	tmp=$(mktemp -d "$cache/.prepare.XXXXXX")  # global: the EXIT trap needs it
	trap 'rm -rf "$tmp"' EXIT
	# apt's _apt user must be able to write the download dir.
	chmod 755 "$tmp"
	(cd "$tmp" && download "$pkg")
	dpkg -x "$tmp/$pkg"_*.deb "$tmp/root" 2>/dev/null || die "cannot unpack $pkg"

	local vmlinuz
	vmlinuz=$(find "$tmp/root/boot" -name 'vmlinuz-*' 2>/dev/null | head -n1)
	[ -n "$vmlinuz" ] || die "no /boot/vmlinuz-* in $pkg"
	if ! extract_vmlinux "$vmlinuz" "$tmp/kernel"; then
		echo "$PROG: note: cannot extract ELF vmlinux, falling back to vmlinuz (slower boot)" >&2
		cp "$vmlinuz" "$tmp/kernel"
	fi

	MODDIR=$tmp/modules
	mkdir -p "$MODDIR"
	: >"$MODDIR/order"
	add_module "$tmp/root/lib/modules" kvm-amd

	rm -rf "$cache/kernel" "$cache/modules"
	mv "$tmp/kernel" "$tmp/modules" "$cache/"
	echo "$pkg" >"$cache/version"
}

main "$@"
