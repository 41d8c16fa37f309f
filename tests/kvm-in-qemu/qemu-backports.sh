#!/bin/bash
# qemu-backports.sh DIR
#
# Fetches QEMU from Debian 12's bookworm-backports into DIR, without
# installing it: the packages are downloaded with apt-get through a sources
# list and package lists of DIR's own and unpacked with dpkg -x, so the
# system's QEMU (Debian 12's 7.2, which run.sh uses by default) stays as it
# is. Prints the path of a wrapper that runs it with its own firmware.
#
# Why a second QEMU: 7.2's SVM loads the nested guest's DR7 on VMRUN
# without updating its breakpoints, so the breakpoints KVM sets for its
# guest (KVM_GUESTDBG_USE_HW_BP) never fire there; QEMU 9.0 and later
# ("target/i386: disable/enable breakpoints on vmentry/vmexit") arm them.
# check-kvm.sh runs the rows that rely on them under this QEMU.
#
# Idempotent: a complete DIR (DIR/qemu present) is reused as is.
set -eu

PROG=qemu-backports
die() { echo "$PROG: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: qemu-backports.sh DIR"
DIR=$1
if [ -x "$DIR/qemu" ]; then
	echo "$DIR/qemu"
	exit 0
fi
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
rm -rf "$DIR/apt" "$DIR/root" "$DIR/debs"
mkdir -p "$DIR/apt/sources" "$DIR/apt/lists/partial" "$DIR/debs"
cat >"$DIR/apt/sources/backports.sources" <<-SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
APT_OPTS=(-o "Dir::Etc::sourcelist=/dev/null" -o "Dir::Etc::sourceparts=$DIR/apt/sources"
	-o "Dir::State::Lists=$DIR/apt/lists" -o "Dir::Cache::archives=$DIR/debs")
err=$(apt-get "${APT_OPTS[@]}" update 2>&1) ||
	die "cannot read bookworm-backports' package lists: $(echo "$err" | grep -E '^(E|Err|W):' | tail -n1)"
PACKAGES=(qemu-system-x86 qemu-system-common qemu-system-data seabios)
(cd "$DIR/debs" && apt-get "${APT_OPTS[@]}" download "${PACKAGES[@]/%//bookworm-backports}" >/dev/null 2>"$DIR/download.err") ||
	die "cannot download QEMU from bookworm-backports: $(grep -E '^(E|Err):' "$DIR/download.err" | tail -n1)"
for deb in "$DIR"/debs/*.deb; do
	dpkg -x "$deb" "$DIR/root" || die "cannot unpack $deb"
done
BIN=$DIR/root/usr/bin/qemu-system-x86_64
[ -x "$BIN" ] || die "no qemu-system-x86_64 in the packages"
missing=$(ldd "$BIN" | grep "not found" || true)
[ -z "$missing" ] || die "QEMU from bookworm-backports needs libraries this machine lacks: $missing"
cat >"$DIR/qemu.tmp" <<-WRAPPER
#!/bin/sh
exec "$BIN" -L "$DIR/root/usr/share/qemu" -L "$DIR/root/usr/share/seabios" "\$@"
WRAPPER
chmod +x "$DIR/qemu.tmp"
"$DIR/qemu.tmp" --version >/dev/null || die "QEMU from bookworm-backports does not start"
mv "$DIR/qemu.tmp" "$DIR/qemu"
rm -rf "$DIR/debs" "$DIR/apt"
echo "$DIR/qemu"
