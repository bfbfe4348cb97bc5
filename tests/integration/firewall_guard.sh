#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# firewall_guard.sh: a previewed firewall change, applied and not confirmed, is rolled back to a
# ruleset byte-identical to the one before, also when the caller is killed during the countdown;
# confirmed, it stays; made after someone else changed the ruleset since the preview, it is refused.
#
# The hub's forward chain drops by policy, so alice cannot reach bob through it until wgstar's
# proposal (iifname HUB oifname HUB accept, and the counting table) is in.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_wgstar
need_cmd nft ping script setsid
lab_up --peers 2
RUN_DIR=$WORKDIR/run
at_exit 'hub "$WGSTAR" firewall --run-dir "$RUN_DIR" rollback >/dev/null 2>&1'

hub nft -f - <<'EOF'
table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		tcp dport 22 accept
		udp dport 51820 accept
		iifname "lo" accept
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
	}
}
EOF
hub nft list ruleset >"$WORKDIR/before"

# A slow machine (a VM without acceleration) may need more than a second: three tries.
reaches() {
	lab exec peer1 -- ping -q -n -c 3 -i 0.3 -W 2 "$LAB_PEER2_ADDR" >/dev/null 2>&1
}

same_as_before() {
	hub nft list ruleset >"$WORKDIR/now"
	cmp -s "$WORKDIR/before" "$WORKDIR/now"
}

# wait_guard: until no change waits for confirmation (the guard has ended). The waits of this
# test allow a minute: in the VM, under emulation and beside other tests, an apply once took
# longer than the 10 s they allowed.
wait_guard() {
	local i
	for ((i = 0; i < 600; i++)); do
		[ -e "$RUN_DIR/pending" ] || return 0
		sleep 0.1
	done
	fail "the guard did not end"
}

reaches && fail "alice reaches bob although the forward chain drops"

# diff changes nothing and shows both changes.
run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" diff -i "$LAB_HUB_IF"
assert_status 0 "firewall diff"
assert_contains "+		iifname \"$LAB_HUB_IF\" oifname \"$LAB_HUB_IF\" accept" "$RUN_OUT" "diff shows the accept rule"
assert_contains "+table inet wgstar {" "$RUN_OUT" "diff shows the counting table"
assert_contains "@@ " "$RUN_OUT" "a unified diff"
same_as_before || fail "firewall diff changed the ruleset"

# Refused: --read-only, and no terminal without --yes.
run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" apply --read-only -i "$LAB_HUB_IF"
assert_status 1 "apply with --read-only"
run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" apply -i "$LAB_HUB_IF" </dev/null
assert_status 1 "apply without a terminal and without --yes"
assert_match "terminal.*--yes" "$RUN_ERR" "says why"
same_as_before || fail "a refused apply changed the ruleset"

# Applied and not confirmed: back to exactly what it was. The countdown leaves time for the
# checks of the change itself: in the VM, beside other tests, 3 s once ran out before the ping
# that checks the rule went out.
run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" apply --yes --confirm-timeout 15 -i "$LAB_HUB_IF"
assert_status 0 "firewall apply"
same_as_before && fail "apply changed nothing"
assert_contains "iifname \"$LAB_HUB_IF\" oifname \"$LAB_HUB_IF\" accept" "$(cat "$WORKDIR/now")" "the rule is in"
reaches || fail "alice does not reach bob once the accept rule is in"
wait_guard
same_as_before || { diff "$WORKDIR/before" "$WORKDIR/now" >&2; fail "not byte-identical after the rollback"; }
assert_eq "same timeout" "$(head -n 1 "$RUN_DIR/result")" "the guard's result: rolled back, identical"
reaches && fail "alice still reaches bob after the rollback"
note "rolled back after the timeout: byte-identical"

# The caller killed during the countdown (as when an ssh session dies): the guard outlives it.
# Long enough a countdown for the loop below to see the change before it goes.
setsid bash -c 'ip netns exec "$1" "$2" firewall apply --run-dir "$4" --yes --confirm-timeout 15 -i "$3" >/dev/null 2>&1; sleep 60' \
	_ "$LAB_HUB_NS" "$WGSTAR" "$LAB_HUB_IF" "$RUN_DIR" &
caller=$!
at_exit "kill -KILL -- -$caller 2>/dev/null"
for ((i = 0; i < 600; i++)); do
	same_as_before || break
	sleep 0.1
done
same_as_before && fail "the killed caller's change never came"
kill -KILL -- -"$caller"
wait "$caller" 2>/dev/null || true
wait_guard
same_as_before || { diff "$WORKDIR/before" "$WORKDIR/now" >&2; fail "not byte-identical after the caller was killed"; }
note "rolled back after the caller was killed: byte-identical"

# rollback at once. Read through a pipe, apply returns: the guard holds none of the caller's files.
out=$(timeout 20 ip netns exec "$LAB_HUB_NS" "$WGSTAR" firewall --run-dir "$RUN_DIR" apply --yes --confirm-timeout 600 -i "$LAB_HUB_IF") ||
	fail "firewall apply in \$(...) failed or did not return"
assert_contains "applied; rolled back in 600 s" "$out" "apply says what happens next"
run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" apply --yes -i "$LAB_HUB_IF"
assert_status 1 "a second apply while one waits"
run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" rollback
assert_status 0 "firewall rollback"
assert_contains "rolled back (asked for): the ruleset is as it was before the change" "$RUN_OUT" \
	"rollback says what it did"
same_as_before || fail "not byte-identical after firewall rollback"

# Someone else changes the ruleset between the preview and the answer: refused by the kernel.
mkfifo "$WORKDIR/answer"
script -qfec "ip netns exec $LAB_HUB_NS $WGSTAR firewall apply --run-dir $RUN_DIR --confirm-timeout 600 -i $LAB_HUB_IF" /dev/null \
	<"$WORKDIR/answer" >"$WORKDIR/apply.out" 2>&1 &
apply_pid=$!
exec 7>"$WORKDIR/answer"
for ((i = 0; i < 600; i++)); do
	grep -q "\[y/N\]" "$WORKDIR/apply.out" && break
	sleep 0.1
done
grep -q "\[y/N\]" "$WORKDIR/apply.out" || fail "apply did not ask: $(cat "$WORKDIR/apply.out")"
hub nft add table inet someone_else
echo y >&7
status=0
wait "$apply_pid" || status=$?
exec 7>&-
assert_eq 1 "$status" "exit status of an apply refused for a changed ruleset"
assert_contains "ruleset changed since the preview; run diff again" "$(cat "$WORKDIR/apply.out")" "says why"
hub nft delete table inet someone_else
same_as_before || fail "a refused apply left something behind"
[ ! -e "$RUN_DIR/pending" ] || fail "a refused apply started a guard"

# Confirmed: it stays past the timeout (the confirmation has to come before it, in the VM too).
run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" apply --yes --confirm-timeout 6 -i "$LAB_HUB_IF"
assert_status 0 "firewall apply"
run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" confirm
assert_status 0 "firewall confirm"
sleep 6.5
same_as_before && fail "the confirmed change went away"
reaches || fail "alice does not reach bob after the confirmed change"
run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" diff -i "$LAB_HUB_IF"
assert_contains "nothing to change" "$RUN_OUT" "nothing left to propose"
echo "PASS: $TEST_NAME"
