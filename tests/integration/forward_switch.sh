#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# forward_switch.sh: with forwarding off in the hub's namespace peers cannot reach each other and
# `check` says why; `forward on` through wgstar-top lets them; --persist rewrites a sysctl.d file
# (a temporary directory here) atomically, keeping every other line; the root namespace is untouched.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_wgstar
need_cmd ping
root_v4=$(cat /proc/sys/net/ipv4/ip_forward)
root_v6=$(cat /proc/sys/net/ipv6/conf/all/forwarding)
lab_up --peers 2 --no-forwarding
SYSCTL_DIR=$WORKDIR/sysctl.d
mkdir "$SYSCTL_DIR"

# A slow machine (a VM without acceleration) may need more than a second: three tries.
reaches() {
	lab exec peer1 -- ping -q -n -c 3 -i 0.3 -W 2 "$@" >/dev/null 2>&1
}

reaches "$LAB_PEER2_ADDR" && fail "alice reaches bob with forwarding off"
run hub "$WGSTAR" forward --sysctl-dir "$SYSCTL_DIR" status
assert_status 0 "forward status"
assert_contains "IPv4 forwarding: off" "$RUN_OUT" "forward status"

run hub "$WGSTAR" check -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" alice bob
assert_status 1 "check finds a problem"
assert_match "^IPv4 forwarding is off .*fix: wgstar-top forward on$" "$RUN_OUT" "check says why, with the fix"

# Refused: no terminal and no --yes; --read-only.
run hub "$WGSTAR" forward --sysctl-dir "$SYSCTL_DIR" on </dev/null
assert_status 1 "forward on without a terminal"
assert_one_line "$RUN_ERR" "the refusal"
run hub "$WGSTAR" forward --sysctl-dir "$SYSCTL_DIR" on --yes --read-only
assert_status 1 "forward on --read-only"
assert_eq 0 "$(hub cat /proc/sys/net/ipv4/ip_forward)" "forwarding after the refusals"
run hub "$WGSTAR" forward --sysctl-dir "$SYSCTL_DIR" sideways
assert_status 2 "a bad action is bad usage"

# A file with lines of its own: they stay, byte for byte, and so does its mode.
printf '# local settings\nkernel.sysrq = 0\n -net/ipv4/ip_forward=0\n\nvm.swappiness=10\n' \
	>"$SYSCTL_DIR/99-wgstar.conf"
chmod 0640 "$SYSCTL_DIR/99-wgstar.conf"
run hub "$WGSTAR" forward --sysctl-dir "$SYSCTL_DIR" on --ipv6 --persist --yes
assert_status 0 "forward on --ipv6 --persist --yes"
assert_eq 1 "$(hub cat /proc/sys/net/ipv4/ip_forward)" "IPv4 forwarding in the hub"
assert_eq 1 "$(hub cat /proc/sys/net/ipv6/conf/all/forwarding)" "IPv6 forwarding in the hub"
assert_eq "$(printf '# local settings\nkernel.sysrq = 0\n-net.ipv4.ip_forward = 1\n\nvm.swappiness=10\nnet.ipv6.conf.all.forwarding = 1')" \
	"$(cat "$SYSCTL_DIR/99-wgstar.conf")" "the persisted file"
assert_eq 640 "$(stat -c %a "$SYSCTL_DIR/99-wgstar.conf")" "the file's mode"
[ -z "$(find "$SYSCTL_DIR" -name '.*')" ] || fail "a temporary file was left behind"
reaches "$LAB_PEER2_ADDR" || fail "alice does not reach bob with forwarding on"
reaches -6 "$LAB_PEER2_ADDR6" || fail "alice does not reach bob over IPv6 with forwarding on"
run hub "$WGSTAR" check -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" alice bob
assert_status 0 "check finds nothing once forwarding is on"

run hub "$WGSTAR" forward --sysctl-dir "$SYSCTL_DIR" status
assert_contains "at boot ($SYSCTL_DIR/99-wgstar.conf): IPv4 on, IPv6 on" "$RUN_OUT" "status shows the file"

run hub "$WGSTAR" forward --sysctl-dir "$SYSCTL_DIR" off --yes
assert_status 0 "forward off --yes"
reaches "$LAB_PEER2_ADDR" && fail "alice reaches bob after forward off"

assert_eq "$root_v4" "$(cat /proc/sys/net/ipv4/ip_forward)" "the root namespace's IPv4 forwarding"
assert_eq "$root_v6" "$(cat /proc/sys/net/ipv6/conf/all/forwarding)" "the root namespace's IPv6 forwarding"
echo "PASS: $TEST_NAME"
