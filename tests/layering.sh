#!/bin/sh
# layering.sh: each stage of harness/ includes only the headers of itself
# and of the stages before it (README "Layout"), so data flows one way.
# Prints every include that breaks the order; fails if there is one.
cd "$(dirname "$0")/.." || exit 2
order="core x86 case assemble machine run judge record report cli"
rank() {
	i=0
	for s in $order; do
		[ "$s" = "$1" ] && { echo $i; return; }
		i=$((i + 1))
	done
	echo 99
}
bad=0
for f in $(find harness -name '*.[ch]' | sort); do
	stage=$(echo "$f" | cut -d/ -f2)
	mine=$(rank "$stage")
	for inc in $(sed -n 's/^#include "\([a-z_]*\)\/.*/\1/p' "$f" | sort -u); do
		if [ "$(rank "$inc")" -gt "$mine" ]; then
			echo "layering: $f ($stage) includes a header of $inc, a later stage"
			bad=$((bad + 1))
		fi
	done
done
echo "layering: $bad includes against the flow"
[ $bad -eq 0 ]
