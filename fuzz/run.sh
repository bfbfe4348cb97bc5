#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs every libFuzzer harness of fuzz/ for a while over its seeds, as many at once as there
# are CPUs:
#   fuzz/run.sh BUILDDIR [SECONDS [NAME...]]
# from a build configured with --enable-fuzzing (`make fuzz-run FUZZ_SECONDS=N` calls it).
# The seeds are copied into BUILDDIR/fuzz/run/NAME/corpus, which the run grows; a crashing
# input and the log stay there. Prints "NAME: stat::number_of_executed_units: N" for each
# harness, and "NAME: FAILED (why)" for one that crashed, leaked, timed out, ran out of
# memory or was not built; exits 1 if any failed.
set -u

if [ $# -lt 1 ]; then
	echo "usage: $0 BUILDDIR [SECONDS [NAME...]]" >&2
	exit 2
fi
src=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd) || exit 2
secs=${2:-10}
shift $(($# < 2 ? $# : 2))
if [ $# -eq 0 ]; then
	for f in "$src"/fuzz_*.c; do
		n=${f##*/}
		set -- "$@" "${n%.c}"
	done
fi

# Why a run failed, from libFuzzer's and the sanitizers' own words.
reason() {
	if grep -q 'ERROR: libFuzzer: timeout' "$1"; then
		echo "timed out"
	elif grep -q 'ERROR: libFuzzer: out-of-memory' "$1"; then
		echo "out of memory"
	elif grep -q 'ERROR: LeakSanitizer' "$1"; then
		echo "leaked"
	else
		echo "crashed"
	fi
}

# One harness; what it says goes to its run directory's result (and tail, when it failed).
run_one() {
	name=$1
	bin=$build/fuzz/$name
	work=$build/fuzz/run/$name
	rm -rf "$work"
	mkdir -p "$work/corpus"
	if [ ! -x "$bin" ]; then
		echo "$name: FAILED (not built: $bin)" >"$work/result"
		return
	fi
	if [ -d "$src/corpus/$name" ]; then
		cp "$src/corpus/$name"/* "$work/corpus/" 2>/dev/null
	fi
	dict=
	[ -f "$src/$name.dict" ] && dict=-dict=$src/$name.dict
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/" $dict "$work/corpus" >"$work/log" 2>&1
	status=$?
	stat=$(sed -n 's/^\(stat::number_of_executed_units: *[0-9]*\).*/\1/p' "$work/log" | tail -n 1)
	echo "$name: ${stat:-stat::number_of_executed_units: 0}" >"$work/result"
	if [ "$status" -ne 0 ]; then
		tail -n 40 "$work/log" >"$work/tail"
		echo "$name: FAILED ($(reason "$work/log"); log and input in $work)" >>"$work/result"
	fi
}

# As many at once as there are CPUs (a harness runs on one), in batches; said in the given order.
jobs=$(nproc 2>/dev/null || echo 1)
failed=0
batch=
n=0
for name in "$@" ""; do
	if [ -n "$name" ]; then
		run_one "$name" &
		batch="$batch $name"
		n=$((n + 1))
		[ "$n" -lt "$jobs" ] && continue
	fi
	wait
	for b in $batch; do
		work=$build/fuzz/run/$b
		[ ! -f "$work/tail" ] || cat "$work/tail" >&2
		cat "$work/result"
		! grep -q ': FAILED' "$work/result" || failed=$((failed + 1))
	done
	batch=
	n=0
done
[ "$failed" -eq 0 ]
