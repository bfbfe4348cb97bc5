#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The shipped alerting rules load in Prometheus, and fire when they should (promtool test rules).

# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

top=$(cd "$(dirname "$0")/.." && pwd)
need_cmd promtool

run promtool check rules "$top/contrib/wgstar-alerts.yml"
assert_status 0 "promtool check rules contrib/wgstar-alerts.yml"
assert_contains "SUCCESS: 5 rules found" "$RUN_OUT" "every rule is found"

# promtool resolves the test file's rule_files from its own directory.
run promtool test rules "$top/tests/prom_rules_test.yml"
assert_status 0 "promtool test rules tests/prom_rules_test.yml"
note "ok"
