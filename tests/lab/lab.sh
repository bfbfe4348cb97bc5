#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# lab.sh: a real WireGuard star network in network namespaces, for tests, benchmarks and demos.
#
#              namespace PREFIX-hub: ip_forward=1 here and nowhere else
#   +------------------------------------------------------------------+
#   | wg  PREFIX-hub  10.172.16.1/24  fd00:172:16::1/64  port 51820    |
#   |     (+ --bulk-peers, --wide-peer: configured on the hub only)    |
#   | br0             192.0.2.1/24                                     |
#   +------v1--------------------v2-----------------------vN-----------+
#          |                     |                        |     veth pairs
#   +------+-----------+  +------+-----------+     +------+-----------+
#   | ns PREFIX-p1     |  | ns PREFIX-p2     | ... | ns PREFIX-pN     |
#   | eth0 192.0.2.2   |  | eth0 192.0.2.3   |     | eth0 192.0.2.N+1 |
#   | wg PREFIX-p1     |  | wg PREFIX-p2     |     | wg PREFIX-pN     |
#   |  10.172.16.2/32  |  |  10.172.16.3/32  |     |  10.172.16.N+1   |
#   |  fd00:172:16::2  |  |  fd00:172:16::3  |     |  fd00:172:16::N+1|
#   +------------------+  +------------------+     +------------------+
#
# Each peer's only [Peer] is the hub (AllowedIPs = the whole VPN subnet, keepalive 25), so
# peer-to-peer traffic goes through the hub, which forwards it. Nothing outside the namespaces
# is changed; WireGuard runs in the kernel when the module is there, else as wireguard-go.
# The hub's wg-quick style file ($STATE/hub.conf) names the peers alice, bob, carol, ...
# ("# Name =" inside or directly above [Peer]); bob has a preshared key; the hub keeps carol
# alive every 25 s. Bulk peers (10.180.0.0/15, some endpoints in 198.51.100.0/24,
# 203.0.113.0/24 and 2001:db8::/32) exist only in the hub's configuration and never handshake.

set -euo pipefail
umask 077

readonly VPN4=10.172.16
readonly VPN6=fd00:172:16
readonly UNDER4=192.0.2
readonly PORT=51820
readonly NAMES=(alice bob carol dave erin frank grace heidi ivan judy mallory niaj olivia
	peggy rupert sybil trent victor walter)
readonly WG_RUN=/var/run/wireguard

STATE=${LAB_STATE:-${TMPDIR:-/tmp}/wgstar-lab}
PREFIX=
NPEERS=3
NBULK=0
DUAL=0
WIDE=0
TRAFFIC=0
FORWARD=1
OWN_STATE=0	# set once up has made (or adopted) the state dir; decides cleanup on failure

usage() {
	cat <<EOF
Usage: ${0##*/} COMMAND [OPTIONS]

  up [--peers N] [--prefix NAME] [--bulk-peers M] [--dual-stack-bulk] [--wide-peer K]
     [--traffic] [--no-forwarding] [--state DIR]
        build the star: a hub and N peers (default 3) with real handshakes; M extra
        peers on the hub only (every tenth with an IPv6 address too, or every one with
        --dual-stack-bulk); one extra hub-only peer with K allowed IPs; steady ping
        traffic between peers through the hub
  down [--state DIR]               tear everything down (processes, namespaces, state)
  env [--state DIR]                print shell assignments describing the lab
  exec hub|peerK [--state DIR] -- CMD...
                                   run CMD in the hub's or peer K's namespace
  traffic start|stop [--state DIR] start or stop the background traffic
  bulk M [--state DIR]             add M more hub-only peers to a running lab
  device [--state DIR]             a new device namespace on the underlay with an empty
                                   WireGuard interface, as a phone or laptop about to be
                                   onboarded; prints "NAMESPACE INTERFACE"

The state directory defaults to \$LAB_STATE or \${TMPDIR:-/tmp}/wgstar-lab. The prefix
(default wgst<pid>) names namespaces and interfaces. LAB_BACKEND=kernel|userspace forces
the WireGuard implementation.
EOF
}

die() {
	echo "lab: $*" >&2
	exit 1
}

log() {
	[ -n "${LAB_QUIET:-}" ] || echo "lab: $*" >&2
}

# value VAR FILE: VAR set to FILE's first line; 1, and VAR empty, when FILE cannot be read.
# Without a process: on the VM's emulated CPU each one costs tens of milliseconds, and every
# test builds a lab.
value() {
	local _v=
	{ IFS= read -r _v || [ -n "$_v" ]; } 2>/dev/null <"$2" || { printf -v "$1" ''; return 1; }
	printf -v "$1" '%s' "$_v"
}

# --- processes, recorded by pid and start time so a recycled pid is never signalled ---

proc_start() {
	local stat
	value stat "/proc/$1/stat" || return 1
	stat=${stat##*) }
	# shellcheck disable=SC2086
	set -- $stat
	[ "$1" != Z ] || return 1
	echo "${20}"
}

proc_alive() {
	proc_start "$1" >/dev/null
}

# record FILE PID COMM
record_pid() {
	local start
	start=$(proc_start "$2") || start=0
	echo "$2 $start $3" >>"$1"
}

# stop_pids FILE: TERM, wait, then KILL everything listed in FILE that is still ours.
stop_pids() {
	local file=$1 pid start comm live=() i now
	[ -f "$file" ] || return 0
	while read -r pid start comm; do
		[ -n "$pid" ] || continue
		[ "$(proc_start "$pid" 2>/dev/null)" = "$start" ] || continue
		value now "/proc/$pid/comm" && [ "$now" = "$comm" ] || continue
		kill -TERM "$pid" 2>/dev/null && live+=("$pid")
	done <"$file"
	for ((i = 0; i < 60 && ${#live[@]}; i++)); do
		local still=()
		for pid in "${live[@]}"; do
			proc_alive "$pid" && still+=("$pid")
		done
		live=("${still[@]+"${still[@]}"}")
		[ ${#live[@]} -eq 0 ] || sleep 0.05
	done
	for pid in "${live[@]+"${live[@]}"}"; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	# Reap our own children (when up fails or restarts traffic): no zombies left behind.
	while read -r pid start comm; do
		wait "$pid" 2>/dev/null || true
	done <"$file"
	rm -f "$file"
}

# --- teardown ---

# flush_kernel_wg NS: drop the peers of every kernel WireGuard link in NS first. A destroyed
# link frees its peers one at a time, each waiting out an RCU grace period: on an emulated CPU
# 10,000 peers take three minutes, and `ip` commands anywhere in the machine hang meanwhile,
# long after `ip netns del` has returned. Replacing them with no peers takes a second.
flush_kernel_wg() {
	local ifname
	while read -r _ ifname _; do
		ifname=${ifname%:}
		ip netns exec "$1" wg setconf "${ifname%%@*}" /dev/null 2>/dev/null || true
	done < <(ip -n "$1" -o link show type wireguard 2>/dev/null)
}

do_down() {
	local ns sock prefix all=() del=
	[ -e "$STATE" ] || return 0
	[ -f "$STATE/.wgstar-lab" ] || die "$STATE is not a lab state directory; not touching it"
	value prefix "$STATE/.wgstar-lab" || prefix=
	stop_pids "$STATE/traffic.pids"
	stop_pids "$STATE/pids"
	if [ -f "$STATE/netns" ]; then
		while read -r ns; do
			case $ns in wgst*) all=("$ns" "${all[@]+"${all[@]}"}") ;; esac
		done <"$STATE/netns"
		for ns in "${all[@]+"${all[@]}"}"; do
			# Only the hub holds more than a few peers (bulk, wide); every other interface one.
			[ "$ns" != "$prefix-hub" ] || flush_kernel_wg "$ns"
			del+="netns del $ns"$'\n'
		done
		# In the order they were made, last first; one `ip` for all (-force: on past a failure).
		[ -z "$del" ] || printf '%s' "$del" | ip -force -batch - 2>/dev/null || true
	fi
	if [ -f "$STATE/sockets" ]; then
		while read -r sock; do
			case $sock in "$WG_RUN"/wgst*.sock) rm -f "$sock" ;; esac
		done <"$STATE/sockets"
	fi
	rm -rf "$STATE"
}

on_exit_up() {
	local rc=$?
	if [ $rc -ne 0 ] && [ "$OWN_STATE" = 1 ]; then
		log "setting up failed; tearing down"
		LAB_QUIET=1 do_down || true
	fi
	exit $rc
}

# --- building blocks ---

add_netns() {
	ip netns add "$1"
	echo "$1" >>"$STATE/netns"
	ip -n "$1" link set lo up
}

# start_wg NS IFACE: create the interface (kernel) or start wireguard-go for it (userspace).
start_wg() {
	local ns=$1 ifname=$2 pid
	if [ "$BACKEND" = kernel ]; then
		ip -n "$ns" link add "$ifname" type wireguard
		return
	fi
	echo "$WG_RUN/$ifname.sock" >>"$STATE/sockets"
	WG_PROCESS_FOREGROUND=1 ip netns exec "$ns" wireguard-go "$ifname" \
		</dev/null >"$STATE/logs/$ifname.log" 2>&1 &
	pid=$!
	record_pid "$STATE/pids" "$pid" wireguard-go
	echo "$pid" >"$STATE/pid.$ifname"
}

# wait_wg IFACE...: wait until each userspace interface answers on its UAPI socket.
wait_wg() {
	local ifname i pid
	[ "$BACKEND" = userspace ] || return 0
	for ifname in "$@"; do
		for ((i = 0; ; i++)); do
			[ -S "$WG_RUN/$ifname.sock" ] && break
			value pid "$STATE/pid.$ifname"
			proc_alive "$pid" ||
				die "wireguard-go for $ifname exited: $(tail -n 3 "$STATE/logs/$ifname.log")"
			[ $i -lt 200 ] || die "wireguard-go for $ifname did not create its socket"
			sleep 0.02
		done
	done
}

# setconf NS IFACE FILE: apply a wg-quick style file, minus the keys wg(8) does not know.
setconf() {
	local stripped="$3.wg" line key
	while IFS= read -r line || [ -n "$line" ]; do
		if [[ $line == *=* ]]; then
			key=${line%%=*}
			key=${key//[[:space:]]/}
			case ${key,,} in
			address | dns | mtu | table | preup | postup | predown | postdown | saveconfig) continue ;;
			esac
		fi
		printf '%s\n' "$line"
	done <"$3" >"$stripped"
	ip netns exec "$1" wg setconf "$2" "$stripped"
}

genkey() {
	(umask 077 && wg genkey >"$STATE/keys/$1.key")
	wg pubkey <"$STATE/keys/$1.key" >"$STATE/keys/$1.pub"
}

peer_name() {
	if [ "$1" -le ${#NAMES[@]} ]; then
		echo "${NAMES[$(($1 - 1))]}"
	else
		echo "peer$1"
	fi
}

# bulk_conf START COUNT: COUNT hub-only peers numbered from START, as [Peer] sections.
# A public key is any 32 bytes; 33 random bytes give 44 base64 characters, of which the
# first 42 and the top 4 bits of the 43rd are kept: a valid, uniformly random key.
bulk_conf() {
	local start=$1 count=$2 dual
	[ "$count" -gt 0 ] || return 0
	dual=$(cat "$STATE/bulk.dual" 2>/dev/null || echo 0)
	head -c $((33 * count)) /dev/urandom | base64 -w 44 | awk -v start="$start" -v dual="$dual" '
	BEGIN { B = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" }
	{
		i = start + NR - 1
		c = index(B, substr($0, 43, 1)) - 1
		c -= c % 4
		print ""
		if (i % 2 == 0)
			printf "# Name = bulk-%d\n", i
		print "[Peer]"
		print "PublicKey = " substr($0, 1, 42) substr(B, c + 1, 1) "="
		ips = sprintf("10.%d.%d.%d/32", 180 + int(i / 65536), int(i / 256) % 256, i % 256)
		# Past 65535 a group of 16 bits holds no more: the next group counts on.
		if ((dual || i % 10 == 0) && i < 65536)
			ips = ips sprintf(", fd00:180::%x/128", i)
		else if (dual || i % 10 == 0)
			ips = ips sprintf(", fd00:180::%x:%x/128", int(i / 65536), i % 65536)
		print "AllowedIPs = " ips
		if (i % 7 == 0)
			printf "Endpoint = 198.51.100.%d:%d\n", i % 254 + 1, 20000 + i % 40000
		else if (i % 11 == 0)
			printf "Endpoint = 203.0.113.%d:%d\n", i % 254 + 1, 51820
		else if (i % 97 == 0)
			printf "Endpoint = [2001:db8::%x:%x]:%d\n", int(i / 65536), i % 65536, 51820
	}'
}

# wide_conf K: one hub-only peer with K allowed IPs (10.182.0.0/16, every 8th also a /128).
wide_conf() {
	local k=$1
	genkey wide
	echo
	echo "# Name = wide"
	echo "[Peer]"
	echo "PublicKey = $(cat "$STATE/keys/wide.pub")"
	awk -v k="$k" 'BEGIN {
		s = ""
		for (j = 0; j < k; j++) {
			s = s (j ? ", " : "") sprintf("10.182.%d.%d/32", int(j / 256), j % 256)
			if (j % 8 == 7)
				s = s sprintf(", fd00:182::%x/128", j)
		}
		print "AllowedIPs = " s
	}'
}

add_bulk() {
	local count=$1 start file
	start=$(cat "$STATE/bulk.count" 2>/dev/null || echo 0)
	[ $((start + count)) -le 131072 ] || die "at most 131072 bulk peers"
	file="$STATE/bulk.$start.conf"
	bulk_conf $((start + 1)) "$count" >"$file"
	ip netns exec "$HUB_NS" wg addconf "$HUB_IF" "$file"
	cat "$file" >>"$STATE/hub.conf"
	rm -f "$file"
	echo $((start + count)) >"$STATE/bulk.count"
}

traffic_start() {
	local pairs=() pair from to pid
	[ "$NPEERS" -ge 2 ] || return 0
	traffic_stop
	pairs+=("1 2")
	[ "$NPEERS" -lt 3 ] || pairs+=("3 1")
	for pair in "${pairs[@]}"; do
		read -r from to <<<"$pair"
		ip netns exec "$PREFIX-p$from" ping -q -n -i 0.2 "$VPN4.$((to + 1))" \
			</dev/null >/dev/null 2>&1 &
		pid=$!
		record_pid "$STATE/traffic.pids" "$pid" ping
	done
}

traffic_stop() {
	stop_pids "$STATE/traffic.pids"
}

# ping_ok NS [ping options] ADDR: a few tries, for the first handshake.
ping_ok() {
	local ns=$1 i
	shift
	for ((i = 0; i < 10; i++)); do
		ip netns exec "$ns" ping -q -n -c 1 -W 1 "$@" >/dev/null 2>&1 && return 0
	done
	return 1
}

write_env() {
	local k v x
	{
		printf 'LAB_STATE=%q\n' "$STATE"
		printf 'LAB_PREFIX=%q\n' "$PREFIX"
		printf 'LAB_BACKEND=%q\n' "$BACKEND"
		printf 'LAB_SUBNET4=%q\nLAB_SUBNET6=%q\n' "$VPN4.0/24" "$VPN6::/64"
		printf 'LAB_HUB_NS=%q\nLAB_HUB_IF=%q\n' "$HUB_NS" "$HUB_IF"
		value x "$STATE/keys/hub.pub"
		printf 'LAB_HUB_PUB=%q\n' "$x"
		printf 'LAB_HUB_KEYFILE=%q\n' "$STATE/keys/hub.key"
		printf 'LAB_HUB_CONF=%q\n' "$STATE/hub.conf"
		printf 'LAB_HUB_PORT=%q\n' "$PORT"
		printf 'LAB_HUB_ADDR=%q\nLAB_HUB_ADDR6=%q\n' "$VPN4.1" "$VPN6::1"
		printf 'LAB_HUB_UNDERLAY=%q\n' "$UNDER4.1"
		value x "$STATE/pid.$HUB_IF" || true	# none on the kernel
		printf 'LAB_HUB_PID=%q\n' "$x"
		printf 'LAB_FORWARDING=%q\n' "$FORWARD"
		printf 'LAB_PEERS=%q\n' "$NPEERS"
		for ((k = 1; k <= NPEERS; k++)); do
			v="LAB_PEER${k}_"
			printf '%sNAME=%q\n' "$v" "$(peer_name "$k")"
			printf '%sNS=%q\n%sIF=%q\n' "$v" "$PREFIX-p$k" "$v" "$PREFIX-p$k"
			value x "$STATE/keys/p$k.pub"
			printf '%sPUB=%q\n' "$v" "$x"
			printf '%sADDR=%q\n%sADDR6=%q\n' "$v" "$VPN4.$((k + 1))" "$v" "$VPN6::$((k + 1))"
			printf '%sUNDERLAY=%q\n' "$v" "$UNDER4.$((k + 1))"
			value x "$STATE/pid.$PREFIX-p$k" || true
			printf '%sPID=%q\n' "$v" "$x"
		done
		if value x "$STATE/keys/wide.pub"; then
			printf 'LAB_WIDE_PUB=%q\n' "$x"
		fi
	} >"$STATE/env"
}

load_env() {
	[ -f "$STATE/.wgstar-lab" ] || die "no lab at $STATE (use --state DIR or LAB_STATE)"
	# shellcheck disable=SC1091
	. "$STATE/env"
	PREFIX=$LAB_PREFIX
	BACKEND=$LAB_BACKEND
	HUB_NS=$LAB_HUB_NS
	HUB_IF=$LAB_HUB_IF
	NPEERS=$LAB_PEERS
}

# --- commands ---

# A device to onboard: its own namespace, on the hub's underlay, with a WireGuard interface
# that has no configuration yet. Torn down with the lab.
cmd_device() {
	local k ns
	for ((k = 1; k <= 40; k++)); do
		[ -e "/run/netns/$PREFIX-d$k" ] || break
	done
	[ $k -le 40 ] || die "at most 40 devices"
	ns=$PREFIX-d$k
	add_netns "$ns"
	start_wg "$ns" "$ns"
	ip -n "$HUB_NS" link add "d$k" type veth peer name eth0 netns "$ns"
	ip -n "$HUB_NS" link set "d$k" master br0 up
	ip -n "$ns" addr add "$UNDER4.$((200 + k))/24" dev eth0
	ip -n "$ns" link set eth0 up
	wait_wg "$ns"
	echo "$ns $ns"
}

cmd_up() {
	local k ifs=() iflen ns batch key
	while [ $# -gt 0 ]; do
		case $1 in
		--peers) NPEERS=${2:?}; shift ;;
		--prefix) PREFIX=${2:?}; shift ;;
		--bulk-peers) NBULK=${2:?}; shift ;;
		--dual-stack-bulk) DUAL=1 ;;
		--wide-peer) WIDE=${2:?}; shift ;;
		--traffic) TRAFFIC=1 ;;
		--no-forwarding) FORWARD=0 ;;
		--state) STATE=${2:?}; shift ;;
		*) usage >&2; exit 2 ;;
		esac
		shift
	done
	PREFIX=${PREFIX:-wgst$$}
	[[ $NPEERS =~ ^[0-9]+$ ]] && [ "$NPEERS" -le 253 ] || die "--peers wants 0..253"
	[[ $NBULK =~ ^[0-9]+$ ]] || die "--bulk-peers wants a number"
	[[ $WIDE =~ ^[0-9]+$ ]] && [ "$WIDE" -le 65536 ] || die "--wide-peer wants 0..65536"
	[[ $PREFIX =~ ^wgst[a-z0-9]*$ ]] || die "the prefix must match wgst[a-z0-9]*"
	iflen=$((${#PREFIX} + 1 + (${#NPEERS} + 1 > 3 ? ${#NPEERS} + 1 : 3)))
	[ $iflen -le 15 ] || die "prefix $PREFIX too long for $NPEERS peers (interface names max 15)"
	[ "$EUID" = 0 ] || die "needs root (network namespaces)"
	command -v wg >/dev/null || die "wg (wireguard-tools) not found"

	HUB_NS=$PREFIX-hub
	HUB_IF=$PREFIX-hub
	for ((k = 0; k <= NPEERS; k++)); do
		ns=$PREFIX-p$k
		[ "$k" != 0 ] || ns=$HUB_NS
		[ ! -e "/run/netns/$ns" ] || die "namespace $ns exists already"
		[ ! -e "$WG_RUN/$ns.sock" ] || die "$WG_RUN/$ns.sock exists already"
	done
	if [ -e "$STATE" ]; then
		[ -d "$STATE" ] && [ -z "$(ls -A "$STATE")" ] ||
			die "$STATE exists and is not empty (a lab is up? run down first)"
	fi
	trap on_exit_up EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	# install -d sets the mode of a directory that exists too (an empty --state DIR).
	install -d -m 0700 "$STATE" "$STATE/keys" "$STATE/logs"
	OWN_STATE=1
	echo "$PREFIX" >"$STATE/.wgstar-lab"

	# Every namespace at once; what is in them, one `ip -batch` a namespace once the WireGuard
	# interfaces are there. On the VM's emulated CPU a process costs tens of milliseconds, and
	# one for each address, route and link took most of the time of every test's lab.
	batch=
	for ((k = 0; k <= NPEERS; k++)); do
		ns=$PREFIX-p$k
		[ "$k" != 0 ] || ns=$HUB_NS
		echo "$ns" >>"$STATE/netns"
		batch+="netns add $ns"$'\n'
	done
	printf '%s' "$batch" | ip -batch - || die "making the namespaces failed"
	BACKEND=userspace
	# The probe's interface is the hub's own when it is made.
	if [ "${LAB_BACKEND:-}" != userspace ] &&
		ip -n "$HUB_NS" link add "$HUB_IF" type wireguard 2>/dev/null; then
		BACKEND=kernel
	fi
	case ${LAB_BACKEND:-} in
	kernel) [ "$BACKEND" = kernel ] || die "LAB_BACKEND=kernel, but there is no WireGuard kernel module" ;;
	userspace | '') ;;
	*) die "LAB_BACKEND wants kernel or userspace" ;;
	esac
	[ "$BACKEND" = kernel ] || command -v wireguard-go >/dev/null ||
		die "no WireGuard kernel module and no wireguard-go"

	# Start every WireGuard first (wireguard-go takes a moment), build the rest meanwhile.
	[ "$BACKEND" = kernel ] || start_wg "$HUB_NS" "$HUB_IF"
	ifs+=("$HUB_IF")
	for ((k = 1; k <= NPEERS; k++)); do
		start_wg "$PREFIX-p$k" "$PREFIX-p$k"
		ifs+=("$PREFIX-p$k")
	done

	ip netns exec "$HUB_NS" sysctl -qw net.ipv4.ip_forward="$FORWARD" \
		net.ipv6.conf.all.forwarding="$FORWARD"

	genkey hub
	for ((k = 1; k <= NPEERS; k++)); do
		genkey "p$k"
	done
	[ "$NPEERS" -lt 2 ] || (umask 077 && wg genpsk >"$STATE/keys/p2.psk")

	# The hub's file, wg-quick style; names inside and directly above [Peer], as people write them.
	(
		umask 077
		echo "# wgstar lab hub $HUB_IF"
		echo "[Interface]"
		echo "Address = $VPN4.1/24, $VPN6::1/64"
		echo "ListenPort = $PORT"
		value key "$STATE/keys/hub.key"
		echo "PrivateKey = $key"
		for ((k = 1; k <= NPEERS; k++)); do
			echo
			[ $((k % 2)) -eq 1 ] || echo "# Name = $(peer_name "$k")"
			echo "[Peer]"
			[ $((k % 2)) -eq 0 ] || echo "# Name = $(peer_name "$k")"
			value key "$STATE/keys/p$k.pub"
			echo "PublicKey = $key"
			! value key "$STATE/keys/p$k.psk" || echo "PresharedKey = $key"
			echo "AllowedIPs = $VPN4.$((k + 1))/32, $VPN6::$((k + 1))/128"
			[ "$k" -ne 3 ] || echo "PersistentKeepalive = 25"
		done
		[ "$WIDE" -eq 0 ] || wide_conf "$WIDE"
	) >"$STATE/hub.conf"
	for ((k = 1; k <= NPEERS; k++)); do
		(
			umask 077
			echo "[Interface]"
			echo "Address = $VPN4.$((k + 1))/32, $VPN6::$((k + 1))/128"
			echo "ListenPort = $PORT"
			value key "$STATE/keys/p$k.key"
			echo "PrivateKey = $key"
			echo
			echo "[Peer]"
			value key "$STATE/keys/hub.pub"
			echo "PublicKey = $key"
			! value key "$STATE/keys/p$k.psk" || echo "PresharedKey = $key"
			echo "Endpoint = $UNDER4.1:$PORT"
			echo "AllowedIPs = $VPN4.0/24, $VPN6::/64"
			echo "PersistentKeepalive = 25"
		) >"$STATE/p$k.conf"
	done

	wait_wg "${ifs[@]}"
	# The hub's namespace: the underlay's bridge and a veth to each peer; the hub's addresses.
	batch="link set lo up"$'\n'
	batch+="link add br0 type bridge"$'\n'
	batch+="addr add $UNDER4.1/24 dev br0"$'\n'
	batch+="link set br0 up"$'\n'
	for ((k = 1; k <= NPEERS; k++)); do
		batch+="link add v$k type veth peer name eth0 netns $PREFIX-p$k"$'\n'
		batch+="link set v$k master br0 up"$'\n'
	done
	batch+="addr add $VPN4.1/24 dev $HUB_IF"$'\n'
	batch+="addr add $VPN6::1/64 dev $HUB_IF nodad"$'\n'
	batch+="link set $HUB_IF up"$'\n'
	printf '%s' "$batch" | ip -n "$HUB_NS" -batch - || die "building the hub's namespace failed"
	setconf "$HUB_NS" "$HUB_IF" "$STATE/hub.conf"
	for ((k = 1; k <= NPEERS; k++)); do
		ns=$PREFIX-p$k
		batch="link set lo up"$'\n'
		batch+="addr add $UNDER4.$((k + 1))/24 dev eth0"$'\n'
		batch+="link set eth0 up"$'\n'
		batch+="addr add $VPN4.$((k + 1))/32 dev $ns"$'\n'
		batch+="addr add $VPN6::$((k + 1))/128 dev $ns nodad"$'\n'
		batch+="link set $ns up"$'\n'
		batch+="route add $VPN4.0/24 dev $ns"$'\n'
		batch+="route add $VPN6::/64 dev $ns"$'\n'
		printf '%s' "$batch" | ip -n "$ns" -batch - || die "building $ns failed"
		setconf "$ns" "$ns" "$STATE/p$k.conf"
	done
	echo "$DUAL" >"$STATE/bulk.dual"
	[ "$NBULK" -eq 0 ] || add_bulk "$NBULK"

	# Real handshakes: every peer reaches the hub, and peer 1 reaches peer 2 through it.
	local checks=()
	for ((k = 1; k <= NPEERS; k++)); do
		ping_ok "$PREFIX-p$k" "$VPN4.1" &
		checks+=($!)
	done
	for k in "${checks[@]+"${checks[@]}"}"; do
		wait "$k" || die "a peer cannot reach the hub over WireGuard"
	done
	if [ "$NPEERS" -ge 1 ]; then
		ping_ok "$PREFIX-p1" -6 "$VPN6::1" || die "peer 1 cannot reach the hub over IPv6"
	fi
	if [ "$NPEERS" -ge 2 ] && [ "$FORWARD" = 1 ]; then
		ping_ok "$PREFIX-p1" "$VPN4.3" || die "peer 1 cannot reach peer 2 through the hub"
	fi

	write_env
	[ "$TRAFFIC" = 0 ] || traffic_start
	trap - EXIT INT TERM
	log "up: $HUB_IF ($BACKEND) with $NPEERS peers$([ "$NBULK" -eq 0 ] || echo " + $NBULK bulk")" \
		"in $STATE"
}

main() {
	local cmd=${1:-} args=() target=''
	[ $# -gt 0 ] && shift
	case $cmd in
	up) cmd_up "$@"; return ;;
	-h | --help | help) usage; return ;;
	'') usage >&2; exit 2 ;;
	esac
	# The other commands share --state and take a few words before it.
	while [ $# -gt 0 ]; do
		case $1 in
		--state) STATE=${2:?}; shift ;;
		--) shift; break ;;
		*) args+=("$1") ;;
		esac
		shift
	done
	case $cmd in
	down)
		[ ${#args[@]} -eq 0 ] || { usage >&2; exit 2; }
		do_down
		;;
	env)
		[ ${#args[@]} -eq 0 ] || { usage >&2; exit 2; }
		load_env
		# In the shell itself: every test asks for this once (see value).
		while IFS= read -r target; do
			printf '%s\n' "$target"
		done <"$STATE/env"
		value target "$STATE/bulk.count" || target=0
		printf 'LAB_BULK_PEERS=%q\n' "$target"
		args=()
		if [ -f "$STATE/traffic.pids" ]; then
			while read -r target _; do
				[ -z "$target" ] || args+=("$target")
			done <"$STATE/traffic.pids"
		fi
		printf 'LAB_TRAFFIC_PIDS=%q\n' "${args[*]+"${args[*]}"}"
		;;
	exec)
		[ ${#args[@]} -eq 1 ] && [ $# -gt 0 ] || { usage >&2; exit 2; }
		load_env
		case ${args[0]} in
		hub) target=$HUB_NS ;;
		peer[0-9]* | p[0-9]*)
			target=${args[0]#peer}
			target=${target#p}
			[ "$target" -ge 1 ] && [ "$target" -le "$NPEERS" ] || die "no peer $target"
			target=$PREFIX-p$target
			;;
		*) die "exec wants hub or peerK" ;;
		esac
		exec ip netns exec "$target" "$@"
		;;
	traffic)
		[ ${#args[@]} -eq 1 ] || { usage >&2; exit 2; }
		load_env
		case ${args[0]} in
		start) traffic_start ;;
		stop) traffic_stop ;;
		*) usage >&2; exit 2 ;;
		esac
		;;
	device)
		[ ${#args[@]} -eq 0 ] || { usage >&2; exit 2; }
		load_env
		cmd_device
		;;
	bulk)
		[ ${#args[@]} -eq 1 ] && [[ ${args[0]} =~ ^[0-9]+$ ]] || { usage >&2; exit 2; }
		load_env
		add_bulk "${args[0]}"
		;;
	*) usage >&2; exit 2 ;;
	esac
}

main "$@"
