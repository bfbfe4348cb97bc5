#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# pps.sh: the packet rate a router forwards between two plain veth links, without wgstar's
# counting table and with it, and with each of its parts alone, to say what a packet costs.
#
# Usage: bench/pps.sh            PEERS=10000 SECONDS_EACH=5 ROUNDS=5 LEN=64 bench/pps.sh
# Needs root, iperf3 and nft. Builds and installs nothing.
#
# No WireGuard here: its crypto bounds a forwarding bench long before netfilter shows. Three
# namespaces (sender, router, receiver) joined by veth pairs; iperf3 sends small UDP datagrams
# as fast as it can, one stream, and the receiver's count is the figure. The router holds, in
# turn (alternating each round, so drift in the machine's load hits all alike):
#   none       no table
#   full       the table `firewall apply` installs: the counting sets (one element per peer
#              and direction and family, each with a counter; PEERS peers, dual-stack, the two
#              talking ones among them) in 16 shards each by the address's last bits, a verdict
#              map sending a packet to its shard's chain, one from a peer going on to its
#              family's chain (src4, src6) where its destination is looked up and the pair
#              recorded
#   single     the previous layout: the same without shards, one set per direction and family
#   flat       the layout before: every set's rule in forward, and the pairs recorded when
#              both interfaces are in @ifaces (two more lookups for every packet)
#   sets       flat's rules of the counting sets alone
#   nocounter  the same sets and rules without the elements' counters
#   pairs      flat's rules that record who talks to whom alone (dynamic sets, per packet)
# and designs that are not wgstar's, to weigh a change (VARIANTS="none empty full dispatch sets sized iif"):
#   empty      the table's chain on its hook, without a rule: what any table costs
#   dispatch   "flat" with the family tested once (a verdict map jumps to a chain per family)
#   sized      sets as in "sets", declared with a size (the kernel picks a fixed hash table)
#   iif        sets as in "sets", keyed by interface index instead of name (8-byte keys)
#   nonet      "flat" without the four rules for prefixes (what a hub whose peers have only
#              single addresses needs)
#   pairscheck "pairs" without the update: only the test that both interfaces are WireGuard's
#   pairsif    "flat" with that test as one lookup of the interface pair (a set of name . name)
# The table's text follows `nft list table inet wgstar` of an installed one, with the router's
# veth names for the WireGuard interface's.

set -euo pipefail

PEERS=${PEERS:-10000}
SECONDS_EACH=${SECONDS_EACH:-5}
ROUNDS=${ROUNDS:-5}
LEN=${LEN:-64}
VARIANTS=${VARIANTS:-none full single flat sets pairs}

die() {
	echo "pps.sh: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
command -v iperf3 >/dev/null || die "needs iperf3"
command -v nft >/dev/null || die "needs nft"
if ! [[ $PEERS =~ ^[0-9]+$ ]] || [ "$PEERS" -lt 2 ] || [ "$PEERS" -gt 60000 ]; then
	die "PEERS wants 2..60000"
fi
[ "$SECONDS_EACH" -ge 1 ] && [ "$SECONDS_EACH" -le 60 ] || die "SECONDS_EACH wants 1..60"

tag=wgstpps$$
ns_a=$tag-a ns_r=$tag-r ns_b=$tag-b
work=$(mktemp -d "${TMPDIR:-/tmp}/wgst-bench.XXXXXX")
server=
cleanup() {
	[ -z "$server" ] || kill "$server" 2>/dev/null || true
	[ -z "$server" ] || wait "$server" 2>/dev/null || true
	for ns in "$ns_a" "$ns_r" "$ns_b"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# sender 10.99.1.2 / fd99:1::2 -- ra | router | rb -- 10.99.2.2 / fd99:2::2 receiver
for ns in "$ns_a" "$ns_r" "$ns_b"; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
ip -n "$ns_a" link add a0 type veth peer name ra netns "$ns_r"
ip -n "$ns_b" link add b0 type veth peer name rb netns "$ns_r"
ip -n "$ns_a" addr add 10.99.1.2/24 dev a0
ip -n "$ns_a" addr add fd99:1::2/64 dev a0 nodad
ip -n "$ns_r" addr add 10.99.1.1/24 dev ra
ip -n "$ns_r" addr add fd99:1::1/64 dev ra nodad
ip -n "$ns_r" addr add 10.99.2.1/24 dev rb
ip -n "$ns_r" addr add fd99:2::1/64 dev rb nodad
ip -n "$ns_b" addr add 10.99.2.2/24 dev b0
ip -n "$ns_b" addr add fd99:2::2/64 dev b0 nodad
for l in "$ns_a a0" "$ns_r ra" "$ns_r rb" "$ns_b b0"; do
	# shellcheck disable=SC2086
	set -- $l
	ip -n "$1" link set "$2" up
done
ip -n "$ns_a" route add default via 10.99.1.1
ip -n "$ns_b" route add default via 10.99.2.1
ip netns exec "$ns_r" sysctl -qw net.ipv4.ip_forward=1

# The elements: the sender's peer on ra, the receiver's on rb, the other peers half on each;
# in shards too, by the address's last four bits (elements-shards.nft).
python3 - "$PEERS" "$work/elements-shards.nft" >"$work/elements.nft" <<'EOF'
import sys
n = int(sys.argv[1])
v4, v6 = [], []
for i in range(n):
    if i == 0:
        dev, a4, a6 = "ra", "10.99.1.2", "fd99:1::2"
    elif i == 1:
        dev, a4, a6 = "rb", "10.99.2.2", "fd99:2::2"
    else:
        dev = "ra" if i % 2 else "rb"
        a4 = "10.%d.%d.%d" % (100 + (i >> 16), (i >> 8) & 255, i & 255)
        a6 = "fd98::%x:%x" % (i >> 16, i & 0xffff)
    v4.append('"%s" . %s' % (dev, a4))
    v6.append('"%s" . %s' % (dev, a6))
with open(sys.argv[2], "w") as shards:
    for s, v in (("from4", v4), ("to4", v4), ("from6", v6), ("to6", v6)):
        for k in range(0, len(v), 2000):
            print("add element inet wgstar %s { %s }" % (s, ", ".join(v[k:k + 2000])))
        by = {}
        for e in v:
            a = e.split(" . ")[1]
            low = int(a.split(".")[-1]) if s.endswith("4") else int(a.split(":")[-1] or "0", 16)
            by.setdefault(low & 15, []).append(e)
        for n, w in sorted(by.items()):
            for k in range(0, len(w), 2000):
                print("add element inet wgstar %s_%d { %s }" % (s, n, ", ".join(w[k:k + 2000])), file=shards)
EOF

# shards: the sharded sets, maps and chains of the table as installed (variant full).
shards() {
	python3 - <<'EOF'
for f, ip, mask, key in (("4", "ip", "0.0.0.15", lambda k: "0.0.0.%d" % k),
                         ("6", "ip6", "::f", lambda k: "::%x" % k)):
    t = "ipv4_addr" if f == "4" else "ipv6_addr"
    for d in ("from", "to"):
        for k in range(16):
            print("\tset %s%s_%d { type ifname . %s; counter; }" % (d, f, k, t))
    for m in ("from", "to", "src"):
        print("\tmap %s%s_shards { type %s : verdict; elements = { %s } }" % (
            m, f, t, ", ".join("%s : goto %s%s_%d" % (key(k), m, f, k) for k in range(16))))
    print("\tchain to%s {\n\t\t%s daddr & %s vmap @to%s_shards\n\t}" % (f, ip, mask, f))
    print("\tchain src%s {\n\t\t%s daddr & %s vmap @src%s_shards\n\t}" % (f, ip, mask, f))
    for k in range(16):
        print("\tchain from%s_%d {" % (f, k))
        print("\t\tiifname . %s saddr @from%s_%d goto src%s" % (ip, f, k, f))
        print("\t\tiifname @netifs iifname . %s saddr @from%snet goto src%s" % (ip, f, f))
        print("\t\tgoto to%s\n\t}" % f)
        print("\tchain to%s_%d {" % (f, k))
        print("\t\toifname . %s daddr @to%s_%d" % (ip, f, k))
        print("\t\toifname @netifs oifname . %s daddr @to%snet\n\t}" % (ip, f))
        print("\tchain src%s_%d {" % (f, k))
        print("\t\toifname . %s daddr @to%s_%d update @pairs%s { %s saddr . %s daddr } return" % (
            ip, f, k, f, ip, ip))
        print("\t\toifname @netifs oifname . %s daddr @to%snet update @pairs%s { %s saddr . %s daddr }\n\t}" % (
            ip, f, f, ip, ip))
EOF
}

# table VARIANT: the ruleset text of a variant, on stdout.
table() {
	local counter=counter sets=1 pairs=1 size='' ifkey=ifname iif=iifname oif=oifname net=1
	local pairtest='iifname @ifaces oifname @ifaces' update4='update @pairs4 { ip saddr . ip daddr }'
	local update6='update @pairs6 { ip6 saddr . ip6 daddr }'
	case $1 in
	sets) pairs=0 ;;
	sized) pairs=0 size="size 131072;" ;;
	iif) pairs=0 ifkey=iface_index iif=iif oif=oif ;;
	empty) pairs=0 sets=0 ;;
	dispatch) ;;
	nocounter) pairs=0 counter= ;;
	pairs) sets=0 ;;
	flat) ;;
	nonet) net=0 ;;
	pairscheck) sets=0 update4=counter update6=counter ;;
	pairsif) pairtest='iifname . oifname @ifpairs' ;;
	full) ;;
	single) ;;
	*) die "unknown variant $1" ;;
	esac
	cat <<EOF
table inet wgstar {
	set ifaces { type ifname; elements = { "ra", "rb" }; }
	set ifpairs { type ifname . ifname; elements = { "ra" . "ra", "ra" . "rb", "rb" . "ra", "rb" . "rb" }; }
	set netifs { type ifname; }
	set from4 { type $ifkey . ipv4_addr; $counter; $size }
	set to4 { type $ifkey . ipv4_addr; $counter; $size }
	set from6 { type $ifkey . ipv6_addr; $counter; $size }
	set to6 { type $ifkey . ipv6_addr; $counter; $size }
	set from4net { type ifname . ipv4_addr; flags interval; $counter; }
	set to4net { type ifname . ipv4_addr; flags interval; $counter; }
	set from6net { type ifname . ipv6_addr; flags interval; $counter; }
	set to6net { type ifname . ipv6_addr; flags interval; $counter; }
	set pairs4 { type ipv4_addr . ipv4_addr; size 4096; flags dynamic,timeout; counter; timeout 2m; }
	set pairs6 { type ipv6_addr . ipv6_addr; size 4096; flags dynamic,timeout; counter; timeout 2m; }
	chain forward {
		type filter hook forward priority 1000000; policy accept;
EOF
	if [ "$1" = full ]; then
		cat <<'EOF'
		ip saddr & 0.0.0.15 vmap @from4_shards
		ip6 saddr & ::f vmap @from6_shards
	}
EOF
		shards
		echo "}"
		cat "$work/elements-shards.nft"
		return 0
	fi
	if [ "$1" = single ]; then
		cat <<'EOF'
		meta nfproto ipv4 iifname . ip saddr @from4 goto src4
		meta nfproto ipv4 iifname @netifs iifname . ip saddr @from4net goto src4
		meta nfproto ipv6 iifname . ip6 saddr @from6 goto src6
		meta nfproto ipv6 iifname @netifs iifname . ip6 saddr @from6net goto src6
		meta nfproto ipv4 oifname . ip daddr @to4
		meta nfproto ipv4 oifname @netifs oifname . ip daddr @to4net
		meta nfproto ipv6 oifname . ip6 daddr @to6
		meta nfproto ipv6 oifname @netifs oifname . ip6 daddr @to6net
	}
	chain src4 {
		oifname . ip daddr @to4 update @pairs4 { ip saddr . ip daddr } return
		oifname @netifs oifname . ip daddr @to4net update @pairs4 { ip saddr . ip daddr }
	}
	chain src6 {
		oifname . ip6 daddr @to6 update @pairs6 { ip6 saddr . ip6 daddr } return
		oifname @netifs oifname . ip6 daddr @to6net update @pairs6 { ip6 saddr . ip6 daddr }
EOF
		sets=2 pairs=0
	fi
	if [ "$1" = dispatch ]; then
		cat <<'EOF'
		meta nfproto vmap { ipv4 : jump count4, ipv6 : jump count6 }
	}
	chain count4 {
		iifname . ip saddr @from4
		iifname @netifs iifname . ip saddr @from4net
		oifname . ip daddr @to4
		oifname @netifs oifname . ip daddr @to4net
		iifname @ifaces oifname @ifaces update @pairs4 { ip saddr . ip daddr }
	}
	chain count6 {
		iifname . ip6 saddr @from6
		iifname @netifs iifname . ip6 saddr @from6net
		oifname . ip6 daddr @to6
		oifname @netifs oifname . ip6 daddr @to6net
		iifname @ifaces oifname @ifaces update @pairs6 { ip6 saddr . ip6 daddr }
EOF
		sets=2 pairs=0
	fi
	if [ "$sets" = 1 ]; then
		cat <<EOF | if [ "$net" = 1 ]; then cat; else grep -v @netifs; fi
		meta nfproto ipv4 $iif . ip saddr @from4
		meta nfproto ipv4 iifname @netifs iifname . ip saddr @from4net
		meta nfproto ipv6 $iif . ip6 saddr @from6
		meta nfproto ipv6 iifname @netifs iifname . ip6 saddr @from6net
		meta nfproto ipv4 $oif . ip daddr @to4
		meta nfproto ipv4 oifname @netifs oifname . ip daddr @to4net
		meta nfproto ipv6 $oif . ip6 daddr @to6
		meta nfproto ipv6 oifname @netifs oifname . ip6 daddr @to6net
EOF
	fi
	if [ "$pairs" = 1 ]; then
		cat <<EOF
		meta nfproto ipv4 $pairtest $update4
		meta nfproto ipv6 $pairtest $update6
EOF
	fi
	echo "	}"
	echo "}"
	if [ "$sets" != 0 ] && [ "$ifkey" = ifname ]; then
		cat "$work/elements.nft"
	elif [ "$sets" != 0 ]; then
		sed -e "s/\"ra\"/$(ip -n "$ns_r" -o link show ra | cut -d: -f1)/g" \
			-e "s/\"rb\"/$(ip -n "$ns_r" -o link show rb | cut -d: -f1)/g" "$work/elements.nft"
	fi
}

# load VARIANT: the router's table as the variant has it.
load() {
	ip netns exec "$ns_r" nft delete table inet wgstar 2>/dev/null || true
	[ "$1" = none ] && return 0
	table "$1" >"$work/$1.nft"
	ip netns exec "$ns_r" nft -f "$work/$1.nft" || die "loading the $1 table failed"
}

# A packet each way first: neighbours resolved before anything is measured.
ip netns exec "$ns_a" ping -c 1 -W 2 10.99.2.2 >/dev/null || die "the router does not forward"
ip netns exec "$ns_b" iperf3 -s -p 5299 >/dev/null 2>&1 &
server=$!
for ((i = 0; i < 50; i++)); do
	ip netns exec "$ns_b" ss -lnu 2>/dev/null | grep -q ':5299 ' && break
	ip netns exec "$ns_b" ss -lnt 2>/dev/null | grep -q ':5299 ' && break
	sleep 0.1
done

# run: packets per second the receiver got, one round.
run() {
	ip netns exec "$ns_a" iperf3 -c 10.99.2.2 -p 5299 -u -b 0 -l "$LEN" -t "$SECONDS_EACH" -J >"$work/c.json" ||
		die "iperf3 failed: $(tail -n 3 "$work/c.json")"
	python3 - "$work/c.json" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
s = j["end"]["sum"]
print("%.0f" % ((s["packets"] - s["lost_packets"]) / s["seconds"]))
EOF
}

printf 'plain veth router, %s-byte UDP datagrams, one stream, %s s each, %s rounds; %s CPUs\n' \
	"$LEN" "$SECONDS_EACH" "$ROUNDS" "$(nproc)"
printf 'counting sets as for %s dual-stack peers (%s elements)\n' "$PEERS" $((PEERS * 4))
declare -A got
for ((r = 0; r < ROUNDS; r++)); do
	for v in $VARIANTS; do
		load "$v"
		got[$v]="${got[$v]:-} $(run)"
	done
done
load none

median() {
	tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
base=$(echo "${got[none]:-}" | median)
for v in $VARIANTS; do
	m=$(echo "${got[$v]}" | median)
	printf '%-10s %9.0f packets/s  %6.1f %% of none   (rounds:%s)\n' "$v" "$m" \
		"$(awk -v a="$m" -v b="$base" 'BEGIN { print b ? a / b * 100 : 0 }')" "${got[$v]}"
done
