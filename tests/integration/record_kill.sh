#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# record_kill.sh: the database survives a recorder killed with SIGKILL in the middle of a
# write. The recorder samples ten times a second while traffic runs and is killed at random
# moments, over and over; after each kill SQLite's integrity check passes, a new recorder
# opens the database, and the totals have only grown.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_wgstar
need_cmd sqlite3 python3
lab_up --peers 3 --traffic
DB=$WORKDIR/wgstar.db
RECORD_PID=
at_exit '[ -z "$RECORD_PID" ] || kill -KILL "$RECORD_PID" 2>/dev/null'

totals() {
	"$WGSTAR" usage --json --db "$DB" | python3 -c '
import json, sys
print(" ".join("%s:%d:%d" % (p["name"], p["rx_bytes"], p["tx_bytes"]) for p in json.load(sys.stdin)["peers"]))'
}

prev=
kills=0
for ((round = 0; round < 20; round++)); do
	ip netns exec "$LAB_HUB_NS" "$WGSTAR" record -d 0.1 --write-every 0 --db "$DB" --run-dir "$WORKDIR/run" -i "$LAB_HUB_IF" \
		-c "$LAB_HUB_CONF" >>"$WORKDIR/record.log" 2>&1 &
	RECORD_PID=$!
	sleep "0.$((RANDOM % 8 + 2))"
	kill -KILL "$RECORD_PID"
	wait "$RECORD_PID" 2>/dev/null || true
	RECORD_PID=
	kills=$((kills + 1))
	[ -s "$DB" ] || continue
	check=$(sqlite3 "$DB" "PRAGMA integrity_check")
	[ "$check" = ok ] || fail "integrity_check after kill $kills: $check"
	now=$(totals) || fail "usage cannot read the database after kill $kills"
	if [ -n "$prev" ]; then
		python3 -c '
import sys
prev = {x.split(":")[0]: tuple(map(int, x.split(":")[1:])) for x in sys.argv[1].split()}
now = {x.split(":")[0]: tuple(map(int, x.split(":")[1:])) for x in sys.argv[2].split()}
for k, v in prev.items():
    assert k in now and now[k][0] >= v[0] and now[k][1] >= v[1], (k, v, now.get(k))' "$prev" "$now" ||
			fail "totals went down after kill $kills: $prev -> $now"
	fi
	prev=$now
done
# Traffic was counted at all, and the last writes are there.
python3 -c '
import sys
now = {x.split(":")[0]: tuple(map(int, x.split(":")[1:])) for x in sys.argv[1].split()}
assert now["alice"][0] > 0 and now["bob"][1] > 0, now' "$prev" || fail "no traffic counted: $prev"
note "ok: $kills kills, integrity ok after each, totals only grew ($prev)"
