#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The console on a lab hub with five named peers and two hub-only ones: the header, the star
# diagram and every peer by name appear (one name from wgstar's name store, one peer with
# none); q quits with status 0 and gives the shell its screen back.
# shellcheck source=../lib.sh
. "$TESTLIB"
# shellcheck source=tmux.sh
. "$(dirname "$TESTLIB")/console/tmux.sh"
need_wgstar
lab_up --peers 5 --bulk-peers 2
# The odd-numbered hub-only peers have no name in the config file: the first (10.180.0.1) gets
# its name from the store, which the first sample reads together with the config file. (Chosen
# by address: wireguard-go lists peers in another order each time, and an even one's config
# name would outrank the store's.)
store_key=$(hub wg show "$LAB_HUB_IF" allowed-ips | awk '$2 ~ /^10\.180\.0\.1\/32/ { print $1; exit }')
[ -n "$store_key" ] || fail "no hub-only peer in the lab"
printf '%s zoe\n' "$store_key" >"$WORKDIR/names"

console_start main 120 40 --names "$WORKDIR/names"
wait_for main "$LAB_HUB_IF"
wait_for main "$(online_re '[0-9]+' 7)"
wait_for main "(^|[^a-z])zoe([^a-z]|$)"
for ((k = 1; k <= LAB_PEERS; k++)); do
	name=LAB_PEER${k}_NAME
	wait_for main "(^|[^a-z])${!name}([^a-z]|$)"
done
# The star: edges of line-drawing characters around the hub.
wait_for main '[─│╱╲┌┐└┘]{3}'
text=$(screen main)
assert_match 'q F10 quit' "$text" "the status line names the quit key"

# Each refresh sends only what changed: a few hundred bytes a second, where one full
# screen of 120x40 is several kilobytes. (wchar counts the process's write(2)s; the
# backends' requests go out with send(2).)
pid=$(console_pid main)
w0=$(awk '$1 == "wchar:" { print $2 }' "/proc/$pid/io")
sleep 5
w1=$(awk '$1 == "wchar:" { print $2 }' "/proc/$pid/io")
note "$(((w1 - w0) / 5)) bytes/s to the terminal"
[ $(((w1 - w0) / 5)) -lt 2000 ] || fail "$(((w1 - w0) / 5)) bytes/s to the terminal: full repaints?"

tmx send-keys -t main q
wait_for main '^EXIT=0$' 5
wait_for main '^prompt\$' 5
text=$(screen main)
assert_not_contains "$LAB_HUB_IF" "$text" "after q the console's screen is gone"
note "q: status 0, screen restored"
