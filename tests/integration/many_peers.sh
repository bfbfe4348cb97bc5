#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# many_peers.sh: 10,000 peers and one with 1,000 allowed IPs come out of `--once --json` intact.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_wgstar
need_cmd python3
lab_up --peers 1 --bulk-peers 10000 --wide-peer 1000

hub wg show "$LAB_HUB_IF" dump >"$WORKDIR/dump"
t0=$(date +%s%N)
status=0
hub "$WGSTAR" --once --json -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" \
	>"$WORKDIR/once.json" 2>"$WORKDIR/once.err" || status=$?
t1=$(date +%s%N)
note "--once --json with $((LAB_BULK_PEERS + LAB_PEERS + 1)) peers: $(((t1 - t0) / 1000000)) ms"
[ "$status" = 0 ] || fail "--once --json exited $status: $(head -c 500 "$WORKDIR/once.err")"

python3 - "$WORKDIR/once.json" "$WORKDIR/dump" "$LAB_HUB_IF" "$LAB_HUB_CONF" \
	"$((LAB_BULK_PEERS + LAB_PEERS + 1))" "$LAB_WIDE_PUB" <<'EOF' || fail "--once --json differs from wg show dump"
import json, re, sys

path, dump_path, ifname, conf_path, expected_count, wide_pub = sys.argv[1:7]
errors = []

def check(what, expected, got):
    if expected != got and len(errors) < 20:
        errors.append(f"{what}: expected {expected!r}, got {got!r}")

# Names as the config file gives them: a "# Name =" line directly above [Peer] or inside it.
names = {}
with open(conf_path) as f:
    lines = [l.strip() for l in f]
name_re = re.compile(r"^#\s*Name\s*=\s*(.*?)\s*$")
headers = [i for i, l in enumerate(lines) if l.lower() == "[peer]"] + [len(lines) + 1]
for j, h in enumerate(headers[:-1]):
    name = key = None
    if h > 0 and name_re.match(lines[h - 1]):
        name = name_re.match(lines[h - 1]).group(1)
    for i in range(h + 1, min(headers[j + 1] - 1, len(lines))):
        m = name_re.match(lines[i])
        if m and name is None:
            name = m.group(1)
        m = re.match(r"^PublicKey\s*=\s*(\S+)$", lines[i])
        if m:
            key = m.group(1)
    if key:
        names[key] = name

with open(path) as f:
    doc = json.load(f)
with open(dump_path) as f:
    rows = [l.rstrip("\n").split("\t") for l in f if l.strip()][1:]

check("number of dump rows", int(expected_count), len(rows))
ifaces = doc.get("interfaces", [])
check("interfaces listed", [ifname], [i.get("name") for i in ifaces])
peers = ifaces[0].get("peers", []) if ifaces else []
check("number of peers", len(rows), len(peers))
by_key = {}
for p in peers:
    if p.get("public_key") in by_key:
        check("duplicate peer", None, p.get("public_key"))
    by_key[p.get("public_key")] = p
check("set of public keys", set(), set(r[0] for r in rows) ^ set(by_key))
wide_ips = 0
for pub, psk, endpoint, allowed, *_rest, keepalive in rows:
    p = by_key.get(pub)
    if p is None:
        continue
    want = sorted([] if allowed == "(none)" else allowed.split(","))
    check(f"peer {pub[:8]} allowed_ips", want, sorted(p.get("allowed_ips") or []))
    check(f"peer {pub[:8]} endpoint", None if endpoint == "(none)" else endpoint, p.get("endpoint"))
    check(f"peer {pub[:8]} preshared_key", psk != "(none)", p.get("preshared_key"))
    check(f"peer {pub[:8]} persistent_keepalive", 0 if keepalive == "off" else int(keepalive),
          p.get("persistent_keepalive"))
    check(f"peer {pub[:8]} name", names.get(pub), p.get("name"))
    if pub == wide_pub:
        wide_ips = len(p.get("allowed_ips") or [])
if wide_ips < 1000:
    errors.append(f"the wide peer: expected at least 1000 allowed IPs, got {wide_ips}")

if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
print(f"# {len(rows)} peers agree with wg show dump; the wide one has {wide_ips} allowed IPs")
EOF

note "ok"
