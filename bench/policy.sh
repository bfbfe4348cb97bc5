#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# policy.sh: what the hub policy costs on a hub of 10,000 dual-stack peers with the counting
# table installed: forwarding throughput with a policy of 50 groups and 200 rules against no
# policy, the time `firewall apply` takes to put that policy in, and the time of
# `policy test`.
#
# Usage: bench/policy.sh [WGSTAR-BINARY]     (default $WGSTAR, else build/src/wgstar-top)
#        PEERS=10000 NGROUPS=50 RULES=200 SECONDS_EACH=5 ROUNDS=5 RUNS=20 bench/policy.sh
# Needs root, iperf3 and python3. Builds nothing; build without sanitizers for real figures.
#
# iperf3 (TCP, one stream) runs from alice to bob through the hub. alice and bob sit in two
# of the groups, and the rule that lets alice's connection through comes three quarters down
# the list, after rules on their groups for other services, so the connection's first packet
# walks the whole way: interface, source class, destination map, the port decision. The
# rounds alternate without and with the policy table so drift in the machine's load hits
# both alike; each round with it is applied anew, and that apply is timed.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-${WGSTAR:-build/src/wgstar-top}}
LAB=${LAB:-$here/../tests/lab/lab.sh}
PEERS=${PEERS:-10000}
NGROUPS=${NGROUPS:-50}
RULES=${RULES:-200}
SECONDS_EACH=${SECONDS_EACH:-5}
ROUNDS=${ROUNDS:-5}
RUNS=${RUNS:-20}

die() {
	echo "policy.sh: $*" >&2
	exit 1
}

[ -x "$BIN" ] || die "no wgstar-top binary at $BIN (build first, or pass its path)"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
command -v iperf3 >/dev/null || die "needs iperf3"
command -v python3 >/dev/null || die "needs python3"

work=$(mktemp -d "${TMPDIR:-/tmp}/wgst-bench.XXXXXX")
server=
cleanup() {
	[ -z "$server" ] || kill "$server" 2>/dev/null || true
	[ -z "$server" ] || wait "$server" 2>/dev/null || true
	[ -z "$LAB_HUB_NS" ] || ip netns exec "$LAB_HUB_NS" "$BIN" firewall rollback --run-dir "$work/run" >/dev/null 2>&1 || true
	"$LAB" down --state "$work/lab" || true
	rm -rf "$work"
}
LAB_HUB_NS=
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

LAB_QUIET=1 "$LAB" up --peers 2 --bulk-peers "$PEERS" --dual-stack-bulk --prefix "wgst$$" --state "$work/lab"
eval "$("$LAB" env --state "$work/lab")"
hub() {
	ip netns exec "$LAB_HUB_NS" "$@"
}
wg_args=(-i "$LAB_HUB_IF" -c "$LAB_HUB_CONF")

# The policy: NGROUPS groups and RULES rules over every peer (bench/gen_policy.py).
python3 "$here/gen_policy.py" "$LAB_HUB_CONF" "$LAB_HUB_IF" "$NGROUPS" "$RULES" >"$work/policy.conf"
: >"$work/empty.conf"

# firewall apply with a policy file, confirmed; prints its wall time in ms.
apply() {
	local t0 t1
	t0=$(date +%s%N)
	hub "$BIN" firewall apply --yes --confirm-timeout 600 --run-dir "$work/run" --policy "$1" "${wg_args[@]}" \
		>"$work/apply.out" || die "firewall apply failed: $(tail -n 3 "$work/apply.out")"
	t1=$(date +%s%N)
	hub "$BIN" firewall confirm --run-dir "$work/run" >/dev/null
	echo $(((t1 - t0) / 1000000))
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

printf 'backend %s, %s dual-stack bulk peers, %s groups, %s rules, %s s per run, %s rounds; %s CPUs\n' \
	"$LAB_BACKEND" "$PEERS" "$NGROUPS" "$RULES" "$SECONDS_EACH" "$ROUNDS" "$(nproc)"
if ldd "$BIN" 2>/dev/null | grep -Eq 'lib(a|ub|t)san'; then
	echo "warning: $(basename "$BIN") is built with sanitizers; the times are not representative"
fi
hub "$BIN" policy check --policy "$work/policy.conf" "${wg_args[@]}" || die "the generated policy does not check out"
# The counting table throughout, as on a real hub.
apply "$work/empty.conf" >/dev/null
hub nft list table inet wgstar >/dev/null || die "no counting table"

off=()
on=()
applies=()
for ((r = 1; r <= ROUNDS; r++)); do
	off+=("$(throughput)")
	applies+=("$(apply "$work/policy.conf")")
	hub nft list table inet wgstar_policy >/dev/null || die "no policy table after apply"
	on+=("$(throughput)")
	apply "$work/empty.conf" >/dev/null
	! hub nft list table inet wgstar_policy >/dev/null 2>&1 || die "the policy table stayed"
	awk -v r="$r" -v a="${off[-1]}" -v b="${on[-1]}" -v t="${applies[-1]}" \
		'BEGIN { printf "round %d: without policy %.0f Mbit/s, with policy %.0f Mbit/s; apply %d ms\n", r, a / 1e6, b / 1e6, t }'
done

apply "$work/policy.conf" >/dev/null
hub nft list table inet wgstar_policy >"$work/table.nft"
elements=$(grep -c ' : goto ' "$work/table.nft" || true)
chains=$(grep -c '^	chain ' "$work/table.nft" || true)
# For scale: nft itself loading the same table, from its own listing.
hub "$BIN" firewall apply --yes --confirm-timeout 600 --run-dir "$work/run" --policy "$work/empty.conf" "${wg_args[@]}" >/dev/null
hub "$BIN" firewall confirm --run-dir "$work/run" >/dev/null
t0=$(date +%s%N)
hub nft -f "$work/table.nft"
nft_ms=$((($(date +%s%N) - t0) / 1000000))
hub nft delete table inet wgstar_policy
apply "$work/policy.conf" >/dev/null
cat >"$work/measure.py" <<'EOF'
import statistics, subprocess, sys, time

runs, argv = int(sys.argv[1]), sys.argv[2:]
t = []
for _ in range(runs):
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    t.append(time.perf_counter() - t0)
print(f"{statistics.median(t) * 1e3:.1f}")
EOF
ptest=$(hub python3 "$work/measure.py" "$RUNS" "$BIN" policy test --policy "$work/policy.conf" "${wg_args[@]}" \
	alice bob tcp/5201)
base=$(hub python3 "$work/measure.py" "$RUNS" "$BIN" --once --json --read-only "${wg_args[@]}")

python3 - "$ptest" "$base" "$elements" "$chains" "$nft_ms" "${applies[@]}" -- "${off[@]}" -- "${on[@]}" <<'EOF'
import statistics, sys
ptest, base, elements, chains = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
nft_ms = float(sys.argv[5])
rest = sys.argv[6:]
a = rest.index("--")
b = rest.index("--", a + 1)
applies = [float(x) for x in rest[:a]]
off = [float(x) for x in rest[a + 1:b]]
on = [float(x) for x in rest[b + 1:]]
mo, mn = statistics.median(off), statistics.median(on)
print()
print(f"throughput, median: without policy {mo / 1e6:.0f} Mbit/s, with policy {mn / 1e6:.0f} Mbit/s "
      f"({(mn - mo) / mo * 100:+.1f}%; target within 5%)")
print(f"  spread: without {min(off) / 1e6:.0f}..{max(off) / 1e6:.0f}, with {min(on) / 1e6:.0f}..{max(on) / 1e6:.0f} "
      f"Mbit/s; a difference inside the spread is noise")
print(f"firewall apply of the policy, median {statistics.median(applies):.0f} ms "
      f"({min(applies):.0f}..{max(applies):.0f}; target under 1000 ms): {elements} map elements, {chains} chains")
print(f"  for scale: nft -f of the same table takes {nft_ms:.0f} ms here")
print(f"policy test, median {ptest:.1f} ms (target under 50 ms); --once --json on the same hub, "
      f"for scale: {base:.1f} ms")
EOF
