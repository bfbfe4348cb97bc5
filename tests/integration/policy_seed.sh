#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# policy_seed.sh: the hub of the article wgstar grew from, firewalled with iptables-nft as the
# article does it (every policy drop, no -A FORWARD -i wg0 -o wg0 -j ACCEPT). check names the
# cause and offers the fix; check --fix --yes applies exactly that rule, in the form iptables
# itself writes (iptables -S lists it), and firewall confirm keeps it: the peers reach each
# other. Applied again and not confirmed, it is rolled back to the rules of before.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_wgstar
need_cmd iptables iptables-save nft ping
lab_up --peers 2
RUN_DIR=$WORKDIR/run
at_exit 'hub "$WGSTAR" firewall --run-dir "$RUN_DIR" rollback >/dev/null 2>&1'

# The article's router firewall, with the lab's names: wg0 is the hub's interface, eth0 the
# underlay bridge, 51913 the hub's port.
hub iptables-restore <<EOF
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT DROP [0:0]
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -i $LAB_HUB_IF -j ACCEPT
-A INPUT -i br0 -p udp -m udp --dport $LAB_HUB_PORT -j ACCEPT
-A OUTPUT -m state --state ESTABLISHED -j ACCEPT
-A OUTPUT -o $LAB_HUB_IF -j ACCEPT
COMMIT
EOF
iptables-nft --version | grep -q nf_tables || skip "iptables is not iptables-nft"
# Counters move with every keepalive: rules are compared without their values.
rules() { hub nft list ruleset 2>/dev/null | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'; }
rules >"$WORKDIR/before"
hub iptables -S FORWARD >"$WORKDIR/forward.before"

# The article's OUTPUT lets out only what belongs to a connection: bob's WireGuard packets to
# the hub must come first, as his keepalive would make them, before the hub may send him any.
reaches() {
	ip netns exec "$LAB_PEER2_NS" ping -q -n -c 1 -W 2 "$LAB_HUB_ADDR" >/dev/null 2>&1
	ip netns exec "$LAB_PEER1_NS" ping -q -n -c 3 -i 0.3 -W 2 "$LAB_PEER2_ADDR" >/dev/null 2>&1
}

reaches && fail "alice reaches bob through a FORWARD chain that drops"

run hub "$WGSTAR" check alice bob -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
assert_status 1 "check alice bob"
assert_match "chain ip filter FORWARD \(iptables-nft\) drops forwarded packets by policy and accepts no $LAB_HUB_IF → $LAB_HUB_IF; fix: wgstar-top check --fix \(iptables -A FORWARD -i $LAB_HUB_IF -o $LAB_HUB_IF -j ACCEPT, shown first\)" "$RUN_OUT"

# --fix: the diff first, the one rule, guarded.
run hub "$WGSTAR" check --fix --yes --confirm-timeout 600 --run-dir "$RUN_DIR" alice bob -i "$LAB_HUB_IF" \
	-c "$LAB_HUB_CONF"
assert_status 0 "check --fix --yes"
assert_contains "# iptables -A FORWARD -i $LAB_HUB_IF -o $LAB_HUB_IF -j ACCEPT" "$RUN_OUT"
assert_contains "+		iifname \"$LAB_HUB_IF\" oifname \"$LAB_HUB_IF\" counter packets 0 bytes 0 accept" "$RUN_OUT"
assert_contains "applied; rolled back in 600 s unless you run: wgstar-top firewall confirm" "$RUN_OUT"
# Only the fix: no counting table, no policy table came with it.
hub nft list tables >"$WORKDIR/tables"
assert_not_contains "table inet wgstar" "$(cat "$WORKDIR/tables")"
run hub "$WGSTAR" firewall confirm --run-dir "$RUN_DIR"
assert_status 0 "firewall confirm"
assert_contains "confirmed" "$RUN_OUT"

# iptables reads it as its own rule.
run hub iptables -S FORWARD
assert_status 0 "iptables -S FORWARD"
assert_eq "-P FORWARD DROP
-A FORWARD -i $LAB_HUB_IF -o $LAB_HUB_IF -j ACCEPT" "$RUN_OUT" "iptables -S FORWARD after the fix"
reaches || fail "alice does not reach bob after the fix"
# and goes on changing the chain, as it would its own
hub iptables -A FORWARD -i br0 -j DROP || fail "iptables cannot change the chain after wgstar's rule"
hub iptables -D FORWARD -i br0 -j DROP
run hub "$WGSTAR" check alice bob -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
assert_not_contains "FORWARD" "$RUN_OUT"

# Back to the article's rules; this time the fix is not confirmed.
hub iptables -D FORWARD -i "$LAB_HUB_IF" -o "$LAB_HUB_IF" -j ACCEPT
reaches && fail "alice still reaches bob after the rule is gone"
# Long enough for the pings on the VM's emulated CPU, where 3 s once ran out before them.
run hub "$WGSTAR" check --fix --yes --confirm-timeout 8 --run-dir "$RUN_DIR" alice bob -i "$LAB_HUB_IF" \
	-c "$LAB_HUB_CONF"
assert_status 0 "check --fix --yes, not to be confirmed"
reaches || fail "alice does not reach bob during the countdown"
for ((i = 0; i < 150; i++)); do
	[ -e "$RUN_DIR/pending" ] || break
	sleep 0.1
done
[ ! -e "$RUN_DIR/pending" ] || fail "the guard did not roll back in time"
run hub "$WGSTAR" firewall status --run-dir "$RUN_DIR"
assert_contains "the ruleset is as it was before" "$RUN_OUT"
rules >"$WORKDIR/after"
cmp -s "$WORKDIR/before" "$WORKDIR/after" ||
	{ diff "$WORKDIR/before" "$WORKDIR/after" >&2; fail "the rules differ from those before the fix"; }
hub iptables -S FORWARD >"$WORKDIR/forward.after"
cmp -s "$WORKDIR/forward.before" "$WORKDIR/forward.after" || fail "iptables -S FORWARD differs after the rollback"
reaches && fail "alice reaches bob after the rollback"
note "ok"
