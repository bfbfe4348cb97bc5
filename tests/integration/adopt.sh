#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# adopt.sh: hubs that other tools set up. The lab hub's config file is written as each tool
# writes it (the unit tests' files of tests/unit/conf/tools, with the lab's keys), and
# `--once --json` shows the names that tool gave. A file that a tool rewrites from its own
# database (wg-easy, wireguard-ui, wg-portal, wg-gen-web) refuses `peer add` and `peer remove`
# naming the tool, with nothing changed live or on disk; --force goes ahead.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_wgstar
need_cmd python3 sha256sum
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
tools=$TOP_SRCDIR/tests/unit/conf/tools
lab_up --peers 2
# The fixtures' two peers are keys of all 1s and all 2s; the lab's are alice's and bob's.
K1=AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=
K2=AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=
as_lab() {
	sed -e "s|$K1|$LAB_PEER1_PUB|g" -e "s|$K2|$LAB_PEER2_PUB|g" "$tools/$1" >"$WORKDIR/$1"
}
# The names --once --json gives alice's and bob's keys, "first|second".
names_of() {
	hub "$WGSTAR" --once --json -i "$LAB_HUB_IF" -c "$WORKDIR/$1" --names "$WORKDIR/no-store" | python3 -c '
import json, sys
peers = {p["public_key"]: p["name"] for p in json.load(sys.stdin)["interfaces"][0]["peers"]}
print(f"{peers.get(sys.argv[1])}|{peers.get(sys.argv[2])}")' "$LAB_PEER1_PUB" "$LAB_PEER2_PUB"
}

while read -r file want; do
	as_lab "$file"
	got=$(names_of "$file")
	[ "$got" = "$want" ] || fail "$file: --once --json names the peers '$got', not '$want'"
done <<'EOF2'
wg-easy.conf alice|bob (laptop)
wireguard-ui.conf alice|bob
wg-portal.conf alice|bob
wg-gen-web.conf alice|bob
wgdashboard.conf alice|bob
exporter.conf alice|bob
angristan.conf alice|bob
nyr.conf alice|bob
wireguard-manager.conf alice|bob
algo.conf alice|bob
linuxserver.conf peer_alice|peer2
EOF2
note "names in every convention"

# PiVPN's "pivpn off" leaves alice's block with every line "#[disabled] ": she is still named,
# and, live here, no drift; reconcile to-file does not add her again beside her block.
as_lab pivpn-disabled.conf
[ "$(names_of pivpn-disabled.conf)" = "laptop|phone" ] || fail "pivpn-disabled.conf names '$(names_of pivpn-disabled.conf)'"
run hub "$WGSTAR" peer drift -i "$LAB_HUB_IF" -c "$WORKDIR/pivpn-disabled.conf" --names "$WORKDIR/no-store"
assert_status 0 "peer drift with a disabled peer live"
assert_contains "agree" "$RUN_OUT"
before=$(sha256sum <"$WORKDIR/pivpn-disabled.conf")
run hub "$WGSTAR" peer reconcile to-file --yes -i "$LAB_HUB_IF" -c "$WORKDIR/pivpn-disabled.conf" --names "$WORKDIR/no-store"
[ "$(sha256sum <"$WORKDIR/pivpn-disabled.conf")" = "$before" ] || fail "reconcile to-file changed a file with nothing to add"
note "a peer held disabled by PiVPN is named and is no drift"

# Files a tool regenerates: nothing changes, and the message names the tool.
peers_live() {
	hub wg show "$LAB_HUB_IF" peers | sort | sha256sum
}
while read -r file tool; do
	before=$(sha256sum <"$WORKDIR/$file")
	live=$(peers_live)
	run hub "$WGSTAR" peer add carol -i "$LAB_HUB_IF" -c "$WORKDIR/$file" --names "$WORKDIR/store" \
		--endpoint "$LAB_HUB_UNDERLAY:$LAB_HUB_PORT" --client-config "$WORKDIR/carol.conf"
	[ "$RUN_STATUS" != 0 ] || fail "peer add into $file went through"
	assert_contains "$tool rewrites $WORKDIR/$file from its own database" "$RUN_ERR"
	assert_contains "add the peer in $tool" "$RUN_ERR"
	run hub "$WGSTAR" peer remove alice --yes -i "$LAB_HUB_IF" -c "$WORKDIR/$file" --names "$WORKDIR/store"
	[ "$RUN_STATUS" != 0 ] || fail "peer remove in $file went through"
	assert_contains "$tool rewrites" "$RUN_ERR"
	[ "$(sha256sum <"$WORKDIR/$file")" = "$before" ] || fail "$file changed"
	[ "$(peers_live)" = "$live" ] || fail "the live peers changed after a refused change to $file"
	[ ! -e "$WORKDIR/carol.conf" ] || fail "a client config was written for a refused peer"
done <<'EOF2'
wg-easy.conf wg-easy
wireguard-ui.conf wireguard-ui
wg-portal.conf wg-portal
wg-gen-web.conf wg-gen-web
EOF2
note "changes to regenerated files are refused, naming the tool"

# --force: the operator knows; the peer goes in, and out again, leaving the file as it was.
before=$(sha256sum <"$WORKDIR/wg-easy.conf")
run hub "$WGSTAR" peer add carol --force -i "$LAB_HUB_IF" -c "$WORKDIR/wg-easy.conf" --names "$WORKDIR/store" \
	--endpoint "$LAB_HUB_UNDERLAY:$LAB_HUB_PORT" --client-config "$WORKDIR/carol.conf"
assert_status 0 "peer add --force"
run hub "$WGSTAR" peer remove carol --force --yes -i "$LAB_HUB_IF" -c "$WORKDIR/wg-easy.conf" --names "$WORKDIR/store"
assert_status 0 "peer remove --force"
[ "$(sha256sum <"$WORKDIR/wg-easy.conf")" = "$before" ] || fail "add then remove changed wg-easy.conf"
note "--force changes it; add then remove leaves it as it was"
