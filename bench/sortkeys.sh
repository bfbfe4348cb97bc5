#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# sortkeys.sh: the console's own cost of a key that re-sorts every row (the key handled and the
# screen drawn), on hubs of SIZES dual-stack peers, against the same keys on a hub of one peer.
# No terminal, no WireGuard, no root: bench/sortkeys (built on demand) drives the console's
# core directly, so the figure is the work on the console's thread, without the terminal's
# output or a sample landing on the key (bench/console.sh and tests/scale/huge_hub.sh time
# those at the pseudo-terminal).
#
# Also a sample taken in and drawn, as the console's thread takes one each second: what a key
# that lands on a sample waits for.
#
# Usage: bench/sortkeys.sh [BUILD_DIR]     (default build; an -O2 build without sanitizers)
#        SIZES="10000 100000" ROUNDS=20 SAMPLES=10 bench/sortkeys.sh build-rel
#        CALLGRIND=1: also the instructions of a key and of a sample, counted by valgrind (for
#        machines, such as an emulated VM, where instructions say more than this machine's
#        milliseconds)

set -euo pipefail

BUILD=$(cd "${1:-build}" && pwd)
SIZES=${SIZES:-10000 100000}
ROUNDS=${ROUNDS:-20}
SAMPLES=${SAMPLES:-10}

die() {
	echo "sortkeys.sh: $*" >&2
	exit 1
}

make -s -C "$BUILD" bench/sortkeys >/dev/null || die "building bench/sortkeys failed"
BIN=$BUILD/bench/sortkeys
if ldd "$BIN" 2>/dev/null | grep -Eq 'lib(a|ub|t)san'; then
	echo "warning: $BUILD is built with sanitizers; its figures are not representative"
fi

# instructions PEERS FUNCTION PER: of one key (sortkeys_run, 12 keys) or one sample
# (samples_run, 3 samples), on average, as callgrind counts them.
instructions() {
	local out ir
	out=$(mktemp)
	valgrind --tool=callgrind --toggle-collect="$2" --callgrind-out-file=/dev/null \
		"$BIN" "$1" 2 3 >/dev/null 2>"$out" || { rm -f "$out"; echo "?"; return; }
	ir=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out")
	rm -f "$out"
	awk -v ir="$ir" -v per="$3" 'BEGIN { printf "%.1f M", ir / per / 1e6 }'
}

printf 'key to screen on the console thread, %s rounds of sss<<<; %s samples; %s CPUs\n\n' \
	"$ROUNDS" "$SAMPLES" "$(nproc)"
printf '%8s %12s %12s %14s %14s' peers "key med. ms" "key max ms" "sample med. ms" "sample max ms"
[ "${CALLGRIND:-0}" = 1 ] && printf ' %14s %14s' "instr. a key" "instr. a sample"
printf '\n'
for n in 1 $SIZES; do
	read -r peers med max smed smax < <("$BIN" "$n" "$ROUNDS" "$SAMPLES") || die "bench/sortkeys $n failed"
	printf '%8s %12s %12s %14s %14s' "$peers" "$med" "$max" "$smed" "$smax"
	[ "${CALLGRIND:-0}" = 1 ] &&
		printf ' %14s %14s' "$(instructions "$n" sortkeys_run 12)" "$(instructions "$n" samples_run 3)"
	printf '\n'
done
