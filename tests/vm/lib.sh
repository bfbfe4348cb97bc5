# SPDX-License-Identifier: GPL-2.0-or-later
# lib.sh: sourced by tests/vm/kernel_*.sh after tests/lib.sh: the kernel module, and a
# snapshot compared with a dump that held still around it.

VMDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# These tests are about the kernel's WireGuard; tests/vm/check.sh runs them in a VM that has it.
need_kernel_wireguard() {
	need_root
	need_cmd python3
	[ -d /sys/module/wireguard ] || modprobe -q wireguard 2>/dev/null ||
		skip "needs the WireGuard kernel module (tests/vm/check.sh runs this in a VM with it)"
	export LAB_BACKEND=kernel
}

# snapshot_matches_dump IFACE [ARGS...]: `--once --json -i IFACE ARGS` taken between two equal
# dumps equals them in every field and in order; its output is left in $WORKDIR/once.json.
snapshot_matches_dump() {
	local ifname=$1 attempt
	shift
	for attempt in 1 2 3 4 5; do
		hub wg show "$ifname" dump >"$WORKDIR/dump1"
		run hub "$WGSTAR" --once --json -i "$ifname" "$@"
		hub wg show "$ifname" dump >"$WORKDIR/dump2"
		cmp -s "$WORKDIR/dump1" "$WORKDIR/dump2" && break
		note "counters moved during attempt $attempt; again"
		sleep 0.2
	done
	cmp -s "$WORKDIR/dump1" "$WORKDIR/dump2" || fail "wg show dump never held still"
	assert_status 0 "--once --json -i $ifname"
	printf '%s\n' "$RUN_OUT" >"$WORKDIR/once.json"
	python3 "$VMDIR/json_vs_dump.py" "$WORKDIR/once.json" "$WORKDIR/dump1" "$ifname" ||
		fail "--once --json differs from wg show dump"
}

# split_report IFACE: how the kernel splits IFACE's dump, as JSON in $SPLIT (genl_dump.py).
split_report() {
	SPLIT=$(hub python3 "$VMDIR/genl_dump.py" "$1") || fail "genl_dump.py failed"
}

# split_get EXPR [ARG...]: a value from $SPLIT as d, the ARGs in sys.argv[1:];
# e.g. split_get 'd["messages"]'.
split_get() {
	printf '%s\n' "$SPLIT" | python3 -c "import json, sys; d = json.load(sys.stdin); print($1)" "${@:2}"
}
