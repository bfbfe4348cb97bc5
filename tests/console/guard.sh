#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The console and a firewall change it did not make: applied from the command line, the
# status line counts it down; its guard killed, the header says UNGUARDED and u rolls it back
# to the very ruleset of before. The console itself writes no core file.
# shellcheck source=../lib.sh
. "$TESTLIB"
# shellcheck source=tmux.sh
. "$(dirname "$TESTLIB")/console/tmux.sh"
need_wgstar
need_cmd nft
lab_up --peers 2
RUN_DIR=$WORKDIR/run
at_exit 'hub "$WGSTAR" firewall --run-dir "$RUN_DIR" rollback >/dev/null 2>&1'
hub nft list ruleset >"$WORKDIR/before"

console_start main 120 40 --run-dir "$RUN_DIR"
wait_for main "fwd counters off"
pid=$(console_pid main)
[ -n "$pid" ] || fail "no console process"
# It holds keys (the kernel's reply, new peers'): no core file, whatever the shell's limit.
grep -Eq '^Max core file size +0 +0 ' "/proc/$pid/limits" ||
	fail "the console may dump core: $(grep 'core file' "/proc/$pid/limits")"

run hub "$WGSTAR" firewall apply --yes --confirm-timeout 600 --run-dir "$RUN_DIR" -i "$LAB_HUB_IF"
assert_status 0 "firewall apply from the command line"
wait_for main "a firewall change is rolled back in [0-9]+ s: press c to keep, u to undo"
guard=$(sed -n 's/^guard \([0-9]*\) .*/\1/p' "$RUN_DIR/pending")
[ -n "$guard" ] || fail "no guard recorded"
kill -KILL "$guard"
wait_for main "firewall change UNGUARDED"
tmx send-keys -t main u
wait_for main "rolled back \(its guard had died\): the ruleset is as it was before the change"
wait_gone main "UNGUARDED"
hub nft list ruleset >"$WORKDIR/now"
cmp -s "$WORKDIR/before" "$WORKDIR/now" ||
	{ diff "$WORKDIR/before" "$WORKDIR/now" >&2; fail "not byte-identical after u"; }
tmx send-keys -t main q
wait_for main "EXIT=0"
note "ok"
