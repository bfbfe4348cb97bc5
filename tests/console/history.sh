#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The recorder's memory in the console. Without a database the detail and the timeline say
# where history would come from. With a recorder writing one: the table has a MONTH column,
# the detail shows a peer's usage today and this month (equal to what the ledger holds) and
# its recent events, and L lists the interface's events newest first, filtered with /. The
# console only reads the database: its file is the same before and after. The recorder runs
# with its default batching: alice's usage reaches the database when SIGTERM ends it.
# shellcheck source=../lib.sh
. "$TESTLIB"
# shellcheck source=tmux.sh
. "$(dirname "$TESTLIB")/console/tmux.sh"
need_wgstar
need_cmd ping sqlite3 sha256sum
lab_up --peers 2
DB=$WORKDIR/wgstar.db
RUN_DIR=$WORKDIR/run

# No database: where history would come from.
console_start bare 120 40 --db "$DB"
wait_rows bare "alice bob"
tmx send-keys -t bare Enter
wait_for bare "history +no history: nothing records this hub; .wgstar-top record. \(the wgstar-record service\)"
tmx send-keys -t bare Enter L
wait_for bare "events of $LAB_HUB_IF, newest first: the latest 0"
wait_for bare "no history: nothing records this hub"
tmx send-keys -t bare q
wait_for bare "EXIT=0"
[ ! -e "$DB" ] || fail "the console made $DB"
note "without a database the console says where history comes from"

ip netns exec "$LAB_HUB_NS" "$WGSTAR" record -d 0.5 --db "$DB" --run-dir "$RUN_DIR" -i "$LAB_HUB_IF" \
	-c "$LAB_HUB_CONF" >>"$WORKDIR/record.log" 2>&1 &
RECORD_PID=$!
at_exit '[ -z "$RECORD_PID" ] || kill "$RECORD_PID" 2>/dev/null'
for ((i = 0; i < 50; i++)); do
	[ -n "$(sqlite3 "$DB" "SELECT value FROM meta WHERE key = 'written'" 2>/dev/null)" ] && break
	sleep 0.1
done
# Both devices come back on other UDP ports: an endpoint_changed each, once they speak.
ip netns exec "$LAB_PEER1_NS" wg set "$LAB_PEER1_NS" listen-port 40121
ip netns exec "$LAB_PEER2_NS" wg set "$LAB_PEER2_NS" listen-port 40122
lab exec peer2 -- ping -q -n -c 2 -i 0.2 -W 2 "$LAB_HUB_ADDR" >/dev/null 2>&1 || fail "bob cannot ping the hub"
lab exec peer1 -- ping -q -n -c 10 -i 0.2 -s 200 -W 2 "$LAB_PEER2_ADDR" >/dev/null 2>&1 ||
	fail "alice cannot ping bob"
for ((i = 0; i < 100; i++)); do
	n=$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE event = 'endpoint_changed'" 2>/dev/null || echo 0)
	[ "$n" -ge 2 ] && break
	sleep 0.2
done
[ "$n" -ge 2 ] || fail "the recorder saw no endpoints change"
kill -TERM "$RECORD_PID"
wait "$RECORD_PID" || fail "the recorder did not end cleanly"
RECORD_PID=
before=$(sha256sum <"$DB")
read -r day_rx day_tx < <(sqlite3 -separator ' ' "$DB" "SELECT u.rx, u.tx FROM usage u JOIN peers p ON p.id = u.peer
	WHERE p.name = 'alice' AND u.grain = 1 ORDER BY u.start DESC LIMIT 1")
[ "${day_rx:-0}" -gt 2000 ] || fail "alice's day in the ledger holds too little: rx ${day_rx:-none}"
# As the console writes bytes: B below 1 KiB, else KiB with two decimals (awk rounds as printf does).
human() {
	awk -v b="$1" 'BEGIN { if (b < 1024) printf "%d B", b; else printf "%.2f KiB", b / 1024 }'
}

console_start main 140 40 --db "$DB"
wait_rows main "alice bob"
wait_for main "MONTH"
wait_for main "alice .* $(human $((day_rx + day_tx)) | sed 's/\./\\./') *$"
# alice's detail: her day and month, and her events.
tmx send-keys -t main Enter
wait_for main "today +rx $(human "$day_rx" | sed 's/\./\\./') +tx $(human "$day_tx" | sed 's/\./\\./')"
wait_for main "this month +rx $(human "$day_rx" | sed 's/\./\\./')"
wait_for main "recent events, newest first"
wait_for main "peer alice on $LAB_HUB_IF moved from .*:[0-9]+ to .*:40121"
note "the detail shows alice's usage today and this month, and her events"
tmx send-keys -t main Enter
# The timeline: both peers moved; filtered to bob, alice's go.
tmx send-keys -t main L
wait_for main "events of $LAB_HUB_IF, newest first: the latest [0-9]+"
wait_for main "endpoint_changed +alice +peer alice on"
wait_for main "endpoint_changed +bob +peer bob on"
tmx send-keys -t main / b o b Enter
wait_for main "[0-9]+ of the latest [0-9]+ match the filter"
wait_gone main "endpoint_changed +alice"
wait_for main "endpoint_changed +bob"
# Esc clears the filter, a second goes back to the table.
tmx send-keys -t main Escape
wait_for main "endpoint_changed +alice"
tmx send-keys -t main Escape
wait_gone main "events of $LAB_HUB_IF"
note "L lists the events, / filters them"
tmx send-keys -t main q
wait_for main "EXIT=0"
[ "$(sha256sum <"$DB")" = "$before" ] || fail "the console changed the database"
