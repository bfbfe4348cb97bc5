#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""keylat.py: how long a key takes to reach the screen, measured at the terminal itself.

Usage: keylat.py [--size COLSxROWS] [--ready REGEX] [--keys KEYS] [--expect TEXT]...
                 [--rounds N] -- COMMAND...

COMMAND (the console, e.g. `ip netns exec NS wgstar-top -i wg0`) runs on a pseudo-terminal
of its own. Once its output shows REGEX (the first full screen; matched with the terminal's
escape sequences taken out), each key of KEYS is sent
when the screen has been still for a while, and the time from writing the key to the last
byte of the screen update it caused is printed, in milliseconds. Nothing polls: the update's
bytes are read as the console writes them, so the figure is the console's own, not a
multiplexer's. Ends the console with q.

With --expect, once per key of KEYS (in order, the same for every round), the key's update is
the one whose bytes show TEXT (escape sequences taken out), e.g. the title and arrow of the
column a sort key sorts by: a refresh drawn before it, or after it and a pause of GAP seconds,
is then no part of the figure. A key whose TEXT never shows fails. Without --expect, the update is everything
written from the key to the next pause of SETTLE seconds.
"""
import argparse
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

QUIET = 0.08        # no output for this long: the screen is still
# An update is over when nothing more comes for this long. Longer than a sort takes on the host
# (20-50 ms at 65,536 rows): a refresh drawn just as the key came in, and the key's own update
# after it, are one update, timed to the key's end, not the refresh's. A refresh drawn just
# after can only add to the figure, never hide the key's.
SETTLE = 0.1
FIRST = 30.0        # the longest wait for the first byte of a key's update
# The bytes of one frame follow each other closely (a frame is one write of the console's); a
# pause this long after the expected text ends the key's update.
GAP = 0.03
ESCAPES = re.compile(rb"\x1b(\[[0-9;?]*[A-Za-z@]|\([A-Z0-9])")


def read_for(fd, seconds):
    """Everything the console writes within seconds, with the time of the last byte."""
    data, last = b"", None
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return data, last
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            return data, last
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return data, last
        if not chunk:
            return data, last
        data += chunk
        last = time.monotonic()


def read_burst(fd, first):
    """What the console writes from its next byte (within first seconds) to its next pause of
    SETTLE seconds: one screen update. Returns it with the times of its first and last byte."""
    data, start, last = b"", None, None
    r, _, _ = select.select([fd], [], [], first)
    while r:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
        last = time.monotonic()
        start = start or last
        r, _, _ = select.select([fd], [], [], SETTLE)
    return data, start, last


def read_update(fd, text, first):
    """What the console writes from the key on, until TEXT has shown in it and then nothing more
    came for GAP seconds. Returns the times of its first byte and of the last byte of the update
    that showed TEXT; last is None when TEXT did not show within first seconds."""
    data, start, last = b"", None, None
    found = False
    end = time.monotonic() + first
    while True:
        left = (GAP if found else end - time.monotonic())
        if left <= 0:
            return start, None
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            if found:
                return start, last
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return start, last if found else None
        if not chunk:
            return start, last if found else None
        now = time.monotonic()
        start = start or now
        if found:
            last = now
            continue
        data += chunk
        if text in ESCAPES.sub(b"", data):
            found, last = True, now


def wait_quiet(fd, limit=10.0):
    """Waits until the console writes nothing for QUIET seconds."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        data, _ = read_for(fd, QUIET)
        if not data:
            return True
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="150x45")
    ap.add_argument("--ready", default="online")
    ap.add_argument("--ready-timeout", type=float, default=180)
    ap.add_argument("--keys", default="s")
    ap.add_argument("--expect", action="append", default=[])
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("command", nargs="+")
    a = ap.parse_args()
    cols, rows = (int(x) for x in a.size.split("x"))
    if a.expect and len(a.expect) != len(a.keys):
        sys.exit(f"keylat.py: {len(a.expect)} --expect for {len(a.keys)} keys")

    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        # English and UTF-8 whatever the caller's locale: --expect quotes the screen's words
        # and arrows, and the figures compare across machines.
        os.environ["LC_ALL"] = "C.UTF-8"
        os.environ.pop("LANGUAGE", None)
        os.execvp(a.command[0], a.command)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    os.kill(pid, signal.SIGWINCH)

    t0 = time.monotonic()
    seen = b""
    ready = re.compile(a.ready.encode())
    while not ready.search(ESCAPES.sub(b"", seen[-200000:])):
        data, _ = read_for(fd, 0.2)
        seen += data
        if time.monotonic() - t0 > a.ready_timeout:
            sys.exit(f"keylat.py: no {a.ready!r} on the screen within {a.ready_timeout:.0f} s")
    print(f"first screen matching {a.ready!r}: {(time.monotonic() - t0) * 1000:.0f} ms")

    lat, firsts = [], []
    for _ in range(a.rounds):
        for i, key in enumerate(a.keys):
            if not wait_quiet(fd):
                sys.exit("keylat.py: the screen never stood still")
            k0 = time.monotonic()
            os.write(fd, key.encode())
            if a.expect:
                start, last = read_update(fd, a.expect[i].encode(), FIRST)
                if last is None:
                    sys.exit(f"keylat.py: key {key!r} never showed {a.expect[i]!r}")
            else:
                _, start, last = read_burst(fd, FIRST)
                if last is None:
                    sys.exit(f"keylat.py: key {key!r} changed nothing on the screen")
            lat.append((last - k0) * 1000)
            firsts.append((start - k0) * 1000)
    print("key to screen, ms: " + " ".join(f"{x:.0f}" for x in lat))
    # When the first update after the key began. Without --expect, a figure far above this one
    # is an update that ran on with another drawn right after it (a sample, the clock), which
    # the figure then counts in.
    print("key to its first byte, ms: " + " ".join(f"{x:.0f}" for x in firsts))
    s = sorted(lat)
    print(f"median {s[len(s) // 2]:.0f} ms, max {s[-1]:.0f} ms")
    os.write(fd, b"q")
    read_for(fd, 1.0)
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
