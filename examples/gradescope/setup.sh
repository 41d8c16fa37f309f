#!/bin/bash
# Gradescope runs this once, as root, when it builds the autograder image.
# It builds kvmcheck from its repository with the Debian/Ubuntu packages the
# Makefile lists (make deps) and installs it as /usr/local/bin/kvmcheck.
#
# Where the source comes from, first match wins:
#   /autograder/source/kvmcheck/  a copy of the repository inside the zip
#   $KVMCHECK_REPO                a git URL (set it below or in the zip's env)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
KVMCHECK_REPO=${KVMCHECK_REPO:-}
KVMCHECK_REF=${KVMCHECK_REF:-main}

apt-get update -qq
apt-get install -y -qq make git ca-certificates

src=/autograder/source/kvmcheck
if [ ! -f "$src/Makefile" ]; then
	[ -n "$KVMCHECK_REPO" ] || { echo "setup.sh: put kvmcheck in the zip as kvmcheck/ or set KVMCHECK_REPO" >&2; exit 1; }
	src=/opt/kvmcheck
	git clone --depth 1 --branch "$KVMCHECK_REF" "$KVMCHECK_REPO" "$src"
fi
make -C "$src" deps          # gcc, nasm, libyaml, libxml2, unicorn, jansson, pcre2 (DEPS_BUILD)
make -C "$src" -j"$(nproc)" all
install -m 0755 "$src/build/kvmcheck" /usr/local/bin/kvmcheck
kvmcheck --version
