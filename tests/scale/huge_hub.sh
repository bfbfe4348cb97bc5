#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# huge_hub.sh: a hub as big as its WireGuard goes. On wireguard-go, 65,536 peers: its MaxPeers;
# on the kernel's WireGuard, 100,000. Every hub-only peer has an IPv4 and an IPv6 address.
# `--once --json` agrees with `wg show dump` for every peer; `peer add` works, and at
# wireguard-go's limit is refused with the reason before anything changes (and so is a reconcile
# that would go past it); the console starts,
# sorts, filters and scrolls. The counting table is installed where it can be in reasonable
# time (HUGE_COUNTING=1, the default on wireguard-go; the VM emulates its CPU, where 400,000
# elements take minutes to load).
#
# Not in `make check` (about a minute here, several in the VM): tools/run-tests runs it on
# the host, and tests/vm/check.sh on the kernel. HUGE_PEERS overrides the number of peers.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"
# shellcheck source=../console/tmux.sh
. "$(dirname "$TESTLIB")/console/tmux.sh"

need_wgstar
need_cmd python3
lab_up --peers 2 --dual-stack-bulk
if [ "$LAB_BACKEND" = userspace ]; then
	total=${HUGE_PEERS:-65536} counting=${HUGE_COUNTING:-1}
else
	total=${HUGE_PEERS:-100000} counting=${HUGE_COUNTING:-0}
fi
ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

t0=$(ms)
lab bulk $((total - LAB_PEERS)) || fail "adding $((total - LAB_PEERS)) peers failed"
n=$(hub wg show "$LAB_HUB_IF" peers | wc -l)
[ "$n" = "$total" ] || fail "the hub has $n peers, not $total"
note "$total peers on $LAB_BACKEND WireGuard, added in $(($(ms) - t0)) ms"

# On a real hub the peers sit inside its subnet, where an add looks for a free address among
# them all; the lab's bulk peers (10.180.x.y, fd00:180::x) are outside its /24 and /64. Only
# the file's Address says which subnet that is: the interface keeps its addresses. Written
# now, long before the add, as a file edited moments before an add is read again to be sure.
sed -i 's|^Address = .*|Address = 10.128.0.1/9, fd00::1/16|' "$LAB_HUB_CONF"
grep -q '^Address = 10.128.0.1/9, fd00::1/16$' "$LAB_HUB_CONF" || fail "the hub's Address did not take the wide subnets"

if [ "$counting" = 1 ]; then
	t0=$(ms)
	hub "$WGSTAR" firewall apply -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" --yes --run-dir "$WORKDIR/run" \
		>"$WORKDIR/apply.out" 2>&1 || fail "firewall apply failed: $(tail -n 3 "$WORKDIR/apply.out")"
	hub "$WGSTAR" firewall confirm --run-dir "$WORKDIR/run" >/dev/null || fail "firewall confirm failed"
	elems=$(counting_set from6 | grep -oE 'fd00:180::[0-9a-f:]+' | wc -l)
	[ "$elems" -ge $((total - LAB_PEERS)) ] || fail "the counting set from6 holds $elems addresses"
	note "the counting table installed in $(($(ms) - t0)) ms; from6 holds $elems addresses"
fi

# Forwarded traffic for the counting table to show: alice pings bob through the hub.
lab exec peer1 -- ping -q -n -c 20 -i 0.05 -W 1 "$LAB_PEER2_ADDR" >/dev/null ||
	fail "alice cannot reach bob through a hub of $total peers"

# A keepalive of alice or bob (every 25 s) can change the dump while --once reads: the dumps
# before and after must agree (sorted: wireguard-go lists peers in another order each time).
for try in 1 2 3 4 5; do
	t0=$(ms)
	hub wg show "$LAB_HUB_IF" dump >"$WORKDIR/dump"
	dump_ms=$(($(ms) - t0))
	t0=$(ms)
	hub "$WGSTAR" --once --json -i "$LAB_HUB_IF" >"$WORKDIR/once.json" 2>"$WORKDIR/once.err" ||
		fail "--once --json failed: $(head -c 500 "$WORKDIR/once.err")"
	t1=$(ms)
	hub wg show "$LAB_HUB_IF" dump >"$WORKDIR/dump2"
	cmp -s <(sort "$WORKDIR/dump") <(sort "$WORKDIR/dump2") && break
	[ "$try" -lt 5 ] || fail "the hub's dump changed during each of 5 reads"
done
note "--once --json of $total peers: $((t1 - t0)) ms, $(($(stat -c %s "$WORKDIR/once.json") / 1024)) KiB (wg show dump: $dump_ms ms)"
# wireguard-go lists peers in another order on every read; the kernel in its own, kept.
order=
[ "$LAB_BACKEND" = userspace ] && order=--any-order
# shellcheck disable=SC2086
python3 "$(dirname "$TESTLIB")/vm/json_vs_dump.py" $order --backend "$LAB_BACKEND" "$WORKDIR/once.json" \
	"$WORKDIR/dump" "$LAB_HUB_IF" >"$WORKDIR/cmp.out" 2>&1 ||
	fail "--once --json differs from wg show dump: $(head -n 20 "$WORKDIR/cmp.out")"
note "$(cat "$WORKDIR/cmp.out")"
# The table an operator reads, as `wg show` would print it: every row, measured for its columns.
t0=$(ms)
hub env LC_ALL=C.UTF-8 LANGUAGE= "$WGSTAR" --once -i "$LAB_HUB_IF" >"$WORKDIR/once.txt" 2>"$WORKDIR/once.err" ||
	fail "--once failed: $(head -c 500 "$WORKDIR/once.err")"
t1=$(ms)
title=$(grep -m 1 -n '^NAME  *ALLOWED IPS ' "$WORKDIR/once.txt" | cut -d: -f1) || true
[ -n "$title" ] || fail "--once printed no table: $(head -c 500 "$WORKDIR/once.txt")"
rows=$(($(wc -l <"$WORKDIR/once.txt") - title))
[ "$rows" = "$total" ] || fail "--once printed $rows rows under its titles, not $total"
note "--once of $total peers: $((t1 - t0)) ms (wg show dump: $dump_ms ms)"
if [ "$counting" = 1 ]; then
	# Found among 260,000 elements: the pings from alice to bob and back, each way.
	python3 - "$WORKDIR/once.json" "$LAB_PEER1_PUB" "$LAB_PEER2_PUB" >"$WORKDIR/fwd.out" 2>&1 <<'EOF' ||
import json, sys
path, alice, bob = sys.argv[1:4]
peers = json.load(open(path))["interfaces"][0]["peers"]
missing = [p["public_key"] for p in peers if not isinstance(p.get("forwarded"), dict)]
if missing:
    sys.exit(f"{len(missing)} of {len(peers)} peers without forwarded counters, e.g. {missing[0]}")
fw = {p["public_key"]: p["forwarded"] for p in peers}
for who, key in (("alice", alice), ("bob", bob)):
    f = fw.get(key) or {}
    if f.get("from_packets", 0) < 20 or f.get("to_packets", 0) < 20:
        sys.exit(f"{who}'s forwarded counters miss the 20 pings each way: {f}")
print(f"# alice's forwarded packets: {fw[alice]['from_packets']} out through the hub, {fw[alice]['to_packets']} in")
EOF
		fail "the forwarded counters are wrong in --once --json: $(cat "$WORKDIR/fwd.out")"
	cat "$WORKDIR/fwd.out"
fi

# hub_timed FILE CMD...: CMD in the hub's namespace, its wall time in ms written to FILE. Timed
# in there, from the fork of CMD to its exit, as `time CMD` on the hub would: not what `ip
# netns exec` itself costs (a mount namespace, /sys mounted again), which the VM's emulated CPU
# makes tens of milliseconds.
hub_timed() {
	local file=$1
	shift
	# shellcheck disable=SC2016
	hub bash -c 't0=${EPOCHREALTIME/./}; "$@"; rc=$?; t1=${EPOCHREALTIME/./}
		echo $(((t1 - t0) / 1000)) >"$0"; exit $rc' "$file" "$@"
}
add() {
	hub_timed "$WORKDIR/add.ms" "$WGSTAR" peer add "$1" -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" \
		--names "$WORKDIR/names" --generate --endpoint "$LAB_HUB_UNDERLAY:$LAB_HUB_PORT" \
		--client-config "$WORKDIR/$1.conf"
}
if [ "$LAB_BACKEND" = userspace ] && [ "$total" -ge 65536 ]; then
	status=0
	add extra >"$WORKDIR/add.out" 2>&1 || status=$?
	[ "$status" = 1 ] || fail "peer add at wireguard-go's limit exited $status"
	grep -q "as many as wireguard-go holds on one interface (65536)" "$WORKDIR/add.out" ||
		fail "peer add at the limit says: $(cat "$WORKDIR/add.out")"
	n=$(hub wg show "$LAB_HUB_IF" peers | wc -l)
	[ "$n" = "$total" ] || fail "a refused add left $n peers"
	grep -q "extra" "$LAB_HUB_CONF" && fail "a refused add wrote the config file"
	note "peer add at the limit: $(cat "$WORKDIR/add.out")"
	# A peer more in the file than live, put in by reconcile: refused the same way, and said why.
	cp "$LAB_HUB_CONF" "$WORKDIR/hub.conf.before"
	printf '\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.254.254.254/32\n' "$(wg genkey | wg pubkey)" >>"$LAB_HUB_CONF"
	status=0
	hub "$WGSTAR" peer reconcile to-live --yes -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" --names "$WORKDIR/names" \
		>"$WORKDIR/reconcile.out" 2>&1 || status=$?
	[ "$status" = 1 ] || fail "peer reconcile past wireguard-go's limit exited $status: $(cat "$WORKDIR/reconcile.out")"
	grep -q "more than wireguard-go holds on one interface (65536)" "$WORKDIR/reconcile.out" ||
		fail "peer reconcile past the limit says: $(cat "$WORKDIR/reconcile.out")"
	n=$(hub wg show "$LAB_HUB_IF" peers | wc -l)
	[ "$n" = "$total" ] || fail "a reconcile refused at the limit left $n peers"
	cp "$WORKDIR/hub.conf.before" "$LAB_HUB_CONF"
	note "peer reconcile past the limit: $(cat "$WORKDIR/reconcile.out")"
	t0=$(ms)
	hub "$WGSTAR" peer remove bulk-4242 --yes -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" --names "$WORKDIR/names" \
		>"$WORKDIR/remove.out" 2>&1 || fail "peer remove failed: $(cat "$WORKDIR/remove.out")"
	note "peer remove of one of $total peers: $(($(ms) - t0)) ms"
fi
# The baseline: `wg set` of one peer, the live half of an add with nothing checked or written.
base_key=$(wg genkey | wg pubkey)
hub_timed "$WORKDIR/set.ms" wg set "$LAB_HUB_IF" peer "$base_key" allowed-ips 198.18.0.1/32 ||
	fail "wg set of one more peer failed"
hub wg set "$LAB_HUB_IF" peer "$base_key" remove || fail "removing the wg set peer failed"
# Three adds where there is room (one, at wireguard-go's limit): an emulated CPU's timings vary.
adds=3
[ "$LAB_BACKEND" = userspace ] && adds=1
before=$(hub wg show "$LAB_HUB_IF" peers | wc -l)
add_ms='' outer_ms='' floor_ms=''
for i in $(seq "$adds"); do
	# The floor under an add on the kernel, which reads every live peer's addresses: the
	# kernel's dump of them, received and not parsed (tests/tools/wgdump).
	if [ "$LAB_BACKEND" != userspace ]; then
		[ -x "${WGDUMP:-}" ] || fail "no tests/tools/wgdump (make check builds it)"
		out=$(hub "$WGDUMP" "$LAB_HUB_IF") || fail "wgdump failed"
		floor_ms+=" ${out%% *}"
	fi
	t0=$(ms)
	add "extra$i" >"$WORKDIR/add.out" 2>&1 || fail "peer add failed: $(cat "$WORKDIR/add.out")"
	t1=$(ms)
	add_ms+=" $(cat "$WORKDIR/add.ms")"
	outer_ms+=" $((t1 - t0))"
done
# Counted after the clocks stopped: listing 65,536 peers takes wireguard-go half a second.
total=$(hub wg show "$LAB_HUB_IF" peers | wc -l)
[ "$total" = $((before + adds)) ] || fail "$adds adds to $before peers left $total"
floor=
[ -z "$floor_ms" ] || floor="; the kernel's dump alone:$floor_ms ms"
note "peer add beside $before peers:$add_ms ms;$outer_ms ms with ip netns exec" \
	"(wg set of one peer: $(cat "$WORKDIR/set.ms") ms$floor)"

# The console: its first screen, a sort of every row, a filter, a page down.
t0=$(ms)
console_start main 150 45 --names "$WORKDIR/names"
wait_for main "(online +[0-9]+/$total|[0-9]+/$total online)" 120
note "the console shows all $total peers $(($(ms) - t0)) ms after it started"
tmx send-keys -t main s
wait_for main 'sorted by ' 30
note "s sorts all $total rows by the next column"
tmx send-keys -t main /
wait_for main 'filter:' 10
t0=$(ms)
tmx send-keys -t main -l bulk-31336
tmx send-keys -t main Enter
wait_rows main "bulk-31336" 30
note "/bulk-31336 (a filter typed at once) on screen in $(($(ms) - t0)) ms (polled every 100 ms)"
tmx send-keys -t main Escape
wait_for main "(online +[0-9]+/$total|[0-9]+/$total online)" 30
first=$(table_rows main)
tmx send-keys -t main NPage NPage
_wait_screen gone main "^ *$(re_quote "${first%% *}") " 30
[ "$(table_rows main)" != "$first" ] || fail "page down did not scroll"
note "filtered to one of $total peers, and paged down"
tmx send-keys -t main q
wait_for main '^EXIT=0$' 30

# The time from a key to the last byte of the screen it brings, at the console's own terminal
# (tmux's polling would add tens of milliseconds of its own): sorts of every row by each column
# in turn, and back. Each key's screen is the one that shows the column it sorts by: a refresh
# drawn right after it is not counted in.
python3 "$(dirname "$TESTLIB")/tools/keylat.py" --size 150x45 --keys "sss<<<" \
	--expect "ALLOWED IPS↑" --expect "ENDPOINT↑" --expect "HANDSHAKE↑" \
	--expect "ENDPOINT↑" --expect "ALLOWED IPS↑" --expect "NAME↑" \
	--ready "(online +[0-9]+/$total|[0-9]+/$total online)" --ready-timeout 300 -- \
	ip netns exec "$LAB_HUB_NS" "$WGSTAR" -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" --names "$WORKDIR/names" \
	>"$WORKDIR/keylat.out" 2>&1 || fail "timing the sort keys failed: $(tail -n 3 "$WORKDIR/keylat.out")"
note "sorting $total rows, key to screen: $(sed -n 's/^key to screen, ms: //p' "$WORKDIR/keylat.out") ms" \
	"($(sed -n 's/^median //p' "$WORKDIR/keylat.out"));" \
	"to the first byte: $(sed -n 's/^key to its first byte, ms: //p' "$WORKDIR/keylat.out") ms"
note "ok"
