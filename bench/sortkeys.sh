#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# sortkeys.sh: the console's own cost of a key that re-sorts every row (the key handled and the
# screen drawn), on hubs of SIZES dual-stack peers, against the same keys on a hub of one peer.
# No terminal, no WireGuard, no root: bench/sortkeys (built on demand) drives the console's
# core directly, so the figure is the work on the console's thread, without the terminal's
# output or a sample landing on the key (bench/console.sh and tests/scale/huge_hub.sh time
# those at the pseudo-terminal).
#
# Usage: bench/sortkeys.sh [BUILD_DIR]     (default build; an -O2 build without sanitizers)
#        SIZES="10000 100000" ROUNDS=20 bench/sortkeys.sh build-rel
#        CALLGRIND=1: also the instructions of a key, counted by valgrind (for machines, such
#        as an emulated VM, where instructions say more than this machine's milliseconds)

set -euo pipefail

BUILD=$(cd "${1:-build}" && pwd)
SIZES=${SIZES:-10000 100000}
ROUNDS=${ROUNDS:-20}

die() {
	echo "sortkeys.sh: $*" >&2
	exit 1
}

make -s -C "$BUILD" bench/sortkeys >/dev/null || die "building bench/sortkeys failed"
BIN=$BUILD/bench/sortkeys
if ldd "$BIN" 2>/dev/null | grep -Eq 'lib(a|ub|t)san'; then
	echo "warning: $BUILD is built with sanitizers; its figures are not representative"
fi

# instructions PEERS: of one key, on average, as callgrind counts them.
instructions() {
	local out ir
	out=$(mktemp)
	valgrind --tool=callgrind --toggle-collect=sortkeys_run --callgrind-out-file=/dev/null \
		"$BIN" "$1" 2 >/dev/null 2>"$out" || { rm -f "$out"; echo "?"; return; }
	ir=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out")
	rm -f "$out"
	awk -v ir="$ir" 'BEGIN { printf "%.1f M", ir / 12 / 1e6 }'
}

printf 'key to screen on the console thread, %s rounds of sss<<<, %s CPUs\n\n' "$ROUNDS" "$(nproc)"
printf '%8s %12s %12s' peers "median ms" "max ms"
[ "${CALLGRIND:-0}" = 1 ] && printf ' %16s' "instr. a key"
printf '\n'
for n in 1 $SIZES; do
	read -r peers med max < <("$BIN" "$n" "$ROUNDS") || die "bench/sortkeys $n failed"
	printf '%8s %12s %12s' "$peers" "$med" "$max"
	[ "${CALLGRIND:-0}" = 1 ] && printf ' %16s' "$(instructions "$n")"
	printf '\n'
done
