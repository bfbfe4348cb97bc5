#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# prometheus.sh: wgstar's metrics reach a real Prometheus through a real node_exporter, intact.
#
#   namespace wgst<pid>-hub (the lab's hub; nothing here listens beyond its own 127.0.0.1)
#   +--------------------------------------------------------------------------------+
#   | wgstar-top --textfile DIR -d 0.5  -->  DIR/wgstar.prom                         |
#   | prometheus-node-exporter --collector.textfile.directory=DIR   127.0.0.1:PORT1  |
#   | prometheus, scraping PORT1 every second, alert rules loaded   127.0.0.1:PORT2  |
#   | python3: /api/v1/query against `wg show IFACE dump`                            |
#   +--------------------------------------------------------------------------------+
# Checked there: promtool check metrics on real output; rx, tx and handshake time equal to
# `wg show dump`; the alert rules loaded, one going pending when forwarding is switched off;
# with wgstar's counting table installed, the forwarded counters of a fixed ping, exactly.
# Every server is started here and stopped by its PID, also on failure.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

top=$(cd "$(dirname "$0")/../.." && pwd)
need_wgstar
need_cmd python3 promtool prometheus prometheus-node-exporter ss
lab_up --peers 3 --traffic

# stop_pid PID NAME: SIGTERM, a few seconds' grace, then SIGKILL; leaves the status in STOP_STATUS.
# A PID is signalled only while it is our unreaped child, never once it may have been reused.
stopped=" "
stop_pid() {
	local pid=$1 i
	STOP_STATUS=0
	case $stopped in *" $pid "*) return 0 ;; esac
	stopped+="$pid "
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		note "$2 ignored SIGTERM for 10 s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || STOP_STATUS=$?
}

# start NAME CMD...: CMD in the hub's namespace, in the background, stopped on exit; its PID
# is left in STARTED (`ip netns exec` execs CMD, so $! is CMD's own PID).
start() {
	local name=$1
	shift
	ip netns exec "$LAB_HUB_NS" "$@" </dev/null >"$WORKDIR/$name.log" 2>&1 &
	STARTED=$!
	at_exit "stop_pid $STARTED $name"
}

textdir=$WORKDIR/textfile
mkdir "$textdir"

# The exposition as Prometheus's own linter sees it, from --once and from the textfile.
run hub "$WGSTAR" --once --prometheus -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
assert_status 0 "--once --prometheus"
printf '%s\n' "$RUN_OUT" >"$WORKDIR/once.prom"
run promtool check metrics <"$WORKDIR/once.prom"
assert_status 0 "promtool check metrics on --once --prometheus"
assert_eq "" "$RUN_OUT$RUN_ERR" "promtool check metrics has no complaint"
for s in "$(cat "$LAB_HUB_KEYFILE")" "$LAB_STATE"/keys/*.psk; do
	[ -f "$s" ] && s=$(cat "$s")
	assert_not_contains "$s" "$RUN_OUT" "--once --prometheus prints a secret key"
done

start wgstar "$WGSTAR" --textfile "$textdir" -d 0.5 -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
pid_wgstar=$STARTED
for ((i = 0; i < 100; i++)); do
	[ -s "$textdir/wgstar.prom" ] && break
	kill -0 "$pid_wgstar" 2>/dev/null || fail "wgstar-top --textfile exited: $(cat "$WORKDIR/wgstar.log")"
	sleep 0.1
done
[ -s "$textdir/wgstar.prom" ] || fail "wgstar-top --textfile wrote no $textdir/wgstar.prom within 10 s"
cp "$textdir/wgstar.prom" "$WORKDIR/textfile.prom"
run promtool check metrics <"$WORKDIR/textfile.prom"
assert_status 0 "promtool check metrics on the textfile"
assert_eq "" "$RUN_OUT$RUN_ERR" "promtool check metrics has no complaint about the textfile"
assert_eq "$(stat -c %a "$textdir/wgstar.prom")" 644 "the textfile's mode"

# Free loopback ports of the hub's namespace: nothing else lives there.
read -r port_exporter port_prom < <(hub python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')

start node-exporter prometheus-node-exporter \
	--web.listen-address="127.0.0.1:$port_exporter" \
	--collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$textdir"
pid_exporter=$STARTED

cat >"$WORKDIR/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $top/contrib/wgstar-alerts.yml
scrape_configs:
  - job_name: wgstar
    static_configs:
      - targets: ['127.0.0.1:$port_exporter']
EOF
run promtool check config "$WORKDIR/prometheus.yml"
assert_status 0 "promtool check config"
start prometheus prometheus \
	--config.file="$WORKDIR/prometheus.yml" \
	--storage.tsdb.path="$WORKDIR/tsdb" \
	--web.listen-address="127.0.0.1:$port_prom"
pid_prometheus=$STARTED

cat >"$WORKDIR/check.py" <<'EOF'
import json, subprocess, sys, time, urllib.parse, urllib.request

port, ifname, dev_pub = sys.argv[1:4]
names = dict(a.rsplit("=", 1) for a in sys.argv[4:])
base = f"http://127.0.0.1:{port}"
errors = []

def get(path, **params):
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=5) as r:
        doc = json.load(r)
    if doc.get("status") != "success":
        sys.exit(f"{path}: {doc}")
    return doc["data"]

def query(expr):
    return get("/api/v1/query", query=expr)["result"]

def check(what, expected, got):
    if expected != got:
        errors.append(f"{what}: expected {expected!r}, got {got!r}")

def dump():
    out = subprocess.run(["wg", "show", ifname, "dump"], check=True, capture_output=True, text=True).stdout
    rows = [l.split("\t") for l in out.splitlines() if l]
    return rows[0], {r[0]: r for r in rows[1:]}

# Ready, and scraping: the target is up and wgstar's metrics have arrived.
deadline = time.time() + 60
while True:
    try:
        with urllib.request.urlopen(base + "/-/ready", timeout=2) as r:
            if r.status == 200 and query('up{job="wgstar"} == 1') and \
                    query(f'wgstar_interface_peers{{interface="{ifname}"}}'):
                break
    except OSError:
        pass
    if time.time() > deadline:
        sys.exit("Prometheus did not become ready and scrape wgstar's metrics within 60 s")
    time.sleep(0.2)

# Counters and handshake times through wgstar, node_exporter and Prometheus equal the dump's.
# Only samples scraped well after the first dump count, and only peers whose dump line held
# still until after the query: then the snapshot behind the sample saw the very same values.
# Keepalives move a counter now and then; such a peer is compared on a later attempt.
families = {"latest_handshake_timestamp_seconds": 4, "receive_bytes_total": 5, "transmit_bytes_total": 6}
dev, first = dump()
verified = set()
for attempt in range(15):
    _, before = dump()
    t1 = time.time()
    time.sleep(3.5)
    samples = {}
    for fam in families:
        for s in get("/api/v1/query", query=f'wgstar_peer_{fam}{{interface="{ifname}"}}[20s]')["result"]:
            fresh = [v for ts, v in s["values"] if ts >= t1 + 2]
            samples[(fam, s["metric"]["public_key"])] = fresh
    _, after = dump()
    for pub, row in before.items():
        if after.get(pub) != row or pub in verified:
            continue
        if not all(samples.get((fam, pub)) for fam in families):
            continue
        for fam, col in families.items():
            fresh = samples[(fam, pub)]
            if any(int(float(v)) != int(row[col]) for v in fresh):
                errors.append(f"peer {pub[:8]} {fam}: dump says {row[col]}, Prometheus {fresh}")
        verified.add(pub)
    if errors or len(verified) == len(first):
        break
if not errors and len(verified) < len(first):
    errors.append(f"only {len(verified)} of {len(first)} peers held still long enough to compare")
for pub, row in first.items():
    if int(row[4]) == 0 or int(row[5]) == 0 or int(row[6]) == 0:
        errors.append(f"peer {pub[:8]}: no handshake or traffic in the dump: the lab is not up")

def one(expr):
    r = query(expr)
    return [float(x["value"][1]) for x in r]

check("read success", [1.0], one("wgstar_read_success"))
check("peers", [float(len(first))], one(f'wgstar_interface_peers{{interface="{ifname}"}}'))
check("peers online", [float(len(first))], one(f'wgstar_interface_peers_online{{interface="{ifname}"}}'))
check("listen port", [float(dev[2])], one(f'wgstar_interface_listen_port{{interface="{ifname}"}}'))
check("ip_forward", [1.0], one(f'wgstar_interface_forwarding{{interface="{ifname}",family="ipv4"}}'))
info = query(f'wgstar_interface_info{{interface="{ifname}"}}')
check("interface public key", [dev_pub], [i["metric"].get("public_key") for i in info])
check("textfile scrape errors", [0.0], one("node_textfile_scrape_error"))
for pub, row in first.items():
    w = f"peer {pub[:8]}"
    info = query(f'wgstar_peer_info{{interface="{ifname}",public_key="{pub}"}}')
    check(f"{w} info series", 1, len(info))
    if info:
        labels = info[0]["metric"]
        check(f"{w} name", names.get(pub), labels.get("name"))
        check(f"{w} allowed_ips", sorted(row[3].split(",")), sorted(labels.get("allowed_ips", "").split(",")))
    for state, want in (("online", 1.0), ("stale", 0.0), ("never", 0.0)):
        check(f"{w} state {state}", [want],
              one(f'wgstar_peer_state{{interface="{ifname}",public_key="{pub}",state="{state}"}}'))

# The shipped alert rules load and evaluate.
groups = get("/api/v1/rules")["groups"]
rules = [r for g in groups for r in g["rules"]]
check("alert rules loaded", 5, len(rules))
deadline = time.time() + 10
while any(r.get("health") != "ok" for r in rules) and time.time() < deadline:
    time.sleep(0.5)
    rules = [r for g in get("/api/v1/rules")["groups"] for r in g["rules"]]
for r in rules:
    check(f"rule {r['name']} health (last error {r.get('lastError')!r})", "ok", r.get("health"))

if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
print(f"# {len(verified)} peers: rx, tx and handshake in Prometheus equal wg show dump")
EOF

lab traffic stop
sleep 0.5
names=()
for ((k = 1; k <= LAB_PEERS; k++)); do
	eval "names+=(\"\$LAB_PEER${k}_PUB=\$LAB_PEER${k}_NAME\")"
done
hub python3 "$WORKDIR/check.py" "$port_prom" "$LAB_HUB_IF" "$LAB_HUB_PUB" "${names[@]}" ||
	fail "Prometheus does not hold what wg show dump says (logs: $(tail -n 5 "$WORKDIR/prometheus.log"))"

# Nothing listens beyond the namespace's loopback.
assert_eq "$(printf '127.0.0.1:%s\n' "$port_exporter" "$port_prom" | sort | xargs)" \
	"$(hub ss -Hltn | awk '{ print $4 }' | sort | xargs)" "listening sockets in the hub's namespace"

# Forwarding switched off in the hub's namespace while peers are online: the alert goes pending.
hub sysctl -qw net.ipv4.ip_forward=0
hub python3 - "$port_prom" "$LAB_HUB_IF" <<'EOF' || fail "WireGuardHubForwardingOff did not go pending"
import json, sys, time, urllib.request

port, ifname = sys.argv[1:3]
deadline = time.time() + 30
while time.time() < deadline:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/alerts", timeout=5) as r:
        alerts = json.load(r)["data"]["alerts"]
    if any(a["labels"].get("alertname") == "WireGuardHubForwardingOff" and
           a["labels"].get("interface") == ifname and a["state"] in ("pending", "firing") for a in alerts):
        print("# WireGuardHubForwardingOff is pending")
        sys.exit(0)
    time.sleep(0.5)
sys.exit(1)
EOF
hub sysctl -qw net.ipv4.ip_forward=1

# With wgstar's counting table installed, the forwarded counters arrive too, exactly those of
# a fixed ping from alice to bob through the hub: 20 echoes and 20 replies of 20 + 8 + 1000 bytes.
RUN_DIR=$WORKDIR/run
# shellcheck disable=SC2016
at_exit 'hub "$WGSTAR" firewall --run-dir "$RUN_DIR" rollback >/dev/null 2>&1'
run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" apply --yes --confirm-timeout 600 -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
assert_status 0 "firewall apply (installs the counting table)"
run hub "$WGSTAR" firewall --run-dir "$RUN_DIR" confirm
assert_status 0 "firewall confirm"
run lab exec peer1 -- ping -q -n -c 20 -s 1000 -i 0.05 -W 2 "$LAB_PEER2_ADDR"
assert_contains "20 received" "$RUN_OUT" "every echo through the hub answered"
hub python3 - "$port_prom" "$LAB_HUB_IF" "$LAB_PEER1_PUB" "$LAB_PEER2_PUB" "$LAB_PEER3_PUB" <<'EOF' ||
import json, sys, time, urllib.parse, urllib.request

port, ifname, alice, bob, carol = sys.argv[1:6]
n, size = 20, 20 + 8 + 1000
want = {}
for pub, sent, received in ((alice, n, n), (bob, n, n), (carol, 0, 0)):
    want[("from_packets", pub)] = sent
    want[("from_bytes", pub)] = sent * size
    want[("to_packets", pub)] = received
    want[("to_bytes", pub)] = received * size

def got():
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode(
        {"query": f'{{__name__=~"wgstar_peer_forwarded_.*",interface="{ifname}"}}'})
    with urllib.request.urlopen(url, timeout=5) as r:
        result = json.load(r)["data"]["result"]
    return {(m["metric"]["__name__"][len("wgstar_peer_forwarded_"):-len("_total")],
             m["metric"]["public_key"]): int(float(m["value"][1])) for m in result}

deadline = time.time() + 30
while (g := got()) != want and time.time() < deadline:
    time.sleep(0.5)
if g != want:
    sys.exit(f"forwarded counters in Prometheus: expected {want}, got {g}")
print("# forwarded packets and bytes in Prometheus equal the ping's")
EOF
	fail "the forwarded counters did not reach Prometheus intact"
cp "$textdir/wgstar.prom" "$WORKDIR/counted.prom"
assert_contains "wgstar_peer_forwarded_to_bytes_total{" "$(cat "$WORKDIR/counted.prom")" \
	"the textfile has the forwarded families"
run promtool check metrics <"$WORKDIR/counted.prom"
assert_status 0 "promtool check metrics on the textfile with forwarded counters"
assert_eq "" "$RUN_OUT$RUN_ERR" "promtool check metrics has no complaint with forwarded counters"

# SIGTERM ends the writer cleanly, and it takes its numbers with it.
stop_pid "$pid_wgstar" wgstar
assert_eq 0 "$STOP_STATUS" "wgstar-top --textfile's exit status after SIGTERM (log: $(head -c 2000 "$WORKDIR/wgstar.log"))"
assert_eq "" "$(ls -A "$textdir")" "files left in the textfile directory"
assert_eq "" "$(cat "$WORKDIR/wgstar.log")" "wgstar-top --textfile's messages"
stop_pid "$pid_prometheus" prometheus
stop_pid "$pid_exporter" node-exporter
note "ok"
