#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Without wgstar's counting table the console says the forwarding counters are off; once the
# table is installed (a previewed, confirmed change), a ping from alice to bob through the hub
# shows as a flow in the diagram and as forwarded rates in the table.
# shellcheck source=../lib.sh
. "$TESTLIB"
# shellcheck source=tmux.sh
. "$(dirname "$TESTLIB")/console/tmux.sh"
need_wgstar
need_cmd nft ping
lab_up --peers 3
RUN_DIR=$WORKDIR/run
at_exit 'hub "$WGSTAR" firewall --run-dir "$RUN_DIR" rollback >/dev/null 2>&1'

rate='[1-9][0-9]*(\.[0-9]+)? (B|KiB|MiB)/s'
console_start main 140 40 --run-dir "$RUN_DIR"
wait_for main "fwd counters off"
note "the console says nothing counts forwarded traffic yet"

run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" apply --yes --confirm-timeout 600 -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
assert_status 0 "firewall apply (installs the counting table)"
run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" confirm
assert_status 0 "firewall confirm"
wait_for main "FWD/s" 10
wait_gone main "fwd counters off" 10
note "with the table installed the table has a forwarded column"

ip netns exec "$LAB_PEER1_NS" ping -q -n -i 0.2 "$LAB_PEER2_ADDR" >/dev/null 2>&1 &
ping_pid=$!
at_exit "kill $ping_pid 2>/dev/null; wait $ping_pid 2>/dev/null"
# Pings come back: bob -> alice moves as much, and either may be listed first.
wait_for main "flows:.* $LAB_PEER1_NAME -> $LAB_PEER2_NAME $rate" 15
wait_for main "forwarded $rate" 5
note "alice's traffic to bob shows as a flow through the hub"
tmx send-keys -t main q
wait_for main '^EXIT=0$' 5
