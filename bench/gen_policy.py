#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# gen_policy.py: the benchmarks' hub policy for a lab hub, on stdout.
#
# Usage: gen_policy.py HUB_CONF IFACE NGROUPS RULES
# Every bulk peer in one of the groups (by name where it has one, else by key), alice and bob
# in two of them; rules between random groups with random services, none of them about
# alice's way to bob's port; then the one that lets it through; Default deny.
import random, sys
conf, iface, n_groups, n_rules = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
peers, name = [], None
for line in open(conf):
    line = line.strip()
    if line.startswith("# Name = "):
        name = line[9:]
    elif line == "[Peer]":
        peers.append([None, name]); name = None
    elif line.startswith("PublicKey = ") and peers:
        peers[-1][0] = line[12:]
    elif line == "[Interface]":
        name = None
rnd = random.Random(7)
members = [[] for _ in range(n_groups)]
for i, (key, nm) in enumerate(peers):
    if nm == "alice":
        members[0].append(nm)
    elif nm == "bob":
        members[1].append(nm)
    else:
        members[i % n_groups].append(nm if nm else key)
print(f"[{iface}]")
print("Default = deny")
for g in range(n_groups):
    print(f"Group = g{g:02d}: " + ", ".join(members[g]))
services = ["tcp/22", "tcp/443", "udp/53", "icmp", "tcp/8000-8100", "udp/500-4500", ""]
late = n_rules * 3 // 4
for r in range(n_rules):
    if r == late:
        print("Allow = g00 -> g01 tcp/5201")
        continue
    while True:
        a, b = rnd.randrange(n_groups), rnd.randrange(n_groups)
        svc = rnd.choice(services[:-1]) if (a, b) == (0, 1) else rnd.choice(services)
        if a != b:
            break
    arrow = rnd.choice(["->", "->", "<->"])
    if (a, b) == (0, 1) or (b, a) == (0, 1):
        svc = svc or "tcp/22"
    print(f"{rnd.choice(['Allow', 'Allow', 'Deny'])} = g{a:02d} {arrow} g{b:02d} {svc}".rstrip())
print("Test = alice -> bob tcp/5201 allow")
