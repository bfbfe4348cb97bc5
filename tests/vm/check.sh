#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# check.sh: the whole integration suite again, and the kernel-only tests, inside one VM booted
# from Debian's kernel, against the WireGuard kernel module instead of wireguard-go.
#
# Usage: tests/vm/check.sh BUILD_DIR [OUT_DIR]
#
# The tests are the build's own: INTEGRATION_TESTS and AM_TESTS_ENVIRONMENT are read from
# BUILD_DIR's Makefile, so a test added there runs here too, followed by its VM_TESTS.
# Each runs under automake's test driver; OUT_DIR (default BUILD_DIR/vm-check) gets a .log and
# a .trs per test, as `make check` writes them. Every test starts out as ERROR ("did not run"),
# so a VM that dies half way fails the tests it did not get to. Exits 0 when all passed.
# WGSTAR_STRICT is passed in (a skip is a failure under tools/run-tests). WGSTAR_VM_TESTS, a
# list of test paths, runs those instead.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: check.sh BUILD_DIR [OUT_DIR]}
build=$(cd "$build" && pwd -P)
out=${2:-$build/vm-check}
# Generous: a hung test must not hold CI for long, and the VM normally needs a few minutes.
timeout=${WGSTAR_VM_CHECK_TIMEOUT:-1800}
# A hub of 100,000 peers (tests/scale), the sanitizers' shadow memory and the tests that run
# beside them (suite.sh runs as many at once as the VM has CPUs) need more than vm.sh's default.
export WGSTAR_VM_MEM=${WGSTAR_VM_MEM:-6144}

die() {
	echo "check.sh: $*" >&2
	exit 1
}

[ -f "$build/Makefile" ] || die "$build has no Makefile (configure first)"
[ -x "$build/src/wgstar-top" ] || die "$build/src/wgstar-top is not built"

# What `make check` would use, straight from the Makefile.
vars=$(printf '%s\n' 'wgstar-vm-vars:' \
	'	@:$(info INTEGRATION_TESTS=$(INTEGRATION_TESTS))$(info VM_TESTS=$(VM_TESTS))$(info ABS_SRCDIR=$(abs_top_srcdir))$(info ABS_BUILDDIR=$(abs_top_builddir))$(info LOG_DRIVER=$(LOG_DRIVER))$(info TESTS_ENVIRONMENT=$(AM_TESTS_ENVIRONMENT))' |
	make -s --no-print-directory -C "$build" -f Makefile -f - wgstar-vm-vars) ||
	die "cannot read the test list from $build/Makefile"
declare -A v
while IFS= read -r line; do
	case $line in
	INTEGRATION_TESTS=* | VM_TESTS=* | ABS_SRCDIR=* | ABS_BUILDDIR=* | LOG_DRIVER=* | TESTS_ENVIRONMENT=*)
		v[${line%%=*}]=${line#*=}
		;;
	esac
done <<<"$vars"
srcdir=${v[ABS_SRCDIR]:-}
[ -d "$srcdir" ] && [ -n "${v[INTEGRATION_TESTS]:-}" ] && [ -n "${v[LOG_DRIVER]:-}" ] ||
	die "the Makefile gave no test list, source directory or test driver"

# shellcheck disable=SC2206
tests=(${v[INTEGRATION_TESTS]} ${v[VM_TESTS]:-})
# shellcheck disable=SC2206
[ -z "${WGSTAR_VM_TESTS:-}" ] || tests=($WGSTAR_VM_TESTS)

rm -rf "$out"
mkdir -p "$out"
{
	printf 'ABS_SRCDIR=%q\n' "$srcdir"
	printf 'ABS_BUILDDIR=%q\n' "${v[ABS_BUILDDIR]}"
	printf 'LOG_DRIVER=%q\n' "${v[LOG_DRIVER]}"
	printf 'TESTS_ENVIRONMENT=%q\n' "${v[TESTS_ENVIRONMENT]:-}"
} >"$out/suite.env"
for t in "${tests[@]}"; do
	mkdir -p "$(dirname "$out/${t%.sh}")"
	printf ':test-result: ERROR\n' >"$out/${t%.sh}.trs"
	echo "did not run: the VM ended before this test (see the VM's console output)" >"$out/${t%.sh}.log"
done

echo "vm: ${#tests[@]} tests on kernel WireGuard, in a VM"
status=0
"$here/vm.sh" --out "$out" --env WGSTAR_STRICT --timeout "$timeout" -- \
	bash "$srcdir/tests/vm/suite.sh" "$out" "${tests[@]}" || status=$?

ok=1
[ "$status" = 0 ] || { echo "vm: the VM's command exited $status"; ok=0; }
for t in "${tests[@]}"; do
	r=$(sed -n 's/^:test-result: //p' "$out/${t%.sh}.trs" | head -n 1)
	[ "$r" = PASS ] || ok=0
done
[ "$ok" = 1 ]
