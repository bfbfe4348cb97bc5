#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A backend that stops answering never freezes the console: keys answer at once while a
# sample waits, the header says what went wrong, and the console recovers when the daemon
# does; q quits even then. Errors that no sample can cure end the console with status 1
# and one line, after the terminal is restored.
# shellcheck source=../lib.sh
. "$TESTLIB"
# shellcheck source=tmux.sh
. "$(dirname "$TESTLIB")/console/tmux.sh"
need_wgstar

run "$WGSTAR" </dev/null
assert_status 1 "without a terminal"
assert_one_line "$RUN_ERR" "without a terminal"
assert_match 'terminal' "$RUN_ERR" "without a terminal"

# Only a userspace daemon can be made to hang: stopped, it accepts and never answers.
need_cmd wireguard-go
LAB_BACKEND=userspace lab_up --peers 3
[ -n "$LAB_HUB_PID" ] || fail "the lab did not say which wireguard-go serves the hub"

console_start main 120 30
wait_for main "$LAB_PEER3_NAME .* online"

kill -STOP "$LAB_HUB_PID"
at_exit "kill -CONT $LAB_HUB_PID 2>/dev/null"
# A sample is under way and waiting now; keys answer within a blink all the same.
sleep 1.5
t0=$(now_ms)
tmx send-keys -t main '?'
wait_for main 'refresh more or less often' 1
tmx send-keys -t main x
wait_gone main 'refresh more or less often' 1
tmx send-keys -t main Down
wait_for main ' 2/3$' 1
note "keys answered in $(($(now_ms) - t0)) ms while the daemon hangs"
wait_for main 'sample failed: .*did not answer within' 8
note "the header says the backend does not answer"

kill -CONT "$LAB_HUB_PID"
wait_gone main 'sample failed' 8
wait_for main "$LAB_PEER3_NAME .* online"
note "recovered when the daemon answered again"

kill -STOP "$LAB_HUB_PID"
sleep 1.5
t0=$(now_ms)
tmx send-keys -t main q
wait_for main '^EXIT=0$' 3
note "q quit in $(($(now_ms) - t0)) ms while a sample waited"
kill -CONT "$LAB_HUB_PID"

# An interface that does not exist: status 1, one line, on a restored screen.
console_start nosuch 100 30 -i wgstnosuch0
wait_for nosuch '^EXIT=1$' 5
text=$(screen nosuch)
assert_match '^wgstar-top: there is no interface named wgstnosuch0' "$text" "a missing interface"
assert_eq 1 "$(printf '%s\n' "$text" | grep -c 'wgstnosuch0')" "one line says so"

# A terminal that cannot place the cursor: refused in one line, nothing drawn.
CONSOLE_ENV='TERM=dumb' console_start dumb 100 30
wait_for dumb '^EXIT=1$' 5
wait_for dumb '^prompt\$' 5
text=$(screen dumb)
assert_match "^wgstar-top: the terminal type 'dumb' cannot place the cursor" "$text" "TERM=dumb"
assert_eq 2 "$(printf '%s\n' "$text" | grep -v '^prompt' | grep -c .)" \
	"one line and the exit status, nothing else"
