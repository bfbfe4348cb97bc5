#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# policy_large.sh: a policy of 50 groups and 500 rules, installed with the counting table in
# one transaction of over 4,000 messages. The kernel answers each of them before wgstar reads
# one answer, and drops what its receive buffer does not hold (ENOBUFS): the buffer must be
# sized for every answer. Applied, confirmed, and applied again with nothing left to do; the
# policy table has every rule, each named by its line.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_wgstar
need_cmd nft python3
lab_up --peers 3 --bulk-peers 300 --dual-stack-bulk
RUN_DIR=$WORKDIR/run
at_exit 'hub "$WGSTAR" firewall --run-dir "$RUN_DIR" rollback >/dev/null 2>&1'
wg_args=(-i "$LAB_HUB_IF" -c "$LAB_HUB_CONF")

python3 "$(dirname "$TESTLIB")/../bench/gen_policy.py" "$LAB_HUB_CONF" "$LAB_HUB_IF" 50 500 \
	>"$WORKDIR/policy.conf" || fail "generating the policy failed"
rules=$(grep -c '^\(Allow\|Deny\) = ' "$WORKDIR/policy.conf")
[ "$rules" -ge 400 ] || fail "the generated policy has $rules rules"

run hub "$WGSTAR" firewall apply --yes --run-dir "$RUN_DIR" --policy "$WORKDIR/policy.conf" "${wg_args[@]}"
assert_status 0 "firewall apply of a policy of $rules rules"
run hub "$WGSTAR" firewall confirm --run-dir "$RUN_DIR"
assert_status 0 "firewall confirm"
lines=$(hub nft list table inet wgstar_policy | grep -cE 'comment "(Allow|Deny) = .* \(line [0-9]+\)"')
[ "$lines" -ge "$rules" ] || fail "the policy table counts $lines rules of $rules"
hub nft list table inet wgstar >/dev/null || fail "no counting table beside the policy"
note "$rules rules and the counting table of $((LAB_PEERS + LAB_BULK_PEERS)) peers in one transaction"

# The table holds what the file says: nothing left to change.
run hub "$WGSTAR" firewall apply --yes --run-dir "$RUN_DIR" --policy "$WORKDIR/policy.conf" "${wg_args[@]}"
assert_status 0 "a second firewall apply"
assert_contains "nothing to change" "$RUN_OUT"
