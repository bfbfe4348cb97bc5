#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kernel_console_relink.sh: the hub's interface removed and created again while the console
# runs on it: the header says the interface is gone while the last good sample stays on
# screen, and once the interface is back and configured the console shows it again, without
# a restart, its peers starting over and coming back online.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=../console/tmux.sh
. "$(dirname "$TESTLIB")/console/tmux.sh"

need_wgstar
need_kernel_wireguard
lab_up --peers 2

console_start main 120 30
wait_for main "$(online_re 2 2)" 20
note "the console shows the hub with both peers online"

hub ip link del "$LAB_HUB_IF"
wait_for main "no interface named $(re_quote "$LAB_HUB_IF")" 20
wait_for main "^ +$LAB_PEER1_NAME " 1
note "gone: the header says so, the last sample stays"

hub ip link add "$LAB_HUB_IF" type wireguard
sed -E '/^[[:space:]]*(Address|DNS|MTU|Table|PreUp|PostUp|PreDown|PostDown|SaveConfig)[[:space:]]*=/Id' \
	"$LAB_HUB_CONF" >"$WORKDIR/hub.wg"
hub wg setconf "$LAB_HUB_IF" "$WORKDIR/hub.wg"
hub ip addr add "$LAB_HUB_ADDR/24" dev "$LAB_HUB_IF"
hub ip link set "$LAB_HUB_IF" up
wait_gone main "no interface named" 20
wait_for main "^ +$LAB_PEER1_NAME .* never +never " 20
note "back: the re-created interface is shown, its peers without a handshake yet"

# Alice would try again by herself only after her own timers run out; a fresh hub peer on
# her side starts a handshake at once.
lab exec peer1 -- wg set "$LAB_PEER1_IF" peer "$LAB_HUB_PUB" remove
lab exec peer1 -- wg set "$LAB_PEER1_IF" peer "$LAB_HUB_PUB" \
	endpoint "$LAB_HUB_UNDERLAY:$LAB_HUB_PORT" allowed-ips "$LAB_SUBNET4,$LAB_SUBNET6"
for i in 1 2 3 4 5 6 7 8 9 10; do
	lab exec peer1 -- ping -q -n -c 1 -W 1 "$LAB_HUB_ADDR" >/dev/null 2>&1 && break
	[ "$i" -lt 10 ] || fail "alice cannot reach the re-created hub"
done
wait_for main "^ +$LAB_PEER1_NAME .* online " 20
note "alice is online again on the re-created interface"
tmx send-keys -t main q
wait_for main '^EXIT=0$' 10
