#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# package.sh: the Debian package, built from the release tarball as a user would build it:
# dpkg-buildpackage -us -uc -b, lintian with no error and no warning, then the .deb unpacked
# into a scratch root. From there the binary runs, man finds the page, the units, the
# completion, the translation and the alert rules are in place, the maintainer script makes
# /var/lib/wgstar 0700 (run in a mount namespace of its own over a tmpfs /var/lib), and the
# completion, driven as bash drives it, completes commands and offers a lab hub's peers.
#
# Usage: tests/package.sh TARBALL        (as root; run by tools/run-tests after distcheck)

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

tarball=$(cd "$(dirname "${1:?usage: package.sh TARBALL}")" && pwd)/$(basename "$1")
need_root
need_cmd dpkg-buildpackage dh lintian dpkg-deb man unshare
[ -f "$tarball" ] || fail "no tarball at $tarball"

mkdir -p "$WORKDIR/build"
tar -xzf "$tarball" -C "$WORKDIR/build"
src=$(find "$WORKDIR/build" -mindepth 1 -maxdepth 1 -type d | head -n 1)
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$WORKDIR/dpkg-buildpackage.log" 2>&1 || {
	tail -n 40 "$WORKDIR/dpkg-buildpackage.log" >&2
	fail "dpkg-buildpackage -us -uc -b failed"
}
deb=$(find "$WORKDIR/build" -maxdepth 1 -name 'wgstar-top_*.deb' | head -n 1)
changes=$(find "$WORKDIR/build" -maxdepth 1 -name 'wgstar_*.changes' | head -n 1)
[ -n "$deb" ] && [ -n "$changes" ] || fail "no .deb or .changes was built"
note "built $(basename "$deb")"

# lintian: nothing at error or warning level (overrides carry their reasons in the package).
# Its temporary databases in the test's own directory: lintian 2.116 leaves some of them
# (mldbm-elf-*) behind in $TMPDIR, two a run.
mkdir -p "$WORKDIR/lintian-tmp"
TMPDIR=$WORKDIR/lintian-tmp lintian --fail-on error,warning --display-info "$changes" >"$WORKDIR/lintian.out" 2>&1 || {
	cat "$WORKDIR/lintian.out" >&2
	fail "lintian is not clean"
}
sed 's/^/  /' "$WORKDIR/lintian.out"
note "lintian: no error, no warning"

root=$WORKDIR/root
dpkg -x "$deb" "$root"
dpkg-deb -e "$deb" "$root/DEBIAN"
for f in usr/sbin/wgstar-top usr/share/man/man8/wgstar-top.8.gz usr/share/bash-completion/completions/wgstar-top \
	lib/systemd/system/wgstar-record.service lib/systemd/system/wgstar-prometheus.service \
	usr/share/locale/de/LC_MESSAGES/wgstar.mo usr/share/doc/wgstar-top/examples/wgstar-alerts.yml \
	usr/share/doc/wgstar-top/copyright; do
	[ -e "$root/$f" ] || fail "the package lacks /$f"
done
grep -q '^ExecStart=/usr/sbin/wgstar-top record' "$root/lib/systemd/system/wgstar-record.service" ||
	fail "the recorder's unit does not start the installed binary"
version=$("$root/usr/sbin/wgstar-top" --version) || fail "the packaged binary does not run"
case $version in *0.1.0*) ;; *) fail "--version says '$version'" ;; esac
page=$(man -M "$root/usr/share/man" -w wgstar-top) || fail "man does not find wgstar-top(8)"
[ "$page" = "$root/usr/share/man/man8/wgstar-top.8.gz" ] || fail "man found $page"
note "the binary runs ($version), man finds $page"

# The postinst, in a mount namespace with tmpfs on /var/lib and /etc/systemd/system: it
# makes /var/lib/wgstar 0700 and enables no unit (only one the admin enabled stays so).
out=$(unshare -m sh -c '
	mount --make-rprivate / && mount -t tmpfs tmpfs /var/lib && mkdir -p /etc/systemd/system &&
	mount -t tmpfs tmpfs /etc/systemd/system &&
	DPKG_MAINTSCRIPT_PACKAGE=wgstar-top DPKG_MAINTSCRIPT_NAME=postinst sh "$1" configure >/dev/null 2>&1 &&
	stat -c %a /var/lib/wgstar && find /etc/systemd/system -name "wgstar*"' sh "$root/DEBIAN/postinst") ||
	fail "the postinst failed"
[ "$(printf '%s\n' "$out" | head -n 1)" = 700 ] || fail "the postinst made /var/lib/wgstar mode $out"
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "the postinst enabled a unit: $out"
note "the postinst makes /var/lib/wgstar 0700 and enables nothing"

# The completion, as bash calls it: COMP_WORDS and COMP_CWORD set, the function run.
lab_up --peers 2
WGSTAR=$root/usr/sbin/wgstar-top
complete_words() {
	ip netns exec "$LAB_HUB_NS" env PATH="$root/usr/sbin:$PATH" bash -c '
		[ -f /usr/share/bash-completion/bash_completion ] && . /usr/share/bash-completion/bash_completion
		. "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="${COMP_WORDS[*]}"
		COMP_POINT=${#COMP_LINE}
		_wgstar_top wgstar-top "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' sh "$root/usr/share/bash-completion/completions/wgstar-top" "$@"
}
got=$(complete_words wgstar-top pe)
[ "$got" = peer ] || fail "wgstar-top pe<Tab> offers '$got', not peer"
got=$(complete_words wgstar-top peer re | sort | tr '\n' ' ')
[ "$got" = "reconcile remove rename " ] || fail "wgstar-top peer re<Tab> offers '$got'"
got=$(complete_words wgstar-top -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" peer remove "" | sort | tr '\n' ' ')
want=$(printf '%s\n' alice bob "$LAB_PEER1_PUB" "$LAB_PEER2_PUB" | sort | tr '\n' ' ')
[ "$got" = "$want" ] || fail "wgstar-top peer remove <Tab> offers '$got', not '$want'"
# After a: alice and the keys that start with a (one may), not bob.
got=$(complete_words wgstar-top peer remove -c "$LAB_HUB_CONF" a)
grep -qx alice <<<"$got" || fail "wgstar-top peer remove a<Tab> offers '$got', without alice"
[ -z "$(printf '%s\n' "$got" | grep -v '^a')" ] || fail "wgstar-top peer remove a<Tab> offers '$got'"
got=$(complete_words wgstar-top -i "")
[ "$got" = "$LAB_HUB_IF" ] || fail "wgstar-top -i <Tab> offers '$got', not $LAB_HUB_IF"
got=$(complete_words wgstar-top usage --mo)
[ "$got" = --monthly ] || fail "wgstar-top usage --mo<Tab> offers '$got'"
note "completion: commands, options, interfaces and the interface's peers"
