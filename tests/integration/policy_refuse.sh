#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# policy_refuse.sh: a policy whose Test line fails is refused with that line; a policy that
# does not parse or names what is not there is refused with FILE:LINE; in neither case does
# anything change (nft list ruleset byte-identical), be it firewall diff, apply or policy
# check. And with no policy file at all, nothing of the policy changes the ruleset.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_wgstar
need_cmd nft
lab_up --peers 3
RUN_DIR=$WORKDIR/run
at_exit 'hub "$WGSTAR" firewall --run-dir "$RUN_DIR" rollback >/dev/null 2>&1'
wg_args=(-i "$LAB_HUB_IF" -c "$LAB_HUB_CONF")

hub nft -f - <<'EOF'
table inet filter {
	chain forward {
		type filter hook forward priority filter; policy drop;
	}
}
EOF
hub nft list ruleset >"$WORKDIR/before"
unchanged() {
	hub nft list ruleset >"$WORKDIR/now"
	cmp -s "$WORKDIR/before" "$WORKDIR/now" || { diff "$WORKDIR/before" "$WORKDIR/now" >&2; fail "$1"; }
}

# A Test that fails: refused, with its line, what it expects and what decides.
cat >"$WORKDIR/failing.conf" <<EOF
[$LAB_HUB_IF]
Default = deny
Allow = alice -> bob tcp/22
Test = alice -> bob tcp/22 allow
Test = bob -> alice icmp allow
EOF
for action in diff apply; do
	run hub "$WGSTAR" firewall "$action" --yes --run-dir "$RUN_DIR" --policy "$WORKDIR/failing.conf" "${wg_args[@]}"
	assert_status 1 "firewall $action with a failing test"
	assert_contains "$WORKDIR/failing.conf:5: test fails: it expects allow, but line 2 denies (IPv4)" "$RUN_ERR"
	unchanged "firewall $action with a failing test changed the ruleset"
done
run hub "$WGSTAR" policy check "$WORKDIR/failing.conf" "${wg_args[@]}"
assert_status 1 "policy check of a failing test"
assert_contains "failing.conf:5: test fails" "$RUN_ERR"
[ ! -e "$RUN_DIR/pending" ] || fail "a change waits after a refused policy"

# Files that are wrong, each with the line at fault.
check_bad() { # LINE WHY TEXT
	printf '%s' "$3" >"$WORKDIR/bad.conf"
	run hub "$WGSTAR" firewall apply --yes --run-dir "$RUN_DIR" --policy "$WORKDIR/bad.conf" "${wg_args[@]}"
	assert_status 1 "firewall apply of a bad policy ($2)"
	assert_contains "$WORKDIR/bad.conf:$1: $2" "$RUN_ERR"
	unchanged "a bad policy ($2) changed the ruleset"
	run hub "$WGSTAR" policy check --policy "$WORKDIR/bad.conf" "${wg_args[@]}"
	assert_status 1 "policy check of a bad policy ($2)"
	assert_contains "$WORKDIR/bad.conf:$1: $2" "$RUN_ERR"
}
check_bad 3 "mallory is no group, peer, prefix, * nor hub of $LAB_HUB_IF" \
	"[$LAB_HUB_IF]
Group = a: alice
Allow = mallory -> a
"
check_bad 3 "tcp/99999 is no service" "[$LAB_HUB_IF]
# services go up to 65535
Allow = alice -> bob tcp/99999
"
check_bad 3 "group a is defined at line 2 already" "[$LAB_HUB_IF]
Group = a: alice
Group = a: bob
"
check_bad 1 "wg-nowhere is no WireGuard interface here" "[wg-nowhere]
Default = deny
"
check_bad 2 "hub is no source" "[$LAB_HUB_IF]
Allow = hub -> alice
"

# No policy file: the rest of what wgstar proposes, and no policy table.
run hub "$WGSTAR" firewall diff --policy "$WORKDIR/none.conf" "${wg_args[@]}"
assert_status 1 "firewall diff with a policy file that is not there"
assert_contains "none.conf failed: No such file or directory" "$RUN_ERR"
if [ ! -e /etc/wgstar/policy.conf ]; then
	run hub "$WGSTAR" policy show "${wg_args[@]}"
	assert_contains "no hub policy: there is no /etc/wgstar/policy.conf" "$RUN_OUT"
	run hub "$WGSTAR" firewall diff "${wg_args[@]}"
	assert_status 0 "firewall diff without a policy file"
	assert_not_contains "wgstar_policy" "$RUN_OUT"
fi
unchanged "nothing at all changed the ruleset"
note "ok"
