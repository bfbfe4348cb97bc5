#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# console.sh: CPU share, memory and terminal output of the live console on a hub with
# 10,000 peers, at the default interval, next to what the WireGuard daemon spends.
#
# Usage: bench/console.sh [WGSTAR-BINARY]     (default $WGSTAR, else build/src/wgstar-top)
#        PEERS=10000 SECONDS_MEASURED=60 SIZE=120x40 bench/console.sh
#        COUNTING=0 (no counting table; default 1)   SINGLE_STACK=1 (IPv4-only hub peers)
#        POLICY=1 (a hub policy of 50 groups and 200 rules, with the counting table)
# Needs root (it brings up a lab hub in its own namespaces) and tmux. Builds nothing.
#
# The lab is a hub with 3 real peers pinging each other through it and PEERS hub-only peers.
# First the daemon is measured alone for SECONDS_MEASURED, then the console runs in a private
# tmux server and, after a warm-up, the console and the daemon are measured over the same
# span: CPU from utime + stime in /proc/PID/stat, memory from VmRSS and VmHWM, bytes written
# to the terminal from wchar in /proc/PID/io; memory also a peer, over a console of one peer.
# The memory peak is taken at start-up and over the span apart, and again across a peer added
# to the hub and removed (wg set), which has the console bring the counting sets in step and
# compile the policy anew. Then the latency of a key (re-sorting every row) is taken at the console's own
# pseudo-terminal, against a console of one peer.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-${WGSTAR:-build/src/wgstar-top}}
LAB=${LAB:-$here/../tests/lab/lab.sh}
PEERS=${PEERS:-10000}
SPAN=${SECONDS_MEASURED:-60}
SIZE=${SIZE:-120x40}
WARMUP=5

die() {
	echo "console.sh: $*" >&2
	exit 1
}

[ -x "$BIN" ] || die "no wgstar-top binary at $BIN (build first, or pass its path)"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
command -v tmux >/dev/null || die "needs tmux"
command -v wg >/dev/null || die "needs wg (wireguard-tools)"
[[ $SIZE =~ ^([0-9]+)x([0-9]+)$ ]] || die "SIZE wants COLSxROWS"
cols=${BASH_REMATCH[1]} rows=${BASH_REMATCH[2]}

work=$(mktemp -d "${TMPDIR:-/tmp}/wgst-bench.XXXXXX")
sock=wgst-bench-$$
# The server's socket in the bench's own directory, removed with it: kill-server leaves it.
export TMUX_TMPDIR=$work
tmx() {
	tmux -L "$sock" -f /dev/null "$@"
}
cleanup() {
	tmx kill-server 2>/dev/null || true
	"$LAB" down --state "$work/lab" || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
unset TMUX

tick=$(getconf CLK_TCK)
# cpu_ticks PID: utime + stime, in clock ticks.
cpu_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat")
	stat=${stat##*) }
	# shellcheck disable=SC2086
	set -- $stat
	echo $((${12} + ${13}))
}
now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}
status_kib() {
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}
wchar() {
	awk '$1 == "wchar:" { print $2 }' "/proc/$1/io"
}
# console_pid SESSION: the console's PID in that tmux session, waited for up to 5 s.
console_pid() {
	local p i
	for ((i = 0; i < 100; i++)); do
		sleep 0.05
		p=$(pgrep -P "$(tmx display-message -p -t "$1" '#{pane_pid}')" -x wgstar-top || true)
		[ -z "$p" ] || break
	done
	[ -n "$p" ] && echo "$p"
}
# share TICKS MS: percent of one core, two decimals.
share() {
	awk -v t="$1" -v ms="$2" -v hz="$tick" 'BEGIN { printf "%.2f", t / hz / (ms / 1000) * 100 }'
}

echo "bringing up a hub with 3 talking peers and $PEERS hub-only peers..."
dual=--dual-stack-bulk
[ "${SINGLE_STACK:-0}" = 1 ] && dual=
# shellcheck disable=SC2086
LAB_QUIET=1 "$LAB" up --peers 3 --traffic --bulk-peers "$PEERS" $dual --prefix "wgst$$" --state "$work/lab"
eval "$("$LAB" env --state "$work/lab")"
# POLICY=1: a hub policy of 50 groups and 200 rules (bench/gen_policy.py), installed with the
# counting table and read by the console every tick.
policy=()
: >"$work/policy.conf"
if [ "${POLICY:-0}" = 1 ]; then
	python3 "$here/gen_policy.py" "$LAB_HUB_CONF" "$LAB_HUB_IF" 50 200 >"$work/policy.conf"
fi
policy=(--policy "$work/policy.conf")
if [ "${COUNTING:-1}" = 1 ] || [ "${POLICY:-0}" = 1 ]; then
	ip netns exec "$LAB_HUB_NS" "$BIN" firewall apply -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" --yes \
		"${policy[@]}" --confirm-timeout 600 --run-dir "$work/run" >/dev/null ||
		die "installing the counting table failed"
	ip netns exec "$LAB_HUB_NS" "$BIN" firewall confirm --run-dir "$work/run" >/dev/null ||
		die "confirming the counting table failed"
fi
daemon=${LAB_HUB_PID:-}

printf 'backend %s, %s peers, %sx%s terminal, %s s measured, %s CPUs, clock tick %s Hz\n' \
	"$LAB_BACKEND" "$((PEERS + 3))" "$cols" "$rows" "$SPAN" "$(nproc)" "$tick"
printf 'hub-only peers %s; counting table %s; hub policy %s\n' \
	"$([ -n "$dual" ] && echo dual-stack || echo IPv4 only)" \
	"$([ "${COUNTING:-1}" = 1 ] || [ "${POLICY:-0}" = 1 ] && echo installed || echo absent)" \
	"$([ "${POLICY:-0}" = 1 ] && echo "50 groups, 200 rules" || echo none)"
if ldd "$BIN" 2>/dev/null | grep -Eq 'lib(a|ub|t)san'; then
	echo "warning: $(basename "$BIN") is built with sanitizers; its figures are not representative"
fi

idle=
if [ -n "$daemon" ]; then
	d0=$(cpu_ticks "$daemon") t0=$(now_ms)
	sleep "$SPAN"
	idle=$(share $(($(cpu_ticks "$daemon") - d0)) $(($(now_ms) - t0)))
fi

tmx new-session -d -s bench -x "$cols" -y "$rows" \
	"env LANG=C.UTF-8 ip netns exec $LAB_HUB_NS $BIN -i $LAB_HUB_IF -c $LAB_HUB_CONF --policy $work/policy.conf; sleep 3600"
pid=$(console_pid bench) || die "the console did not start"
sleep "$WARMUP"
kill -0 "$pid" 2>/dev/null || die "the console exited: $(tmx capture-pane -p -t bench | tail -n 3)"

# The start-up peak (the first full reads, the policy's first compile), then the peak while it
# runs, measured apart: VmHWM is set back to the current RSS (clear_refs 5) after the warm-up.
hwm_start=$(status_kib "$pid" VmHWM)
echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || echo "(VmHWM could not be set back: the peaks below include the earlier ones)"
c0=$(cpu_ticks "$pid") w0=$(wchar "$pid") t0=$(now_ms)
[ -z "$daemon" ] || d0=$(cpu_ticks "$daemon")
sleep "$SPAN"
c1=$(cpu_ticks "$pid") w1=$(wchar "$pid") t1=$(now_ms)
[ -z "$daemon" ] || d1=$(cpu_ticks "$daemon")
ms=$((t1 - t0))

echo
printf '%-44s %s %% of one core\n' "console CPU" "$(share $((c1 - c0)) $ms)"
rss=$(status_kib "$pid" VmRSS) hwm_run=$(status_kib "$pid" VmHWM)
hwm=$((hwm_start > hwm_run ? hwm_start : hwm_run))
printf '%-44s %s KiB now, peak %s at start, %s running\n' "console memory (RSS)" "$rss" "$hwm_start" "$hwm_run"
printf '%-44s %s bytes/s\n' "written to the terminal" \
	"$(awk -v b=$((w1 - w0)) -v ms=$ms 'BEGIN { printf "%.0f", b / (ms / 1000) }')"
if [ -n "$daemon" ]; then
	printf '%-44s %s %% of one core\n' "wireguard-go CPU, console running" "$(share $((d1 - d0)) $ms)"
	printf '%-44s %s %% of one core\n' "wireguard-go CPU, alone (before)" "$idle"
else
	echo "(kernel WireGuard: its cost of answering is in the console's system time)"
fi

# A peer added behind the console's back and removed again: the counting sets are brought in step
# and the policy is compiled anew for the peers, each time.
echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || echo "(VmHWM could not be set back: the peaks below include the earlier ones)"
extra=$(wg genkey | wg pubkey)
ip netns exec "$LAB_HUB_NS" wg set "$LAB_HUB_IF" peer "$extra" allowed-ips 10.254.0.1/32,fd00:254::1/128
sleep 4
ip netns exec "$LAB_HUB_NS" wg set "$LAB_HUB_IF" peer "$extra" remove
sleep 4
hwm_change=$(status_kib "$pid" VmHWM)
printf '%-44s %s KiB\n' "peak across a peer added and removed" "$hwm_change"

tmx send-keys -t bench q

# What the console costs whatever the hub: the same console on peer 1, which has one peer and
# no counting table, over the warm-up and a third of the span. What a peer costs is the
# difference, shared out.
tmx new-session -d -s one -x "$cols" -y "$rows" \
	"env LANG=C.UTF-8 ip netns exec $LAB_PEER1_NS $BIN -i $LAB_PEER1_IF; sleep 3600"
one=$(console_pid one) || die "the one-peer console did not start"
sleep $((WARMUP + SPAN / 3))
rss1=$(status_kib "$one" VmRSS) hwm1=$(status_kib "$one" VmHWM)
tmx send-keys -t one q
printf '%-44s %s KiB now, %s KiB peak\n' "one-peer console memory (RSS)" "$rss1" "$hwm1"
printf '%-44s %s KiB now, %s KiB peak\n' "console memory a peer, over the one-peer's" \
	"$(awk -v a="$rss" -v b="$rss1" -v n=$((PEERS + 2)) 'BEGIN { printf "%.2f", (a - b) / n }')" \
	"$(awk -v a="$hwm" -v b="$hwm1" -v n=$((PEERS + 2)) 'BEGIN { printf "%.2f", (a - b) / n }')"
printf '%-44s %s KiB now, %s KiB peak\n' "console memory a peer, whole process" \
	"$(awk -v a="$rss" -v n=$((PEERS + 3)) 'BEGIN { printf "%.2f", a / n }')" \
	"$(awk -v a="$hwm" -v n=$((PEERS + 3)) 'BEGIN { printf "%.2f", a / n }')"
printf '%-44s %s KiB peak\n' "the same across a peer added and removed" \
	"$(awk -v a="$hwm_change" -v n=$((PEERS + 3)) 'BEGIN { printf "%.2f", a / n }')"

# A key that re-sorts every row, timed at the console's own terminal (tests/tools/keylat.py:
# from writing the key to the last byte of the update that shows the column it sorts by;
# tmux's polling added 50-150 ms here). The baseline is the same console on peer 1, which has
# one peer.
keylat() {
	local peers=$1 ns=$2 col expect=()
	shift 2
	for col in "ALLOWED IPS" ENDPOINT "ALLOWED IPS" NAME "ALLOWED IPS" ENDPOINT "ALLOWED IPS" NAME; do
		expect+=(--expect "$col↑")
	done
	python3 "$here/../tests/tools/keylat.py" --size "$SIZE" --keys "ss<<ss<<" "${expect[@]}" \
		--ready "(online +[0-9]+/$peers|[0-9]+/$peers online)" -- ip netns exec "$ns" "$BIN" "$@" |
		sed -n 's/^median \(.*\)/\1/p'
}
printf '%-44s %s\n' "key to screen (sort $((PEERS + 3)) rows), 8 keys" \
	"$(keylat $((PEERS + 3)) "$LAB_HUB_NS" -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" --policy "$work/policy.conf")"
printf '%-44s %s\n' "key to screen (sort 1 row, peer 1), 8 keys" \
	"$(keylat 1 "$LAB_PEER1_NS" -i "$LAB_PEER1_IF")"
