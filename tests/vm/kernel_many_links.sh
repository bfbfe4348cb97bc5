#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kernel_many_links.sh: without -i every kernel WireGuard interface of the namespace is read,
# however many links its route dump spreads over netlink messages, and no other link is.
#
# One namespace, 120 WireGuard interfaces among 120 dummy and 20 veth links. The first has a
# key, a port, a fwmark and two peers, one of them at a link-local endpoint with its scope;
# the others are bare: no key, no peers.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_wgstar
need_kernel_wireguard
make_netns links
ns=$NETNS

{
	for i in $(seq 1 120); do
		echo "link add wgstk$i type wireguard"
		echo "link add wgstd$i type dummy"
	done
	for i in $(seq 1 10); do
		echo "link add wgstva$i type veth peer name wgstvb$i"
	done
} >"$WORKDIR/links.batch"
ip -n "$ns" -batch "$WORKDIR/links.batch"
(umask 077 && wg genkey >"$WORKDIR/k1")
ip netns exec "$ns" wg set wgstk1 private-key "$WORKDIR/k1" listen-port 51820 fwmark 0x5157 \
	peer "$(wg genkey | wg pubkey)" allowed-ips 10.172.16.2/32,fd00:172:16::2/128 \
	endpoint 192.0.2.2:51820 persistent-keepalive 25 \
	peer "$(wg genkey | wg pubkey)" allowed-ips 10.172.16.3/32 endpoint '[fe80::1%wgstd1]:51821'

run ip netns exec "$ns" "$WGSTAR" --once --json
assert_status 0 "--once --json with 120 WireGuard links among 140 others"
printf '%s\n' "$RUN_OUT" >"$WORKDIR/once.json"
ip netns exec "$ns" wg show interfaces | tr ' ' '\n' | grep . | sort >"$WORKDIR/wg.ifaces"
python3 - "$WORKDIR/once.json" "$WORKDIR/wg.ifaces" <<'PY' || fail "the interfaces listed differ from wg show interfaces"
import json, sys
ifaces = json.load(open(sys.argv[1]))["interfaces"]
names = sorted(i["name"] for i in ifaces)
want = sorted(l.strip() for l in open(sys.argv[2]) if l.strip())
assert len(want) == 120, len(want)
assert names == want, (len(names), sorted(set(names) ^ set(want))[:10])
for i in ifaces:
    assert i["backend"] == "kernel", i
    if i["name"] != "wgstk1":
        assert i["public_key"] is None and i["peers"] == [], i
PY

# The configured one, exactly; read with -i as well.
ip netns exec "$ns" wg show wgstk1 dump >"$WORKDIR/dump"
python3 - "$WORKDIR/once.json" <<'PY' >"$WORKDIR/one.json"
import json, sys
doc = json.load(open(sys.argv[1]))
doc["interfaces"] = [i for i in doc["interfaces"] if i["name"] == "wgstk1"]
json.dump(doc, sys.stdout)
PY
python3 "$VMDIR/json_vs_dump.py" "$WORKDIR/one.json" "$WORKDIR/dump" wgstk1 ||
	fail "wgstk1 in the list differs from wg show dump"
run ip netns exec "$ns" "$WGSTAR" --once --json -i wgstk1
assert_status 0 "--once --json -i wgstk1"
printf '%s\n' "$RUN_OUT" >"$WORKDIR/one.json"
python3 "$VMDIR/json_vs_dump.py" "$WORKDIR/one.json" "$WORKDIR/dump" wgstk1 ||
	fail "wgstk1 read alone differs from wg show dump"

# A dummy link asked for by name is named as no WireGuard interface.
run ip netns exec "$ns" "$WGSTAR" --once -i wgstd7
assert_status 1 "--once -i wgstd7 (a dummy link)"
assert_one_line "$RUN_ERR" "--once -i wgstd7"
assert_match 'wgstd7 is not a WireGuard interface' "$RUN_ERR" "a dummy link is said to be no WireGuard interface"

note "ok"
