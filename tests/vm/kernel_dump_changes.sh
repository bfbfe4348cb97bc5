#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kernel_dump_changes.sh: a kernel hub changed all the time while it is read. The kernel flags a
# dump that a change overtook (NLM_F_DUMP_INTR); each snapshot is then still whole and
# consistent (a dump started again), or, when every try was overtaken, one clear line.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_wgstar
need_kernel_wireguard
lab_up --peers 1 --bulk-peers 1500
hub wg show "$LAB_HUB_IF" dump >"$WORKDIR/before"
victim=$(tail -n 1 "$WORKDIR/before" | cut -f1)

# The writer: the keepalive of one bulk peer, changed a few times a second until stopped.
# shellcheck disable=SC2016
ip netns exec "$LAB_HUB_NS" bash -c '
	k=0
	while :; do
		k=$((k % 60 + 1))
		wg set "$1" peer "$2" persistent-keepalive "$k"
		sleep 0.2
	done' writer "$LAB_HUB_IF" "$victim" </dev/null >/dev/null 2>&1 &
writer=$!
at_exit '[ -z "$writer" ] || { kill "$writer"; wait "$writer"; } 2>/dev/null'
for i in $(seq 50); do
	hub wg show "$LAB_HUB_IF" persistent-keepalive | grep -q "^$victim	[0-9]" && break
	[ "$i" -lt 50 ] || fail "the writer changes nothing"
	sleep 0.1
done

# The kernel does flag dumps that the writer overtakes (genl_dump.py sees the flag).
witness=$(hub python3 "$VMDIR/genl_dump.py" --attempts 300 --until-overtaken "$LAB_HUB_IF") || fail "genl_dump.py failed"
note "genl_dump.py: $witness"
case $witness in *'"interrupted": 0}'*) fail "no dump was overtaken: the writer is too slow" ;; esac

whole=0 overtaken=0
for i in 1 2 3 4 5 6; do
	run hub "$WGSTAR" --once --json -i "$LAB_HUB_IF"
	if [ "$RUN_STATUS" != 0 ]; then
		assert_status 1 "--once --json while the device changes"
		assert_one_line "$RUN_ERR" "--once --json overtaken by changes"
		assert_contains "$LAB_HUB_IF" "$RUN_ERR" "the message names the interface"
		[ "$overtaken" -gt 0 ] || note "overtaken on every try: $RUN_ERR"
		overtaken=$((overtaken + 1))
		continue
	fi
	printf '%s\n' "$RUN_OUT" >"$WORKDIR/once.json"
	python3 - "$WORKDIR/once.json" "$WORKDIR/before" "$victim" <<'PY' || fail "snapshot $i is not whole"
import json, sys
peers = json.load(open(sys.argv[1]))["interfaces"][0]["peers"]
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[2])][1:]
victim = sys.argv[3]
assert [p["public_key"] for p in peers] == [r[0] for r in rows], "peers differ"
for p, r in zip(peers, rows):
    assert p["allowed_ips"] == r[3].split(","), p["public_key"]
    if p["public_key"] == victim:
        assert 1 <= p["persistent_keepalive"] <= 60, p
PY
	whole=$((whole + 1))
done
note "$whole whole snapshots, $overtaken overtaken by changes on every try"
[ "$whole" -ge 1 ] || fail "no snapshot got through while the device changed"

kill "$writer"
wait "$writer" 2>/dev/null || true
writer=
snapshot_matches_dump "$LAB_HUB_IF"
note "ok"
