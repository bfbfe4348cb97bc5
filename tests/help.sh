#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every command answers --help with its own usage on standard output and status 0, the usage
# the command table prints, and the man page documents every option any of them lists.
set -eu
page=${MANPAGE:-$(dirname "$0")/../man/wgstar-top.8}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*"
	exit 1
}

"$WGSTAR" --help >"$tmp/top" 2>"$tmp/err" || fail "wgstar-top --help exited $?"
[ ! -s "$tmp/err" ] || fail "wgstar-top --help wrote to standard error: $(cat "$tmp/err")"
# The commands, as the top-level usage lists them: "  wgstar-top WORD [WORD] ARGS...".
sed -n 's/^  wgstar-top \([a-z][a-z-]*\)\( [a-z][a-z-]*\)\{0,1\}\( .*\)\{0,1\}$/\1\2/p' "$tmp/top" |
	sort -u >"$tmp/commands"
n=$(wc -l <"$tmp/commands")
[ "$n" -ge 9 ] || fail "only $n commands listed in --help: $(cat "$tmp/commands")"
grep -qx forward "$tmp/commands" && grep -qx "peer add" "$tmp/commands" && grep -qx firewall "$tmp/commands" ||
	fail "forward, firewall or peer add missing from --help: $(cat "$tmp/commands")"
while read -r cmd; do
	# shellcheck disable=SC2086
	"$WGSTAR" $cmd --help >"$tmp/out" 2>"$tmp/err" || fail "wgstar-top $cmd --help exited $?"
	[ ! -s "$tmp/err" ] || fail "wgstar-top $cmd --help wrote to standard error: $(cat "$tmp/err")"
	head -n 1 "$tmp/out" | grep -q "^Usage: wgstar-top $cmd\b" ||
		fail "wgstar-top $cmd --help: no usage line: $(head -n 3 "$tmp/out")"
	grep -q -- "--help" "$tmp/out" || fail "wgstar-top $cmd --help does not list --help"
	cat "$tmp/out" >>"$tmp/all"
	echo "ok: $cmd --help"
done <"$tmp/commands"
# A group answers with every verb's usage.
"$WGSTAR" peer --help >"$tmp/out" || fail "wgstar-top peer --help exited $?"
for verb in add remove rename allowed-ips drift reconcile; do
	grep -q "^Usage: wgstar-top peer $verb\b" "$tmp/out" || fail "peer --help lacks peer $verb"
done
# Usage errors go to standard error with status 2.
status=0
"$WGSTAR" peer nosuchverb >"$tmp/out" 2>"$tmp/err" || status=$?
[ "$status" = 2 ] && [ ! -s "$tmp/out" ] && grep -q "peer --help" "$tmp/err" ||
	fail "peer nosuchverb: status $status, $(cat "$tmp/err")"
# Every option any command lists is in the man page.
for opt in $(grep -oE -- '--[a-z][a-z-]+' "$tmp/top" "$tmp/all" | sed 's/^.*://' | sort -u); do
	grep -q -- "$(printf '%s' "$opt" | sed 's/-/\\\\-/g')" "$page" ||
		fail "option $opt is in --help but not in the man page"
done
echo "every command answers --help; the man page documents every option"
