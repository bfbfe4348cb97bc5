#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The forwarding switch and the check in the console: w turns IPv4 forwarding off in the
# hub's namespace after asking; x checks alice with bob, finds forwarding off, and Enter on
# the finding turns it on again, persisted to a sysctl.d file of the test's own. --read-only
# refuses every change.
# shellcheck source=../lib.sh
. "$TESTLIB"
# shellcheck source=tmux.sh
. "$(dirname "$TESTLIB")/console/tmux.sh"
need_wgstar
lab_up --peers 3
SYSCTL_DIR=$WORKDIR/sysctl.d
RUN_DIR=$WORKDIR/run
mkdir -p "$SYSCTL_DIR"
a=$LAB_PEER1_NAME b=$LAB_PEER2_NAME c=$LAB_PEER3_NAME

ip_forward() {
	hub cat /proc/sys/net/ipv4/ip_forward
}

[ "$(ip_forward)" = 1 ] || fail "the lab hub does not forward"
console_start main 120 40 --run-dir "$RUN_DIR" --sysctl-dir "$SYSCTL_DIR"
wait_rows main "$a $b $c"

# w: the state, then a question; n to persisting: only now.
tmx send-keys -t main w
wait_for main 'IPv4 forwarding: on; Enter turns it off'
tmx send-keys -t main Enter
wait_for main 'Turn IPv4 forwarding off in this network namespace\?'
[ "$(ip_forward)" = 1 ] || fail "switched before the answer"
tmx send-keys -t main y
wait_for main "Also turn IPv4 forwarding off at boot, in"
wait_for main "$(re_quote "$SYSCTL_DIR")/99-wgstar.conf\\?"
tmx send-keys -t main n
wait_for main 'IPv4 forwarding off$|IPv4 forwarding off '
[ "$(ip_forward)" = 0 ] || fail "ip_forward is $(ip_forward) after w turned it off"
[ ! -e "$SYSCTL_DIR/99-wgstar.conf" ] || fail "persisted, though asked not to"
wait_for main 'IPv4 forwarding is off: peers cannot reach each other'
note "w turns IPv4 forwarding off in the hub's namespace"

# x on alice (selected) with bob: forwarding is off; Enter on it switches it on, persisted.
tmx send-keys -t main x
wait_for main "Check $a with"
wait_for main "every other peer"
tmx send-keys -t main Down
tmx send-keys -t main Enter
wait_for main "Check: $a and $b"
wait_for main 'IPv4 forwarding is off in this network namespace'
tmx send-keys -t main Enter
wait_for main 'Turn IPv4 forwarding on in this network namespace\?'
tmx send-keys -t main y
wait_for main 'Also turn IPv4 forwarding on at boot'
tmx send-keys -t main y
wait_for main 'IPv4 forwarding on, and at boot'
[ "$(ip_forward)" = 1 ] || fail "ip_forward is $(ip_forward) after the fix"
assert_match '^net\.ipv4\.ip_forward = 1$' "$(cat "$SYSCTL_DIR/99-wgstar.conf")" "persisted"
wait_gone main 'IPv4 forwarding is off'
note "x finds forwarding off between alice and bob, and its fix turns it on"

# With forwarding on the check of alice and bob has nothing to say about it.
tmx send-keys -t main x Enter
wait_for main "Check: $a and every other peer"
text=$(screen main)
assert_no_match 'forwarding is off' "$text" "a check after the fix"
tmx send-keys -t main Escape
wait_gone main "Check: $a"
tmx send-keys -t main q
wait_for main '^EXIT=0$' 5

# --read-only: every change refused in the status line; the check still looks.
console_start ro 120 40 --run-dir "$RUN_DIR" --sysctl-dir "$SYSCTL_DIR" --read-only
wait_rows ro "$a $b $c"
for key in F w c u; do
	tmx send-keys -t ro "$key"
	wait_for ro 'read-only: no changes'
	tmx send-keys -t ro Escape
	wait_gone ro 'read-only: no changes'
done
text=$(screen ro)
assert_no_match 'F to install' "$text" "no hint at a change read-only refuses"
[ "$(ip_forward)" = 1 ] || fail "read-only changed forwarding"
tmx send-keys -t ro q
wait_for ro '^EXIT=0$' 5
note "--read-only refuses F, w, c and u"
