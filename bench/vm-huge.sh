#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vm-huge.sh: bench/huge.sh inside the VM of tests/vm/, on the kernel's WireGuard: 100,000
# peers, `peer add`, `--once` and a key that re-sorts every row, each against its baseline.
#
# Usage: bench/vm-huge.sh [WGSTAR-BINARY]    (default $WGSTAR, else build/src/wgstar-top)
#        PEERS=100000 ROUNDS=5 KEY_ROUNDS=3 SIZE=150x45 bench/vm-huge.sh
# The VM's CPU is emulated (qemu without KVM): every figure is far above a real machine's; the
# baselines of the same run say how far. Build without sanitizers. Needs root, like
# tests/vm/vm.sh; builds tests/tools/wgdump in the binary's build tree first (the guest sees
# this machine's files read-only), unless WGDUMP names one.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-${WGSTAR:-build/src/wgstar-top}}

[ -x "$BIN" ] || { echo "vm-huge.sh: no wgstar-top binary at $BIN (build first, or pass its path)" >&2; exit 1; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
if [ -z "${WGDUMP:-}" ]; then
	build=$(dirname "$(dirname "$BIN")")
	make -s -C "$build" tests/tools/wgdump >/dev/null ||
		{ echo "vm-huge.sh: building tests/tools/wgdump in $build failed (or set WGDUMP)" >&2; exit 1; }
	WGDUMP=$build/tests/tools/wgdump
fi
WGDUMP=$(cd "$(dirname "$WGDUMP")" && pwd)/$(basename "$WGDUMP")
# 100,000 peers: the hub's snapshot, the console's, and the adds' beside them.
export WGSTAR_VM_MEM=${WGSTAR_VM_MEM:-6144}
echo "in a VM (tests/vm/vm.sh), emulated CPU: compare against the baselines of the same run"
exec "$here/../tests/vm/vm.sh" --env PEERS="${PEERS:-100000}" --env ROUNDS="${ROUNDS:-5}" \
	--env KEY_ROUNDS="${KEY_ROUNDS:-3}" --env SIZE="${SIZE:-150x45}" --env WGDUMP="$WGDUMP" \
	--env LAB_BACKEND=kernel -- "$here/huge.sh" "$BIN"
