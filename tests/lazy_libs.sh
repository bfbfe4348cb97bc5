#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# libnftables, libsqlite3 and libsystemd are loaded when first used (a ruleset listed, the
# database opened, an event sent), not by every start: the binary does not link them, and a
# start loads none of them, nor anything that pulls them in.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*"
	exit 1
}

command -v readelf >/dev/null || fail "needs readelf (binutils)"
readelf -d "$WGSTAR" >"$tmp/dynamic" || fail "readelf -d $WGSTAR failed"
grep -q NEEDED "$tmp/dynamic" || fail "readelf lists no NEEDED library for $WGSTAR"
for lib in libnftables libsqlite3 libsystemd; do
	if grep NEEDED "$tmp/dynamic" | grep -q "\[$lib\."; then
		fail "$WGSTAR links $lib: it is to be loaded when first used"
	fi
done
# What the dynamic loader opens on a start, whoever asks for it.
LD_DEBUG=files "$WGSTAR" --version >/dev/null 2>"$tmp/files" || fail "wgstar-top --version exited $?"
grep -q "file=libc.so" "$tmp/files" || fail "LD_DEBUG=files shows no library at all: $(head -n 3 "$tmp/files")"
for lib in libnftables libsqlite3 libsystemd libxtables libjansson libgcrypt; do
	if grep -q "file=$lib\." "$tmp/files"; then
		fail "a start of wgstar-top loads $lib: $(grep "file=$lib\." "$tmp/files" | head -n 1)"
	fi
done
echo "ok: $(grep -c NEEDED "$tmp/dynamic") libraries linked; libnftables, libsqlite3 and libsystemd neither linked nor loaded at start"
