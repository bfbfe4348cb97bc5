#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# suite.sh: inside the VM, run tests one by one under automake's test driver, as `make check`
# runs them, with the lab on kernel WireGuard. Started by check.sh; not for the host.
#
# Usage: suite.sh OUT TEST...   (OUT/suite.env from check.sh; logs and .trs files go to OUT)
set -u

out=${1:?}
shift
# ABS_SRCDIR, ABS_BUILDDIR, LOG_DRIVER and TESTS_ENVIRONMENT, as the build's Makefile has them.
# shellcheck disable=SC1091
. "$out/suite.env"
cd "$ABS_BUILDDIR" || exit 1
export LAB_BACKEND=kernel
export srcdir=$ABS_SRCDIR

[ -d /sys/module/wireguard ] || echo "vm: the wireguard module is not loaded" >&2

# One test under the driver; its .trs says how it went, also when the driver died.
run_one() {
	local t=$1 name=${1%.sh} src=$1 start=$SECONDS
	[ -f "$src" ] || src=$ABS_SRCDIR/$t
	mkdir -p "$(dirname "$out/$name")"
	rm -f "$out/$name.trs" "$out/$name.log"
	(
		# A sanitizer build runs as on the host, but for the tests the host runs too without
		# LeakSanitizer's scan at every exit: on the emulated CPU it took 0.14 s of each of
		# their hundreds of runs of wgstar-top, for leaks the host's run looks for. The kernel's
		# own tests (tests/vm/) keep it: only they and this VM run the kernel's netlink path.
		case $t in
		tests/vm/*) ;;
		*) export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 ;;
		esac
		eval "$TESTS_ENVIRONMENT"
		# shellcheck disable=SC2086
		exec $LOG_DRIVER --test-name "$t" --log-file "$out/$name.log" --trs-file "$out/$name.trs" \
			--color-tests no --enable-hard-errors yes --expect-failure no -- "$src"
	)
	# A driver that died before writing its result leaves the test failed, not missing.
	[ -f "$out/$name.trs" ] || printf ':test-result: ERROR\n' >"$out/$name.trs"
	echo "vm: $t took $((SECONDS - start)) s"
}

# As many at once as the VM has CPUs, as `make -j check` runs them on the host (each test
# has its own namespaces and names): under emulation one test keeps one CPU busy, and the
# suite took a quarter of an hour one by one. The scale tests, minutes each, go first, so
# that the rest share the other CPUs meanwhile instead of waiting on them at the end.
jobs=${WGSTAR_VM_JOBS:-$(nproc)}
ordered=()
for t; do
	case $t in tests/scale/*) ordered+=("$t") ;; esac
done
for t; do
	case $t in tests/scale/*) ;; *) ordered+=("$t") ;; esac
done
running=0
for t in "${ordered[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	run_one "$t" &
	running=$((running + 1))
done
wait
exit 0
