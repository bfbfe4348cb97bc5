#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Firewall changes from the console: F previews the diff, a applies it under the guard, the
# status line counts down, c keeps it and u takes it back; a ruleset changed since the preview
# is refused; and a console that dies during the countdown leaves the ruleset as it was.
# shellcheck source=../lib.sh
. "$TESTLIB"
# shellcheck source=tmux.sh
. "$(dirname "$TESTLIB")/console/tmux.sh"
need_wgstar
need_cmd nft
lab_up --peers 3
RUN_DIR=$WORKDIR/run
at_exit 'hub "$WGSTAR" firewall --run-dir "$RUN_DIR" rollback >/dev/null 2>&1'

# A short countdown where the console takes one; else the default, and a longer wait.
timeout_opt=()
timeout_s=30
if hub "$WGSTAR" --confirm-timeout 5 --once -i "$LAB_HUB_IF" >/dev/null 2>&1; then
	timeout_opt=(--confirm-timeout 5)
	timeout_s=5
fi

# The guard has ended (its state file is gone), within SECONDS.
wait_guard_gone() {
	local deadline=$(($(now_ms) + $1 * 1000))
	while [ -e "$RUN_DIR/pending" ]; do
		[ "$(now_ms)" -lt $deadline ] || fail "the rollback guard is still there after $1 s"
		sleep 0.2
	done
}

console_start main 120 40 --run-dir "$RUN_DIR" "${timeout_opt[@]}"
wait_for main "fwd counters off \(F to install\)"

# F: the diff of the ruleset, validated; a: applied, counting down; c: kept.
tmx send-keys -t main F
wait_for main '^│ \+table inet wgstar \{'
wait_for main 'a apply'
text=$(screen main)
assert_match '--- ruleset now' "$text" "the diff has its labels"
assert_match '# add table inet wgstar' "$text" "the change is described above the diff"
hub nft list table inet wgstar >/dev/null 2>&1 && fail "the preview changed the ruleset"
tmx send-keys -t main a
wait_for main 'confirm within [0-9]+ s: press c to keep, u to undo'
hub nft list table inet wgstar >/dev/null || fail "applied, but there is no table"
tmx send-keys -t main c
wait_for main 'confirmed: the firewall change stays'
wait_gone main 'confirm within'
wait_for main 'FWD/s' 10
wait_guard_gone 5
hub nft list table inet wgstar >/dev/null || fail "the table went after it was kept"
note "F, a, c: the counting table is installed and stays"

# With the table there and nothing else to add, F offers its removal; u takes that back.
tmx send-keys -t main F
wait_for main "remove wgstar's counting table"
wait_for main '^│ -table inet wgstar \{'
tmx send-keys -t main a
wait_for main 'confirm within [0-9]+ s'
hub nft list table inet wgstar >/dev/null 2>&1 && fail "the removal did not remove"
tmx send-keys -t main u
wait_for main 'rolled back \(asked for\)'
wait_gone main 'confirm within'
wait_guard_gone 5
hub nft list table inet wgstar >/dev/null || fail "undoing the removal did not put the table back"
note "F offers the removal; u undoes it at once"

# A ruleset changed between the preview and a: refused whole.
hub nft delete table inet wgstar
wait_for main "fwd counters off" 10
tmx send-keys -t main F
wait_for main '^│ \+table inet wgstar \{'
hub nft add table inet wgstother
tmx send-keys -t main a
wait_for main 'ruleset changed since the preview; preview again'
hub nft list table inet wgstar >/dev/null 2>&1 && fail "a stale preview was applied"
[ ! -e "$RUN_DIR/pending" ] || fail "a guard runs for a change that was refused"
hub nft delete table inet wgstother
note "a change on a ruleset changed since the preview is refused"

# The console dies during the countdown: the guard puts the ruleset back.
hub nft list ruleset >"$WORKDIR/before.nft"
tmx send-keys -t main F
wait_for main '^│ \+table inet wgstar \{'
tmx send-keys -t main a
wait_for main 'confirm within [0-9]+ s'
hub nft list table inet wgstar >/dev/null || fail "applied, but there is no table"
pid=$(console_pid main)
tmx kill-pane -t main
for ((i = 0; i < 50; i++)); do
	alive "$pid" || break
	sleep 0.1
done
alive "$pid" && fail "the console outlived its pane"
wait_guard_gone $((timeout_s + 10))
hub nft list ruleset >"$WORKDIR/after.nft"
cmp -s "$WORKDIR/before.nft" "$WORKDIR/after.nft" ||
	fail "the ruleset differs after the rollback: $(diff "$WORKDIR/before.nft" "$WORKDIR/after.nft" | head -20)"
assert_match '^same timeout' "$(cat "$RUN_DIR/result")" "the guard rolled back on the timeout"
note "a console killed during the countdown: the ruleset is as it was, byte for byte"
