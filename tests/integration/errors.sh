#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# errors.sh: what goes wrong is said in one line with the right exit status.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_wgstar
need_cmd setpriv unshare python3
lab_up --peers 1

# An interface that does not exist: say so in one line, and name the ones that do.
run hub "$WGSTAR" --once -i doesnotexist
assert_status 1 "-i doesnotexist"
assert_one_line "$RUN_ERR" "-i doesnotexist"
assert_contains doesnotexist "$RUN_ERR" "the message names the missing interface"
assert_contains "$LAB_HUB_IF" "$RUN_ERR" "the message names the interfaces that exist"
run hub "$WGSTAR" --once -i lo
assert_status 1 "-i lo"
assert_one_line "$RUN_ERR" "-i lo"
assert_match 'lo is not a WireGuard interface' "$RUN_ERR" "a link that is not WireGuard is named as such"
# A peer change reads the config file before the interface, for its names: a link that is not
# WireGuard is still said to be that, not a missing config file.
run hub "$WGSTAR" peer add carol -i lo -c "$WORKDIR/none.conf" --generate --endpoint 192.0.2.1:51820
assert_status 1 "peer add -i lo"
assert_one_line "$RUN_ERR" "peer add -i lo"
assert_match 'lo is not a WireGuard interface' "$RUN_ERR" "peer add: a link that is not WireGuard is named as such"
run hub "$WGSTAR" peer add carol -i "$LAB_HUB_IF" -c "$WORKDIR/none.conf" --generate --endpoint 192.0.2.1:51820
assert_status 1 "peer add without its config file"
assert_match "has no config file $WORKDIR/none.conf" "$RUN_ERR" "peer add: the missing config file is named"
# The names of the sample come from the model of the file: a key added twice is named.
run hub "$WGSTAR" peer add again -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" --public-key "$LAB_PEER1_PUB" \
	--endpoint 192.0.2.1:51820
assert_status 1 "peer add of a key that is a peer"
assert_match "that key is a peer of $LAB_HUB_IF already: $LAB_PEER1_NAME" "$RUN_ERR" \
	"peer add: the peer that has the key is named from the config file"
run hub "$WGSTAR" --once --json -i doesnotexist
assert_status 1 "--json -i doesnotexist"
assert_contains "$LAB_HUB_IF" "$RUN_ERR" "--json: the message names the interfaces that exist"

# Without privileges: root or CAP_NET_ADMIN is needed, and the message says which.
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
bin=$WGSTAR
if ! "${nobody[@]}" test -x "$bin"; then
	# The build tree is not reachable for nobody: use a copy it can run.
	d=$(mktemp -d "${TMPDIR:-/tmp}/wgst-bin.XXXXXX")
	at_exit "rm -rf '$d'"
	chmod 0755 "$d"
	cp "$WGSTAR" "$d/wgstar-top"
	bin=$d/wgstar-top
fi
for args in "--once -i $LAB_HUB_IF" "--once --json -i $LAB_HUB_IF" "--once"; do
	# shellcheck disable=SC2086
	run hub "${nobody[@]}" "$bin" $args
	assert_status 1 "unprivileged $args"
	assert_one_line "$RUN_ERR" "unprivileged $args"
	assert_match 'root|CAP_NET_ADMIN' "$RUN_ERR" "unprivileged $args: the message says what is needed"
done

# The same whatever the mode of the socket directory: wg-quick makes it 0700 (umask 077), a
# daemon started otherwise 0755. The shared directory is never touched: in a private mount
# namespace a tmpfs of the mode wanted goes over it, holding the hub's socket bound in.
if [ "$LAB_BACKEND" != kernel ]; then
	sock=/run/wireguard/$LAB_HUB_IF.sock
	[ -S "$sock" ] || fail "the hub's UAPI socket $sock is missing"
	mkdir "$WORKDIR/sockdir"
	for mode in 0700 0755; do
		for args in "--once -i $LAB_HUB_IF" "--once"; do
			# shellcheck disable=SC2086
			run ip netns exec "$LAB_HUB_NS" unshare --mount --propagation private sh -c '
				mode=$1 sock=$2 dir=$3; shift 3
				mount --bind /run/wireguard "$dir" &&
				mount -t tmpfs -o mode="$mode" none /run/wireguard &&
				: >"$sock" && mount --bind "$dir/${sock##*/}" "$sock" &&
				[ "$(stat -c %a /run/wireguard)" = "${mode#0}" ] || exit 99
				exec "$@"' sh "$mode" "$sock" "$WORKDIR/sockdir" "${nobody[@]}" "$bin" $args
			[ "$RUN_STATUS" != 99 ] || fail "could not set up a $mode socket directory: $RUN_ERR"
			assert_status 1 "unprivileged $args, socket directory $mode"
			assert_one_line "$RUN_ERR" "unprivileged $args, socket directory $mode"
			assert_match 'root|CAP_NET_ADMIN' "$RUN_ERR" \
				"unprivileged $args, socket directory $mode: the message says what is needed"
		done
	done
fi

# A namespace with no WireGuard at all. wireguard-go's socket directory is shared by every
# namespace, so a private, empty one is mounted over it in a private mount namespace.
make_netns empty
empty=$NETNS
in_empty() {
	ip netns exec "$empty" unshare --mount --propagation private sh -c \
		'[ ! -d /run/wireguard ] || mount -t tmpfs -o mode=0755 none /run/wireguard; exec "$@"' \
		sh "$@"
}
if [ "$LAB_BACKEND" = kernel ]; then
	# With the module loaded WireGuard is there, just without interfaces: as for `wg show`,
	# an empty answer and not an error.
	run in_empty "$WGSTAR" --once
	assert_status 0 "no interface in the namespace, kernel module loaded"
	assert_match 'no wireguard interfaces' "$RUN_OUT" "no interface: the text says so"
	run in_empty "$WGSTAR" --once --json
	assert_status 0 "--json, no interface in the namespace, kernel module loaded"
	printf '%s\n' "$RUN_OUT" | python3 -c '
import json, sys
sys.exit(0 if json.load(sys.stdin)["interfaces"] == [] else "interfaces listed")' ||
		fail "--json, no interface: expected an empty interfaces list, got $RUN_OUT"
else
	run in_empty "$WGSTAR" --once
	assert_status 1 "no WireGuard in the namespace"
	assert_one_line "$RUN_ERR" "no WireGuard in the namespace"
	assert_match 'wireguard' "$RUN_ERR" "the message is about WireGuard"
	assert_match 'not available|no (wireguard )?interfaces?|not (loaded|supported|found)|unsupported' \
		"$RUN_ERR" "the message says WireGuard is not available / there are no interfaces"
	run in_empty "$WGSTAR" --once --json
	assert_status 1 "--json, no WireGuard in the namespace"
fi
run in_empty "$WGSTAR" --once -i wg0
assert_status 1 "-i wg0, no WireGuard in the namespace"
assert_one_line "$RUN_ERR" "-i wg0, no WireGuard in the namespace"
assert_contains wg0 "$RUN_ERR" "the message names the interface asked for"

# Bad usage: exit 2 with a word about usage.
run "$WGSTAR" --no-such-option
assert_status 2 "an unknown option"
assert_match 'usage|unrecognized|unknown|invalid' "$RUN_ERR" "an unknown option is reported"
run "$WGSTAR" --once -i
assert_status 2 "-i without its argument"
assert_match 'usage|requires|argument|missing' "$RUN_ERR" "a missing argument is reported"

# A missing config file is not an error: the names are just absent.
run hub "$WGSTAR" --once --json -i "$LAB_HUB_IF" -c /nonexistent/wgstar.conf
assert_status 0 "-c /nonexistent"
printf '%s\n' "$RUN_OUT" | python3 -c '
import json, sys
peers = json.load(sys.stdin)["interfaces"][0]["peers"]
assert peers and all(p["name"] is None for p in peers), peers' ||
	fail "-c /nonexistent: expected every peer present with name null"
run hub "$WGSTAR" --once -i "$LAB_HUB_IF" -c /nonexistent/wgstar.conf
assert_status 0 "-c /nonexistent (text)"
assert_contains "$LAB_HUB_IF" "$RUN_OUT" "-c /nonexistent (text) still shows the interface"

note "ok"
