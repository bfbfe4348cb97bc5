#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# record.sh: what remembering the star costs at 10,000 dual-stack peers, the counting table
# installed, as the three targets of the recorder say:
#   1. the recorder's CPU at the default interval (-d 10), against reading the same hub with
#      `wg show dump` at that interval; every peer's counters move, as on a hub whose peers
#      keep their tunnels alive: each bulk peer has a keepalive and an endpoint behind a link
#      into a namespace that drops what it gets, so wireguard-go sends it handshakes and its
#      transfer grows all the time;
#   2. the database after 90 simulated days of those peers (bench/ledger_sim writes it as the
#      recorder does, one sample a simulated hour), against the same rows as CSV;
#   3. `usage --monthly` (text and --json) on that database, against SQLite's own query of the
#      monthly rows.
#
# Usage: bench/record.sh [BUILD_DIR]     (default build; needs root, python3, sqlite3)
#        PEERS=10000 DAYS=90 ACTIVE=100 EVENTS=2 WINDOW=120 RUNS=5 STEPS=123 bench/record.sh
# ACTIVE is the share of peers that used the tunnel in a simulated hour (100: all of them, the
# largest database), EVENTS the events a peer makes a day.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-build}" && pwd)
BIN=$BUILD/src/wgstar-top
LAB=${LAB:-$here/../tests/lab/lab.sh}
PEERS=${PEERS:-10000}
DAYS=${DAYS:-90}
ACTIVE=${ACTIVE:-100}
EVENTS=${EVENTS:-2}
WINDOW=${WINDOW:-120}
RUNS=${RUNS:-5}
STEPS=${STEPS:-123}

die() {
	echo "record.sh: $*" >&2
	exit 1
}

[ -x "$BIN" ] || die "no wgstar-top binary at $BIN (build first, or pass the build directory)"
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
command -v python3 >/dev/null || die "needs python3"
command -v sqlite3 >/dev/null || die "needs sqlite3"
make -s -C "$BUILD" bench/ledger_sim >/dev/null || die "building bench/ledger_sim failed"
SIM=$BUILD/bench/ledger_sim

work=$(mktemp -d "${TMPDIR:-/tmp}/wgst-bench.XXXXXX")
recorder=
sink=wgst$$-sink
cleanup() {
	[ -z "$recorder" ] || kill "$recorder" 2>/dev/null || true
	[ -z "$recorder" ] || wait "$recorder" 2>/dev/null || true
	[ -z "$LAB_HUB_NS" ] || ip netns exec "$LAB_HUB_NS" "$BIN" firewall rollback --run-dir "$work/run" >/dev/null 2>&1 || true
	"$LAB" down --state "$work/lab" || true
	! ip netns list | grep -qx "$sink" || ip netns del "$sink"
	rm -rf "$work"
}
LAB_HUB_NS=
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# CPU seconds (user + system) a process has used so far.
cpu_of() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"
}
mib() {
	python3 -c "print(f'{$1 / 1048576:.1f} MiB')"
}
median() {
	python3 -c 'import statistics, sys; print(f"{statistics.median(float(x) for x in sys.argv[1:]):.1f}")' "$@"
}
ms_of() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

if [[ $STEPS == *1* ]]; then
echo "== 1. the recorder at $PEERS dual-stack peers, -d 10"
LAB_QUIET=1 "$LAB" up --peers 2 --bulk-peers "$PEERS" --dual-stack-bulk --prefix "wgst$$" --state "$work/lab"
eval "$("$LAB" env --state "$work/lab")"
hub() {
	ip netns exec "$LAB_HUB_NS" "$@"
}
wg_args=(-i "$LAB_HUB_IF" -c "$LAB_HUB_CONF")
hub "$BIN" firewall apply --yes --confirm-timeout 600 --run-dir "$work/run" "${wg_args[@]}" >/dev/null ||
	die "installing the counting table failed"
hub "$BIN" firewall confirm --run-dir "$work/run" >/dev/null
# Every bulk peer gets an endpoint behind a link without ARP into a namespace that does not
# forward (packets to it vanish, sending them succeeds) and a keepalive: wireguard-go keeps
# trying to reach each, and counts what it sent.
ip netns add "$sink"
hub ip link add wgstb0 type veth peer name wgstb1 netns "$sink"
hub ip link set wgstb0 arp off up
hub ip addr add 198.18.0.1/15 dev wgstb0
ip netns exec "$sink" ip link set wgstb1 up
hub wg show "$LAB_HUB_IF" peers | awk -v a="$LAB_PEER1_PUB" -v b="$LAB_PEER2_PUB" '
	$1 != a && $1 != b {
		n++
		printf "[Peer]\nPublicKey = %s\nEndpoint = 198.18.%d.%d:%d\nPersistentKeepalive = 25\n\n", $1, int(n / 250) % 250, n % 250 + 2, 20000 + n % 30000
	}' >"$work/endpoints.conf"
hub wg addconf "$LAB_HUB_IF" "$work/endpoints.conf"
dump_tx() {
	hub wg show "$LAB_HUB_IF" transfer | awk '{ s += $3 } END { print s }'
}
tx0=$(dump_tx)
sleep 10
tx1=$(dump_tx)
moving=$(hub wg show "$LAB_HUB_IF" transfer | awk '$3 > 0 { n++ } END { print n + 0 }')
echo "peers with traffic: $moving of $((PEERS + 2)); the hub sent $(((tx1 - tx0) / 10)) B/s to them"

ip netns exec "$LAB_HUB_NS" "$BIN" record -d 10 --db "$work/rec.db" --run-dir "$work/run" "${wg_args[@]}" >"$work/record.log" 2>&1 &
recorder=$!
# The first sample writes every peer's row; the steady state starts after it.
sleep 25
c0=$(cpu_of "$recorder")
sleep "$WINDOW"
c1=$(cpu_of "$recorder")
kill -TERM "$recorder"
wait "$recorder" || die "the recorder did not end cleanly: $(tail -n 3 "$work/record.log")"
recorder=
rec_pct=$(python3 -c "print(f'{($c1 - $c0) / $WINDOW * 100:.2f}')")
rows=$(sqlite3 "$work/rec.db" "SELECT count(*) FROM peers")
hours=$(sqlite3 "$work/rec.db" "SELECT count(*) FROM usage WHERE grain = 0")
# The baseline: the same hub read with wg(8) at the same interval, as a script would.
b0=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)
start=$(date +%s)
for ((i = 0; i < WINDOW / 10; i++)); do
	hub wg show "$LAB_HUB_IF" dump >/dev/null
	sleep 10
done
b1=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)
base_pct=$(python3 -c "print(f'{($b1 - $b0) / $(getconf CLK_TCK) / $WINDOW * 100:.2f}')")
echo "recorder:        ${rec_pct}% of a core over ${WINDOW} s (target <= 1%); ledger of $rows peers, $hours hourly rows"
echo "wg show dump:    ${base_pct}% of a core, every 10 s over $(($(date +%s) - start)) s (baseline: reading alone)"
hub "$BIN" firewall rollback --run-dir "$work/run" >/dev/null 2>&1 || true
"$LAB" down --state "$work/lab"
LAB_HUB_NS=
ip netns del "$sink"
fi

[[ $STEPS == *[23]* ]] || exit 0
echo "== 2. the database after $DAYS simulated days of $PEERS peers ($ACTIVE% active an hour, $EVENTS events a peer a day)"
"$SIM" "$work/sim.db" "$PEERS" "$DAYS" "$ACTIVE" "$EVENTS" | tee "$work/sim.out"
sqlite3 "$work/sim.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
size=$(stat -c %s "$work/sim.db")
csv=$(sqlite3 -csv "$work/sim.db" "SELECT * FROM usage" | wc -c)
csv_ev=$(sqlite3 -csv "$work/sim.db" "SELECT * FROM events" | wc -c)
counts=$(sqlite3 -separator ' ' "$work/sim.db" "SELECT (SELECT count(*) FROM usage WHERE grain = 0), (SELECT count(*) FROM usage WHERE grain = 1),
	(SELECT count(*) FROM usage WHERE grain = 2), (SELECT count(*) FROM events)")
read -r h d m e <<<"$counts"
echo "database:        $(mib "$size") ($(python3 -c "print(round($size / max($h + $d + $m, 1)))") bytes a usage row with its share of the rest; $h hourly, $d daily, $m monthly rows, $e events)"
echo "as CSV:          $(mib "$csv") of usage rows + $(mib "$csv_ev") of events (baseline: the rows as text)"
write_ms=$(sed -n 's/^sample_write_ms //p' "$work/sim.out")
echo "a write of every peer's row and periods: ${write_ms} ms; at the default --write-every 60: $(python3 -c "print(f'{$write_ms / 60000 * 100:.2f}')")% of a core"

echo "== 3. usage --monthly at $PEERS peers, median of $RUNS"
t=() j=() q=()
for ((i = 0; i < RUNS; i++)); do
	t+=("$(ms_of "$BIN" usage --monthly --db "$work/sim.db")")
	j+=("$(ms_of "$BIN" usage --monthly --json --db "$work/sim.db")")
	q+=("$(ms_of sqlite3 "$work/sim.db" "SELECT * FROM usage WHERE grain > 0 AND grain = 2")")
done
echo "usage --monthly:        $(median "${t[@]}") ms (target < 200 ms)"
echo "usage --monthly --json: $(median "${j[@]}") ms"
echo "sqlite3, the rows only: $(median "${q[@]}") ms (baseline)"
