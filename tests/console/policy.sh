#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The hub policy in the console: P shows the groups, the rules with their counters and what
# was refused; a refused flow is drawn in the star diagram, crossed; the detail view lists a
# peer's groups and refusals; x says what the policy does with the pair and which line
# decides. And `policy edit` as visudo does it: an EDITOR that writes a bad file first is
# told the line at fault and asked again, then a good one is previewed and applied.
# shellcheck source=../lib.sh
. "$TESTLIB"
# shellcheck source=tmux.sh
. "$(dirname "$TESTLIB")/console/tmux.sh"
need_wgstar
need_cmd nft ping
lab_up --peers 3
RUN_DIR=$WORKDIR/run
POLICY=$WORKDIR/policy.conf
at_exit 'hub "$WGSTAR" firewall --run-dir "$RUN_DIR" rollback >/dev/null 2>&1'
wg_args=(-i "$LAB_HUB_IF" -c "$LAB_HUB_CONF")

cat >"$POLICY" <<EOF
[$LAB_HUB_IF]
Default = allow
Group = laptops: alice, bob
Deny = carol -> laptops
Allow = * -> hub icmp
EOF
run hub "$WGSTAR" firewall apply --yes --confirm-timeout 600 --run-dir "$RUN_DIR" --policy "$POLICY" "${wg_args[@]}"
assert_status 0 "firewall apply"
run hub "$WGSTAR" firewall confirm --run-dir "$RUN_DIR"
assert_status 0 "firewall confirm"

# carol keeps trying alice; refused, every time.
ip netns exec "$LAB_PEER3_NS" ping -q -n -i 0.3 "$LAB_PEER1_ADDR" </dev/null >/dev/null 2>&1 &
at_exit "kill $! 2>/dev/null"

console_start main 120 40 --run-dir "$RUN_DIR" --policy "$POLICY"
wait_rows main "alice bob carol"
# The star diagram: the refused pair on the top row, in words and crossed.
wait_for main "refused: carol ✗ alice [0-9]+ pkts" 15
note "a refused flow is drawn"

# P: the policy, in force, with its counters.
tmx send-keys -t main P
wait_for main "hub policy of $LAB_HUB_IF"
wait_for main "in force: the counters below are its own"
wait_for main "laptops: alice, bob"
wait_for main "4  Deny = carol -> laptops +refused [1-9][0-9]*$"
wait_for main "5  Allow = \* -> hub icmp +matched [0-9]+$"
wait_for main "Default = allow +matched [0-9]+$"
wait_for main "carol ✗ alice +[1-9][0-9]* packets, "
note "P shows the policy"
tmx send-keys -t main P
wait_gone main "hub policy of"

# The detail of alice: her groups, and who was refused her.
tmx send-keys -t main Enter
wait_for main "groups +laptops"
wait_for main "refused +<- carol [1-9][0-9]* packets"
tmx send-keys -t main Enter
wait_gone main "groups +laptops"

# x on carol with alice: the verdict and its line; with bob, the same rule through the group.
tmx send-keys -t main Down Down
wait_for main ' 3/3$'
tmx send-keys -t main x
wait_for main "Check carol with"
tmx send-keys -t main Down
tmx send-keys -t main Enter
wait_for main "Check: carol and alice"
wait_for main "the hub policy refuses carol → alice \(a ping\): line 4: Deny = carol -> laptops"
wait_for main "the hub policy lets alice → carol through \(a ping\): line 2: Default = allow"
note "x shows the verdict"
tmx send-keys -t main Escape
wait_gone main "Check: carol"
tmx send-keys -t main q
wait_for main "EXIT=0"

# policy edit: first a file that does not check out, then one that does.
cat >"$WORKDIR/editor" <<EOF
#!/bin/sh
n=\$(cat "$WORKDIR/edits" 2>/dev/null || echo 0)
echo \$((n + 1)) >"$WORKDIR/edits"
if [ "\$n" = 0 ]; then
	printf '[%s]\nDefault = deny\nAllow = mallory -> alice\n' "$LAB_HUB_IF" >"\$1"
else
	printf '[%s]\nDefault = deny\nGroup = laptops: alice, bob\nAllow = laptops <-> laptops\nTest = alice -> bob tcp/22 allow\n' "$LAB_HUB_IF" >"\$1"
fi
EOF
chmod +x "$WORKDIR/editor"
cmd=$(printf '%q ' ip netns exec "$LAB_HUB_NS" env "EDITOR=$WORKDIR/editor" VISUAL= "$WGSTAR" policy edit \
	--policy "$POLICY" --run-dir "$RUN_DIR" --confirm-timeout 600 "${wg_args[@]}")
tmx new-session -d -s edit -x 120 -y 40 "env LANG=C.UTF-8 $cmd; echo EXIT=\$?; PS1='prompt\$ ' exec sh -i"
wait_for edit "$(re_quote "$POLICY"):3: mallory is no group, peer, prefix, \* nor hub of $LAB_HUB_IF"
wait_for edit "What now\? \(e\)dit again, e\(x\)it without saving"
grep -q mallory "$POLICY" && fail "the bad file was saved"
tmx send-keys -t edit e Enter
wait_for edit "Apply this change\? It is rolled back unless confirmed. \[y/N\]"
tmx send-keys -t edit y Enter
wait_for edit "applied; rolled back in 600 s unless you run: wgstar-top firewall confirm"
wait_for edit "EXIT=0"
tmx capture-pane -p -S - -t edit >"$WORKDIR/edit.out"
grep -q "$(re_quote "$POLICY") written" "$WORKDIR/edit.out" || fail "policy edit did not say it wrote the file"
grep -q "^# replace table inet wgstar_policy" "$WORKDIR/edit.out" || fail "policy edit showed no change of the table"
assert_eq 2 "$(cat "$WORKDIR/edits")" "the editor runs"
grep -q 'Allow = laptops <-> laptops' "$POLICY" || fail "the good file was not saved"
run hub "$WGSTAR" firewall confirm --run-dir "$RUN_DIR"
assert_status 0 "firewall confirm after policy edit"
run hub "$WGSTAR" policy show --policy "$POLICY" "${wg_args[@]}"
assert_contains "in force" "$RUN_OUT"
note "policy edit"
