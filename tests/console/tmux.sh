# SPDX-License-Identifier: GPL-2.0-or-later
# tmux.sh: sourced by the console tests, after $TESTLIB: the real wgstar-top in a private tmux
# server, driven by send-keys and read back by capture-pane, as tmux's own regress tests do.
#
#   tmx ARGS...                     tmux on this test's server (-L wgst-PID -f /dev/null)
#   console_start NAME W H [OPTS]   a session NAME of W x H running wgstar-top on the lab hub
#                                   (under $CONSOLE_WRAP, a command prefix, when set)
#   screen NAME                     what the pane shows now
#   wait_for NAME ERE [SECONDS]     until the pane shows a line matching ERE (default 10 s)
#   wait_gone NAME ERE [SECONDS]    until no line matches ERE
#   console_pid NAME                the pid of wgstar-top in the pane
#   table_rows NAME                 the first word of each peer table row, in order
#   wait_rows NAME "a b c" [SECONDS]  until the table lists exactly these, in this order
#   re_quote TEXT                   TEXT as an extended regular expression matching itself
#   online_re N M                   the header's count of N peers online out of M

need_cmd tmux
TMUX_SOCKET=wgst-$$
unset TMUX
# The server's socket in this test's own directory: /tmp may be someone else's, or read-only.
export TMUX_TMPDIR=$WORKDIR

tmx() {
	tmux -L "$TMUX_SOCKET" -f /dev/null "$@"
}
at_exit 'tmx kill-server 2>/dev/null'

now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

# The pane runs the console under sh, which reports the exit status and then waits as an
# interactive shell would, with a prompt of its own. Like an interactive shell it outlives
# a Ctrl-C meant for the console (a trapped signal is default again in the child).
console_start() {
	local name=$1 w=$2 h=$3 cmd
	shift 3
	# shellcheck disable=SC2086
	cmd=$(printf '%q ' ip netns exec "$LAB_HUB_NS" ${CONSOLE_WRAP:-} "$WGSTAR" -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" "$@")
	tmx new-session -d -s "$name" -x "$w" -y "$h" \
		"trap : INT; env LANG=${CONSOLE_LANG:-C.UTF-8} LC_ALL= LANGUAGE= ${CONSOLE_ENV:-} $cmd; echo EXIT=\$?; PS1='prompt\$ ' exec sh -i"
}

screen() {
	tmx capture-pane -p -t "$1"
}

_wait_screen() {
	local want=$1 name=$2 re=$3 deadline=$(($(now_ms) + ${4:-10} * 1000)) text
	for (( ; ; )); do
		text=$(screen "$name")
		# A here-string: through a pipe, grep -q's early exit could fail a match (lib.sh).
		if grep -Eq -- "$re" <<<"$text"; then
			[ "$want" = match ] && return 0
		else
			[ "$want" = gone ] && return 0
		fi
		if [ "$(now_ms)" -ge $deadline ]; then
			echo "FAIL: $TEST_NAME: timed out waiting for the screen of $name to $want /$re/:" >&2
			printf '%s\n' "$text" | sed 's/^/  | /' >&2
			exit 1
		fi
		sleep 0.1
	done
}

wait_for() {
	_wait_screen match "$@"
}

wait_gone() {
	_wait_screen gone "$@"
}

console_pid() {
	local pane
	pane=$(tmx display-message -p -t "$1" '#{pane_pid}')
	pgrep -P "$pane" -x wgstar-top
}

# alive PID: the process exists and is not a zombie waiting for its parent.
alive() {
	local state
	state=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# The table starts below its column titles (NAME ... STATE) and ends above the status line;
# a row's first word is the peer's name, after a new (+), gone (-) or drift (!) mark.
table_rows() {
	screen "$1" | awk '
		rows && NF { w = $1; sub(/^[-+!]/, "", w); word[n++] = w }
		/^ *NAME/ && / STATE/ { rows = 1; n = 0 }
		END { for (i = 0; i < n - 1; i++) printf "%s%s", i ? " " : "", word[i]; print "" }'
}

wait_rows() {
	local name=$1 want=$2 deadline=$(($(now_ms) + ${3:-10} * 1000)) got
	for (( ; ; )); do
		got=$(table_rows "$name")
		[ "$got" = "$want" ] && return 0
		if [ "$(now_ms)" -ge $deadline ]; then
			echo "FAIL: $TEST_NAME: the table of $name lists '$got', not '$want':" >&2
			screen "$name" | sed 's/^/  | /' >&2
			exit 1
		fi
		sleep 0.1
	done
}

re_quote() {
	printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'
}

online_re() {
	echo "(online +$1/$2|$1/$2 online)"
}
