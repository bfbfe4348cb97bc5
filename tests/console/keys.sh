#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The keys do what the help says: sort (s > < r), filter (/ text Enter, Esc), detail (Enter),
# help (?), each checked on the table the console draws.
# shellcheck source=../lib.sh
. "$TESTLIB"
# shellcheck source=tmux.sh
. "$(dirname "$TESTLIB")/console/tmux.sh"
need_wgstar
lab_up --peers 3

# alice starts over without a handshake, so that sorting by state differs from by name.
hub wg set "$LAB_HUB_IF" peer "$LAB_PEER1_PUB" remove
hub wg set "$LAB_HUB_IF" peer "$LAB_PEER1_PUB" allowed-ips "$LAB_PEER1_ADDR/32"
a=$LAB_PEER1_NAME b=$LAB_PEER2_NAME c=$LAB_PEER3_NAME

console_start main 120 40
wait_for main "$a .* never "
wait_rows main "$a $b $c"

# Sort: by name, then s s s s to the state column (online before never), < and > step back
# and forth, r reverses.
tmx send-keys -t main s s s s
wait_for main 'sorted by STATE'
wait_rows main "$b $c $a"
tmx send-keys -t main '<'
wait_for main 'sorted by HANDSHAKE'
tmx send-keys -t main '>'
wait_for main 'sorted by STATE'
wait_rows main "$b $c $a"
tmx send-keys -t main r
wait_rows main "$a $b $c"
tmx send-keys -t main r '<' '<' '<' '<'
wait_for main 'sorted by NAME'
wait_rows main "$a $b $c"
tmx send-keys -t main r
wait_rows main "$c $b $a"
tmx send-keys -t main r
wait_rows main "$a $b $c"
note "sort keys"

# Filter: by name, by address, by the start of a public key; Esc clears it.
tmx send-keys -t main /
wait_for main 'filter:'
tmx send-keys -t main -l "$c"
tmx send-keys -t main Enter
wait_rows main "$c"
wait_for main "filter: $c"
tmx send-keys -t main Escape
wait_rows main "$a $b $c"
tmx send-keys -t main /
tmx send-keys -t main -l "$LAB_PEER2_ADDR"
tmx send-keys -t main Enter
wait_rows main "$b"
tmx send-keys -t main Escape
wait_rows main "$a $b $c"
tmx send-keys -t main /
tmx send-keys -t main -l "${LAB_PEER2_PUB:0:10}"
tmx send-keys -t main Enter
wait_rows main "$b"
tmx send-keys -t main Escape
wait_rows main "$a $b $c"
tmx send-keys -t main /
tmx send-keys -t main -l no.such.peer
tmx send-keys -t main Enter
wait_for main 'no peer matches the filter'
tmx send-keys -t main Escape
wait_rows main "$a $b $c"
note "filter keys"

# Detail: the selected peer (moved down to bob) with its whole public key; Esc goes back.
tmx send-keys -t main Down
wait_for main '2/3'
tmx send-keys -t main Enter
wait_for main "$(re_quote "$LAB_PEER2_PUB")"
text=$(screen main)
assert_not_contains "$LAB_PEER1_PUB" "$text" "the detail shows only the selected peer"
tmx send-keys -t main Escape
wait_rows main "$a $b $c"
wait_gone main "$(re_quote "$LAB_PEER2_PUB")"
note "detail"

# Help: every key of the table that dispatches them; any key goes back.
tmx send-keys -t main '?'
for what in 'q F10 +quit' '\? F1 +help' 'Enter +peer details' '/ +filter by name' 's > < +sort' \
	'Space +pause' '\+ - +refresh'; do
	wait_for main "^ +$what"
done
tmx send-keys -t main x
wait_gone main 'refresh more or less often'
wait_rows main "$a $b $c"
note "help"

tmx send-keys -t main F10
wait_for main '^EXIT=0$' 5
