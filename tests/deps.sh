#!/bin/sh
# Installs the Debian packages named as arguments that are not installed yet.
# Not root: prints the apt-get line to run and fails.
set -eu
missing=""
for pkg in "$@"; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	case "$status" in
	*"ok installed") ;;
	*) missing="$missing $pkg" ;;
	esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "kvmcheck: missing packages; run as root:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
echo "kvmcheck: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# The package lists of a fresh machine are empty or stale.
apt-get update -qq >&2 || apt-get update >&2
apt-get install -y -qq --no-install-recommends $missing >&2
