#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Colours by default; attributes only with --no-color or a non-empty NO_COLOR; line drawing
# in UTF-8, and plain ASCII when the locale is not UTF-8.
# shellcheck source=../lib.sh
. "$TESTLIB"
# shellcheck source=tmux.sh
. "$(dirname "$TESTLIB")/console/tmux.sh"
need_wgstar
lab_up --peers 3

# The screen with its attributes, as SGR escape sequences.
styled() {
	tmx capture-pane -p -e -t "$1"
}

colour_sgr=$'\e\\[([0-9]+;)*(3[0-8]|4[0-8]|9[0-7]|10[0-7])(;[0-9]+)*m'
reverse_sgr=$'\e\\[([0-9]+;)*7(;[0-9]+)*m'

CONSOLE_ENV='NO_COLOR=' console_start colour 100 30
CONSOLE_ENV='NO_COLOR=1' console_start nocolor 100 30
console_start flag 100 30 --no-color
CONSOLE_LANG=C console_start ascii 100 30
for s in colour nocolor flag ascii; do
	wait_for $s "$LAB_PEER3_NAME .* online"
done

assert_match "$colour_sgr" "$(styled colour)" "colours by default (NO_COLOR empty)"
for s in nocolor flag; do
	text=$(styled $s)
	assert_no_match "$colour_sgr" "$text" "no colour in $s"
	assert_match "$reverse_sgr" "$text" "bars in reverse video in $s"
done
note "colours, and attributes only with NO_COLOR or --no-color"

wait_for colour '[─│╱╲]{2}'
wait_for ascii '[-|/\\]{3}'
if screen ascii | LC_ALL=C grep -q $'[\x80-\xff]'; then
	screen ascii | sed 's/^/  | /' >&2
	fail "a non-UTF-8 locale got non-ASCII characters"
fi
note "UTF-8 line drawing, ASCII without a UTF-8 locale"

for s in colour nocolor flag ascii; do
	tmx send-keys -t $s q
	wait_for $s '^EXIT=0$' 5
done
