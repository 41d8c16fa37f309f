#!/bin/bash
# parity.sh A.results B.results: compares two `kvmcheck --results` files
# case by case and prints a table of the cases where they differ.
# What is compared depends on the outcome (see README, "Parity"):
#   hlt                     outcome, exits, output, every register, console, screen
#   exit (with its code),
#   shutdown, max_exits,
#   error                   outcome, exits, output, console, screen
#   timeout, assemble_error,
#   case_error              outcome
set -u
a=${1:?usage: parity.sh A.results B.results}
b=${2:?usage: parity.sh A.results B.results}
for f in "$a" "$b"; do
	head -n1 "$f" 2>/dev/null | grep -q '^# kvmcheck results 1$' || { echo "parity: $f is not a kvmcheck results file" >&2; exit 2; }
done

awk -F'\t' -v A="$a" -v B="$b" '
FNR == 1 { next }
FILENAME == A { out[$1] = $2 FS $3 FS $4 FS $5 FS $6 FS $7; order[++n] = $1; next }
{
	seen[$1] = 1
	if (!($1 in out)) { diff[++d] = $1 "\t(missing in " A ")"; next }
	split(out[$1], x, FS)
	what = ""
	if (x[1] != $2) what = "outcome " x[1] " vs " $2
	else if ($2 == "timeout" || $2 == "assemble_error" || $2 == "case_error") what = ""
	else if (x[2] != $3) what = "exits " x[2] " vs " $3
	else if (x[3] != $4) what = "output " substr(x[3], 1, 40) " vs " substr($4, 1, 40)
	else if ($2 == "hlt" && x[4] != $5) what = "registers " x[4] " vs " $5
	else if (x[5] != $6) what = "console " substr(x[5], 1, 40) " vs " substr($6, 1, 40)
	else if (x[6] != $7) what = "screen " x[6] " vs " $7
	if (what != "") diff[++d] = $1 "\t" what
}
END {
	for (i = 1; i <= n; i++) if (!(order[i] in seen)) diff[++d] = order[i] "\t(missing in " B ")"
	printf "parity: %d cases compared, %d differ\n", n, d
	if (d) {
		printf "%-40s %s\n", "case", "difference (" A " vs " B ")"
		for (i = 1; i <= d; i++) { split(diff[i], p, "\t"); printf "%-40s %s\n", p[1], p[2] }
	}
	exit d ? 1 : 0
}' "$a" "$b"
