#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# forward_counters.sh: after a fixed ping through the hub, the per-peer forwarded counters and the
# pairs of --once --json match the packets and bytes sent exactly; the sets follow the peer list.
#
#   alice (p1) --IPv4 ping, 20 x 1000 bytes--> hub --> bob (p2)
#   carol (p3) --IPv6 ping,  7 x  300 bytes--> hub --> alice (p1)
#   alice (p1) --IPv4 ping, 10 x  500 bytes--> hub --> bob (p2), at an address of his prefix
#
# At the forward hook nftables counts whole IP packets: 20 + 8 + 1000 bytes for an ICMP echo
# over IPv4, 40 + 8 + 300 over IPv6; every request has its reply.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_wgstar
need_cmd python3 nft ping
lab_up --peers 3
RUN_DIR=$WORKDIR/run
at_exit 'hub "$WGSTAR" firewall --run-dir "$RUN_DIR" rollback >/dev/null 2>&1'

once() {
	run hub "$WGSTAR" --once --json -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
	assert_status 0 "--once --json"
	printf '%s\n' "$RUN_OUT" >"$WORKDIR/once.json"
}

# check_counts WHAT exact|only WANT...: --once's forwarded counters and pairs against WANT, each
# KEY=FROM_PACKETS,FROM_BYTES,TO_PACKETS,TO_BYTES for a peer or FROM>TO=PACKETS,BYTES for a
# pair; exact: no other pair, only: the pairs named alone.
check_counts() {
	local what=$1 mode=$2
	shift 2
	python3 - "$WORKDIR/once.json" "$mode" "$@" <<'EOF' || fail "$what"
import json, sys
path, mode, *wants = sys.argv[1:]
d = json.load(open(path))["interfaces"][0]
fw = {p["public_key"]: p["forwarded"] for p in d["peers"]}
flows = {(f["from"], f["to"]): (f["packets"], f["bytes"]) for f in d["flows"]}
errors, want_flows = [], {}
for w in wants:
    k, v = w.rsplit("=", 1)
    n = tuple(int(x) for x in v.split(","))
    if ">" in k:
        want_flows[tuple(k.split(">"))] = n
        continue
    want = dict(zip(("from_packets", "from_bytes", "to_packets", "to_bytes"), n))
    if fw.get(k) != want:
        errors.append(f"{k[:8]}: expected {want}, got {fw.get(k)}")
got = flows if mode == "exact" else {p: flows.get(p) for p in want_flows}
if got != want_flows:
    errors.append(f"pairs: expected {want_flows}, got {got}")
for e in errors:
    print(e, file=sys.stderr)
sys.exit(1 if errors else 0)
EOF
}

# No counting table: forwarded is null ("not counted"), not zero.
once
python3 - "$WORKDIR/once.json" <<'EOF' || fail "forwarded must be null without the counting table"
import json, sys
d = json.load(open(sys.argv[1]))["interfaces"][0]
assert d["flows"] is None, d["flows"]
assert all(p["forwarded"] is None for p in d["peers"]), d["peers"]
EOF

run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" apply --yes --confirm-timeout 600 -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
assert_status 0 "firewall apply (installs the counting table)"
run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" confirm
assert_status 0 "firewall confirm"
hub nft list table inet wgstar >/dev/null || fail "the counting table is not there"

run lab exec peer1 -- ping -q -n -c 20 -s 1000 -i 0.05 -W 2 "$LAB_PEER2_ADDR"
assert_contains "20 received" "$RUN_OUT" "every IPv4 echo through the hub answered"
run lab exec peer3 -- ping -6 -q -n -c 7 -s 300 -i 0.05 -W 2 "$LAB_PEER1_ADDR6"
assert_contains "7 received" "$RUN_OUT" "every IPv6 echo through the hub answered"

# The kernel's own view: alice's element in from4 counted her 20 echo requests.
set_text=$(counting_set from4)
assert_match "\"$LAB_HUB_IF\" \. $LAB_PEER1_ADDR counter packets 20 bytes 20560" "$set_text" \
	"element counters increment on lookup (nft list set)"

once
note "forwarded: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["interfaces"][0]
print({p["name"]: p["forwarded"] for p in d["peers"]})' "$WORKDIR/once.json")"
alice=$LAB_PEER1_PUB bob=$LAB_PEER2_PUB carol=$LAB_PEER3_PUB
v4=$((20 * (20 + 8 + 1000))) v6=$((7 * (40 + 8 + 300)))
check_counts "forwarded counters or pairs differ from the traffic sent" exact \
	"$alice=27,$((v4 + v6)),27,$((v4 + v6))" "$bob=20,$v4,20,$v4" "$carol=7,$v6,7,$v6" \
	"$alice>$bob=20,$v4" "$bob>$alice=20,$v4" "$carol>$alice=7,$v6" "$alice>$carol=7,$v6"

# A peer added to the interface gets its elements on the next read; removed, they go.
newkey=$(wg genkey | wg pubkey)
hub wg set "$LAB_HUB_IF" peer "$newkey" allowed-ips 10.172.16.50/32,fd00:172:16::50/128
once
assert_contains "10.172.16.50" "$(counting_set from4)" "a new peer's address is counted"
assert_contains "fd00:172:16::50" "$(counting_set to6)" "a new peer's IPv6 address is counted"
assert_contains "20560" "$(counting_set from4)" "counters of the others survive a sync"
hub wg set "$LAB_HUB_IF" peer "$newkey" remove
once
assert_not_contains "10.172.16.50" "$(counting_set from4)" "a removed peer's address is gone"

# A prefix goes into the interval set, and its interface into @netifs; gone, it leaves both.
netkey=$(wg genkey | wg pubkey)
hub wg set "$LAB_HUB_IF" peer "$netkey" allowed-ips 10.172.16.64/26
once
assert_contains "10.172.16.64/26" "$(counting_set from4net)" "a prefix is counted"
assert_contains "\"$LAB_HUB_IF\"" "$(counting_set netifs)" "the interface has prefixes"
hub wg set "$LAB_HUB_IF" peer "$netkey" remove
once
assert_not_contains "10.172.16.64" "$(counting_set to4net)" "a removed prefix is gone"
assert_not_contains "\"$LAB_HUB_IF\"" "$(counting_set netifs)" "no prefixes left"

# Traffic to and from a prefix: bob also routes 10.172.16.64/26 and answers from .70 in it.
# alice's echoes count in to4net for bob, his replies in from4net, each pair once, and what
# the single addresses counted before stays as it was.
hub wg set "$LAB_HUB_IF" peer "$LAB_PEER2_PUB" allowed-ips "$LAB_PEER2_ADDR/32,$LAB_PEER2_ADDR6/128,10.172.16.64/26"
lab exec peer2 -- ip addr add 10.172.16.70/32 dev "$LAB_PEER2_IF"
once
run lab exec peer1 -- ping -q -n -c 10 -s 500 -i 0.05 -W 2 10.172.16.70
assert_contains "10 received" "$RUN_OUT" "every echo to the prefix answered"
once
net=$((10 * (20 + 8 + 500)))
check_counts "the prefix's traffic is not counted once for each peer and pair" only \
	"$alice=37,$((v4 + v6 + net)),37,$((v4 + v6 + net))" "$bob=30,$((v4 + net)),30,$((v4 + net))" \
	"$alice>$bob=30,$((v4 + net))" "$bob>$alice=30,$((v4 + net))"
hub wg set "$LAB_HUB_IF" peer "$LAB_PEER2_PUB" allowed-ips "$LAB_PEER2_ADDR/32,$LAB_PEER2_ADDR6/128"
once

# --read-only reads the counters and changes nothing.
hub wg set "$LAB_HUB_IF" peer "$newkey" allowed-ips 10.172.16.51/32
run hub "$WGSTAR" --once --json --read-only -i "$LAB_HUB_IF"
assert_status 0 "--once --json --read-only"
assert_not_contains "10.172.16.51" "$(counting_set from4)" "--read-only changes no set"
# The table as installed is the one firewall apply wants: nothing to change.
apply_counting() {
	run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" apply --yes --confirm-timeout 600 -i "$LAB_HUB_IF" \
		-c "$LAB_HUB_CONF"
	assert_status 0 "$1"
}
apply_counting "firewall apply again"
assert_contains "nothing to change" "$RUN_OUT" "a second apply leaves the counting table alone"

# An earlier version's table (unsharded sets, every rule in forward, the pairs tested by
# interface) counts the same, at a higher cost per packet and of a read; apply replaces it, and
# the next read fills it again.
hub nft delete table inet wgstar
hub nft -f - <<'EOF'
table inet wgstar {
	set ifaces { type ifname; }
	set netifs { type ifname; }
	set from4 { type ifname . ipv4_addr; counter; }
	set to4 { type ifname . ipv4_addr; counter; }
	set from6 { type ifname . ipv6_addr; counter; }
	set to6 { type ifname . ipv6_addr; counter; }
	set from4net { type ifname . ipv4_addr; flags interval; counter; }
	set to4net { type ifname . ipv4_addr; flags interval; counter; }
	set from6net { type ifname . ipv6_addr; flags interval; counter; }
	set to6net { type ifname . ipv6_addr; flags interval; counter; }
	set pairs4 { type ipv4_addr . ipv4_addr; size 4096; flags dynamic,timeout; counter; timeout 2m; }
	set pairs6 { type ipv6_addr . ipv6_addr; size 4096; flags dynamic,timeout; counter; timeout 2m; }
	chain forward {
		type filter hook forward priority 1000000; policy accept;
		meta nfproto ipv4 iifname . ip saddr @from4
		meta nfproto ipv4 iifname @netifs iifname . ip saddr @from4net
		meta nfproto ipv6 iifname . ip6 saddr @from6
		meta nfproto ipv6 iifname @netifs iifname . ip6 saddr @from6net
		meta nfproto ipv4 oifname . ip daddr @to4
		meta nfproto ipv4 oifname @netifs oifname . ip daddr @to4net
		meta nfproto ipv6 oifname . ip6 daddr @to6
		meta nfproto ipv6 oifname @netifs oifname . ip6 daddr @to6net
		meta nfproto ipv4 iifname @ifaces oifname @ifaces update @pairs4 { ip saddr . ip daddr }
		meta nfproto ipv6 iifname @ifaces oifname @ifaces update @pairs6 { ip6 saddr . ip6 daddr }
	}
}
EOF
once
assert_contains "$LAB_PEER1_ADDR" "$(counting_set from4)" "the earlier table is read and kept in step"
# Counted by the earlier table: a rollback of its replacement brings it back, its counters from
# zero (the ledger counted what they held; their values again would be counted twice).
run lab exec peer1 -- ping -q -n -c 3 -s 100 -i 0.05 -W 2 "$LAB_PEER2_ADDR"
assert_status 0 "ping through the earlier table"
peer1_packets() {
	hub nft list set inet wgstar from4 | grep -o "$LAB_PEER1_ADDR counter packets [0-9]*" | awk '{ print $4 }'
}
counted=$(peer1_packets)
[ "${counted:-0}" -ge 3 ] || fail "the earlier table counted ${counted:-nothing} of alice's 3 pings"
earlier=$(hub nft --terse list table inet wgstar)
apply_counting "firewall apply over an earlier counting table"
assert_contains "not the table this wgstar installs" "$RUN_OUT" "apply says why it replaces the table"
assert_contains "chain src4" "$(hub nft list table inet wgstar)" "the replacement is live"
run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" rollback
assert_status 0 "firewall rollback of the replacement"
assert_contains "the ruleset is as it was before the change" "$RUN_OUT" "rollback says the ruleset is as before"
[ "$(hub nft --terse list table inet wgstar)" = "$earlier" ] ||
	fail "after the rollback the counting table is not the earlier one: $(hub nft --terse list table inet wgstar)"
[ "$(peer1_packets)" = 0 ] || fail "the earlier table came back with alice's counter at $(peer1_packets), not from zero"
# The replacement taken out by hand meanwhile: the rollback still puts the earlier table back.
apply_counting "firewall apply over the earlier counting table, again"
assert_contains "not the table this wgstar installs" "$RUN_OUT" "apply says why it replaces the table"
hub nft delete table inet wgstar
run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" rollback
assert_status 0 "firewall rollback of a replacement deleted meanwhile"
[ "$(hub nft --terse list table inet wgstar)" = "$earlier" ] ||
	fail "after the rollback of a deleted replacement the earlier table is not back"
# No guard can be started: the replacement is undone at once, the earlier table back.
run hub env LD_PRELOAD="$NOSPAWN" ASAN_OPTIONS=verify_asan_link_order=0 "$WGSTAR" firewall --run-dir "$RUN_DIR" \
	apply --yes --confirm-timeout 600 -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
assert_status 1 "firewall apply without a guard"
assert_contains "starting the rollback guard failed; the change is rolled back" "$RUN_ERR" "apply says it took the change back"
assert_contains "the ruleset is as it was before the change" "$RUN_OUT" "and that the ruleset is as before"
[ "$(hub nft --terse list table inet wgstar)" = "$earlier" ] ||
	fail "after an apply without a guard the earlier table is not back"
apply_counting "firewall apply over the earlier counting table, a third time"
assert_contains "not the table this wgstar installs" "$RUN_OUT" "apply says why it replaces the table"
run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" confirm
assert_status 0 "firewall confirm of the replacement"
assert_contains "map from4_shards" "$(hub nft list table inet wgstar)" "the table is this version's"
once
assert_contains "$LAB_PEER1_ADDR" "$(counting_set from4)" "the new table is filled at the next read"
apply_counting "firewall apply once more"
assert_contains "nothing to change" "$RUN_OUT" "the replaced table is left alone"
# A shard map emptied by hand sends no packet to its sets: the table counts nothing and is not
# the one installed.
hub nft flush map inet wgstar from4_shards
apply_counting "firewall apply over a table whose shard map was emptied"
assert_contains "not the table this wgstar installs" "$RUN_OUT" "apply sees the emptied shard map"
run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" confirm
assert_status 0 "firewall confirm of the repaired table"
assert_contains "0.0.0.15 : goto from4_15" "$(hub nft list map inet wgstar from4_shards)" "the shard map is filled again"

echo "PASS: $TEST_NAME"
