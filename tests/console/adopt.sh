#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A hub that wg-easy keeps: the console shows the names wg-easy gave and says in its header
# that the file is wg-easy's; a WGDashboard file (SaveConfig = true) says names go to the store.
# shellcheck source=../lib.sh
. "$TESTLIB"
# shellcheck source=tmux.sh
. "$(dirname "$TESTLIB")/console/tmux.sh"
need_wgstar
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
lab_up --peers 2
K1=AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=
K2=AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=
for f in wg-easy wgdashboard; do
	sed -e "s|$K1|$LAB_PEER1_PUB|g" -e "s|$K2|$LAB_PEER2_PUB|g" "$TOP_SRCDIR/tests/unit/conf/tools/$f.conf" \
		>"$WORKDIR/$f.conf"
done

console_start easy 140 30 -c "$WORKDIR/wg-easy.conf" --names "$WORKDIR/store"
wait_rows easy "alice bob"
wait_for easy " bob \(laptop\) "
wait_for easy "file kept by wg-easy"
tmx send-keys -t easy q
wait_for easy "EXIT=0"
note "a wg-easy file: its names, and whose file it is"

console_start dash 140 30 -c "$WORKDIR/wgdashboard.conf" --names "$WORKDIR/store"
wait_rows dash "alice bob"
wait_for dash "SaveConfig: names in the name store"
wait_gone dash "file kept by"
tmx send-keys -t dash q
wait_for dash "EXIT=0"
note "a SaveConfig file: names go to the store"
