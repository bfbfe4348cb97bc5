# SPDX-License-Identifier: GPL-2.0-or-later
# lib.sh: sourced by the integration tests: strict mode, skip/fail, a lab that always goes away.
#
# From the harness: $WGSTAR (the built binary), $LAB (tests/lab/lab.sh), $TESTLIB (this file).
# WGSTAR_STRICT=1 turns every skip into a failure (CI must not pass by skipping).

set -euo pipefail

TEST_NAME=${0##*/}
TESTLIB=${TESTLIB:-${BASH_SOURCE[0]}}
LAB=${LAB:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lab/lab.sh}
WGSTAR=${WGSTAR:-}

_cleanups=()
_lab_state=

note() {
	echo "# $*"
}

skip() {
	if [ "${WGSTAR_STRICT:-}" = 1 ]; then
		echo "FAIL: $TEST_NAME: would skip, but WGSTAR_STRICT=1: $*" >&2
		exit 99
	fi
	echo "SKIP: $TEST_NAME: $*"
	exit 77
}

fail() {
	echo "FAIL: $TEST_NAME: $*" >&2
	exit 1
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
}

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "needs $c"
	done
}

need_wgstar() {
	[ -n "$WGSTAR" ] || fail "WGSTAR is not set (the path to the built wgstar-top)"
	[ -x "$WGSTAR" ] || fail "$WGSTAR is not an executable"
}

# Everything registered here runs on exit, last registered first, whatever the outcome.
at_exit() {
	_cleanups+=("$*")
}

_run_cleanups() {
	local rc=$? i
	set +e
	trap - EXIT INT TERM
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_cleanups[$i]}"
	done
	exit $rc
}
trap _run_cleanups EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A private scratch directory, removed on exit.
WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/wgst-test.XXXXXX")
at_exit 'rm -rf "$WORKDIR"'

# lab_up [lab.sh up options]: a lab with a prefix unique to this run, torn down on exit;
# its description (LAB_HUB_NS, LAB_HUB_IF, LAB_PEER1_PUB, ...) is loaded into the shell.
lab_up() {
	need_root
	need_cmd ip wg
	[ -x "$LAB" ] || fail "lab script $LAB missing"
	[ -z "$_lab_state" ] || fail "lab_up called twice"
	_lab_state=$WORKDIR/lab
	at_exit '"$LAB" down --state "$_lab_state"'
	LAB_QUIET=1 "$LAB" up --state "$_lab_state" --prefix "wgst$$" "$@" ||
		fail "lab up failed"
	eval "$("$LAB" env --state "$_lab_state")"
}

# lab COMMAND [ARGS...]: lab.sh on this test's lab (lab traffic stop, lab exec hub -- CMD).
lab() {
	"$LAB" "$1" --state "$_lab_state" "${@:2}"
}

# hub CMD...: run CMD in the hub's namespace.
hub() {
	ip netns exec "$LAB_HUB_NS" "$@"
}

# counting_set NAME: `nft list set` of the counting table's set NAME, or of all its shards
# (NAME_0 ... NAME_15) where the table has those instead.
counting_set() {
	local k
	hub nft list set inet wgstar "$1" 2>/dev/null && return 0
	for ((k = 0; k < 16; k++)); do
		hub nft list set inet wgstar "$1_$k" || return 1
	done
}

# device_new: a fresh device namespace on the lab's underlay with an empty WireGuard interface
# (lab device), about to be onboarded; sets DEV_NS and DEV_IF.
device_new() {
	read -r DEV_NS DEV_IF < <(lab device)
	[ -n "${DEV_IF:-}" ] || fail "lab device failed"
}

# device_load CLIENT_CONF: the device loads exactly that config as wg-quick would: stripped
# of wg-quick's own keys (wg-quick strip), then its Address lines, then up.
device_load() {
	local conf=$1 a
	cp "$conf" "$WORKDIR/$DEV_IF.conf"
	wg-quick strip "$WORKDIR/$DEV_IF.conf" >"$WORKDIR/$DEV_IF.stripped" || fail "wg-quick strip refused $conf"
	ip netns exec "$DEV_NS" wg setconf "$DEV_IF" "$WORKDIR/$DEV_IF.stripped" ||
		fail "wg setconf refused the stripped $conf"
	for a in $(sed -n 's/^Address = //p' "$conf" | tr ',' ' '); do
		ip -n "$DEV_NS" addr add "$a" dev "$DEV_IF" nodad 2>/dev/null || ip -n "$DEV_NS" addr add "$a" dev "$DEV_IF"
	done
	ip -n "$DEV_NS" link set "$DEV_IF" up
}

# device_reaches [ping options] ADDR: the device reaches ADDR (three tries, for a slow VM).
device_reaches() {
	ip netns exec "$DEV_NS" ping -q -n -c 3 -i 0.3 -W 2 "$@" >/dev/null 2>&1
}

# make_netns NAME: an extra, empty namespace wgst<pid>-NAME, deleted on exit; its name is
# left in NETNS. (Not for use in $(...): the cleanup must be registered in this shell.)
make_netns() {
	NETNS=wgst$$-$1
	ip netns add "$NETNS"
	at_exit "ip netns del '$NETNS' 2>/dev/null"
	ip -n "$NETNS" link set lo up
}

# run CMD...: run CMD, keep its stdout, stderr and status in RUN_OUT, RUN_ERR, RUN_STATUS.
run() {
	RUN_STATUS=0
	"$@" >"$WORKDIR/run.out" 2>"$WORKDIR/run.err" || RUN_STATUS=$?
	RUN_OUT=$(cat "$WORKDIR/run.out")
	RUN_ERR=$(cat "$WORKDIR/run.err")
}

_show_run() {
	echo "  command status: $RUN_STATUS" >&2
	echo "  stdout: $(printf '%s' "$RUN_OUT" | head -c 2000)" >&2
	echo "  stderr: $(printf '%s' "$RUN_ERR" | head -c 2000)" >&2
}

assert_eq() {
	local expected=$1 got=$2 what=${3:-value}
	[ "$expected" = "$got" ] && return 0
	echo "FAIL: $TEST_NAME: $what" >&2
	echo "  expected: $expected" >&2
	echo "  got:      $got" >&2
	exit 1
}

# assert_status EXPECTED WHAT: about the last run.
assert_status() {
	[ "$RUN_STATUS" = "$1" ] && return 0
	echo "FAIL: $TEST_NAME: ${2:-exit status}: expected status $1, got $RUN_STATUS" >&2
	_show_run
	exit 1
}

# assert_match ERE TEXT WHAT: TEXT matches the extended regular expression (case-insensitive).
# Given to grep as a here-string, not through a pipe: bash's printf writes a line at a time,
# grep -q leaves at the first match, and under pipefail printf's SIGPIPE then failed a match
# now and then (6 of 300 with 400 lines, matched early).
assert_match() {
	local re=$1 text=$2 what=${3:-text}
	grep -Eqi -- "$re" <<<"$text" && return 0
	echo "FAIL: $TEST_NAME: $what" >&2
	echo "  expected to match: $re" >&2
	echo "  got: $text" >&2
	exit 1
}

assert_no_match() {
	local re=$1 text=$2 what=${3:-text}
	grep -Eqi -- "$re" <<<"$text" || return 0
	echo "FAIL: $TEST_NAME: $what" >&2
	echo "  expected no match for: $re" >&2
	echo "  got: $text" >&2
	exit 1
}

# assert_contains FIXED TEXT WHAT
assert_contains() {
	local needle=$1 text=$2 what=${3:-text}
	case $text in *"$needle"*) return 0 ;; esac
	echo "FAIL: $TEST_NAME: $what" >&2
	echo "  expected to contain: $needle" >&2
	echo "  got: $text" >&2
	exit 1
}

assert_not_contains() {
	local needle=$1 text=$2 what=${3:-text}
	case $text in *"$needle"*) ;; *) return 0 ;; esac
	echo "FAIL: $TEST_NAME: $what (a forbidden string appears)" >&2
	exit 1
}

# assert_lines MAX TEXT WHAT: an error the user can act on is one line (MAX 1), or one line
# and a hint (MAX 2), never a screenful.
assert_lines() {
	local max=$1 text=$2 what=${3:-message} n
	n=$(printf '%s\n' "$text" | grep -c .) || true
	[ "$n" -ge 1 ] && [ "$n" -le "$max" ] && return 0
	echo "FAIL: $TEST_NAME: $what: expected 1 to $max lines on stderr, got $n" >&2
	echo "  got: $text" >&2
	exit 1
}

assert_one_line() {
	assert_lines 1 "$@"
}
