#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Onboarding from the console: n opens the form, a name in use is refused by the dry run with
# the form still open, the hub's endpoint typed once is kept in the settings file; the client
# config comes up as a QR code, which decodes to a complete config; a fresh device namespace
# that loads exactly that config (stripped as wg-quick does) completes a handshake with the hub
# and reaches alice through it. s saves it (0600, a new file only). e renames the peer; D
# removes it after asking: gone live, from the counting set, and the hub's file is byte for
# byte what it was before. A peer set by hand with wg(8) is marked as drift, and reconciling
# to live from the console removes it. --read-only refuses all of it.
# shellcheck source=../lib.sh
. "$TESTLIB"
# shellcheck source=tmux.sh
. "$(dirname "$TESTLIB")/console/tmux.sh"
need_wgstar
need_cmd nft ping wg-quick python3 zbarimg
lab_up --peers 2
RUN_DIR=$WORKDIR/run
at_exit 'hub "$WGSTAR" firewall --run-dir "$RUN_DIR" rollback >/dev/null 2>&1'
a=$LAB_PEER1_NAME b=$LAB_PEER2_NAME
names=$WORKDIR/names
settings=$WORKDIR/wgstar.conf
endpoint=$LAB_HUB_UNDERLAY:$LAB_HUB_PORT
cp -p "$LAB_HUB_CONF" "$WORKDIR/hub.before"

in_dump() {
	hub wg show "$LAB_HUB_IF" dump | awk -v k="$1" 'NR > 1 && $1 == k' | grep -q .
}

# until "nft list set" of the counting table has (want=yes) or lacks (no) the address
wait_counted() {
	local want=$1 set=$2 addr=$3 deadline=$(($(now_ms) + 10000)) got
	for (( ; ; )); do
		got=no
		[[ $(counting_set "$set") == *"$addr"* ]] && got=yes
		[ "$got" = "$want" ] && return 0
		[ "$(now_ms)" -lt $deadline ] || fail "counted $addr in $set: $got, not $want"
		sleep 0.2
	done
}

# The counting table, so that adding and removing must keep its sets in step.
run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" apply --yes --confirm-timeout 600 -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
assert_status 0 "firewall apply (installs the counting table)"
run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" confirm
assert_status 0 "firewall confirm"

console_start main 160 60 --run-dir "$RUN_DIR" --names "$names" --settings "$settings"
wait_rows main "$a $b"
wait_for main "FWD/s"
assert_no_match 'drift:' "$(screen main)" "the header before any change"

# --- add ---
tmx send-keys -t main n
wait_for main "New peer on $LAB_HUB_IF"
wait_for main 'next free: 10\.172\.16\.4/32, fd00:172:16::4/128'
wait_for main "the hub's public HOST:PORT \\(needed\\)"
note "n opens the form, with the next free addresses as the hint"
# A name in use: the dry run says so under the form, which stays open.
tmx send-keys -t main -l "$a"
tmx send-keys -t main Tab Tab Tab Space Tab Tab Tab
tmx send-keys -t main -l "$endpoint"
tmx send-keys -t main Enter
wait_for main "another peer is named $a already"
wait_for main "New peer on $LAB_HUB_IF"
[ ! -e "$names" ] || fail "the name store was written by a refused add"
cmp -s "$WORKDIR/hub.before" "$LAB_HUB_CONF" || fail "the config file changed by a refused add"
note "a name in use is refused with the form still open"
# The focus is back on the name: clear it, type the new one, submit.
t0=$(now_ms)
tmx send-keys -t main C-u
tmx send-keys -t main -l phone
tmx send-keys -t main Enter
wait_for main "Client config of phone"
wait_for main "added phone to $LAB_HUB_IF: .*allowed IPs 10\\.172\\.16\\.4/32, fd00:172:16::4/128"
wait_for main "the hub's endpoint is kept in"
# The pane as it is: the code beside the text, read by a scanner.
screen main >"$WORKDIR/pane.txt"
python3 "$TOP_SRCDIR/tests/tools/qrdecode.py" "$WORKDIR/pane.txt" >"$WORKDIR/phone.conf" ||
	fail "the QR code on the screen does not decode: $(cat "$WORKDIR/pane.txt")"
t1=$(now_ms)
note "the QR code decodes $((t1 - t0)) ms after Enter"
conf=$(cat "$WORKDIR/phone.conf")
assert_contains "# Name = phone" "$conf" "the decoded config"
assert_contains "Address = 10.172.16.4/24, fd00:172:16::4/64" "$conf" "the decoded config's address"
assert_match "^PrivateKey = [A-Za-z0-9+/]{43}=$" "$conf" "the decoded config's private key"
assert_contains "PublicKey = $LAB_HUB_PUB" "$conf" "the hub as the peer"
assert_match "^PresharedKey = [A-Za-z0-9+/]{43}=$" "$conf" "the preshared key"
assert_contains "Endpoint = $endpoint" "$conf" "the hub's endpoint"
assert_contains "AllowedIPs = 10.172.16.0/24, fd00:172:16::/64" "$conf" "the whole VPN subnet"
assert_contains "PersistentKeepalive = 25" "$conf" "keepalive"
# The text beside the code says the same.
assert_contains "PrivateKey = $(sed -n 's/^PrivateKey = //p' "$WORKDIR/phone.conf")" "$(cat "$WORKDIR/pane.txt")" \
	"the text shown"
phone_pub=$(sed -n 's/^PrivateKey = //p' "$WORKDIR/phone.conf" | wg pubkey)
in_dump "$phone_pub" || fail "the new peer is not live"
assert_eq "$(sed -n 's/^PresharedKey = //p' "$WORKDIR/phone.conf")" \
	"$(hub wg show "$LAB_HUB_IF" preshared-keys | awk -v k="$phone_pub" '$1 == k { print $2 }')" "its preshared key live"
assert_eq "$phone_pub phone" "$(cat "$names")" "the name store"
assert_contains "Endpoint = $endpoint" "$(cat "$settings")" "the endpoint kept in the settings file"
# Only appended lines: the rest of the file is the same, byte for byte.
head -c "$(stat -c %s "$WORKDIR/hub.before")" "$LAB_HUB_CONF" | cmp -s - "$WORKDIR/hub.before" ||
	fail "the file changed before its end"
assert_contains "PublicKey = $phone_pub" "$(tail -c +"$(($(stat -c %s "$WORKDIR/hub.before") + 1))" "$LAB_HUB_CONF")" \
	"the lines added"
priv=$(sed -n 's/^PrivateKey = //p' "$WORKDIR/phone.conf")
grep -qF "$priv" "$LAB_HUB_CONF" "$names" "$settings" && fail "the client's private key was kept on the router"
wait_counted yes from4 10.172.16.4
note "added live, appended to the file, named, counted; the private key kept nowhere"

# s: a new file, 0600; never over an existing one.
tmx send-keys -t main s
wait_for main "Save the client config"
wait_for main "phone\\.conf"
tmx send-keys -t main C-u
tmx send-keys -t main -l "$WORKDIR/saved.conf"
tmx send-keys -t main Enter
wait_for main "client config written to .*saved\\.conf \\(mode 0600\\)"
assert_eq 600 "$(stat -c %a "$WORKDIR/saved.conf")" "the saved file's mode"
cmp -s "$WORKDIR/saved.conf" "$WORKDIR/phone.conf" || fail "the saved file is not what the QR code holds"
tmx send-keys -t main s
wait_for main "Save the client config"
tmx send-keys -t main C-u
tmx send-keys -t main -l "$WORKDIR/saved.conf"
tmx send-keys -t main Enter
wait_for main "that file exists already; not overwriting it"
tmx send-keys -t main Escape
wait_gone main "Save the client config"
tmx send-keys -t main Escape
wait_gone main "Client config of phone"
note "s saves it once, mode 0600; Esc closes it"

# A fresh device loads exactly what the QR code holds, stripped as wg-quick does.
device_new
t0=$(now_ms)
device_load "$WORKDIR/phone.conf"
device_reaches "$LAB_HUB_ADDR" || fail "the new device does not reach the hub"
[ "$(ip netns exec "$DEV_NS" wg show "$DEV_IF" latest-handshakes | cut -f2)" -gt 0 ] || fail "no handshake with the hub"
t1=$(now_ms)
device_reaches "$LAB_PEER1_ADDR" || fail "the new device does not reach $a through the hub"
note "the device completes a handshake $((t1 - t0)) ms after loading the config, and reaches $a through the hub"
wait_for main "online +3/3|3/3 online"

# --- edit, then remove ---
tmx send-keys -t main /
tmx send-keys -t main -l phone
tmx send-keys -t main Enter
wait_rows main "phone"
tmx send-keys -t main e
wait_for main "Edit peer phone"
tmx send-keys -t main End
tmx send-keys -t main -l -- -x
tmx send-keys -t main Enter
wait_for main "renamed to phone-x"
wait_rows main "phone-x"
assert_contains "# Name = phone-x" "$(cat "$LAB_HUB_CONF")" "the file has the new name"
assert_eq "$phone_pub phone-x" "$(cat "$names")" "the name store after the rename"
note "e renames the peer, in the file and the name store"
tmx send-keys -t main D
# The question wraps in its dialog, where depends on the interface's name (the lab's has a
# PID in it): its lines are read joined. The peer, its key's start, then the interface.
wait_for main "live and from its config file\\?"
question=$(screen main | sed -n '/Remove a peer/,/y remove/p' | sed -n 's/^.*│ \(.*[^ ]\) *│.*$/\1/p' | tr '\n' ' ')
assert_contains "Remove peer phone-x (${phone_pub:0:16}...) from $LAB_HUB_IF, live and from its config file?" \
	"$question" "the question names the peer, its key's start and the interface"
in_dump "$phone_pub" || fail "removed before the answer"
tmx send-keys -t main y
wait_for main "removed phone-x \\($(re_quote "${phone_pub:0:16}")\\.\\.\\.\\) from $LAB_HUB_IF"
in_dump "$phone_pub" && fail "the peer is still live"
cmp -s "$WORKDIR/hub.before" "$LAB_HUB_CONF" || {
	diff -u "$WORKDIR/hub.before" "$LAB_HUB_CONF" >&2
	fail "the file differs from before the add"
}
assert_eq "" "$(cat "$names")" "the name store after the removal"
wait_counted no from4 10.172.16.4
wait_counted no to6 fd00:172:16::4
lab exec peer1 -- ping -q -n -c 3 -i 0.3 -W 2 "$LAB_PEER2_ADDR" >/dev/null 2>&1 || fail "$a no longer reaches $b"
device_reaches "$LAB_PEER1_ADDR" && fail "the removed device still reaches $a"
tmx send-keys -t main Escape
wait_rows main "$a $b"
note "D removes it after asking: gone live, uncounted, the file as before"

# --- drift ---
hand_pub=$(wg genkey | wg pubkey)
hub wg set "$LAB_HUB_IF" peer "$hand_pub" allowed-ips 10.172.16.90/32
wait_for main 'drift: 1 live only \(d\)'
wait_for main "^!$(re_quote "${hand_pub:0:8}")"
note "a peer set by hand is marked, and the header says drift"
tmx send-keys -t main d
wait_for main "Drift: $LAB_HUB_IF and its config file disagree"
wait_for main "live only: +$(re_quote "$hand_pub")"
tmx send-keys -t main Down Enter
wait_for main "Reconcile $LAB_HUB_IF: the live interface follows the file"
wait_for main "- remove from $LAB_HUB_IF: .*$(re_quote "$hand_pub")"
in_dump "$hand_pub" || fail "reconciled before 'a'"
tmx send-keys -t main a
wait_for main "reconciled: $LAB_HUB_IF follows its config file"
in_dump "$hand_pub" && fail "the peer set by hand is still live"
wait_gone main 'drift:'
wait_rows main "$a $b"
cmp -s "$WORKDIR/hub.before" "$LAB_HUB_CONF" || fail "reconciling to live changed the file"
note "d previews reconciling to live, and a removes the peer set by hand"
tmx send-keys -t main q
wait_for main '^EXIT=0$' 5

# --- read-only ---
console_start ro 120 40 --run-dir "$RUN_DIR" --read-only --names "$names" --settings "$settings"
wait_rows ro "$a $b"
for key in n e D; do
	tmx send-keys -t ro "$key"
	wait_for ro 'read-only: no changes'
	tmx send-keys -t ro Escape
	wait_gone ro 'read-only: no changes'
done
assert_no_match 'New peer|Remove peer|Edit peer' "$(screen ro)" "read-only"
tmx send-keys -t ro q
wait_for ro '^EXIT=0$' 5
note "--read-only refuses n, e and D"
echo "PASS: $TEST_NAME"
