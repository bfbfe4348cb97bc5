#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A peer that has never spoken shows as "never" with no traffic; once it pings through the
# hub it turns online within a refresh or two, its rate becomes non-zero, and it falls back
# to zero when the traffic stops.
# shellcheck source=../lib.sh
. "$TESTLIB"
# shellcheck source=tmux.sh
. "$(dirname "$TESTLIB")/console/tmux.sh"
need_wgstar
lab_up --peers 3

# Forget alice on both ends: the hub's peer starts over with no handshake, and alice's side
# has no keepalive, so nothing is sent until something talks.
hub wg set "$LAB_HUB_IF" peer "$LAB_PEER1_PUB" remove
hub wg set "$LAB_HUB_IF" peer "$LAB_PEER1_PUB" allowed-ips "$LAB_PEER1_ADDR/32,$LAB_PEER1_ADDR6/128"
ip netns exec "$LAB_PEER1_NS" wg set "$LAB_PEER1_IF" peer "$LAB_HUB_PUB" remove
ip netns exec "$LAB_PEER1_NS" wg set "$LAB_PEER1_IF" peer "$LAB_HUB_PUB" \
	endpoint "$LAB_HUB_UNDERLAY:$LAB_HUB_PORT" allowed-ips "$LAB_SUBNET4,$LAB_SUBNET6"

rate='[1-9][0-9]*(\.[0-9]+)? (B|KiB|MiB)/s'
console_start main 140 40
wait_for main "$LAB_PEER1_NAME .* never +never "
wait_for main "$(online_re 2 3)"

# alice pings bob, through the hub.
ip netns exec "$LAB_PEER1_NS" ping -q -n -i 0.2 "$LAB_PEER2_ADDR" >/dev/null 2>&1 &
ping_pid=$!
at_exit "kill $ping_pid 2>/dev/null; wait $ping_pid 2>/dev/null"
wait_for main "$LAB_PEER1_NAME .* online .*$rate" 15
wait_for main "$(online_re 3 3)"
note "alice is online and moving bytes"

kill "$ping_pid"
wait "$ping_pid" 2>/dev/null || true
wait_for main "$LAB_PEER1_NAME .* online +0 B/s +0 B/s" 10
note "alice's rate is back to zero"
tmx send-keys -t main q
wait_for main '^EXIT=0$' 5
