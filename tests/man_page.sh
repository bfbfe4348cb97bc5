#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The man page renders without a single groff or man warning, and documents what --help lists.
set -eu
page=${MANPAGE:-$(dirname "$0")/../man/wgstar-top.8}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>"$out" >/dev/null
if [ -s "$out" ]; then
	echo "man page warnings:"
	cat "$out"
	exit 1
fi
for opt in $("$WGSTAR" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
	grep -q -- "$(printf '%s' "$opt" | sed 's/-/\\\\-/g')" "$page" || {
		echo "option $opt is in --help but not in the man page"
		exit 1
	}
done
echo "man page renders cleanly and documents every option"
