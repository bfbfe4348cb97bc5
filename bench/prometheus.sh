#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# prometheus.sh: cost of one `wgstar-top --once --prometheus` against `wg show IFACE dump`.
#
# Usage: bench/prometheus.sh [WGSTAR-BINARY]      (default $WGSTAR, else build/src/wgstar-top)
#        RUNS=20 SIZES="1000 10000" bench/prometheus.sh
# Needs root (it brings up a lab hub in its own namespace) and python3. Builds nothing.
# As bench/once.sh does: the commands run alternately in one loop, so drift in the machine's
# load hits all alike; wall time and CPU (user+sys, from wait4(2)) are medians over RUNS, the
# peak RSS the maximum that /usr/bin/time reports. With wireguard-go the daemon's CPU per
# request is shown too: it answers the UAPI query and is not in the client's figures. The
# ratio line divides the exposition with names (-c) by the dump. The dump names the hub's
# interface rather than "all": for wireguard-go, "all" means every UAPI socket in the one
# directory shared by all namespaces, so other labs on the machine would be read as well; on a
# hub with one interface the two are the same.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-${WGSTAR:-build/src/wgstar-top}}
LAB=${LAB:-$here/../tests/lab/lab.sh}
RUNS=${RUNS:-20}
SIZES=${SIZES:-1000 10000}

die() {
	echo "prometheus.sh: $*" >&2
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

LAB_QUIET=1 "$LAB" up --peers 0 --prefix "wgst$$" --state "$work/lab"
eval "$("$LAB" env --state "$work/lab")"

cat >"$work/measure.py" <<'PY'
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

def once(argv, out=devnull):
    d0 = daemon_cpu()
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.dup2(out, 1)
        os.dup2(devnull, 2)
        try:
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{argv[0]} exited {os.waitstatus_to_exitcode(status)}")
    return wall, ru.ru_utime + ru.ru_stime, daemon_cpu() - d0

def peak_rss(argv):
    out = os.path.join(tmp, "rss")
    once(["/usr/bin/time", "-f", "%M", "-o", out] + argv)
    with open(out) as f:
        return int(f.read().split()[-1])

def output_size(argv):
    path = os.path.join(tmp, "out")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    once(argv, fd)
    os.close(fd)
    return os.path.getsize(path)

rss = [max(peak_rss(argv) for _ in range(3)) for argv in cmds]
size = [output_size(argv) for argv in cmds]
res = [[] for _ in cmds]
for _ in range(runs):
    for i, argv in enumerate(cmds):
        res[i].append(once(argv))
for i, r in enumerate(res):
    wall = statistics.median(x[0] for x in r) * 1e3
    cpu = statistics.median(x[1] for x in r) * 1e3
    dcpu = sum(x[2] for x in r) / len(r) * 1e3
    print(f"{wall:.3f} {cpu:.3f} {rss[i]} {dcpu:.3f} {size[i]}")
PY

wg_path=$(command -v wg)
have=0
sep=$'\x1f'
names=("wg show IFACE dump" "wgstar-top --once --json" "wgstar-top --once --prometheus" "  ... -c CONFIG (names)")
printf 'backend %s, %s runs each, medians; %s CPUs\n' "$LAB_BACKEND" "$RUNS" "$(nproc)"
if ldd "$BIN" 2>/dev/null | grep -Eq 'lib(a|ub|t)san'; then
	echo "warning: $(basename "$BIN") is built with sanitizers; its figures are not representative"
fi
echo
printf '%6s  %-32s %9s %9s %12s %10s %11s\n' peers command "wall ms" "cpu ms" "peak RSS KiB" "daemon ms" "output B"
for n in $SIZES; do
	[ "$n" -ge "$have" ] || die "SIZES must grow"
	[ "$n" -eq "$have" ] || LAB_QUIET=1 "$LAB" bulk $((n - have)) --state "$work/lab"
	have=$n
	mapfile -t out < <(ip netns exec "$LAB_HUB_NS" python3 "$work/measure.py" "$RUNS" \
		"$LAB_HUB_PID" "$work" \
		"$wg_path${sep}show${sep}$LAB_HUB_IF${sep}dump" \
		"$BIN${sep}--once${sep}--json${sep}-i${sep}$LAB_HUB_IF" \
		"$BIN${sep}--once${sep}--prometheus${sep}-i${sep}$LAB_HUB_IF" \
		"$BIN${sep}--once${sep}--prometheus${sep}-i${sep}$LAB_HUB_IF${sep}-c${sep}$LAB_HUB_CONF")
	[ ${#out[@]} -eq 4 ] || die "measuring failed at $n peers"
	for i in 0 1 2 3; do
		read -r wall cpu maxrss dcpu size <<<"${out[$i]}"
		[ "$LAB_BACKEND" = userspace ] || dcpu=-
		printf '%6s  %-32s %9s %9s %12s %10s %11s\n' "$n" "${names[$i]}" "$wall" "$cpu" "$maxrss" "$dcpu" "$size"
		eval "w$i=\$wall c$i=\$cpu"
	done
	# shellcheck disable=SC2154
	awk -v n="$n" -v w0="$w0" -v w3="$w3" -v c0="$c0" -v c3="$c3" \
		'BEGIN { printf "%6s  %-32s %9.2f %9.2f\n\n", n, "ratio --prometheus -c / wg", w3 / w0,
			(c0 > 0 ? c3 / c0 : 0) }'
done
