#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# policy_lockout.sh: the operator, logged in to the hub over the tunnel with ssh, applies a
# policy that refuses new ssh connections from the very peer the session comes from. wgstar
# names the session in a warning before it applies; the session goes on (it is an
# established connection) while new logins are refused; then the session is killed during
# the countdown. The guard rolls the change back: a new login works again and the ruleset is
# byte-identical to the one before.
#
# Debian's sshd runs in the hub's network namespace with its own host key and config in the
# test's directory, in a mount namespace of its own where /run is private (its privilege
# separation directory) and the login records are the test's; started and stopped by PID.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_wgstar
need_cmd nft ssh ssh-keygen unshare
[ -x /usr/sbin/sshd ] || skip "no /usr/sbin/sshd (openssh-server)"
lab_up --peers 2
RUN_DIR=$WORKDIR/run
SSHD_DIR=$WORKDIR/sshd
mkdir -m 0700 "$SSHD_DIR"
at_exit 'hub "$WGSTAR" firewall --run-dir "$RUN_DIR" rollback >/dev/null 2>&1'

ssh-keygen -q -t ed25519 -N '' -f "$SSHD_DIR/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$SSHD_DIR/id"
cp "$SSHD_DIR/id.pub" "$SSHD_DIR/authorized_keys"
cat >"$SSHD_DIR/sshd_config" <<EOF
ListenAddress $LAB_HUB_ADDR
Port 22
HostKey $SSHD_DIR/host_key
PidFile $SSHD_DIR/sshd.pid
AuthorizedKeysFile $SSHD_DIR/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
PrintLastLog no
AcceptEnv LANG LC_*
EOF
: >"$SSHD_DIR/wtmp"
: >"$SSHD_DIR/btmp"
: >"$SSHD_DIR/lastlog"
# A private /run (sshd's /run/sshd), with wireguard-go's sockets (if any) bound back in; the login
# records bound to the test's own files.
cat >"$SSHD_DIR/start" <<EOF
set -e
mount --make-rprivate /
mkdir -p $SSHD_DIR/oldrun
mount --rbind /run $SSHD_DIR/oldrun
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/sshd
if [ -d $SSHD_DIR/oldrun/wireguard ]; then
	mkdir /run/wireguard
	mount --bind $SSHD_DIR/oldrun/wireguard /run/wireguard
fi
for f in wtmp btmp lastlog; do [ ! -e /var/log/\$f ] || mount --bind $SSHD_DIR/\$f /var/log/\$f; done
exec /usr/sbin/sshd -D -e -f $SSHD_DIR/sshd_config
EOF
# Started directly, not through a function: $! is then sshd itself (ip and unshare exec it).
ip netns exec "$LAB_HUB_NS" unshare -m sh "$SSHD_DIR/start" >"$SSHD_DIR/log" 2>&1 &
SSHD_PID=$!
at_exit "kill $SSHD_PID 2>/dev/null"

SSH=(ip netns exec "$LAB_PEER1_NS" ssh -i "$SSHD_DIR/id" -o BatchMode=yes -o StrictHostKeyChecking=no
	-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=3)
ssh_alice() {
	"${SSH[@]}" "$@"
}
for ((i = 0; i < 50; i++)); do
	ssh_alice "root@$LAB_HUB_ADDR" true 2>/dev/null && break
	kill -0 "$SSHD_PID" 2>/dev/null || { cat "$SSHD_DIR/log" >&2; fail "sshd did not start"; }
	sleep 0.2
done
ssh_alice "root@$LAB_HUB_ADDR" true || { cat "$SSHD_DIR/log" >&2; fail "no ssh login to the hub"; }

cat >"$WORKDIR/lock.conf" <<EOF
[$LAB_HUB_IF]
Deny = alice -> hub tcp/22
EOF
hub nft list ruleset >"$WORKDIR/before"

# The session that applies the change, and stays; $! is the ssh client itself.
"${SSH[@]}" "root@$LAB_HUB_ADDR" "$WGSTAR firewall apply --yes --confirm-timeout 8 --run-dir $RUN_DIR \
	--policy $WORKDIR/lock.conf -i $LAB_HUB_IF -c $LAB_HUB_CONF; echo APPLIED=\$?; echo SHELL=\$\$; exec sleep 600" \
	>"$WORKDIR/session.out" 2>&1 &
SESSION_PID=$!
at_exit "kill $SESSION_PID 2>/dev/null"
for ((i = 0; i < 100; i++)); do
	grep -q '^APPLIED=' "$WORKDIR/session.out" && break
	sleep 0.1
done
grep -q '^APPLIED=0' "$WORKDIR/session.out" || { cat "$WORKDIR/session.out" >&2; fail "the apply in the session failed"; }
# What the session left running on the hub (its shell, now a sleep) is stopped by its pid.
for ((i = 0; i < 50; i++)); do
	REMOTE_PID=$(sed -n 's/^SHELL=\([0-9]*\)$/\1/p' "$WORKDIR/session.out")
	[ -n "$REMOTE_PID" ] && break
	sleep 0.1
done
[ -n "$REMOTE_PID" ] || fail "the session did not say its pid"
at_exit "kill $REMOTE_PID 2>/dev/null"
grep -q "warning: the policy refuses your own ssh session (from $LAB_PEER1_ADDR through $LAB_HUB_IF to TCP port 22): line 2" \
	"$WORKDIR/session.out" || { cat "$WORKDIR/session.out" >&2; fail "no warning named the session"; }

# Locked out: a new login from alice is refused, while the session goes on.
ssh_alice "root@$LAB_HUB_ADDR" true 2>/dev/null && fail "a new login from alice passes the policy that refuses it"
kill -0 "$SESSION_PID" 2>/dev/null || fail "the session that applied the change ended by itself"
run hub "$WGSTAR" --once --json --policy "$WORKDIR/lock.conf" -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
assert_contains "\"from\":\"$LAB_PEER1_PUB\",\"to\":\"hub\"" "$RUN_OUT"

# The session dies during the countdown; the guard, in a session of its own, does not.
{ kill -KILL "$SESSION_PID" && wait "$SESSION_PID"; } 2>/dev/null || true
kill -0 "$SESSION_PID" 2>/dev/null && fail "the ssh client outlived its kill"
[ -e "$RUN_DIR/pending" ] || fail "the change was gone as soon as the session"
for ((i = 0; i < 150; i++)); do
	[ -e "$RUN_DIR/pending" ] || break
	sleep 0.1
done
[ ! -e "$RUN_DIR/pending" ] || fail "the change was not rolled back"
run hub "$WGSTAR" firewall status --run-dir "$RUN_DIR"
assert_contains "rolled back (not confirmed in time): the ruleset is as it was before the change" "$RUN_OUT"
ssh_alice "root@$LAB_HUB_ADDR" true || fail "no new login after the rollback"
hub nft list ruleset >"$WORKDIR/after"
cmp -s "$WORKDIR/before" "$WORKDIR/after" ||
	{ diff "$WORKDIR/before" "$WORKDIR/after" >&2; fail "the ruleset is not byte-identical after the rollback"; }
note "ok"
