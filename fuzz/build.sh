#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the libFuzzer harnesses with clang, and optionally run each for a while.
#   fuzz/build.sh [OUTDIR]                 build into OUTDIR (default fuzz/out)
#   fuzz/build.sh OUTDIR run SECONDS       build, then run every harness for SECONDS each
# The harnesses link the same transport-free parsers the program uses.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/fuzz/out}
mkdir -p "$out"

CC=${FUZZ_CC:-clang}
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I$top/src/core -include $top/fuzz/fuzz_config.h"
core="$top/src/core/model.c $top/src/core/keyidx.c $top/src/core/key.c $top/src/core/strlist.c $top/src/core/text.c"
libs="$(pkg-config --libs libmnl libsodium)"

build() {
	name=$1
	shift
	# shellcheck disable=SC2086
	$CC $CFLAGS -o "$out/$name" "$top/fuzz/$name.c" "$@" $core $libs
}

build fuzz_nlwg "$top/src/core/nlwalk.c" "$top/src/core/nlwg.c" "$top/src/core/rtnl.c"
build fuzz_uapi "$top/src/core/uapi.c"
build fuzz_wgconf "$top/src/core/wgconf.c" "$top/src/core/names.c"

if [ "${2:-}" = run ]; then
	secs=${3:-30}
	for h in fuzz_nlwg fuzz_uapi fuzz_wgconf; do
		corpus="$out/corpus-$h"
		mkdir -p "$corpus"
		[ -d "$top/fuzz/corpus/$h" ] && cp -n "$top/fuzz/corpus/$h"/* "$corpus"/ 2>/dev/null || true
		"$out/$h" -max_total_time="$secs" -print_final_stats=1 "$corpus" 2>"$out/$h.log" || {
			tail -n 40 "$out/$h.log" >&2
			echo "fuzz: $h found a crash" >&2
			exit 1
		}
		grep -E 'stat::number_of_executed_units' "$out/$h.log" | sed "s/^/$h: /"
	done
fi
