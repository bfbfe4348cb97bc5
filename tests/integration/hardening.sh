#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# hardening.sh: what wgstar-top does as root on a router is beyond reproach:
#   - hostile names (an interface named with ESC and 0xff, a peer named with U+202E) never
#     reach the terminal raw, and the JSON is strict UTF-8 whatever the bytes;
#   - no key value in any preview: `peer reconcile to-file` hides the hub's private key;
#   - the name store is created 0600; a 04777 file wgstar rewrites loses those bits; a state
#     file that is a symbolic link is refused or replaced, never written through;
#   - the rollback guard cannot be lost: killed with SIGKILL during the countdown, `firewall
#     status` says UNGUARDED and `firewall rollback` returns the ruleset byte-identical; two
#     applies racing, the second is refused.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_wgstar
need_cmd nft python3 wg
lab_up --peers 2
RUN_DIR=$WORKDIR/run
at_exit 'hub "$WGSTAR" firewall rollback --run-dir "$RUN_DIR" >/dev/null 2>&1'

# Strict UTF-8 JSON, and text with no control, bidi or other format character in it.
check_json() {
	printf '%s' "$1" | python3 -c '
import json, sys
data = sys.stdin.buffer.read()
text = data.decode("utf-8", errors="strict")
json.loads(text)' || fail "$2: not strict UTF-8 JSON: $(printf '%s' "$1" | head -c 300 | od -c | head -5)"
}
check_text() {
	printf '%s' "$1" | python3 -c '
import sys, unicodedata
data = sys.stdin.buffer.read()
text = data.decode("utf-8", errors="replace")
for ch in text:
    if ch in "\n":
        continue
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Cf", "Zl", "Zp") or ch == "\ufffd":
        sys.exit("U+%04X (%s) in the output" % (ord(ch), cat))
' || fail "$2: an unprintable character reaches the terminal"
}

# --- hostile names ---
# An interface named wg<ESC><0xff> (Linux allows both), in a namespace of its own, with a
# peer named "ali<U+202E>ce" in its config file.
make_netns hostile
ifname=$(printf 'wg\033\377')
key=$(wg genkey)
peer=$(wg genkey | wg pubkey)
if [ "$LAB_BACKEND" = kernel ]; then
	ip -n "$NETNS" link add "$ifname" type wireguard || fail "cannot create the hostile interface"
else
	WG_PROCESS_FOREGROUND=1 ip netns exec "$NETNS" wireguard-go "$ifname" >/dev/null 2>&1 &
	wgpid=$!
	at_exit "kill $wgpid 2>/dev/null; wait $wgpid 2>/dev/null"
	for ((i = 0; i < 100; i++)); do
		[ -S "/run/wireguard/$ifname.sock" ] && break
		sleep 0.05
	done
	[ -S "/run/wireguard/$ifname.sock" ] || fail "wireguard-go did not create the hostile interface"
fi
printf '%s\n' "$key" >"$WORKDIR/hostile.key"
ip netns exec "$NETNS" wg set "$ifname" private-key "$WORKDIR/hostile.key" peer "$peer" allowed-ips 10.9.9.2/32 ||
	fail "wg set on the hostile interface"
printf '[Interface]\nPrivateKey = %s\n\n[Peer]\n# Name = ali\342\200\256ecilA\nPublicKey = %s\nAllowedIPs = 10.9.9.2/32\n' \
	"$key" "$peer" >"$WORKDIR/hostile.conf"
chmod 0600 "$WORKDIR/hostile.conf"

run ip netns exec "$NETNS" "$WGSTAR" --once
assert_status 0 "--once with a hostile interface name"
check_text "$RUN_OUT" "--once text"
assert_contains 'wg\x1b\xff' "$RUN_OUT" "the interface name is shown escaped"
run ip netns exec "$NETNS" "$WGSTAR" --once -i "$ifname" -c "$WORKDIR/hostile.conf"
assert_status 0 "--once -i hostile -c"
check_text "$RUN_OUT" "--once text with the hostile name"
assert_not_contains "$key" "$RUN_OUT" "--once shows no private key"
run ip netns exec "$NETNS" "$WGSTAR" --once --json -i "$ifname" -c "$WORKDIR/hostile.conf"
assert_status 0 "--once --json -i hostile -c"
check_json "$RUN_OUT" "--once --json"
printf '%s' "$RUN_OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)["interfaces"][0]
assert d["name"] == "wg\x1b\ufffd", repr(d["name"])
assert d["peers"][0]["name"], d["peers"][0]
assert "\x1b" not in d["peers"][0]["name"]' || fail "--once --json: names not as expected: $RUN_OUT"
run ip netns exec "$NETNS" "$WGSTAR" --once -i "$(printf 'nope\033[2J-too-long')"
assert_status 2 "-i with an ESC, not a valid name"
check_text "$RUN_ERR" "the usage error quoting the name"
run ip netns exec "$NETNS" "$WGSTAR" --once -i "$(printf 'no\033pe')"
assert_status 1 "-i naming no interface, with an ESC"
check_text "$RUN_ERR" "the error quoting the name"
assert_contains 'no\x1bpe' "$RUN_ERR" "the error names it escaped"
note "hostile names are escaped, JSON stays strict UTF-8"

# --- no key in any preview ---
hubkey=$(hub wg show "$LAB_HUB_IF" private-key)
[ -n "$hubkey" ] || fail "cannot read the hub's private key for the comparison"
common=(-i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" --names "$WORKDIR/names" --settings "$WORKDIR/settings")
# The first peer's section follows the [Interface] whose last line is the PrivateKey: taking
# it out of the file puts that line in the diff's context.
grep -q "^PrivateKey = $hubkey" "$LAB_HUB_CONF" || fail "the hub's config holds no PrivateKey line"
extra=$(wg genkey | wg pubkey)
hub wg set "$LAB_HUB_IF" peer "$extra" allowed-ips 10.172.16.99/32
hub wg set "$LAB_HUB_IF" peer "$LAB_PEER1_PUB" remove
run hub "$WGSTAR" peer reconcile to-file "${common[@]}" </dev/null
assert_status 1 "reconcile to-file without a terminal asks, and refuses"
assert_contains "+[Peer]" "$RUN_OUT" "the preview shows the peer it would add"
assert_contains "-PublicKey = $LAB_PEER1_PUB" "$RUN_OUT" "the preview shows the peer it would take out"
assert_contains "PrivateKey = (hidden)" "$RUN_OUT" "the preview hides the private key"
assert_not_contains "$hubkey" "$RUN_OUT$RUN_ERR" "the preview does not show the hub's private key"
for psk in $(sed -n 's/^PresharedKey = //p' "$LAB_HUB_CONF"); do
	assert_not_contains "$psk" "$RUN_OUT$RUN_ERR" "the preview does not show a preshared key"
done
hub wg set "$LAB_HUB_IF" peer "$extra" remove
note "reconcile to-file: PrivateKey = (hidden)"

# --- state files ---
# The name store: created 0600 (and its directory 0700).
run hub "$WGSTAR" peer rename "$LAB_PEER2_PUB" "robert" -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" \
	--names "$WORKDIR/state/names"
assert_status 0 "peer rename, creating the name store"
assert_eq 600 "$(stat -c %a "$WORKDIR/state/names")" "the name store's mode"
assert_eq 700 "$(stat -c %a "$WORKDIR/state")" "the name store's directory's mode"
# A name store that is a symbolic link is refused, and its target is left alone.
echo "precious" >"$WORKDIR/target"
chmod 0644 "$WORKDIR/target"
ln -s "$WORKDIR/target" "$WORKDIR/linked-names"
run hub "$WGSTAR" peer rename "$LAB_PEER2_PUB" "bobby" -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" \
	--names "$WORKDIR/linked-names"
assert_eq "precious" "$(cat "$WORKDIR/target")" "a symlinked name store's target is untouched"
assert_eq 644 "$(stat -c %a "$WORKDIR/target")" "a symlinked name store's target keeps its mode"
[ -L "$WORKDIR/linked-names" ] || fail "the symlinked name store was replaced by something else"
assert_match "symbolic link|name store" "$RUN_OUT$RUN_ERR" "the refusal says why"
# sysctl.d: a file of mode 04777 is rewritten without those bits.
mkdir "$WORKDIR/sysctl.d"
echo "# mine" >"$WORKDIR/sysctl.d/99-wgstar.conf"
chmod 04777 "$WORKDIR/sysctl.d/99-wgstar.conf"
run hub "$WGSTAR" forward on --persist --yes --sysctl-dir "$WORKDIR/sysctl.d"
assert_status 0 "forward on --persist"
assert_eq 664 "$(stat -c %a "$WORKDIR/sysctl.d/99-wgstar.conf")" "the sysctl.d file's mode after the rewrite"
# ... and one that is a symbolic link is replaced, never written through.
rm "$WORKDIR/sysctl.d/99-wgstar.conf"
ln -s "$WORKDIR/target" "$WORKDIR/sysctl.d/99-wgstar.conf"
run hub "$WGSTAR" forward on --persist --yes --sysctl-dir "$WORKDIR/sysctl.d"
assert_eq "precious" "$(cat "$WORKDIR/target")" "a symlinked sysctl.d file's target is untouched"
[ -L "$WORKDIR/sysctl.d/99-wgstar.conf" ] && assert_status 1 "a symlinked sysctl.d file is refused"
# The metrics file likewise: 04777 becomes 0664.
mkdir "$WORKDIR/textfile"
echo "# old" >"$WORKDIR/textfile/wgstar.prom"
chmod 04777 "$WORKDIR/textfile/wgstar.prom"
run hub "$WGSTAR" --textfile "$WORKDIR/textfile" --once -i "$LAB_HUB_IF" --read-only
assert_status 0 "--textfile --once"
assert_eq 664 "$(stat -c %a "$WORKDIR/textfile/wgstar.prom")" "the metrics file's mode after the rewrite"
# A run directory anyone may write to is refused.
mkdir -m 0777 "$WORKDIR/open-run"
run hub "$WGSTAR" firewall apply --yes --run-dir "$WORKDIR/open-run" -i "$LAB_HUB_IF"
assert_status 1 "a world-writable run directory"
assert_match "writable by nobody else" "$RUN_ERR" "the refusal says why"
note "state files: 0600, masked modes, no symlink followed, run directory checked"

# --- the guard cannot be lost ---
hub nft list ruleset >"$WORKDIR/before"
same_as_before() {
	hub nft list ruleset >"$WORKDIR/now"
	cmp -s "$WORKDIR/before" "$WORKDIR/now"
}
run hub "$WGSTAR" firewall apply --yes --confirm-timeout 600 --run-dir "$RUN_DIR" -i "$LAB_HUB_IF"
assert_status 0 "firewall apply"
same_as_before && fail "the change is not live"
run hub "$WGSTAR" firewall status --run-dir "$RUN_DIR"
assert_status 0 "firewall status"
assert_contains "its guard runs" "$RUN_OUT" "status with a live guard"
guard=$(sed -n 's/^guard \([0-9]*\) .*/\1/p' "$RUN_DIR/pending")
[ -n "$guard" ] && [ "$guard" -gt 1 ] || fail "no guard recorded in the pending change"
tr '\0' ' ' <"/proc/$guard/cmdline" | grep -q "firewall guard --run-dir" ||
	fail "the guard's command line does not name it: $(tr '\0' ' ' <"/proc/$guard/cmdline")"
# Lowering oom_score_adj takes CAP_SYS_RESOURCE, which a container's root may lack (the VM's
# has it, so the suite asserts it there).
capeff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
if (((0x$capeff >> 24) & 1)); then
	assert_eq -1000 "$(cat "/proc/$guard/oom_score_adj")" "the guard's oom_score_adj"
else
	note "no CAP_SYS_RESOURCE here: the guard's oom_score_adj stays $(cat "/proc/$guard/oom_score_adj")"
fi
# A second apply while the change waits is refused, naming it.
run hub "$WGSTAR" firewall apply --yes --remove-counting --run-dir "$RUN_DIR" -i "$LAB_HUB_IF"
assert_status 1 "a second apply while one waits"
assert_contains "waits for confirmation" "$RUN_ERR" "the refusal names the pending change"
kill -KILL "$guard"
for ((i = 0; i < 50; i++)); do
	[ -d "/proc/$guard" ] || break
	sleep 0.1
done
run hub "$WGSTAR" firewall status --run-dir "$RUN_DIR"
assert_status 0 "firewall status after the guard was killed"
assert_contains "UNGUARDED" "$RUN_OUT" "status says the change is unguarded"
run hub "$WGSTAR" firewall rollback --run-dir "$RUN_DIR"
assert_status 0 "firewall rollback of an unguarded change"
assert_contains "as it was before" "$RUN_OUT" "the rollback says the ruleset is as before"
same_as_before || { diff "$WORKDIR/before" "$WORKDIR/now" >&2; fail "not byte-identical after rolling back an unguarded change"; }
[ ! -e "$RUN_DIR/pending" ] || fail "the pending change is still recorded after the rollback"
# Killed again, then confirmed: the change stays.
run hub "$WGSTAR" firewall apply --yes --confirm-timeout 600 --run-dir "$RUN_DIR" -i "$LAB_HUB_IF"
assert_status 0 "firewall apply, again"
kill -KILL "$(sed -n 's/^guard \([0-9]*\) .*/\1/p' "$RUN_DIR/pending")"
sleep 0.3
run hub "$WGSTAR" firewall confirm --run-dir "$RUN_DIR"
assert_status 0 "firewall confirm of an unguarded change"
assert_contains "guard had died" "$RUN_OUT" "confirm says the guard had died"
same_as_before && fail "the confirmed change is gone"
run hub "$WGSTAR" firewall apply --yes --remove-counting --confirm-timeout 600 --run-dir "$RUN_DIR" -i "$LAB_HUB_IF"
assert_status 0 "firewall apply --remove-counting"
run hub "$WGSTAR" firewall confirm --run-dir "$RUN_DIR"
assert_status 0 "firewall confirm of the removal"
same_as_before || fail "not back to the start after removing the table"
note "a killed guard: UNGUARDED, rolled back byte-identical, or confirmed"

# Two applies racing: one is applied, the other refused.
for k in 1 2; do
	ip netns exec "$LAB_HUB_NS" "$WGSTAR" firewall apply --yes --confirm-timeout 600 --run-dir "$RUN_DIR" \
		-i "$LAB_HUB_IF" >"$WORKDIR/race$k.out" 2>&1 &
	eval "race$k=\$!"
done
s1=0 s2=0
wait "$race1" || s1=$?
wait "$race2" || s2=$?
[ $((s1 + s2)) = 1 ] || fail "two racing applies: statuses $s1 and $s2; $(cat "$WORKDIR/race1.out" "$WORKDIR/race2.out")"
grep -qE "being applied now|waits for confirmation" "$WORKDIR/race1.out" "$WORKDIR/race2.out" ||
	fail "the refused apply does not say why: $(cat "$WORKDIR/race1.out" "$WORKDIR/race2.out")"
run hub "$WGSTAR" firewall rollback --run-dir "$RUN_DIR"
assert_status 0 "rollback after the race"
same_as_before || fail "not byte-identical after the race's rollback"
note "two applies racing: one applied, one refused"
note "ok"
