#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# once_matches_dump.sh: `--once --json` agrees with `wg show dump` on every field, on a real star.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_wgstar
need_cmd python3
lab_up --peers 3 --traffic

# Let pings flow peer to peer through the hub, then stop them so the counters hold still.
sleep 1
lab traffic stop
sleep 0.3

# Read the dump before and after the snapshot; when both agree, nothing moved in between
# (counters and handshake times only grow), so the snapshot must equal them exactly.
# wireguard-go lists peers in no fixed order: compare the peer lines sorted.
dump() {
	hub wg show "$LAB_HUB_IF" dump | { IFS= read -r dev && printf '%s\n' "$dev" && sort; }
}
for attempt in 1 2 3 4 5; do
	dump >"$WORKDIR/dump1"
	run hub "$WGSTAR" --once --json -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
	dump >"$WORKDIR/dump2"
	cmp -s "$WORKDIR/dump1" "$WORKDIR/dump2" && break
	note "counters moved during attempt $attempt; again"
	sleep 0.2
done
cmp -s "$WORKDIR/dump1" "$WORKDIR/dump2" || fail "wg show dump never held still"
assert_status 0 "--once --json"
printf '%s\n' "$RUN_OUT" >"$WORKDIR/once.json"
printf '%s\n' "$RUN_ERR" >"$WORKDIR/once.err"

names=()
for ((k = 1; k <= LAB_PEERS; k++)); do
	eval "names+=(\"\$LAB_PEER${k}_PUB=\$LAB_PEER${k}_NAME\")"
done

python3 - "$WORKDIR/once.json" "$WORKDIR/dump1" "$LAB_HUB_IF" "$LAB_BACKEND" \
	"$LAB_FORWARDING" "${names[@]}" <<'EOF' || fail "--once --json differs from wg show dump"
import json, sys, time

path, dump_path, ifname, backend, forwarding = sys.argv[1:6]
names = dict(a.rsplit("=", 1) for a in sys.argv[6:])
errors = []

def check(what, expected, got):
    if expected != got:
        errors.append(f"{what}: expected {expected!r}, got {got!r}")

def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)

with open(path) as f:
    doc = json.load(f)
with open(dump_path) as f:
    lines = [l.rstrip("\n").split("\t") for l in f if l.strip()]

dev, rows = lines[0], lines[1:]
check("interfaces listed", [ifname], [i.get("name") for i in doc.get("interfaces", [])])
iface = next((i for i in doc.get("interfaces", []) if i.get("name") == ifname), None)
if iface is None:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)

check("device public_key", dev[1], iface.get("public_key"))
check("device listen_port", int(dev[2]), iface.get("listen_port"))
check("device fwmark", 0 if dev[3] == "off" else int(dev[3], 0), iface.get("fwmark"))
check("backend", backend, iface.get("backend"))
fw = iface.get("forwarding")
if not isinstance(fw, dict):
    errors.append(f"forwarding: expected an object, got {fw!r}")
else:
    check("forwarding.ipv4", forwarding == "1", fw.get("ipv4"))
    check("forwarding.ipv6", forwarding == "1", fw.get("ipv6"))
if "private_key" in iface:
    errors.append("the interface object has a private_key member")

peers = iface.get("peers") or []
by_key = {p.get("public_key"): p for p in peers}
check("number of peers", len(rows), len(peers))
check("peer public keys", sorted(r[0] for r in rows), sorted(by_key))
now = time.time()
for r in rows:
    pub, psk, endpoint, allowed, handshake, rx, tx, keepalive = r
    p = by_key.get(pub)
    if p is None:
        continue
    w = f"peer {pub[:8]}"
    check(f"{w} preshared_key", psk != "(none)", p.get("preshared_key"))
    check(f"{w} endpoint", None if endpoint == "(none)" else endpoint, p.get("endpoint"))
    check(f"{w} allowed_ips", sorted([] if allowed == "(none)" else allowed.split(",")),
          sorted(p.get("allowed_ips") or []))
    for field, want in (("latest_handshake", int(handshake)), ("rx_bytes", int(rx)),
                        ("tx_bytes", int(tx)),
                        ("persistent_keepalive", 0 if keepalive == "off" else int(keepalive))):
        check(f"{w} {field}", want, p.get(field))
        if not is_int(p.get(field)):
            errors.append(f"{w} {field}: not an integer: {p.get(field)!r}")
    check(f"{w} state", "online", p.get("state"))
    if not 0 < now - int(handshake) <= 180 + 5:
        errors.append(f"{w}: handshake {now - int(handshake):.0f} s ago: the lab is not up")
    if int(rx) == 0 or int(tx) == 0:
        errors.append(f"{w}: no traffic counted (rx {rx}, tx {tx}): the lab is not up")
    check(f"{w} name", names.get(pub), p.get("name"))
    fwd = p.get("forwarded", "missing")
    if fwd is not None and not (isinstance(fwd, dict) and all(
            is_int(fwd.get(k)) for k in ("from_packets", "from_bytes", "to_packets", "to_bytes"))):
        errors.append(f"{w} forwarded: expected null or four counters, got {fwd!r}")
    if "private_key" in p:
        errors.append(f"{w} has a private_key member")

if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
print(f"# {len(rows)} peers agree with wg show dump")
EOF

# No secret anywhere: not the hub's private key, not a preshared key.
secrets=("$(cat "$LAB_HUB_KEYFILE")")
for f in "$LAB_STATE"/keys/*.psk; do
	[ -e "$f" ] && secrets+=("$(cat "$f")")
done
for s in "${secrets[@]}"; do
	assert_not_contains "$s" "$RUN_OUT$RUN_ERR" "--once --json prints a secret key"
done

# The text form lists every peer by name.
run hub "$WGSTAR" --once -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
assert_status 0 "--once (text)"
assert_contains "$LAB_HUB_IF" "$RUN_OUT" "--once names the interface"
for ((k = 1; k <= LAB_PEERS; k++)); do
	eval "name=\$LAB_PEER${k}_NAME"
	# shellcheck disable=SC2154
	assert_contains "$name" "$RUN_OUT" "--once lists peer $name"
done
for s in "${secrets[@]}"; do
	assert_not_contains "$s" "$RUN_OUT$RUN_ERR" "--once prints a secret key"
done

# Without -i every interface is read; the hub's is among them.
run hub "$WGSTAR" --once --json
assert_status 0 "--once --json without -i"
printf '%s\n' "$RUN_OUT" | python3 -c '
import json, sys
names = [i["name"] for i in json.load(sys.stdin)["interfaces"]]
sys.exit(0 if sys.argv[1] in names else "hub interface missing: %r" % names)' "$LAB_HUB_IF" ||
	fail "--once --json without -i does not list $LAB_HUB_IF"

note "ok"
