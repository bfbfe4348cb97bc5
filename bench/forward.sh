#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# forward.sh: forwarding throughput through the lab hub without counting and with wgstar's counting
# table at 10,000 peers, and the per-tick cost of reading those 10,000 peers' counters.
#
# Usage: bench/forward.sh [WGSTAR-BINARY]     (default $WGSTAR, else build/src/wgstar-top)
#        PEERS=10000 SECONDS_EACH=5 ROUNDS=5 RUNS=20 bench/forward.sh
# Needs root, iperf3 and python3. Builds nothing; build without sanitizers for real figures.
#
# iperf3 (TCP, one stream, bounded in time) runs from alice to bob, both inside the lab's
# namespaces, so every byte is forwarded by the hub, wg in and wg out. The rounds alternate
# without and with the counting table so drift in the machine's load hits both alike. The read
# cost is the median wall time of `--once --json --read-only` with the table minus without it:
# one dump per set, the elements mapped back to the peers.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-${WGSTAR:-build/src/wgstar-top}}
LAB=${LAB:-$here/../tests/lab/lab.sh}
PEERS=${PEERS:-10000}
SECONDS_EACH=${SECONDS_EACH:-5}
ROUNDS=${ROUNDS:-5}
RUNS=${RUNS:-20}

die() {
	echo "forward.sh: $*" >&2
	exit 1
}

[ -x "$BIN" ] || die "no wgstar-top binary at $BIN (build first, or pass its path)"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
command -v iperf3 >/dev/null || die "needs iperf3"
command -v python3 >/dev/null || die "needs python3"
[ "$SECONDS_EACH" -ge 1 ] && [ "$SECONDS_EACH" -le 60 ] || die "SECONDS_EACH wants 1..60"

work=$(mktemp -d "${TMPDIR:-/tmp}/wgst-bench.XXXXXX")
server=
cleanup() {
	[ -z "$server" ] || kill "$server" 2>/dev/null || true
	[ -z "$server" ] || wait "$server" 2>/dev/null || true
	ip netns exec "$LAB_HUB_NS" "$BIN" firewall rollback --run-dir "$work/run" >/dev/null 2>&1 || true
	"$LAB" down --state "$work/lab" || true
	rm -rf "$work"
}
LAB_HUB_NS=
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Dual-stack hub-only peers, as real hubs have them: four counting elements each.
LAB_QUIET=1 "$LAB" up --peers 2 --bulk-peers "$PEERS" --dual-stack-bulk --prefix "wgst$$" --state "$work/lab"
eval "$("$LAB" env --state "$work/lab")"
hub() {
	ip netns exec "$LAB_HUB_NS" "$@"
}

counting() {
	local args=(--yes --confirm-timeout 600 -i "$LAB_HUB_IF")
	[ "$1" = on ] || args+=(--remove-counting)
	hub "$BIN" firewall apply --run-dir "$work/run" "${args[@]}" >/dev/null
	hub "$BIN" firewall confirm --run-dir "$work/run" >/dev/null
	if [ "$1" = on ]; then
		hub nft list table inet wgstar >/dev/null
	else
		! hub nft list table inet wgstar >/dev/null 2>&1
	fi
}

# One iperf3 run, alice to bob: the receiver's bits per second.
throughput() {
	ip netns exec "$LAB_PEER2_NS" iperf3 -s -1 -B "$LAB_PEER2_ADDR" >/dev/null 2>&1 &
	server=$!
	for ((i = 0; i < 50; i++)); do
		ip netns exec "$LAB_PEER2_NS" ss -Hltn "sport = :5201" | grep -q . && break
		sleep 0.1
	done
	ip netns exec "$LAB_PEER1_NS" iperf3 -c "$LAB_PEER2_ADDR" -t "$SECONDS_EACH" -J >"$work/iperf.json" ||
		die "iperf3 failed: $(tail -n 3 "$work/iperf.json")"
	wait "$server" || true
	server=
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"])' \
		"$work/iperf.json"
}

printf 'backend %s, %s bulk peers, %s s per run, %s rounds; %s CPUs\n' "$LAB_BACKEND" "$PEERS" \
	"$SECONDS_EACH" "$ROUNDS" "$(nproc)"
if ldd "$BIN" 2>/dev/null | grep -Eq 'lib(a|ub|t)san'; then
	echo "warning: $(basename "$BIN") is built with sanitizers; the read cost is not representative"
fi

off=()
on=()
for ((r = 1; r <= ROUNDS; r++)); do
	off+=("$(throughput)")
	counting on
	on+=("$(throughput)")
	counting off
	awk -v r="$r" -v a="${off[-1]}" -v b="${on[-1]}" \
		'BEGIN { printf "round %d: without counting %.0f Mbit/s, with counting %.0f Mbit/s\n", r, a / 1e6, b / 1e6 }'
done

counting on
elements=$(hub nft list table inet wgstar | grep -o 'counter packets' | wc -l)
cat >"$work/measure.py" <<'EOF'
import os, statistics, subprocess, sys, time

runs, argv = int(sys.argv[1]), sys.argv[2:]
def median_wall(cmd):
    t = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        t.append(time.perf_counter() - t0)
    return statistics.median(t)
print(f"{median_wall(argv) * 1e3:.3f}")
EOF
with=$(hub python3 "$work/measure.py" "$RUNS" "$BIN" --once --json --read-only -i "$LAB_HUB_IF")
hub nft list ruleset >/dev/null
counting off
without=$(hub python3 "$work/measure.py" "$RUNS" "$BIN" --once --json --read-only -i "$LAB_HUB_IF")

python3 - "$with" "$without" "$elements" "${off[@]}" -- "${on[@]}" <<'EOF'
import statistics, sys
with_ms, without_ms, elements = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
rest = sys.argv[4:]
sep = rest.index("--")
off = [float(x) for x in rest[:sep]]
on = [float(x) for x in rest[sep + 1:]]
mo, mn = statistics.median(off), statistics.median(on)
print()
print(f"throughput, median: without counting {mo / 1e6:.0f} Mbit/s, with counting {mn / 1e6:.0f} Mbit/s "
      f"({(mn - mo) / mo * 100:+.1f}%)")
print(f"  spread: without {min(off) / 1e6:.0f}..{max(off) / 1e6:.0f}, with {min(on) / 1e6:.0f}..{max(on) / 1e6:.0f} "
      f"Mbit/s; a difference inside the spread is noise (other load on the machine)")
print(f"--once --json --read-only, median: {with_ms:.1f} ms with the table ({elements} elements "
      f"in its sets), {without_ms:.1f} ms without")
print(f"per-tick cost of reading the counters: {with_ms - without_ms:.1f} ms")
EOF
