#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Resizing redraws at once and leaves nothing stale: a console grown from 60x20 to 200x60,
# shrunk back, and squeezed below the minimum and back, shows what a console started fresh
# at that size shows (digits masked: clocks and ages move on between the two).
# shellcheck source=../lib.sh
. "$TESTLIB"
# shellcheck source=tmux.sh
. "$(dirname "$TESTLIB")/console/tmux.sh"
need_wgstar
lab_up --peers 5

masked() {
	screen "$1" | sed -E 's/[0-9][0-9.]*/#/g'
}

# same_screen A B: until both show the same, masked.
same_screen() {
	local deadline=$(($(now_ms) + 10000))
	for (( ; ; )); do
		[ "$(masked "$1")" = "$(masked "$2")" ] && return 0
		if [ "$(now_ms)" -ge $deadline ]; then
			echo "FAIL: $TEST_NAME: $1 and $2 differ (< $1, > $2):" >&2
			diff <(masked "$1") <(masked "$2") >&2
			exit 1
		fi
		sleep 0.2
	done
}

console_start a 60 20
wait_rows a "$LAB_PEER1_NAME $LAB_PEER2_NAME $LAB_PEER3_NAME $LAB_PEER4_NAME $LAB_PEER5_NAME"

tmx resize-window -t a -x 200 -y 60
console_start big 200 60
wait_for big "$LAB_PEER5_NAME"
same_screen a big
note "60x20 -> 200x60 as fresh"

tmx resize-window -t a -x 60 -y 20
console_start small 60 20
wait_for small "$LAB_PEER5_NAME"
same_screen a small
note "200x60 -> 60x20 as fresh"

tmx resize-window -t a -x 30 -y 8
wait_for a 'too small'
wait_gone a "$LAB_PEER1_NAME"
tmx resize-window -t a -x 60 -y 20
same_screen a small
note "below the minimum and back"

# The help screen, and a resize while it is shown.
tmx send-keys -t a '?'
tmx send-keys -t small '?'
wait_for a 'Keys'
same_screen a small
tmx resize-window -t a -x 200 -y 60
tmx send-keys -t big '?'
same_screen a big
note "help screen across a resize"

for s in a big small; do
	tmx send-keys -t $s q
	wait_for $s '^EXIT=0$' 5
done
