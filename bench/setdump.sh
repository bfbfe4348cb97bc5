#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# setdump.sh: what the kernel's dump of the counting sets costs, as earlier versions installed
# the table (one set per direction and family) against the same elements sharded into 16 sets
# each by the address's last four bits, as this version installs it.
#
# Usage: bench/setdump.sh [BUILD_DIR]     (default build; needs root, python3, nft)
#        SIZES="10000 65536" ROUNDS=15 bench/setdump.sh
#
# Why: the kernel writes a set dump 32 KiB at a time, and for every message it walks the set's
# hash table again from the start, skipping what it already sent (nft_rhash_walk): the cost of
# a dump grows with the square of the set's size. Shards keep each walk short; they cost one
# more lookup per packet (bench/pps.sh: 'full' is the sharded table, 'single' the earlier
# one). No WireGuard here: the sets alone, in a namespace of their own, with the elements of
# PEERS dual-stack peers (an IPv4 and an IPv6 address each, on wg0), dumped by bench/setdump
# (built on demand) without parsing them.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-build}" && pwd)
SIZES=${SIZES:-10000 65536}
ROUNDS=${ROUNDS:-15}
SHARDS=16

die() {
	echo "setdump.sh: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (a network namespace)"
command -v python3 >/dev/null || die "needs python3"
command -v nft >/dev/null || die "needs nft"
for n in $SIZES; do
	[[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 200000 ] || die "SIZES wants numbers 1..200000"
done
make -s -C "$BUILD" bench/setdump >/dev/null || die "building bench/setdump failed"
DUMP=$BUILD/bench/setdump

ns=wgstsd$$
work=$(mktemp -d "${TMPDIR:-/tmp}/wgst-bench.XXXXXX")
cleanup() {
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
ip netns add "$ns"

# tables N: table inet flat (from4, to4, from6, to6) and table inet shard (the same sets in
# SHARDS parts each, from4_0 ... to6_15), with N peers' elements.
tables() {
	python3 - "$1" "$SHARDS" <<'EOF'
import sys
n, shards = int(sys.argv[1]), int(sys.argv[2])
sets = {}
for i in range(n):
    a4 = "10.%d.%d.%d" % (100 + (i >> 16), (i >> 8) & 255, i & 255)
    a6 = "fd98::%x:%x" % (i >> 16, i & 0xffff)
    for fam, a, low in (("4", a4, i & 255), ("6", a6, i & 0xffff)):
        for d in ("from", "to"):
            sets.setdefault(d + fam, []).append(('"wg0" . ' + a, low % shards))
for table in ("flat", "shard"):
    print("table inet %s {" % table)
    for name in sets:
        t = "ipv4_addr" if name.endswith("4") else "ipv6_addr"
        for k in ([None] if table == "flat" else range(shards)):
            print("\tset %s { type ifname . %s; counter; }" % (name if k is None else "%s_%d" % (name, k), t))
    print("}")
    for name, v in sets.items():
        for k in ([None] if table == "flat" else range(shards)):
            elems = [e for e, s in v if k is None or s == k]
            for j in range(0, len(elems), 2000):
                print("add element inet %s %s { %s }" % (table, name if k is None else "%s_%d" % (name, k),
                                                          ", ".join(elems[j:j + 2000])))
EOF
}

shard_sets=
for d in from4 to4 from6 to6; do
	for ((k = 0; k < SHARDS; k++)); do
		shard_sets+=" ${d}_$k"
	done
done

printf 'kernel dump of the counting sets, %s rounds, medians; %s CPUs\n' "$ROUNDS" "$(nproc)"
printf '%7s  %-28s %9s %9s %9s %9s\n' peers layout "wall ms" "cpu ms" KiB messages
for n in $SIZES; do
	ip netns exec "$ns" nft flush ruleset
	tables "$n" >"$work/tables.nft"
	ip netns exec "$ns" nft -f "$work/tables.nft" || die "loading the sets of $n peers failed"
	# Alternately, so that drift in the machine's load hits both alike.
	flat_w= flat_c= shard_w= shard_c=
	for ((r = 0; r < 3; r++)); do
		read -r w c fb fm < <(ip netns exec "$ns" "$DUMP" "$ROUNDS" flat from4 to4 from6 to6)
		flat_w+=" $w" flat_c+=" $c"
		# shellcheck disable=SC2086
		read -r w c sb sm < <(ip netns exec "$ns" "$DUMP" "$ROUNDS" shard $shard_sets)
		shard_w+=" $w" shard_c+=" $c"
	done
	mid() { tr ' ' '\n' | grep . | sort -n | sed -n 2p; }
	fw=$(echo "$flat_w" | mid) fc=$(echo "$flat_c" | mid) sw=$(echo "$shard_w" | mid) sc=$(echo "$shard_c" | mid)
	printf '%7s  %-28s %9.2f %9.2f %9d %9d\n' "$n" "4 sets (earlier versions)" "$fw" "$fc" $((fb / 1024)) "$fm"
	printf '%7s  %-28s %9.2f %9.2f %9d %9d\n' "$n" "$((4 * SHARDS)) sets ($SHARDS shards each)" "$sw" "$sc" \
		$((sb / 1024)) "$sm"
	printf '%7s  %-28s %9.2f %9.2f\n' "$n" "ratio sharded / earlier" \
		"$(awk -v a="$sw" -v b="$fw" 'BEGIN { print a / b }')" "$(awk -v a="$sc" -v b="$fc" 'BEGIN { print a / b }')"
done
