#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# genl_dump.py: how the kernel splits one WireGuard device dump into netlink messages.
#
# Usage: genl_dump.py [--buffer BYTES] [--attempts N [--until-overtaken]] IFACE
# Dumps IFACE over generic netlink with the receive buffer wgstar-top uses (64 KiB by default;
# the kernel sizes its dump messages after it) and prints one JSON object: how many messages
# carried peers, how many peers, which peers were split over more than one message with how
# many allowed IPs in all, and how many dumps before it a change overtook (flagged
# NLM_F_DUMP_INTR by the kernel; each is started again, 50 times at most). With --attempts,
# only how many of N dumps in a row were overtaken; with --until-overtaken as well, the dumps
# stop at the first one overtaken (a witness that changes do overtake dumps, as few tries as
# that takes on a slow machine, N at most). Independent of
# wgstar-top's parser: a witness that a test did exercise the paths it means to exercise.
import base64
import json
import socket
import struct
import sys

NETLINK_GENERIC = 16
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NLM_F_DUMP_INTR = 0x10
NLMSG_ERROR, NLMSG_DONE = 2, 3
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
WG_CMD_GET_DEVICE, WGDEVICE_A_IFNAME, WGDEVICE_A_PEERS = 0, 2, 8
WGPEER_A_PUBLIC_KEY, WGPEER_A_ALLOWEDIPS = 1, 9
NLA_TYPE_MASK = 0x3FFF


def nla(kind, data):
    n = 4 + len(data)
    return struct.pack("=HH", n, kind) + data + b"\0" * (-n % 4)


def attrs(buf):
    off = 0
    while off + 4 <= len(buf):
        n, kind = struct.unpack_from("=HH", buf, off)
        if n < 4 or off + n > len(buf):
            raise ValueError("malformed attribute")
        yield kind & NLA_TYPE_MASK, buf[off + 4:off + n]
        off += n + (-n % 4)


def request(sock, kind, flags, seq, cmd, version, payload):
    body = struct.pack("=BBH", cmd, version, 0) + payload
    sock.send(struct.pack("=IHHII", 16 + len(body), kind, flags, seq, 0) + body)


def messages(sock, size, seq):
    """Yields (type, flags, genl payload) of every message answering seq, until the end."""
    while True:
        data = sock.recv(size)
        off = 0
        while off + 16 <= len(data):
            n, kind, flags, mseq, _ = struct.unpack_from("=IHHII", data, off)
            if n < 16 or off + n > len(data):
                raise ValueError("malformed message")
            body = data[off + 16:off + n]
            off += n + (-n % 4)
            if mseq != seq:
                continue
            if kind == NLMSG_ERROR:
                err = struct.unpack_from("=i", body)[0]
                if err:
                    raise OSError(-err, "netlink error")
                continue
            if kind == NLMSG_DONE:
                return
            yield kind, flags, body[4:]


def family_id(sock, size):
    request(sock, GENL_ID_CTRL, NLM_F_REQUEST, 1, CTRL_CMD_GETFAMILY, 1,
            nla(CTRL_ATTR_FAMILY_NAME, b"wireguard\0"))
    data = sock.recv(size)
    n, kind = struct.unpack_from("=IH", data)
    if kind == NLMSG_ERROR:
        raise OSError(-struct.unpack_from("=i", data, 16)[0], "no wireguard family")
    for a, v in attrs(data[20:n]):
        if a == CTRL_ATTR_FAMILY_ID:
            return struct.unpack("=H", v[:2])[0]
    raise ValueError("no family id")


def dump(iface, size, tries, all_tries=False, until_overtaken=False):
    """The messages of the first of tries dumps that no change overtook (None if none), how
    many were overtaken and how many were made; with all_tries, every try is made (or, with
    until_overtaken, every try up to the first one overtaken), and the last one's kept."""
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    sock.bind((0, 0))
    fam = family_id(sock, size)
    overtaken, made = 0, 0
    for seq in range(2, 2 + tries):
        made += 1
        request(sock, fam, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, seq, WG_CMD_GET_DEVICE, 1,
                nla(WGDEVICE_A_IFNAME, iface.encode() + b"\0"))
        msgs, interrupted = [], False
        for kind, flags, body in messages(sock, size, seq):
            interrupted |= bool(flags & NLM_F_DUMP_INTR)
            peers = []
            for a, v in attrs(body):
                if a != WGDEVICE_A_PEERS:
                    continue
                for _, peer in attrs(v):
                    key, ips = None, 0
                    for pa, pv in attrs(peer):
                        if pa == WGPEER_A_PUBLIC_KEY:
                            key = pv.hex()
                        elif pa == WGPEER_A_ALLOWEDIPS:
                            ips += sum(1 for _ in attrs(pv))
                    peers.append((key, ips))
            msgs.append(peers)
        if not interrupted and not all_tries:
            return msgs, overtaken, made
        overtaken += interrupted
        if interrupted and until_overtaken:
            break
    return (msgs if all_tries else None), overtaken, made


def main():
    args = sys.argv[1:]
    size, tries, count_only, until = 65536, 50, False, False
    while len(args) > 1 and args[0].startswith("--"):
        if args[0] == "--until-overtaken":
            until, args = True, args[1:]
            continue
        opt, val = args[0], args[1]
        if opt == "--buffer":
            size = int(val)
        elif opt == "--attempts":
            tries, count_only = int(val), True
        else:
            sys.exit(f"unknown option {opt}")
        args = args[2:]
    if len(args) != 1:
        sys.exit("usage: genl_dump.py [--buffer BYTES] [--attempts N [--until-overtaken]] IFACE")
    if until and not count_only:
        sys.exit("--until-overtaken goes with --attempts")
    msgs, overtaken, made = dump(args[0], size, tries, count_only, until)
    if count_only:
        print(json.dumps({"attempts": made, "interrupted": overtaken}))
        return
    if msgs is None:
        sys.exit(f"every one of {tries} dumps was overtaken by a change")
    seen, order, ips = {}, [], {}
    for i, peers in enumerate(msgs):
        for key, n in peers:
            if key not in seen:
                order.append(key)
                seen[key] = set()
            seen[key].add(i)
            ips[key] = ips.get(key, 0) + n
    split = [k for k in order if len(seen[k]) > 1]
    print(json.dumps({
        "interrupted": overtaken,
        "messages": len(msgs),
        "messages_with_peers": sum(1 for m in msgs if m),
        "peers": len(order),
        "allowed_ips": sum(ips.values()),
        "split_peers": {base64.b64encode(bytes.fromhex(k)).decode(): {
            "messages": len(seen[k]), "allowed_ips": ips[k]} for k in split},
    }))


if __name__ == "__main__":
    main()
