#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The terminal is always given back and nothing is left running: the shell above the console
# dies (an ssh connection dropping), the terminal itself goes (tmux kill-pane), SIGHUP,
# SIGTERM and Ctrl-C each end the console, and the latter three restore the screen.
# shellcheck source=../lib.sh
. "$TESTLIB"
# shellcheck source=tmux.sh
. "$(dirname "$TESTLIB")/console/tmux.sh"
need_wgstar
lab_up --peers 3

# Keeps the server up while the panes under test go.
tmx new-session -d -s keep -x 80 -y 24 'exec sleep 3600'

# wait_exit PID: the process is gone (or a zombie its dead parent left to init) within 5 s.
wait_exit() {
	local deadline=$(($(now_ms) + 5000))
	while alive "$1"; do
		if [ "$(now_ms)" -ge $deadline ]; then
			echo "FAIL: $TEST_NAME: wgstar-top (pid $1) still runs: $2" >&2
			kill -KILL "$1" 2>/dev/null
			exit 1
		fi
		sleep 0.05
	done
}

# start NAME: a console in its own session; its pid in PID.
start() {
	console_start "$1" 100 30
	wait_for "$1" "$LAB_PEER3_NAME"
	PID=$(console_pid "$1")
	[ -n "$PID" ] || fail "no wgstar-top process in the pane of $1"
	at_exit "kill -KILL $PID 2>/dev/null"
}

start drop
kill -HUP "$(tmx display-message -p -t drop '#{pane_pid}')"
wait_exit "$PID" "after its parent shell got SIGHUP"
note "the parent shell hung up: gone"

start pane
tmx kill-pane -t pane
wait_exit "$PID" "after its terminal was closed"
note "the terminal went away: gone"

for sig in HUP TERM INT; do
	start "sig$sig"
	if [ $sig = INT ]; then
		tmx send-keys -t "sig$sig" C-c
	else
		kill -$sig "$PID"
	fi
	wait_exit "$PID" "after SIG$sig"
	wait_for "sig$sig" "^EXIT=$((128 + $(kill -l $sig)))\$" 5
	wait_for "sig$sig" '^prompt\$' 5
	text=$(screen "sig$sig")
	assert_not_contains "$LAB_PEER3_NAME" "$text" "after SIG$sig the console's screen is gone"
	# The terminal answers as before: a shell command runs and echoes.
	tmx send-keys -t "sig$sig" 'echo token-$((6 * 7))' Enter
	wait_for "sig$sig" '^prompt\$ echo token-\$\(\(6 \* 7\)\)$' 5
	wait_for "sig$sig" '^token-42$' 5
	note "SIG$sig: the screen and the terminal's modes are back"
done
