#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# record_journal.sh: the recorder's events in a real systemd journal. Debian's systemd-journald
# runs in a mount namespace of the test's own (tmpfs on /run/systemd and /run/log, and on
# /var/log/journal where the host has one: nothing of the host's journal is touched), started
# and stopped by PID; the recorder and the commands run in that namespace too. A peer onboarded
# and pinging comes online; its device back on another UDP port moves its endpoint; a peer
# removed with wg is removed; a firewall apply says who did it; journalctl -D finds each by its
# fields, and log --json lists the same events from the database.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_wgstar
need_cmd nsenter unshare journalctl wg ping python3
JOURNALD=/lib/systemd/systemd-journald
[ -x "$JOURNALD" ] || skip "no $JOURNALD"
lab_up --peers 2
RUN_DIR=$WORKDIR/run
DB=$WORKDIR/wgstar.db
at_exit 'hub "$WGSTAR" firewall --run-dir "$RUN_DIR" rollback >/dev/null 2>&1'

# A system without systemd (the VM, a container) has no /run/systemd or /run/log to mount on:
# made empty for the test, and taken away after it.
for d in /run/systemd /run/log; do
	[ -d "$d" ] && continue
	mkdir "$d" || fail "cannot make $d"
	at_exit "rmdir $d"
done
cat >"$WORKDIR/journald" <<'EOF'
set -e
mount --make-rprivate /
mount -t tmpfs tmpfs /run/systemd
mount -t tmpfs tmpfs /run/log
[ ! -d /var/log/journal ] || mount -t tmpfs tmpfs /var/log/journal
exec /lib/systemd/systemd-journald
EOF
unshare -m sh "$WORKDIR/journald" >"$WORKDIR/journald.log" 2>&1 &
JOURNALD_PID=$!
at_exit "kill $JOURNALD_PID 2>/dev/null"
# In the journal's mount namespace, and the hub's network namespace.
inj() {
	nsenter -m -r -w -t "$JOURNALD_PID" "$@"
}
inhub() {
	nsenter -m -r -w -t "$JOURNALD_PID" ip netns exec "$LAB_HUB_NS" "$@"
}
for ((i = 0; i < 100; i++)); do
	inj test -S /run/systemd/journal/socket 2>/dev/null && break
	kill -0 "$JOURNALD_PID" 2>/dev/null || { cat "$WORKDIR/journald.log" >&2; fail "journald did not start"; }
	sleep 0.1
done
inj test -S /run/systemd/journal/socket || fail "journald has no socket"
journal() {
	inj journalctl -D /run/log/journal --no-pager -o json "$@" 2>/dev/null
}
# journal FIELD=VALUE...: until a matching entry is there (the recorder samples every second).
wait_journal() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -n "$(journal "$@")" ] && return 0
		sleep 0.2
	done
	fail "no journal entry with $*"
}

# Started directly, not through a function: $! is the recorder itself (nsenter and ip exec it).
nsenter -m -r -w -t "$JOURNALD_PID" ip netns exec "$LAB_HUB_NS" "$WGSTAR" record -d 1 --db "$DB" --run-dir "$RUN_DIR" \
	-i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" >"$WORKDIR/record.log" 2>&1 &
RECORD_PID=$!
at_exit "kill $RECORD_PID 2>/dev/null"
for ((i = 0; i < 50; i++)); do
	[ -s "$DB" ] && break
	sleep 0.1
done
sleep 1.5

# A device onboarded after the recorder started: its first handshake is peer_online.
device_new
run inhub "$WGSTAR" peer add phone --endpoint "$LAB_HUB_UNDERLAY:$LAB_HUB_PORT" --client-config "$WORKDIR/phone.conf" \
	--db "$DB" -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
assert_status 0 "peer add phone"
wait_journal WGSTAR_EVENT=peer_onboarded WGSTAR_PEER_NAME=phone
device_load "$WORKDIR/phone.conf"
device_reaches "$LAB_HUB_ADDR" || fail "the phone does not reach the hub"
wait_journal WGSTAR_EVENT=peer_online WGSTAR_PEER_NAME=phone
key=$(ip netns exec "$DEV_NS" wg show "$DEV_IF" public-key)
journal WGSTAR_EVENT=peer_online WGSTAR_PEER_NAME=phone | python3 -c '
import json, sys
e = [json.loads(l) for l in sys.stdin][-1]
assert e["WGSTAR_PEER_KEY"] == sys.argv[1], e
assert e["SYSLOG_IDENTIFIER"] == "wgstar", e
assert e["MESSAGE_ID"] == "d3e523018c494ec093ff80e686e8d6db", e
assert "phone online on" in e["MESSAGE"], e' "$key" || fail "the peer_online entry is wrong"
note "peer_online"

# The device comes back on another UDP port: endpoint_changed, with both endpoints.
old_port=$(ip netns exec "$DEV_NS" wg show "$DEV_IF" listen-port)
ip netns exec "$DEV_NS" wg set "$DEV_IF" listen-port 40123
device_reaches "$LAB_HUB_ADDR" || fail "the phone does not reach the hub from its new port"
wait_journal WGSTAR_EVENT=endpoint_changed WGSTAR_PEER_NAME=phone
journal WGSTAR_EVENT=endpoint_changed WGSTAR_PEER_NAME=phone | python3 -c '
import json, sys
e = [json.loads(l) for l in sys.stdin][-1]
assert e["WGSTAR_ENDPOINT"].endswith(":40123"), e
assert e["WGSTAR_OLD_ENDPOINT"].endswith(":" + sys.argv[1]), e' "$old_port" || fail "endpoint_changed lacks the endpoints"
note "endpoint_changed"

# Removed behind wgstar's back: peer_removed.
inhub wg set "$LAB_HUB_IF" peer "$LAB_PEER2_PUB" remove
wait_journal WGSTAR_EVENT=peer_removed WGSTAR_PEER_NAME=bob
note "peer_removed"

# A firewall change from the command line, with who did it; its guard writes how it ended.
run inhub "$WGSTAR" firewall apply --yes --confirm-timeout 2 --db "$DB" --run-dir "$RUN_DIR" -i "$LAB_HUB_IF" \
	-c "$LAB_HUB_CONF"
assert_status 0 "firewall apply"
wait_journal WGSTAR_EVENT=firewall_applied
journal WGSTAR_EVENT=firewall_applied | python3 -c '
import json, sys
e = [json.loads(l) for l in sys.stdin][-1]
assert e["WGSTAR_BY"].startswith("root"), e' || fail "firewall_applied does not say who"
wait_journal WGSTAR_EVENT=firewall_rolled_back
note "firewall_applied"

# The database has the same events.
sleep 1.2
run "$WGSTAR" log --json --db "$DB"
assert_status 0 "log --json"
printf '%s' "$RUN_OUT" | python3 -c '
import json, sys
ev = json.load(sys.stdin)["events"]
kinds = [(e["event"], e["name"]) for e in ev]
for want in [("peer_onboarded", "phone"), ("peer_online", "phone"), ("endpoint_changed", "phone"),
             ("peer_removed", "bob"), ("firewall_applied", None), ("firewall_rolled_back", None)]:
    assert want in kinds, (want, kinds)
e = [e for e in ev if e["event"] == "firewall_applied"][0]
assert e["by"].startswith("root"), e
assert e["public_key"] is None and e["endpoint"] is None, e
m = [e for e in ev if e["event"] == "endpoint_changed"][0]
assert m["old_endpoint"] and m["endpoint"].endswith(":40123"), m
assert [e["time"] for e in ev] == sorted(e["time"] for e in ev)' || fail "log --json lacks events: $RUN_OUT"
run "$WGSTAR" log phone --db "$DB"
assert_contains "peer_online" "$RUN_OUT"
assert_not_contains "peer bob removed" "$RUN_OUT"

kill -TERM "$RECORD_PID"
wait "$RECORD_PID" || fail "the recorder did not end cleanly on SIGTERM"
note "ok"
