#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kernel_wide_peer.sh: one peer with 1,000 allowed IPs, more than one netlink message holds, is
# read completely and in order from the kernel.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_wgstar
need_kernel_wireguard
# The lab's wide peer: 1,000 /32 and, every 8th, a /128 as well: 1,125 allowed IPs.
lab_up --peers 1 --wide-peer 1000

split_report "$LAB_HUB_IF"
note "the kernel's dump: $(split_get 'd["messages"]') messages, split peers $(split_get 'd["split_peers"]')"
assert_eq 1125 "$(split_get 'd["split_peers"].get(sys.argv[1], {}).get("allowed_ips")' "$LAB_WIDE_PUB")" \
	"allowed IPs of the wide peer, split between messages"

snapshot_matches_dump "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
python3 - "$WORKDIR/once.json" "$LAB_WIDE_PUB" <<'PY' || fail "the wide peer is not complete"
import ipaddress, json, sys
peers = {p["public_key"]: p for p in json.load(open(sys.argv[1]))["interfaces"][0]["peers"]}
p = peers[sys.argv[2]]
want = []
for j in range(1000):
    want.append(f"10.182.{j // 256}.{j % 256}/32")
    if j % 8 == 7:
        want.append(f"fd00:182::{j:x}/128")
got = p["allowed_ips"]
assert sorted(got) == sorted(want), (len(got), len(want))
assert p["name"] == "wide", p["name"]
PY

note "ok"
