#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# once.sh: time, CPU and memory of `wgstar-top --once --json` against `wg show dump`, 0 to 10,000 peers.
#
# Usage: bench/once.sh [WGSTAR-BINARY]      (default $WGSTAR, else build/src/wgstar-top)
#        RUNS=20 SIZES="0 1000 10000" bench/once.sh
#        COUNTING=0 bench/once.sh      (without wgstar's counting table; default 1, installed)
#        SINGLE_STACK=1 bench/once.sh  (hub-only peers with an IPv4 address only)
# Needs root (it brings up a lab hub in its own namespace) and python3. Builds nothing.
# The commands run alternately in one loop, so drift in the machine's load hits both alike.
# Wall time and CPU (user+sys) are medians over RUNS, from wait4(2); peak RSS is the maximum
# resident set of the process as `/usr/bin/time -f %M` reports it. With wireguard-go the
# daemon's own CPU per request is shown too: it answers the UAPI query and is not in the
# client's figures.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-${WGSTAR:-build/src/wgstar-top}}
LAB=${LAB:-$here/../tests/lab/lab.sh}
RUNS=${RUNS:-20}
SIZES=${SIZES:-0 1000 10000}

die() {
	echo "once.sh: $*" >&2
	exit 1
}

[ -x "$BIN" ] || die "no wgstar-top binary at $BIN (build first, or pass its path)"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
command -v python3 >/dev/null || die "needs python3"
[ -x /usr/bin/time ] || die "needs /usr/bin/time (GNU time) for the peak RSS"
command -v wg >/dev/null || die "needs wg (wireguard-tools)"

work=$(mktemp -d "${TMPDIR:-/tmp}/wgst-bench.XXXXXX")
cleanup() {
	"$LAB" down --state "$work/lab" || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

dual=--dual-stack-bulk
[ "${SINGLE_STACK:-0}" = 1 ] && dual=
# shellcheck disable=SC2086
LAB_QUIET=1 "$LAB" up --peers 0 $dual --prefix "wgst$$" --state "$work/lab"
eval "$("$LAB" env --state "$work/lab")"
# The counting table, as a hub that shows forwarded figures has it: every read also dumps
# its sets (and the first read after peers were added fills them).
if [ "${COUNTING:-1}" = 1 ]; then
	ip netns exec "$LAB_HUB_NS" "$BIN" firewall apply -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" --yes \
		--run-dir "$work/run" >/dev/null || die "installing the counting table failed"
	ip netns exec "$LAB_HUB_NS" "$BIN" firewall confirm --run-dir "$work/run" >/dev/null ||
		die "confirming the counting table failed"
fi

cat >"$work/measure.py" <<'EOF'
import os, statistics, sys, time

runs, daemon, tmp = int(sys.argv[1]), sys.argv[2], sys.argv[3]
cmds = [c.split("\x1f") for c in sys.argv[4:]]
tick = os.sysconf("SC_CLK_TCK")
devnull = os.open(os.devnull, os.O_WRONLY)

def daemon_cpu():
    if not daemon:
        return 0
    with open(f"/proc/{daemon}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick

def once(argv):
    d0 = daemon_cpu()
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        try:
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{argv[0]} exited {os.waitstatus_to_exitcode(status)}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, daemon_cpu() - d0

# Peak RSS through /usr/bin/time: a child forked from this interpreter would carry the
# interpreter's resident set into its maxrss until exec; time(1) is a small parent.
def peak_rss(argv):
    out = os.path.join(tmp, "rss")
    once(["/usr/bin/time", "-f", "%M", "-o", out] + argv)
    with open(out) as f:
        return int(f.read().split()[-1])

rss = [0 for _ in cmds]
for _ in range(3):                      # also warms the page cache and the daemon
    for i, argv in enumerate(cmds):
        rss[i] = max(rss[i], peak_rss(argv))
res = [[] for _ in cmds]
for _ in range(runs):
    for i, argv in enumerate(cmds):
        res[i].append(once(argv))
for i, r in enumerate(res):
    wall = statistics.median(x[0] for x in r) * 1e3
    cpu = statistics.median(x[1] for x in r) * 1e3
    dcpu = sum(x[3] for x in r) / len(r) * 1e3
    print(f"{wall:.3f} {cpu:.3f} {rss[i]} {dcpu:.3f}")
EOF

wg_path=$(command -v wg)
have=0
declare -A rss
printf 'backend %s, %s runs each, medians; %s CPUs; hub-only peers %s; counting table %s\n' \
	"$LAB_BACKEND" "$RUNS" "$(nproc)" "$([ -n "$dual" ] && echo dual-stack || echo IPv4 only)" \
	"$([ "${COUNTING:-1}" = 1 ] && echo installed || echo absent)"
if ldd "$BIN" 2>/dev/null | grep -Eq 'lib(a|ub|t)san'; then
	echo "warning: $(basename "$BIN") is built with sanitizers; its figures are not representative"
fi
echo
printf '%6s  %-30s %10s %10s %12s %12s\n' peers command "wall ms" "cpu ms" "peak RSS KiB" "daemon ms"
for n in $SIZES; do
	[ "$n" -ge "$have" ] || die "SIZES must grow"
	[ "$n" -eq "$have" ] || LAB_QUIET=1 "$LAB" bulk $((n - have)) --state "$work/lab"
	have=$n
	sep=$'\x1f'
	mapfile -t out < <(ip netns exec "$LAB_HUB_NS" python3 "$work/measure.py" "$RUNS" \
		"$LAB_HUB_PID" "$work" \
		"$wg_path${sep}show${sep}$LAB_HUB_IF${sep}dump" \
		"$BIN${sep}--once${sep}--json${sep}-i${sep}$LAB_HUB_IF" \
		"$BIN${sep}--once${sep}--json${sep}-i${sep}$LAB_HUB_IF${sep}-c${sep}$LAB_HUB_CONF")
	[ ${#out[@]} -eq 3 ] || die "measuring failed at $n peers"
	names=("wg show dump" "wgstar-top --once --json" "  ... -c CONFIG (names)")
	for i in 0 1 2; do
		read -r wall cpu maxrss dcpu <<<"${out[$i]}"
		[ "$LAB_BACKEND" = userspace ] || dcpu=-
		printf '%6s  %-30s %10s %10s %12s %12s\n' "$n" "${names[$i]}" "$wall" "$cpu" "$maxrss" "$dcpu"
		eval "w$i=\$wall c$i=\$cpu m$i=\$maxrss"
		rss[$i,$n]=$maxrss
	done
	# shellcheck disable=SC2154
	awk -v n="$n" -v w0="$w0" -v w1="$w1" -v c0="$c0" -v c1="$c1" -v m0="$m0" -v m1="$m1" \
		'BEGIN { printf "%6s  %-30s %10.2f %10.2f %12.2f\n\n", n, "ratio wgstar-top / wg",
			w1 / w0, (c0 > 0 ? c1 / c0 : 0), m1 / m0 }'
done

first=${SIZES%% *}
last=${SIZES##* }
if [ "$last" -gt "$first" ]; then
	echo "memory per peer beyond the base ($first peers) at $last peers:"
	for i in 0 1 2; do
		awk -v a="${rss[$i,$first]}" -v b="${rss[$i,$last]}" -v n=$((last - first)) \
			-v what="${names[$i]}" \
			'BEGIN { printf "  %-30s %8.0f bytes\n", what, (b - a) * 1024 / n }'
	done
fi
