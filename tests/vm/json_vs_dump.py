#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# json_vs_dump.py: `wgstar-top --once --json` against `wg show IFACE dump`, exactly and in order.
#
# Usage: json_vs_dump.py [--any-order] [--backend kernel|userspace] JSON DUMP IFACE
# Every field of the device and of every peer must agree, peers and allowed IPs in the
# kernel's own order (wgstar-top keeps it), and the backend must be the kernel's (or the one
# --backend names). With --any-order, as wireguard-go needs (it lists peers in another order
# on every read), peers are matched by key and their allowed IPs compared as sets. Prints one
# summary line; exits 1 listing at most 20 differences.
import json
import sys

args = sys.argv[1:]
any_order, backend = False, "kernel"
while args and args[0].startswith("--"):
    if args[0] == "--any-order":
        any_order, args = True, args[1:]
    elif args[0] == "--backend" and len(args) > 1:
        backend, args = args[1], args[2:]
    else:
        sys.exit(f"json_vs_dump.py: unknown option {args[0]}")
json_path, dump_path, ifname = args[:3]
errors = []


def check(what, expected, got):
    if expected != got and len(errors) < 20:
        errors.append(f"{what}: expected {expected!r}, got {got!r}")


with open(json_path) as f:
    doc = json.load(f)
with open(dump_path) as f:
    lines = [line.rstrip("\n").split("\t") for line in f if line.strip()]
dev, rows = lines[0], lines[1:]

ifaces = doc.get("interfaces", [])
check("interfaces listed", [ifname], [i.get("name") for i in ifaces])
if not ifaces:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
iface = ifaces[0]
check("backend", backend, iface.get("backend"))
check("device public_key", None if dev[1] == "(none)" else dev[1], iface.get("public_key"))
check("device listen_port", int(dev[2]), iface.get("listen_port"))
check("device fwmark", 0 if dev[3] == "off" else int(dev[3], 0), iface.get("fwmark"))

peers = iface.get("peers") or []
check("number of peers", len(rows), len(peers))
if any_order:
    by_key = {p.get("public_key"): p for p in peers}
    check("peers listed twice", len(peers), len(by_key))
    check("peers missing", [], [r[0] for r in rows if r[0] not in by_key][:5])
    peers = [by_key.get(r[0], {}) for r in rows]
    for p in peers:
        p["allowed_ips"] = sorted(p.get("allowed_ips") or [])
    rows = [r[:3] + [",".join(sorted(r[3].split(","))) if r[3] != "(none)" else r[3]] + r[4:] for r in rows]
else:
    check("peer order", [r[0] for r in rows], [p.get("public_key") for p in peers])
ips = 0
for r, p in zip(rows, peers):
    pub, psk, endpoint, allowed, handshake, rx, tx, keepalive = r
    w = f"peer {pub[:8]}"
    want = [] if allowed == "(none)" else allowed.split(",")
    ips += len(want)
    check(f"{w} allowed_ips ({len(want)})", want, p.get("allowed_ips"))
    check(f"{w} preshared_key", psk != "(none)", p.get("preshared_key"))
    check(f"{w} endpoint", None if endpoint == "(none)" else endpoint, p.get("endpoint"))
    check(f"{w} latest_handshake", int(handshake), p.get("latest_handshake"))
    check(f"{w} rx_bytes", int(rx), p.get("rx_bytes"))
    check(f"{w} tx_bytes", int(tx), p.get("tx_bytes"))
    check(f"{w} persistent_keepalive", 0 if keepalive == "off" else int(keepalive),
          p.get("persistent_keepalive"))

if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
print(f"# {len(rows)} peers with {ips} allowed IPs agree with wg show dump" + ("" if any_order else ", in order"))
