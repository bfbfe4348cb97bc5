#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kernel_relink.sh: the hub's interface removed and created again between two snapshots: the
# snapshot in between says clearly that it is gone, the one after shows the new interface
# exactly, with nothing carried over from the old one.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_wgstar
need_kernel_wireguard
lab_up --peers 2 --traffic
sleep 1
lab traffic stop

state_of() { # JSON-FILE PUBLIC-KEY: the peer's state, rx and tx
	python3 -c '
import json, sys
p = {p["public_key"]: p for p in json.load(open(sys.argv[1]))["interfaces"][0]["peers"]}[sys.argv[2]]
print(p["state"], p["rx_bytes"], p["tx_bytes"])' "$@"
}

snapshot_matches_dump "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
read -r state rx tx < <(state_of "$WORKDIR/once.json" "$LAB_PEER1_PUB")
assert_eq online "$state" "before: alice's state"
[ "$rx" -gt 0 ] && [ "$tx" -gt 0 ] || fail "before: alice has no traffic (rx $rx, tx $tx)"

# Gone: asked for by name, one clear line and status 1, and nothing on stdout.
hub ip link del "$LAB_HUB_IF"
for json in "" --json; do
	# shellcheck disable=SC2086
	run hub "$WGSTAR" --once $json -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
	assert_status 1 "--once $json -i, the interface removed"
	assert_one_line "$RUN_ERR" "--once $json -i, the interface removed"
	assert_contains "no interface named $LAB_HUB_IF" "$RUN_ERR" "the message says the interface is gone"
	assert_match 'no WireGuard interface' "$RUN_ERR" "the message says no other is there"
	assert_eq "" "$RUN_OUT" "--once $json -i, the interface removed: stdout"
done
# Without -i, no interface is an empty answer: the module is still there.
run hub "$WGSTAR" --once --json
assert_status 0 "--once --json, the interface removed"
assert_contains '"interfaces":[]' "$(printf '%s' "$RUN_OUT" | tr -d ' \n')" "--once --json lists no interface"

# Back under the same name (a new ifindex): bare at first, no key and no peers.
hub ip link add "$LAB_HUB_IF" type wireguard
snapshot_matches_dump "$LAB_HUB_IF"
# Then configured again from the hub's file.
sed -E '/^[[:space:]]*(Address|DNS|MTU|Table|PreUp|PostUp|PreDown|PostDown|SaveConfig)[[:space:]]*=/Id' \
	"$LAB_HUB_CONF" >"$WORKDIR/hub.wg"
hub wg setconf "$LAB_HUB_IF" "$WORKDIR/hub.wg"
hub ip addr add "$LAB_HUB_ADDR/24" dev "$LAB_HUB_IF"
hub ip link set "$LAB_HUB_IF" up

# Nothing of the old interface's counters or handshakes: the peers are new.
snapshot_matches_dump "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
for pub in "$LAB_PEER1_PUB" "$LAB_PEER2_PUB"; do
	assert_eq "never 0 0" "$(state_of "$WORKDIR/once.json" "$pub")" "re-created: peer ${pub:0:8}"
done

# And alive again after a handshake. Alice would start one by herself only some 15 s after her
# packets to the old interface went unanswered; a fresh hub peer on her side starts it now.
lab exec peer1 -- wg set "$LAB_PEER1_IF" peer "$LAB_HUB_PUB" remove
lab exec peer1 -- wg set "$LAB_PEER1_IF" peer "$LAB_HUB_PUB" \
	endpoint "$LAB_HUB_UNDERLAY:$LAB_HUB_PORT" allowed-ips "$LAB_SUBNET4,$LAB_SUBNET6"
for i in 1 2 3 4 5 6 7 8 9 10; do
	lab exec peer1 -- ping -q -n -c 1 -W 1 "$LAB_HUB_ADDR" >/dev/null 2>&1 && break
	[ "$i" -lt 10 ] || fail "alice cannot reach the re-created hub"
done
snapshot_matches_dump "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
read -r state rx tx < <(state_of "$WORKDIR/once.json" "$LAB_PEER1_PUB")
assert_eq online "$state" "after: alice's state"
[ "$rx" -gt 0 ] && [ "$tx" -gt 0 ] || fail "after: alice has no traffic (rx $rx, tx $tx)"

note "ok"
