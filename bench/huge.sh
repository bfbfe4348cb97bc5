#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# huge.sh: a hub as big as its WireGuard goes, timed: `peer add` against the kernel's bare dump
# of the same peers and a `wg set` of one peer, `--once --json` and `--once` against `wg show
# dump`, and a key that re-sorts every row against the same key on a console of one peer.
#
# Usage: bench/huge.sh [WGSTAR-BINARY]      (default $WGSTAR, else build/src/wgstar-top)
#        PEERS=100000 ROUNDS=5 KEY_ROUNDS=3 SIZE=150x45 bench/huge.sh   (SIZE: the console's terminal)
# PEERS counts the hub's peers before the adds: default 100,000 on the kernel's WireGuard,
# 65,000 on wireguard-go (it holds at most 65,536; ROUNDS adds must fit). Every hub-only peer
# has an IPv4 and an IPv6 address, as the lab's --dual-stack-bulk gives them. bench/vm-huge.sh
# runs this in the VM of tests/vm/, on the kernel.
#
# Each round runs, one after the other so that drift in the machine's load hits them alike:
# the kernel's dump received and not parsed (tests/tools/wgdump, next to the binary's build;
# on wireguard-go `wg show dump` instead), `wg set` of one peer (then removed, untimed), `peer
# add` (the add's peers stay: the hub grows by one a round), `wg show dump`, `--once --json`
# and `--once`. Wall times from fork to exit inside the hub's namespace, as `time CMD` on the
# hub would take them: median and maximum over the rounds, the first round's (a cold page cache
# and allocator, as for an operator's one add) among them. Then the console: KEY_ROUNDS rounds
# of `ss<<ss<<` timed at its own pseudo-terminal (tests/tools/keylat.py), and the same on peer 1,
# a console of one peer. No counting table: loading 400,000 elements takes an emulated CPU
# minutes (bench/once.sh and bench/console.sh time the table at 10,000 peers).
# The backend is the lab's: the kernel's WireGuard where its module loads, else wireguard-go.
# On the kernel, tests/tools/wgdump is built first when it is missing (WGDUMP= names another).
# Every command gets a policy, database and settings file of the run's own (none of them
# there): what /etc/wgstar and /var/lib/wgstar hold stays out of the figures; an add still
# logs its event to the journal. Needs root, python3 and /usr/bin/time. Build without
# sanitizers for real figures.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-${WGSTAR:-build/src/wgstar-top}}
LAB=${LAB:-$here/../tests/lab/lab.sh}
ROUNDS=${ROUNDS:-5}
KEY_ROUNDS=${KEY_ROUNDS:-3}
SIZE=${SIZE:-150x45}

die() {
	echo "huge.sh: $*" >&2
	exit 1
}

[ -x "$BIN" ] || die "no wgstar-top binary at $BIN (build first, or pass its path)"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
command -v python3 >/dev/null || die "needs python3"
[ -x /usr/bin/time ] || die "needs /usr/bin/time (GNU time) for the peak RSS"
[[ $ROUNDS =~ ^[1-9][0-9]*$ && $KEY_ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS and KEY_ROUNDS want a number"
[[ -z ${PEERS:-} || ($PEERS =~ ^[1-9][0-9]*$ && $PEERS -ge 3) ]] || die "PEERS wants a number of at least 3"

work=$(mktemp -d "${TMPDIR:-/tmp}/wgst-bench.XXXXXX")
cleanup() {
	"$LAB" down --state "$work/lab" || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

LAB_QUIET=1 "$LAB" up --peers 2 --dual-stack-bulk --prefix "wgst$$" --state "$work/lab"
eval "$("$LAB" env --state "$work/lab")"
if [ "$LAB_BACKEND" = userspace ]; then
	PEERS=${PEERS:-65000}
	[ $((PEERS + ROUNDS)) -le 65536 ] || die "wireguard-go holds 65,536 peers: PEERS + ROUNDS must fit"
	floor=("$(command -v wg)" show "$LAB_HUB_IF" dump)
	floor_what="wg show dump (wireguard-go: the dump an add reads)"
else
	PEERS=${PEERS:-100000}
	wgdump=${WGDUMP:-$(dirname "$BIN")/../tests/tools/wgdump}
	if [ -z "${WGDUMP:-}" ] && [ ! -x "$wgdump" ] && [ -f "$(dirname "$BIN")/../Makefile" ]; then
		make -s -C "$(dirname "$BIN")/.." tests/tools/wgdump >/dev/null || die "building tests/tools/wgdump failed"
	fi
	[ -x "$wgdump" ] || die "no $wgdump: make -C BUILD tests/tools/wgdump (or set WGDUMP)"
	floor=("$(cd "$(dirname "$wgdump")" && pwd)/$(basename "$wgdump")" "$LAB_HUB_IF")
	floor_what="the kernel's dump alone (wgdump)"
fi
# The wide subnets of tests/scale/huge_hub.sh: an add looks for a free address among every
# peer, as on a hub whose peers sit inside its subnet (the lab's bulk peers are outside its /24).
"$LAB" bulk $((PEERS - 2)) --state "$work/lab" >/dev/null
sed -i 's|^Address = .*|Address = 10.128.0.1/9, fd00::1/16|' "$LAB_HUB_CONF"

cat >"$work/measure.py" <<'EOF'
import os, statistics, sys, time

rounds, errpath, names = int(sys.argv[1]), sys.argv[2], sys.argv[3].split("\x1e")
cmds = [c.split("\x1f") for c in sys.argv[4:]]
devnull = os.open(os.devnull, os.O_WRONLY)

def run(argv):
    err = os.open(errpath, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.dup2(devnull, 1)
        os.dup2(err, 2)
        try:
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    _, status, _ = os.wait4(pid, 0)
    os.close(err)
    if os.waitstatus_to_exitcode(status) != 0:
        with open(errpath, errors="replace") as f:
            said = f.read()[-500:].strip()
        sys.exit(f"{' '.join(argv)} exited {os.waitstatus_to_exitcode(status)}: {said}")
    return (time.perf_counter() - t0) * 1e3

# A command without a name runs untimed (the removal of the wg set peer); "{i}" is
# the round's number, for the added peers' names.
times = {n: [] for n in names}
for i in range(1, rounds + 1):
    for name, argv in zip(names, cmds):
        t = run([a.replace("{i}", str(i)) for a in argv])
        if name:
            times[name].append(t)
for name in names:
    if name:
        v = times[name]
        print(f"{name}\x1f{statistics.median(v):.1f}\x1f{max(v):.1f}\x1f{' '.join(f'{x:.1f}' for x in v)}")
EOF

key=$(wg genkey | wg pubkey)
join() {
	local IFS=$'\x1f'
	echo "$*"
}
own=(--policy "$work/policy.conf" --db "$work/wgstar.db" --settings "$work/settings")
names=("$floor_what" "wg set of one peer" "" "peer add" "wg show dump" "--once --json" "--once")
cmds=("$(join "${floor[@]}")"
	"$(join "$(command -v wg)" set "$LAB_HUB_IF" peer "$key" allowed-ips 198.18.0.1/32)"
	"$(join "$(command -v wg)" set "$LAB_HUB_IF" peer "$key" remove)"
	"$(join "$BIN" peer add "bench-add-{i}" -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" --names "$work/names" "${own[@]}" \
		--generate --endpoint "$LAB_HUB_UNDERLAY:$LAB_HUB_PORT" --client-config "$work/add-{i}.conf")"
	"$(join "$(command -v wg)" show "$LAB_HUB_IF" dump)"
	"$(join "$BIN" --once --json -i "$LAB_HUB_IF" "${own[@]}")"
	"$(join "$BIN" --once -i "$LAB_HUB_IF" "${own[@]}")")

printf 'backend %s, %s peers (dual-stack) before %s adds, %s rounds; %s CPUs\n' \
	"$LAB_BACKEND" "$PEERS" "$ROUNDS" "$ROUNDS" "$(nproc)"
if ldd "$BIN" 2>/dev/null | grep -Eq 'lib(a|ub|t)san'; then
	echo "warning: $BIN is built with sanitizers; its figures are not representative"
fi
printf '\n%-52s %8s %8s   %s\n' "wall time, ms" median max "each round"
ip netns exec "$LAB_HUB_NS" env LC_ALL=C.UTF-8 LANGUAGE= python3 "$work/measure.py" "$ROUNDS" "$work/err" "$(IFS=$'\x1e'; echo "${names[*]}")" \
	"${cmds[@]}" | while IFS=$'\x1f' read -r name med max each; do
	printf '%-52s %8s %8s   %s\n' "$name" "$med" "$max" "$each"
done
total=$(ip netns exec "$LAB_HUB_NS" wg show "$LAB_HUB_IF" peers | wc -l)
[ "$total" = $((PEERS + ROUNDS)) ] || die "the hub has $total peers after $ROUNDS adds to $PEERS"

# The memory of --once with the names of the config file and the store, as an operator runs it:
# whole process, and a peer's share over --once on peer 1, which has one peer.
peak_rss() {
	local ns=$1
	shift
	ip netns exec "$ns" env LC_ALL=C.UTF-8 LANGUAGE= /usr/bin/time -f %M -o "$work/rss" "$BIN" --once "$@" \
		"${own[@]}" >/dev/null 2>&1 ||
		die "--once $* failed"
	tail -n 1 "$work/rss"
}
rss=$(peak_rss "$LAB_HUB_NS" -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" --names "$work/names")
rss1=$(peak_rss "$LAB_PEER1_NS" -i "$LAB_PEER1_IF")
printf '\n%-52s %s KiB (one peer: %s KiB), %s KiB a peer over that\n' "--once -c CONFIG --names, peak RSS" "$rss" "$rss1" \
	"$(awk -v a="$rss" -v b="$rss1" -v n="$total" 'BEGIN { printf "%.2f", (a - b) / (n - 1) }')"

# A key that re-sorts every row, at the console's own terminal: from writing the key to the
# last byte of the update that shows the column it sorts by. Samples keep coming each second:
# some keys land on one being taken in.
keylat() {
	local peers=$1 ns=$2 col expect=()
	shift 2
	for col in "ALLOWED IPS" ENDPOINT "ALLOWED IPS" NAME "ALLOWED IPS" ENDPOINT "ALLOWED IPS" NAME; do
		expect+=(--expect "$col↑")
	done
	python3 "$here/../tests/tools/keylat.py" --size "$SIZE" --keys "ss<<ss<<" "${expect[@]}" \
		--rounds "$KEY_ROUNDS" --ready "(online +[0-9]+/$peers|[0-9]+/$peers online)" --ready-timeout 600 -- \
		ip netns exec "$ns" "$BIN" "$@" "${own[@]}" >"$work/keylat.out" ||
		die "keylat.py failed: $(tail -n 3 "$work/keylat.out")"
	printf '%s (%s)' "$(sed -n 's/^median //p' "$work/keylat.out")" \
		"$(sed -n 's/^key to screen, ms: //p' "$work/keylat.out")"
}
# Assigned before printed: a failure inside $(...) given to printf would not stop the script.
lat=$(keylat "$total" "$LAB_HUB_NS" -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" --names "$work/names")
printf '%-52s %s\n' "key to screen, sort of $total rows, $((KEY_ROUNDS * 8)) keys" "$lat"
lat=$(keylat 1 "$LAB_PEER1_NS" -i "$LAB_PEER1_IF")
printf '%-52s %s\n' "key to screen, sort of 1 row (peer 1), $((KEY_ROUNDS * 8)) keys" "$lat"
