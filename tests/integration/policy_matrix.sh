#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# policy_matrix.sh: a hub policy with groups, Default = deny, services, <-> and rules for the
# hub, applied. For every ordered pair of four peers and the hub, IPv4 and IPv6, a real ping
# and real TCP connections (to listeners in the target's namespace) succeed exactly when
# `policy test` says allow (or leaves it to the host, which accepts), replies included; what
# was refused shows in --once --json with its exact packet count.

# shellcheck source=../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_wgstar
need_cmd nft ping socat
lab_up --peers 4
RUN_DIR=$WORKDIR/run
POLICY=$WORKDIR/policy.conf
at_exit 'hub "$WGSTAR" firewall --run-dir "$RUN_DIR" rollback >/dev/null 2>&1'

cat >"$POLICY" <<EOF
# the hub policy of the matrix test
[$LAB_HUB_IF]
Default = deny
Group = laptops: alice, bob
Group = servers: dave
Allow = laptops -> servers tcp/22 icmp
Allow = alice <-> bob
Allow = carol -> dave tcp/80
Deny = bob -> hub tcp/22
Deny = carol -> hub
Allow = * -> hub icmp
Test = alice -> dave tcp/22 allow
Test = dave -> alice tcp/22 deny
Test = carol -> hub tcp/80 deny
EOF

# TCP listeners on ports 22 and 80 in every namespace, both families, stopped by their pid.
for ns in "$LAB_HUB_NS" "$LAB_PEER1_NS" "$LAB_PEER2_NS" "$LAB_PEER3_NS" "$LAB_PEER4_NS"; do
	for port in 22 80; do
		ip netns exec "$ns" socat "TCP6-LISTEN:$port,ipv6only=0,reuseaddr,fork" EXEC:/bin/true </dev/null \
			>/dev/null 2>&1 &
		at_exit "kill $! 2>/dev/null"
	done
done

run hub "$WGSTAR" policy check --policy "$POLICY" -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
assert_status 0 "policy check"
assert_contains "OK (interfaces 1, groups 2, rules 6, tests 3: all pass)" "$RUN_OUT"
run hub "$WGSTAR" firewall apply --yes --confirm-timeout 600 --run-dir "$RUN_DIR" --policy "$POLICY" \
	-i "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
assert_status 0 "firewall apply with the policy"
assert_contains "add table inet wgstar_policy" "$RUN_OUT"
run hub "$WGSTAR" firewall confirm --run-dir "$RUN_DIR"
assert_status 0 "firewall confirm"
# Applied and confirmed, the table is the policy's own: nothing left to change.
run hub "$WGSTAR" firewall diff --policy "$POLICY" -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
assert_contains "nothing to change" "$RUN_OUT"

names=(alice bob carol dave)
ns_of() { eval "echo \$LAB_PEER$(($1 + 1))_NS"; }
addr_of() { # INDEX|hub FAMILY
	local k=$1
	if [ "$k" = hub ]; then
		[ "$2" = 4 ] && echo "$LAB_HUB_ADDR" || echo "$LAB_HUB_ADDR6"
	else
		eval "[ \"$2\" = 4 ] && echo \$LAB_PEER$((k + 1))_ADDR || echo \$LAB_PEER$((k + 1))_ADDR6"
	fi
}

# What policy test says for SRC DST SERVICE: "IPv4 VERDICT" and "IPv6 VERDICT" lines, each
# allow, deny or untouched.
verdicts() {
	local out
	out=$(hub "$WGSTAR" policy test --policy "$POLICY" -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF" "$1" "$2" "$3") ||
		{ echo "policy test $1 $2 $3 failed"; return 1; }
	printf '%s\n' "$out" | sed -n 's/^\(IPv[46]\) .*: \(allow\|deny\|untouched\)\(,\| \|$\).*/\1 \2/p'
}

# Whether the connection gets through, replies included: a ping answered, a TCP handshake done.
tries() { # NS ADDR SERVICE FAMILY
	local ns=$1 addr=$2 service=$3 fam=$4 target
	[ "$fam" = 6 ] && target="[$addr]" || target=$addr
	case $service in
	icmp) ip netns exec "$ns" ping -q -n -c 1 -W 1 "$addr" >/dev/null 2>&1 ;;
	tcp/*) ip netns exec "$ns" socat -u OPEN:/dev/null "TCP:$target:${service#tcp/},connect-timeout=1" \
		>/dev/null 2>&1 ;;
	esac
}

# First handshakes, before anything is judged: every peer talks to the hub once (carol's
# pings the policy refuses, but her handshake is WireGuard's own, on the underlay).
for i in 0 1 2 3; do
	ip netns exec "$(ns_of $i)" ping -q -n -c 3 -i 0.3 -W 2 "$LAB_HUB_ADDR" >/dev/null 2>&1 || true
done

# One source's row of the matrix: a line "checked" per connection, "bad: ..." per disagreement.
row() {
	local i=$1 j dst service fam want got line
	for j in 0 1 2 3 hub; do
		[ "$j" = "$i" ] && continue
		dst=$([ "$j" = hub ] && echo hub || echo "${names[$j]}")
		for service in icmp tcp/22 tcp/80; do
			verdicts "${names[$i]}" "$dst" "$service" >"$WORKDIR/v.$i" || { echo "bad: $(cat "$WORKDIR/v.$i")"; continue; }
			for fam in 4 6; do
				want=$(sed -n "s/^IPv$fam //p" "$WORKDIR/v.$i")
				[ -n "$want" ] || { echo "bad: no IPv$fam verdict for ${names[$i]} -> $dst $service"; continue; }
				if tries "$(ns_of "$i")" "$(addr_of "$j" "$fam")" "$service" "$fam"; then got=allow; else got=deny; fi
				# What no rule names is the host's to decide: this hub accepts it.
				[ "$want" = untouched ] && want=allow
				[ "$got" = "$want" ] ||
					echo "bad: ${names[$i]} -> $dst $service IPv$fam: policy test says $want, the packets $got"
				echo checked
			done
		done
	done
}

# The four rows at once: most of the time goes in waiting for what is refused.
pids=()
for i in 0 1 2 3; do
	row "$i" >"$WORKDIR/row.$i" 2>&1 &
	pids+=($!)
done
wait "${pids[@]}"
checked=$(cat "$WORKDIR"/row.? | grep -c '^checked$' || true)
if grep -h '^bad: ' "$WORKDIR"/row.? >&2; then
	fail "connections disagree with policy test (of $checked)"
fi
[ "$checked" -eq 96 ] || fail "checked $checked connections, not 96"

# Refused, counted: exactly the pings carol sends alice (the Default refuses them).
json() { hub "$WGSTAR" --once --json --policy "$POLICY" -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF"; }
refused() { # JSON FROM-KEY TO-KEY|hub FIELD
	python3 -c 'import json,sys
d=json.loads(sys.argv[1])["interfaces"][0]["policy"]
print(sum(x[sys.argv[4]] for x in d["denied"] if x["from"]==sys.argv[2] and x["to"]==sys.argv[3]))' "$@"
}
need_cmd python3
before=$(json)
ip netns exec "$LAB_PEER3_NS" ping -q -n -c 5 -i 0.2 -W 1 "$LAB_PEER1_ADDR" >/dev/null 2>&1 &&
	fail "carol's pings to alice were answered"
ip netns exec "$LAB_PEER3_NS" ping -q -n -c 2 -i 0.2 -W 1 "$LAB_HUB_ADDR" >/dev/null 2>&1 &&
	fail "carol's pings to the hub were answered"
after=$(json)
n0=$(refused "$before" "$LAB_PEER3_PUB" "$LAB_PEER1_PUB" packets)
n1=$(refused "$after" "$LAB_PEER3_PUB" "$LAB_PEER1_PUB" packets)
b0=$(refused "$before" "$LAB_PEER3_PUB" "$LAB_PEER1_PUB" bytes)
b1=$(refused "$after" "$LAB_PEER3_PUB" "$LAB_PEER1_PUB" bytes)
assert_eq 5 $((n1 - n0)) "packets refused from carol to alice"
assert_eq $((5 * 84)) $((b1 - b0)) "bytes refused from carol to alice"
h0=$(refused "$before" "$LAB_PEER3_PUB" hub packets)
h1=$(refused "$after" "$LAB_PEER3_PUB" hub packets)
assert_eq 2 $((h1 - h0)) "packets refused from carol to the hub"
# the rule that refused them counted them too
python3 -c 'import json,sys
r=[x for x in json.loads(sys.argv[1])["interfaces"][0]["policy"]["rules"] if x["rule"]=="Deny = carol -> hub"]
sys.exit(0 if r and r[0]["packets"]>=2 else 1)' "$after" || fail "the rule Deny = carol -> hub counted nothing"
# and the peers their groups
python3 -c 'import json,sys
p={x["name"]:x["groups"] for x in json.loads(sys.argv[1])["interfaces"][0]["peers"]}
sys.exit(0 if p["alice"]==["laptops"] and p["dave"]==["servers"] and p["carol"]==[] else 1)' "$after" ||
	fail "JSON groups are wrong"
# Another policy, not confirmed: the guard puts the first one back, table and all.
hub nft list table inet wgstar_policy | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/; /expires/d' \
	>"$WORKDIR/policy.before"
sed 's/^Default = deny$/Default = allow/; /^Test/d' "$POLICY" >"$WORKDIR/other.conf"
run hub "$WGSTAR" firewall apply --yes --confirm-timeout 2 --run-dir "$RUN_DIR" --policy "$WORKDIR/other.conf" \
	-i "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
assert_status 0 "firewall apply of another policy"
assert_contains "replace table inet wgstar_policy" "$RUN_OUT"
for ((i = 0; i < 100; i++)); do
	[ -e "$RUN_DIR/pending" ] || break
	sleep 0.1
done
[ ! -e "$RUN_DIR/pending" ] || fail "the other policy was not rolled back"
run hub "$WGSTAR" firewall status --run-dir "$RUN_DIR"
assert_contains "the ruleset is as it was before the change" "$RUN_OUT"
run hub "$WGSTAR" firewall diff --policy "$POLICY" -i "$LAB_HUB_IF" -c "$LAB_HUB_CONF"
assert_contains "nothing to change" "$RUN_OUT"
hub nft list table inet wgstar_policy | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/; /expires/d' \
	>"$WORKDIR/policy.after"
cmp -s "$WORKDIR/policy.before" "$WORKDIR/policy.after" ||
	{ diff "$WORKDIR/policy.before" "$WORKDIR/policy.after" >&2; fail "the policy table came back different"; }
note "ok: $checked connections as policy test says"
