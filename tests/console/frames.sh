#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One frame, one write: the console hands each screen it draws to the terminal in one write(2)
# (two when a frame outgrows curses's buffer of about a screen). A frame written in pieces
# wakes sshd once a piece and often goes out as that many packets. Counted with strace: the
# writes to the terminal between two waits of the console's loop, over the first screens, the
# ticks and eight keys that each re-sort the table.
# shellcheck source=../lib.sh
. "$TESTLIB"
# shellcheck source=tmux.sh
. "$(dirname "$TESTLIB")/console/tmux.sh"
need_wgstar
need_cmd strace
lab_up --peers 3

trace=$WORKDIR/trace
# LeakSanitizer cannot run under ptrace; the other console tests look for leaks.
CONSOLE_ENV="ASAN_OPTIONS=detect_leaks=0" \
	CONSOLE_WRAP="strace -f -qq -e trace=write,ppoll -e signal=none -s 0 -o $trace" console_start main 140 40
wait_for main "$(online_re '[0-9]+' 3)"
# Each key sorts by the next or the previous column; its message says which.
for step in "s:ALLOWED IPS" "s:ENDPOINT" "s:HANDSHAKE" "s:STATE" "<:HANDSHAKE" "<:ENDPOINT" \
	"<:ALLOWED IPS" "<:NAME"; do
	tmx send-keys -t main "${step%%:*}"
	wait_for main "sorted by ${step#*:}"
done
tmx send-keys -t main q
wait_for main '^EXIT=0$'

# The thread that writes to the terminal is the one that waits in ppoll; a wait ends a batch.
# The first batch, before the first wait, also sets the terminal up, and is left out.
batches=$(awk '
	$2 ~ /^write\(1,/ { n[$1]++ }
	$2 ~ /^ppoll\(/ { if (waited[$1]++ && n[$1]) print n[$1]; n[$1] = 0 }
	END { for (p in n) if (n[p]) print n[p] }
' "$trace")
count=$(printf '%s\n' "$batches" | grep -c . || true)
most=$(printf '%s\n' "$batches" | sort -n | tail -n 1)
note "$count batches of writes to the terminal, of" $batches "writes"
[ "$count" -ge 9 ] || fail "only $count batches of writes in the trace (first screen, ticks, 8 keys)"
[ "${most:-0}" -le 2 ] || fail "a batch of $most writes to the terminal: a frame went out in pieces"
note "ok"
