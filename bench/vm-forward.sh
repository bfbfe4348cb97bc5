#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vm-forward.sh: bench/forward.sh inside the VM of tests/vm/, on the kernel's WireGuard:
# forwarding throughput with wgstar's counting table against none, and the cost of a read.
#
# Usage: bench/vm-forward.sh [WGSTAR-BINARY]    (default $WGSTAR, else build/src/wgstar-top)
#        PEERS=10000 SECONDS_EACH=3 ROUNDS=3 RUNS=5 bench/vm-forward.sh
# The VM's CPU is emulated (qemu without KVM): throughput and times are far below and above a
# real machine's; only the ratio with and without the table, taken in the same run, means
# anything. Build without sanitizers. Needs root, like tests/vm/vm.sh. bench/vm-policy.sh
# gives the ratio with the hub policy added to the counting table.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-${WGSTAR:-build/src/wgstar-top}}

[ -x "$BIN" ] || { echo "vm-forward.sh: no wgstar-top binary at $BIN (build first, or pass its path)" >&2; exit 1; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
echo "in a VM (tests/vm/vm.sh), emulated CPU: compare with and without the table only"
exec "$here/../tests/vm/vm.sh" --env PEERS="${PEERS:-10000}" --env SECONDS_EACH="${SECONDS_EACH:-3}" \
	--env ROUNDS="${ROUNDS:-3}" --env RUNS="${RUNS:-5}" --env LAB_BACKEND=kernel -- "$here/forward.sh" "$BIN"
