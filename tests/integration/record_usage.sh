#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# record_usage.sh: the usage ledger counts right across what resets counters. Pings from alice
# to bob, the recorder stopped and started again with more pings in between, alice removed and
# added again (her counters start over) and more pings: `usage alice --json` totals equal the
# sum of what `wg show dump` reported over the segments, and the forwarded counts equal the
# pings that went through, 84 bytes each.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_wgstar
need_cmd wg ping sqlite3 python3
lab_up --peers 2
RUN_DIR=$WORKDIR/run
DB=$WORKDIR/wgstar.db
at_exit 'hub "$WGSTAR" firewall --run-dir "$RUN_DIR" rollback >/dev/null 2>&1'

# Nothing but the test's pings: the peers' keepalives off, the counting table in.
for ns in "$LAB_PEER1_NS" "$LAB_PEER2_NS"; do
	ip netns exec "$ns" wg set "${ns}" peer "$LAB_HUB_PUB" persistent-keepalive 0
done
lab exec peer2 -- ping -q -n -c 1 -W 2 "$LAB_HUB_ADDR" >/dev/null 2>&1 || true
run hub "$WGSTAR" firewall apply --yes --confirm-timeout 600 --run-dir "$RUN_DIR" -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
assert_status 0 "firewall apply (the counting table)"
run hub "$WGSTAR" firewall confirm --run-dir "$RUN_DIR"
alice_ips=$(hub wg show "$LAB_HUB_IF" allowed-ips | awk -v k="$LAB_PEER1_PUB" '$1 == k { $1 = ""; print }' |
	sed 's/^ //; s/ /,/g')

# alice's transfer at the hub now: "RX TX".
dump() {
	hub wg show "$LAB_HUB_IF" dump | awk -v k="$LAB_PEER1_PUB" '$1 == k { print $6, $7 }'
}
RECORD_PID=
start_recorder() {
	ip netns exec "$LAB_HUB_NS" "$WGSTAR" record -d 0.5 --write-every 0 --db "$DB" --run-dir "$RUN_DIR" -i "$LAB_HUB_IF" \
		-c "$LAB_HUB_CONF" >>"$WORKDIR/record.log" 2>&1 &
	RECORD_PID=$!
}
stop_recorder() {
	kill -TERM "$RECORD_PID"
	wait "$RECORD_PID" || fail "the recorder did not end cleanly"
	RECORD_PID=
}
at_exit '[ -z "$RECORD_PID" ] || kill "$RECORD_PID" 2>/dev/null'
# Until the ledger has seen alice's counters as they are now; prints them.
synced() {
	local i now seen
	for ((i = 0; i < 100; i++)); do
		now=$(dump)
		seen=$(sqlite3 "$DB" "SELECT last_rx || ' ' || last_tx FROM peers WHERE name = 'alice'" 2>/dev/null || true)
		if [ -n "$now" ] && [ "$now" = "$seen" ]; then
			echo "$now"
			return 0
		fi
		sleep 0.2
	done
	fail "the ledger did not catch up with alice's counters ($now, ledger $seen)"
}
# pings N: alice pings bob N times; prints how many came back.
pings() {
	lab exec peer1 -- ping -n -c "$1" -i 0.2 -W 2 "$LAB_PEER2_ADDR" 2>/dev/null |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}

start_recorder
read -r rx0 tx0 < <(synced)
r1=$(pings 10)
read -r rx1 tx1 < <(synced)
# Stopped, with traffic meanwhile: counted when it samples again.
stop_recorder
r2=$(pings 7)
start_recorder
read -r rx2 tx2 < <(synced)
# alice removed and added again: her counters start over. Her old session is gone with her:
# the hub, told her endpoint, makes a new one by pinging her first.
alice_ep=$(hub wg show "$LAB_HUB_IF" endpoints | awk -v k="$LAB_PEER1_PUB" '$1 == k { print $2 }')
hub wg set "$LAB_HUB_IF" peer "$LAB_PEER1_PUB" remove
for ((i = 0; i < 50; i++)); do
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE event = 'peer_removed' AND name = 'alice'")" -ge 1 ] && break
	sleep 0.2
done
hub wg set "$LAB_HUB_IF" peer "$LAB_PEER1_PUB" allowed-ips "$alice_ips" endpoint "$alice_ep"
hub ping -q -n -c 1 -W 3 "$LAB_PEER1_ADDR" >/dev/null 2>&1 || true
# The recorder keeps the counting sets in step: alice's address is counted again once it is back there.
for ((i = 0; i < 50; i++)); do
	[[ $(counting_set from4) == *"\"$LAB_HUB_IF\" . $LAB_PEER1_ADDR "* ]] && break
	sleep 0.2
done
r3=$(pings 5)
read -r rx3 tx3 < <(synced)
[ "$rx3" -lt "$rx2" ] || fail "alice's counters did not start over ($rx3 after $rx2)"
stop_recorder
[ "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE event IN ('counters_reset', 'peer_removed') AND name = 'alice'")" -ge 1 ] ||
	fail "no event for alice's counters starting over"

want_rx=$((rx1 - rx0 + rx2 - rx1 + rx3))
want_tx=$((tx1 - tx0 + tx2 - tx1 + tx3))
want_fwd=$((r1 + r2 + r3))
[ "$want_fwd" -ge 20 ] || fail "only $want_fwd of 22 pings came back"
run "$WGSTAR" usage alice --json --db "$DB" --hourly
assert_status 0 "usage alice --json"
printf '%s' "$RUN_OUT" | python3 -c '
import json, sys
want_rx, want_tx, want_fwd = map(int, sys.argv[1:4])
p = json.load(sys.stdin)["peers"]
assert len(p) == 1 and p[0]["name"] == "alice", p
p = p[0]
assert (p["rx_bytes"], p["tx_bytes"]) == (want_rx, want_tx), ("totals", p["rx_bytes"], p["tx_bytes"], want_rx, want_tx)
f = p["forwarded"]
assert f == {"from_packets": want_fwd, "from_bytes": want_fwd * 84, "to_packets": want_fwd,
             "to_bytes": want_fwd * 84}, ("forwarded", f, want_fwd)
# the periods add up to the totals
assert sum(x["rx_bytes"] for x in p["periods"]) == want_rx
assert sum(x["tx_bytes"] for x in p["periods"]) == want_tx' "$want_rx" "$want_tx" "$want_fwd" ||
	fail "usage disagrees with wg show dump: $RUN_OUT (want rx $want_rx tx $want_tx, $want_fwd pings)"
for grain in --daily --monthly; do
	run "$WGSTAR" usage alice --json --db "$DB" "$grain"
	printf '%s' "$RUN_OUT" | python3 -c '
import json, sys
p = json.load(sys.stdin)["peers"][0]
assert sum(x["rx_bytes"] for x in p["periods"]) == p["rx_bytes"]' || fail "usage $grain does not add up: $RUN_OUT"
done
note "ok: rx $want_rx, tx $want_tx bytes, $want_fwd pings forwarded each way"
