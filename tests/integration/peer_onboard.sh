#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# peer_onboard.sh: `peer add` gives a new device a client config; a fresh namespace that loads
# exactly that config (stripped as wg-quick strip does) completes a handshake with the hub and
# reaches an existing peer through it. `peer remove` takes it away live, from the file, from the
# name store and from the counting set; the file is then byte-identical to before the add and
# the other peers keep working. Bad input changes nothing, live or on disk; so does a file
# write that fails (the live change is undone).

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_wgstar
need_cmd ping nft wg-quick
lab_up --peers 2
RUN_DIR=$WORKDIR/run
at_exit 'hub "$WGSTAR" firewall --run-dir "$RUN_DIR" rollback >/dev/null 2>&1'

names=$WORKDIR/names
settings=$WORKDIR/wgstar.conf
common=(-i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" --names "$names" --settings "$settings")
cp -p "$LAB_HUB_CONF" "$WORKDIR/hub.before"
dump_before=$(hub wg show "$LAB_HUB_IF" dump | cut -f1-4 | sort)

# Count forwarded traffic, so adding and removing must keep the counting set in step.
run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" apply --yes --confirm-timeout 600 -i "$LAB_HUB_IF"
assert_status 0 "firewall apply (installs the counting table)"
run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" confirm
assert_status 0 "firewall confirm"

# --- bad input: a clear line, nothing changed ---
unchanged() {
	assert_eq "$dump_before" "$(hub wg show "$LAB_HUB_IF" dump | cut -f1-4 | sort)" "live peers after: $1"
	cmp -s "$WORKDIR/hub.before" "$LAB_HUB_CONF" || fail "the config file changed after: $1"
	[ ! -e "$names" ] || fail "the name store was written after: $1"
}
refused() {
	local what=$1
	shift
	# The endpoint first: a later one in "$@" overrides it.
	run hub "$WGSTAR" peer add --endpoint "$LAB_HUB_UNDERLAY:$LAB_HUB_PORT" "${common[@]}" "$@"
	assert_status 1 "$what"
	assert_one_line "$RUN_ERR" "$what: the message"
	[ -z "$RUN_OUT" ] || fail "$what: something on stdout"
	unchanged "$what"
}
refused "a malformed public key" mallet --public-key 'not-a-key'
assert_contains "not a WireGuard public key" "$RUN_ERR" "the malformed key's message"
refused "the hub's own key" mallet --public-key "$LAB_HUB_PUB"
assert_contains "hub's own public key" "$RUN_ERR" "the hub key's message"
refused "a key that is a peer already" mallet --public-key "$LAB_PEER1_PUB"
assert_contains "alice" "$RUN_ERR" "the duplicate key's message names the peer"
refused "an address another peer has" mallet --address "$LAB_PEER2_ADDR/32"
assert_contains "bob" "$RUN_ERR" "the overlap message names the peer"
refused "a range over the hub's address" mallet --address 10.172.16.0/28
refused "a malformed address" mallet --address 10.172.16.300
refused "a name in use" alice
refused "a name with a newline" "$(printf 'a\nb')"
refused "a malformed endpoint" mallet --endpoint 'no port here'
cp -p "$LAB_HUB_CONF" "$WORKDIR/broken.conf"
printf 'AllowedIPs = 10.9.9.9/32\n[Peer\n' >>"$WORKDIR/broken.conf"
cp -p "$WORKDIR/broken.conf" "$WORKDIR/broken.before"
run hub "$WGSTAR" peer add mallet -i "$LAB_HUB_IF" -c "$WORKDIR/broken.conf" --names "$names" \
	--settings "$settings" --endpoint "$LAB_HUB_UNDERLAY:$LAB_HUB_PORT"
assert_status 1 "a malformed config file"
assert_match "broken.conf:[0-9]+: " "$RUN_ERR" "the message says where"
cmp -s "$WORKDIR/broken.conf" "$WORKDIR/broken.before" || fail "the malformed file changed"
unchanged "a malformed config file"
# No Address in [Interface]: no VPN subnet to give the client, so nothing is done.
grep -v '^Address' "$LAB_HUB_CONF" >"$WORKDIR/noaddr.conf"
cp -p "$WORKDIR/noaddr.conf" "$WORKDIR/noaddr.before"
run hub "$WGSTAR" peer add mallet -i "$LAB_HUB_IF" -c "$WORKDIR/noaddr.conf" --names "$names" \
	--settings "$settings" --endpoint "$LAB_HUB_UNDERLAY:$LAB_HUB_PORT" --address 10.172.16.9/32
assert_status 1 "a config file without Address"
assert_contains "no Address" "$RUN_ERR" "the message says what is missing"
cmp -s "$WORKDIR/noaddr.conf" "$WORKDIR/noaddr.before" || fail "the file without Address changed"
unchanged "a config file without Address"
refused "a DNS list with a newline" mallet --dns "$(printf '10.0.0.1\nPostUp = x')"
run hub "$WGSTAR" peer add mallet "${common[@]}" </dev/null
assert_status 1 "no endpoint known and no terminal to ask on"
assert_contains "endpoint" "$RUN_ERR" "the message asks for the endpoint"
unchanged "an unknown endpoint"
run hub "$WGSTAR" peer add mallet "${common[@]}" --endpoint "$LAB_HUB_UNDERLAY:$LAB_HUB_PORT" --read-only
assert_status 1 "--read-only"
unchanged "--read-only"

# The file cannot be written (a read-only bind mount in a mount namespace of the test's own):
# the peer added live is removed again.
run hub unshare -m sh -c 'mount --bind -o ro "$1" "$1" && shift && exec "$@"' sh "$(dirname "$LAB_HUB_CONF")" \
	"$WGSTAR" peer add mallet "${common[@]}" --endpoint "$LAB_HUB_UNDERLAY:$LAB_HUB_PORT"
assert_status 1 "a config file that cannot be written"
assert_contains "nothing changed" "$RUN_ERR" "the write failure's message"
unchanged "a failed file write"

# --- add ---
run hub "$WGSTAR" peer add phone --psk "${common[@]}" --endpoint "$LAB_HUB_UNDERLAY:$LAB_HUB_PORT" \
	--client-config "$WORKDIR/phone.conf"
assert_status 0 "peer add phone"
assert_eq 600 "$(stat -c %a "$WORKDIR/phone.conf")" "the client config's mode"
phone_pub=$(grep -o '[A-Za-z0-9+/]\{42\}[AEIMQUYcgkosw048]=' <<<"$RUN_ERR" | head -n1)
[ -n "$phone_pub" ] || fail "peer add did not say the new key: $RUN_ERR"
conf=$(cat "$WORKDIR/phone.conf")
assert_contains "Address = 10.172.16.4/24, fd00:172:16::4/64" "$conf" "the next free addresses"
assert_contains "PublicKey = $LAB_HUB_PUB" "$conf" "the hub as the peer"
assert_contains "Endpoint = $LAB_HUB_UNDERLAY:$LAB_HUB_PORT" "$conf" "the hub's endpoint"
assert_contains "AllowedIPs = 10.172.16.0/24, fd00:172:16::/64" "$conf" "the whole VPN subnet"
assert_contains "PersistentKeepalive = 25" "$conf" "keepalive"
assert_match "^PresharedKey = [A-Za-z0-9+/]{43}=$" "$conf" "the preshared key"
assert_eq 1 "$(grep -c '^\[Peer\]' "$WORKDIR/phone.conf")" "the hub is the only peer"
assert_eq "$phone_pub" "$(sed -n 's/^PrivateKey = //p' "$WORKDIR/phone.conf" | wg pubkey)" \
	"the private key belongs to the public key added"
grep -q "$(sed -n 's/^PrivateKey = //p' "$WORKDIR/phone.conf")" "$LAB_HUB_CONF" "$names" &&
	fail "the client's private key was kept on the router"

live=$(hub wg show "$LAB_HUB_IF" dump | awk -v k="$phone_pub" '$1 == k')
[ -n "$live" ] || fail "the new peer is not live"
assert_eq "10.172.16.4/32,fd00:172:16::4/128" "$(cut -f4 <<<"$live")" "its allowed IPs live"
assert_eq "$(sed -n 's/^PresharedKey = //p' "$WORKDIR/phone.conf")" "$(cut -f2 <<<"$live")" "its preshared key live"
assert_eq "$phone_pub phone" "$(cat "$names")" "the name store"
# Only appended lines: the rest of the file is the same, byte for byte.
head -c "$(stat -c %s "$WORKDIR/hub.before")" "$LAB_HUB_CONF" | cmp -s - "$WORKDIR/hub.before" ||
	fail "the file changed before its end"
added=$(tail -c +"$(($(stat -c %s "$WORKDIR/hub.before") + 1))" "$LAB_HUB_CONF")
assert_eq "$(printf '\n[Peer]\n# Name = phone\nPublicKey = %s\nPresharedKey = %s\nAllowedIPs = 10.172.16.4/32, fd00:172:16::4/128' \
	"$phone_pub" "$(sed -n 's/^PresharedKey = //p' "$WORKDIR/phone.conf")")" "$added" "the lines added to the file"
assert_contains "10.172.16.4" "$(counting_set from4)" "the new peer is counted"
assert_contains "fd00:172:16::4" "$(counting_set to6)" "the new peer's IPv6 address is counted"

# A fresh device loads exactly that config, stripped as wg-quick does, with its addresses.
device_new
device_load "$WORKDIR/phone.conf"
device_reaches "$LAB_HUB_ADDR" || fail "the new device does not reach the hub"
[ "$(ip netns exec "$DEV_NS" wg show "$DEV_IF" latest-handshakes | cut -f2)" -gt 0 ] ||
	fail "no handshake with the hub"
device_reaches "$LAB_PEER1_ADDR" || fail "the new device does not reach alice through the hub"
device_reaches -6 "$LAB_PEER2_ADDR6" || fail "the new device does not reach bob over IPv6 through the hub"
run hub "$WGSTAR" --once --json -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" --names "$names"
assert_match "\"name\": ?\"phone\"" "$RUN_OUT" "--once names the new peer"

# Where the interface and the file disagree on a peer's addresses, both are taken: phone is .4
# in the file and moves to .5 live, so the next peer gets .6.
hub wg set "$LAB_HUB_IF" peer "$phone_pub" allowed-ips 10.172.16.5/32,fd00:172:16::5/128
run hub "$WGSTAR" peer add tablet "${common[@]}" --endpoint "$LAB_HUB_UNDERLAY:$LAB_HUB_PORT" \
	--client-config "$WORKDIR/tablet.conf"
assert_status 0 "peer add tablet beside a peer that moved live"
assert_contains "Address = 10.172.16.6/24, fd00:172:16::6/64" "$(cat "$WORKDIR/tablet.conf")" \
	"the addresses the file gives a peer and those it holds live are both taken"
run hub "$WGSTAR" peer remove tablet --yes "${common[@]}"
assert_status 0 "peer remove tablet"
hub wg set "$LAB_HUB_IF" peer "$phone_pub" allowed-ips 10.172.16.4/32,fd00:172:16::4/128

# --- remove ---
run hub "$WGSTAR" peer remove phone "${common[@]}" </dev/null
assert_status 1 "remove without a terminal and without --yes"
[ -n "$(hub wg show "$LAB_HUB_IF" dump | awk -v k="$phone_pub" '$1 == k')" ] || fail "removed without asking"
run hub "$WGSTAR" peer remove phone --yes "${common[@]}"
assert_status 0 "peer remove phone --yes"
assert_contains "phone" "$RUN_OUT" "the removal names the peer"
[ -z "$(hub wg show "$LAB_HUB_IF" dump | awk -v k="$phone_pub" '$1 == k')" ] || fail "the peer is still live"
cmp -s "$WORKDIR/hub.before" "$LAB_HUB_CONF" || {
	diff -u "$WORKDIR/hub.before" "$LAB_HUB_CONF" >&2
	fail "the file differs from before the add"
}
assert_eq "$(stat -c %a "$WORKDIR/hub.before")" "$(stat -c %a "$LAB_HUB_CONF")" "the file's mode"
assert_eq "" "$(cat "$names")" "the name store after the removal"
assert_not_contains "10.172.16.4" "$(counting_set from4)" "the removed peer is not counted"
assert_eq "$dump_before" "$(hub wg show "$LAB_HUB_IF" dump | cut -f1-4 | sort)" "the other peers, live"
lab exec peer1 -- ping -q -n -c 3 -i 0.3 -W 2 "$LAB_PEER2_ADDR" >/dev/null 2>&1 ||
	fail "alice no longer reaches bob"
device_reaches "$LAB_PEER1_ADDR" && fail "the removed device still reaches alice"

# --- rename, allowed IPs, drift ---
run hub "$WGSTAR" peer rename alice alicia "${common[@]}"
assert_status 0 "peer rename"
assert_contains "# Name = alicia" "$(cat "$LAB_HUB_CONF")" "the file has the new name"
run hub "$WGSTAR" peer allowed-ips bob "$LAB_PEER1_ADDR/32" "${common[@]}"
assert_status 1 "allowed IPs that overlap alicia's"
assert_contains "alicia" "$RUN_ERR" "the overlap names the peer"
run hub "$WGSTAR" peer allowed-ips bob "10.172.16.3/32, 10.172.16.64/27, fd00:172:16::3/128" "${common[@]}"
assert_status 0 "peer allowed-ips"
assert_eq "10.172.16.3/32,10.172.16.64/27,fd00:172:16::3/128" \
	"$(hub wg show "$LAB_HUB_IF" allowed-ips | awk -v k="$LAB_PEER2_PUB" '$1 == k { $1 = ""; print }' | sed 's/^ //; s/ /,/g')" \
	"bob's allowed IPs live"
assert_contains "AllowedIPs = 10.172.16.3/32, 10.172.16.64/27, fd00:172:16::3/128" "$(cat "$LAB_HUB_CONF")" \
	"bob's allowed IPs in the file"
assert_contains "10.172.16.64/27" "$(counting_set from4net)" \
	"the counting table follows the new allowed IPs at once"
run hub "$WGSTAR" peer drift "${common[@]}"
assert_status 0 "no drift"
hub wg set "$LAB_HUB_IF" peer "$phone_pub" allowed-ips 10.172.16.90/32
run hub "$WGSTAR" peer drift "${common[@]}"
assert_status 1 "drift found"
assert_contains "live only:    $phone_pub" "$RUN_OUT" "drift lists the peer set by hand"
run hub "$WGSTAR" peer reconcile to-live --yes "${common[@]}"
assert_status 0 "reconcile to-live"
assert_contains "- remove from $LAB_HUB_IF" "$RUN_OUT" "the preview"
[ -z "$(hub wg show "$LAB_HUB_IF" dump | awk -v k="$phone_pub" '$1 == k')" ] || fail "reconcile left the peer live"
echo "PASS: $TEST_NAME"
