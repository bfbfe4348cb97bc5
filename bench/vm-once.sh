#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vm-once.sh: bench/once.sh inside the VM of tests/vm/, on the kernel's WireGuard: whole-process
# time of `wgstar-top --once --json` against `wg show dump` at 1,000 and 10,000 peers.
#
# Usage: bench/vm-once.sh [WGSTAR-BINARY]    (default $WGSTAR, else build/src/wgstar-top)
#        RUNS=10 SIZES="1000 10000" bench/vm-once.sh
# The VM's CPU is emulated (qemu without KVM): every figure is far above a real machine's and
# only the ratios wgstar-top / wg, taken in the same run, mean anything. Build without
# sanitizers for them. Needs root, like tests/vm/vm.sh.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-${WGSTAR:-build/src/wgstar-top}}

[ -x "$BIN" ] || { echo "vm-once.sh: no wgstar-top binary at $BIN (build first, or pass its path)" >&2; exit 1; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
echo "in a VM (tests/vm/vm.sh), emulated CPU: compare the ratios only"
exec "$here/../tests/vm/vm.sh" --env RUNS="${RUNS:-10}" --env SIZES="${SIZES:-1000 10000}" \
	--env LAB_BACKEND=kernel -- "$here/once.sh" "$BIN"
