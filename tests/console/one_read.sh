#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One tick, one read: the console reads the device once per interval whatever happens. Peers
# are added and removed behind its back, drift appears in the header, and still every read of
# the interface (each "get=1" request on wireguard-go's socket, counted with strace) is the
# sampler's own, one per tick.
# shellcheck source=../lib.sh
. "$TESTLIB"
# shellcheck source=tmux.sh
. "$(dirname "$TESTLIB")/console/tmux.sh"
need_wgstar
need_cmd strace wg
lab_up --peers 3
[ "$LAB_BACKEND" != kernel ] || skip "counts requests on the userspace socket"

trace=$WORKDIR/trace
# LeakSanitizer cannot run under ptrace; the other console tests look for leaks.
CONSOLE_ENV="ASAN_OPTIONS=detect_leaks=0" CONSOLE_WRAP="strace -f -qq -e trace=sendto -e signal=none -s 8 -o $trace" console_start main 140 40 -d 1
wait_for main "$(online_re '[0-9]+' 3)"
reads() {
	grep -c 'get=1' "$trace" || true
}
# Peers come and go on the hub, live only: drift, as the console must notice.
start=$(now_ms)
before=$(reads)
keys=()
for ((i = 0; i < 6; i++)); do
	k=$(wg genkey | wg pubkey)
	keys+=("$k")
	hub wg set "$LAB_HUB_IF" peer "$k" allowed-ips "10.172.16.$((200 + i))/32"
	sleep 0.7
	if [ $((i % 2)) = 1 ]; then
		hub wg set "$LAB_HUB_IF" peer "${keys[0]}" remove
		keys=("${keys[@]:1}")
		sleep 0.7
	fi
done
wait_for main "drift: [0-9]+ live only"
sleep 1
elapsed=$(($(now_ms) - start))
n=$(($(reads) - before))
ticks=$((elapsed / 1000))
note "$n reads of the interface in ${elapsed} ms at one sample a second"
[ "$n" -ge $((ticks - 2)) ] || fail "only $n reads in $ticks s: the console stopped sampling"
[ "$n" -le $((ticks + 2)) ] || fail "$n reads in $ticks s: more than one read per tick"
tmx send-keys -t main q
wait_for main "EXIT=0"
note "ok"
