#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kernel_many_peers.sh: a kernel hub with 10,000 peers beside two real ones with traffic, its
# dump spread over many netlink messages and peers with many allowed IPs split between them,
# is read completely and exactly.
#
# Besides the lab's two peers (real handshakes and counters), the hub gets 10,000 hub-only
# peers: each with a /32 from 10.64.0.0/10; every 10th also a /128; every 25th 40 more /32;
# every 500th 300 more /32 and 60 /128; one in the middle 2,500 more, which no single message
# holds; some endpoints (documentation ranges), preshared keys and keepalives. genl_dump.py
# shows independently that the dump was split, and where.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_wgstar
need_kernel_wireguard
lab_up --peers 2 --traffic
sleep 1
lab traffic stop

python3 - >"$WORKDIR/bulk.conf" <<'PY'
import base64, ipaddress, os

def key():
    return base64.b64encode(os.urandom(32)).decode()

v4 = iter(ipaddress.ip_network("10.64.0.0/10").hosts())
for i in range(10000):
    ips = [f"{next(v4)}/32"]
    if i % 10 == 0:
        ips.append(f"fd00:64::{i:x}/128")
    if i % 25 == 0:
        ips += [f"{next(v4)}/32" for _ in range(40)]
    if i % 500 == 0:
        ips += [f"{next(v4)}/32" for _ in range(300)]
        ips += [f"fd00:65:{i:x}::{j:x}/128" for j in range(60)]
    if i == 5001:
        ips += [f"{next(v4)}/32" for _ in range(2000)]
        ips += [f"fd00:66::{j:x}/128" for j in range(500)]
    print("[Peer]")
    print("PublicKey = " + key())
    print("AllowedIPs = " + ", ".join(ips))
    if i % 13 == 0:
        print("PresharedKey = " + key())
    if i % 7 == 0:
        print(f"Endpoint = 198.51.100.{i % 254 + 1}:{20000 + i}")
    elif i % 11 == 0:
        print(f"Endpoint = [2001:db8::{i:x}]:51820")
    elif i % 17 == 0:
        print("PersistentKeepalive = 25")
    print()
PY
t0=$SECONDS
hub wg addconf "$LAB_HUB_IF" "$WORKDIR/bulk.conf"
note "10,000 peers added in $((SECONDS - t0)) s"

split_report "$LAB_HUB_IF"
note "the kernel's dump: $(split_get 'd["messages"]') messages, $(split_get 'd["peers"]') peers," \
	"$(split_get 'd["allowed_ips"]') allowed IPs, $(split_get 'len(d["split_peers"])') peers split"
assert_eq 10002 "$(split_get 'd["peers"]')" "peers in the kernel's dump"
[ "$(split_get 'd["messages_with_peers"]')" -ge 20 ] || fail "the dump was not spread over many messages: $SPLIT"
[ "$(split_get 'len(d["split_peers"])')" -ge 5 ] || fail "too few peers split between messages: $SPLIT"
[ "$(split_get 'max(p["messages"] for p in d["split_peers"].values() if p["allowed_ips"] > 2500)')" -ge 3 ] ||
	fail "the peer with 2,501 allowed IPs did not span three messages: $SPLIT"

snapshot_matches_dump "$LAB_HUB_IF"
python3 - "$WORKDIR/once.json" "$LAB_PEER1_PUB" "$LAB_PEER2_PUB" <<'PY' || fail "the real peers are not online with traffic"
import json, sys
peers = {p["public_key"]: p for p in json.load(open(sys.argv[1]))["interfaces"][0]["peers"]}
for pub in sys.argv[2:]:
    p = peers[pub]
    assert p["state"] == "online" and p["rx_bytes"] > 0 and p["tx_bytes"] > 0, p
PY

# The peers split between messages carry all their allowed IPs, each exactly once.
python3 - "$WORKDIR/once.json" "$SPLIT" <<'PY' || fail "a split peer lost or repeated allowed IPs"
import json, sys
peers = {p["public_key"]: p for p in json.load(open(sys.argv[1]))["interfaces"][0]["peers"]}
for pub, s in json.loads(sys.argv[2])["split_peers"].items():
    ips = peers[pub]["allowed_ips"]
    assert len(ips) == s["allowed_ips"] == len(set(ips)), (pub, len(ips), s)
PY

note "ok"
