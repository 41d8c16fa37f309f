#!/bin/bash
# The DOSBox cross-check (README "Firmware and presets"): every .COM case
# (`preset: com`) of the bundled DOS suites runs in kvmcheck and in DOSBox,
# a DOS of someone else's making, and the console output of the two must be
# the same bytes. DOSBox runs headless (SDL's dummy video and audio), all
# programs in one session whose [autoexec] mounts a temporary folder as C:
# and runs `Pn.COM ARGS <In.TXT >On.TXT` for each; DOS's `>` captures what
# int 21h writes (AH=02h, 09h, 40h, and the echo of 01h and 0Ah) and `<`
# feeds the keyboard reads. The case's input goes in with each LF as CR,
# as kvmcheck's keyboard types it (README "Input").
# Cases tagged `clock` (their output shows the date or time) are left out:
# DOSBox's clock is the host's.
# usage: tests/e2e/dosbox.sh KVMCHECK [CASE FILES...]  (default: cases/dos.yaml cases/classics.yaml)
# Skips, saying so, only where DOSBox is missing and cannot be installed.
set -u
KVMCHECK=$(realpath "${1:?usage: dosbox.sh path/to/kvmcheck [case files...]}")
shift
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export XDG_CACHE_HOME="$WORK/xdg-cache" # never the user's own assembly cache
cd "$ROOT"
[ $# -gt 0 ] || set -- cases/dos.yaml cases/classics.yaml
# A hung DOSBox must not hang the run: it ignores SIGTERM while a program
# waits for input, so SIGKILL follows.
DOSBOX_SECONDS=${DOSBOX_SECONDS:-60}

SUITE=dosbox
. "$ROOT/tests/e2e/lib.sh"

# make check installs dosbox (DEPS_CHECK); a run of this script alone
# tries the same, as root.
if ! command -v dosbox >/dev/null && [ "$(id -u)" = 0 ]; then
	tests/deps.sh dosbox >/dev/null 2>&1
fi
if ! command -v dosbox >/dev/null; then
	echo "# dosbox: SKIP DOSBox is not installed and could not be installed (apt-get install dosbox):"
	echo "# dosbox: SKIP the .COM cases were NOT cross-checked against DOSBox"
	echo "dosbox: 0 passed, 0 failed"
	exit 0
fi

# kvmcheck's side: the console output of every case, in its results record.
"$KVMCHECK" --backend emu --allow-read guests --no-reports --json "$WORK/kvmcheck.json" "$@" >"$WORK/kvmcheck.tap" 2>&1
check "kvmcheck passes the cases it is compared on" [ $? = 0 ]

# DOSBox's side: lay out C: (Pn.COM, In.TXT), the list of cases, the conf.
mkdir -p "$WORK/c"
python3 - "$WORK" "$@" <<'PY' || { echo "FAIL - dosbox: could not lay out the cases"; exit 1; }
import os, sys, yaml
work, files = sys.argv[1], sys.argv[2:]

def as_bytes(v):
    if v is None:
        return b""
    if isinstance(v, str):
        return v.encode()
    return b"".join(p.encode() if isinstance(p, str) else bytes([p]) for p in v)

listing, autoexec = [], []
for path in files:
    with open(path) as f:
        for index, case in enumerate(yaml.safe_load_all(f)):
            if not case or case.get("preset") != "com":
                continue
            name = case.get("name", f"{path}:{index}")
            if "clock" in (case.get("tags") or []):
                print(f"# dosbox: not compared (DOSBox's clock is the host's): {name}")
                continue
            n = len(listing) + 1
            guest = os.path.join(os.path.dirname(path), case["guest"])
            stdin = as_bytes(case.get("input")).replace(b"\n", b"\r")
            with open(f"{work}/c/I{n}.TXT", "wb") as f_in:
                f_in.write(stdin)
            args = case.get("args", "")
            listing.append(f"{n}\t{path}\t{index}\t{guest}\t{name}")
            autoexec.append(f"P{n}.COM{args} <I{n}.TXT >O{n}.TXT")
with open(f"{work}/cases.tsv", "w") as f:
    f.write("".join(line + "\n" for line in listing))
with open(f"{work}/dosbox.conf", "w") as f:
    f.write(f"""[sdl]
fullscreen=false
[dosbox]
memsize=16
[cpu]
core=normal
cycles=max
[mixer]
nosound=true
[speaker]
pcspeaker=false
tandy=off
[midi]
mpu401=none
mididevice=none
[autoexec]
mount c "{work}/c"
c:
""" + "".join(line + "\r\n" for line in autoexec) + "exit\r\n")
PY
count=$(wc -l <"$WORK/cases.tsv")
check "there are .COM cases to compare ($count)" [ "$count" -gt 0 ]
assemble_all() {
	local n guest
	while IFS=$'\t' read -r n _ _ guest _; do
		nasm -f bin -o "$WORK/c/P$n.COM" "$guest" || return 1
	done <"$WORK/cases.tsv"
}
check "nasm -f bin assembles every guest" assemble_all

start_ms=$(($(date +%s%N) / 1000000))
# HOME: DOSBox may write its own settings there, never into the user's.
HOME=$WORK SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy timeout -k 5 "$DOSBOX_SECONDS" \
	dosbox -conf "$WORK/dosbox.conf" -noconsole -exit >"$WORK/dosbox.log" 2>&1 &
dosbox_pid=$!
wait "$dosbox_pid"
status=$?
elapsed_ms=$(($(date +%s%N) / 1000000 - start_ms))
echo "# dosbox: one DOSBox session ran $count programs in $elapsed_ms ms (exit status $status)"
check "DOSBox ran every program and exited within ${DOSBOX_SECONDS} s" [ "$status" = 0 ]
# timeout's child is DOSBox itself: once timeout is reaped it is gone too.
none_left() { ! kill -0 "$dosbox_pid" 2>/dev/null && ! pgrep -f -- "-conf $WORK/dosbox.conf" >/dev/null; }
check "no DOSBox process is left" none_left

# kvmcheck's console output of each compared case, raw, into $WORK/kN.out.
extract_consoles() {
	python3 - "$WORK" <<'PY'
import base64, json, sys
work = sys.argv[1]
record = json.load(open(f"{work}/kvmcheck.json"))
consoles = {(c["file"], c["index"]): c.get("console", "") for c in record["cases"]}
for line in open(f"{work}/cases.tsv"):
    n, path, index = line.split("\t")[:3]
    v = consoles[(path, int(index))]
    with open(f"{work}/k{n}.out", "wb") as out:
        out.write(base64.b64decode(v["base64"]) if isinstance(v, dict) else v.encode())
PY
}
check "kvmcheck's record holds the console output of every compared case" extract_consoles

printed=0
while IFS=$'\t' read -r n _ _ _ name; do
	[ -s "$WORK/k$n.out" ] && printed=$((printed + 1))
	if cmp -s "$WORK/k$n.out" "$WORK/c/O$n.TXT"; then
		check "$name: DOSBox's output equals kvmcheck's console" true
	else
		check "$name: DOSBox's output equals kvmcheck's console" false
		echo "#   kvmcheck: $(od -An -c "$WORK/k$n.out" | tr -s ' \n' ' ')"
		echo "#   DOSBox:   $(od -An -c "$WORK/c/O$n.TXT" 2>&1 | tr -s ' \n' ' ')"
	fi
done <"$WORK/cases.tsv"
# Two empty outputs are equal too: most programs must have printed something.
check "the compared programs printed something ($printed of $count)" [ $((2 * printed)) -gt "$count" ]

finish dosbox
