#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every translatable string in the sources has a finished translation in every language.
set -eu
top=${TOP_SRCDIR:-$(dirname "$0")/..}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

files=$(grep -v '^#' "$top/po/POTFILES.in" | sed "s|^|$top/|")
# shellcheck disable=SC2086
xgettext --keyword=_ --keyword=N_ --from-code=UTF-8 --language=C -o "$tmp/fresh.pot" $files
status=0
for lang in $(cat "$top/po/LINGUAS"); do
	if ! msgcmp "$top/po/$lang.po" "$tmp/fresh.pot" 2>"$tmp/err"; then
		echo "po/$lang.po lacks translations:"
		sed -n 's/.*this message is used but not defined.*//p; /msgid/p' "$tmp/err" | head -n 20
		cat "$tmp/err" | head -n 40
		status=1
	fi
	msgfmt -c -o /dev/null "$top/po/$lang.po" || status=1
done
[ $status -eq 0 ] && echo "every string is translated in: $(cat "$top/po/LINGUAS")"
exit $status
