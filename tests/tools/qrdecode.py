#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Decode a QR code drawn as terminal text, as wgstar-top draws it, back to its bytes.

Usage: qrdecode.py [--image OUT.pgm] [FILE]    (standard input without FILE or with "-")

Either style of src/core/qr.h is read, whichever the text holds:
  UTF-8 half blocks  two module rows per line: U+2588 both light, U+2580 upper light,
                     U+2584 lower light, space both dark;
  ASCII              one module row per line, "##" light, "  " dark.
Light modules are the ink, as `qrencode -t UTF8` draws them. The text may come from a
terminal capture (tmux capture-pane): the symbol is found as the longest run of lines
that hold only QR characters between their first and last ink, starting in the same
column; other text around it is ignored, and lines whose trailing spaces were trimmed
are padded to the widest one.

The module grid is written as a PGM image, 4 pixels a module inside a white border, and
read with `zbarimg --raw`; the decoded bytes go to standard output exactly, with no
newline added. Exit status: 0 decoded, 1 nothing decoded, 2 bad usage or no symbol in
the text, 77 zbarimg missing (the automake code for a skipped test).
"""

import os
import shutil
import subprocess
import sys
import tempfile

UTF8_INK = {"\u2588": (True, True), "\u2580": (True, False), "\u2584": (False, True)}
SCALE = 4          # pixels a module
BORDER = 4         # modules of white around what the text holds


def die(status, msg):
    sys.stderr.write("qrdecode: %s\n" % msg)
    sys.exit(status)


def symbol_lines(lines, ink, allowed):
    """The longest run of lines that are QR text between their first and last ink.

    The quiet zone is light, so ink: every line of the symbol starts with ink in the same
    column, which keeps text beside it (a "# Name" comment line, say) out of the run.
    """
    best, run = [], []
    for line in lines + [""]:
        first = min((line.find(c) for c in ink if c in line), default=-1)
        last = max((line.rfind(c) for c in ink), default=-1)
        qr = first >= 0 and all(c in allowed for c in line[first:last + 1])
        if qr and run and run[0][1] == first:
            run.append((line, first, last))
            continue
        if len(run) > len(best):
            best = run
        run = [(line, first, last)] if qr else []
    return best


def grid_from_text(text):
    lines = [l.rstrip("\r") for l in text.split("\n")]
    utf8 = any(c in text for c in UTF8_INK)
    if utf8:
        ink = set(UTF8_INK)
    elif "#" in text:
        ink = {"#"}
    else:
        die(2, "no QR code in the text")
    run = symbol_lines(lines, ink, ink | {" "})
    if not run:
        die(2, "no QR code in the text")
    left = min(first for _, first, _ in run)
    right = max(last for _, _, last in run)
    rows = []
    for line, _, _ in run:
        # tmux drops trailing spaces: pad back to the widest line.
        cells = line[left:right + 1].ljust(right + 1 - left)
        if utf8:
            upper = [UTF8_INK.get(c, (False, False))[0] for c in cells]
            lower = [UTF8_INK.get(c, (False, False))[1] for c in cells]
            rows += [upper, lower]
        else:
            # Two characters a module; the first of each pair decides.
            rows.append([cells[x] == "#" for x in range(0, len(cells), 2)])
    return rows


def write_pgm(path, rows):
    width = max(len(r) for r in rows) + 2 * BORDER
    height = len(rows) + 2 * BORDER
    white = bytes([255]) * (width * SCALE)
    out = bytearray()
    out += b"P5\n%d %d\n255\n" % (width * SCALE, height * SCALE)
    for _ in range(BORDER * SCALE):
        out += white
    for r in rows:
        cells = [True] * BORDER + r + [True] * (width - BORDER - len(r))
        line = b"".join((b"\xff" if light else b"\x00") * SCALE for light in cells)
        for _ in range(SCALE):
            out += line
    for _ in range(BORDER * SCALE):
        out += white
    with open(path, "wb") as f:
        f.write(out)


def zbar(path):
    # -Sbinary hands back the bytes as they are; without it zbar guesses a character
    # set and may turn UTF-8 into something else. Older zbar lacks it: then strip the
    # one newline it adds.
    r = subprocess.run(["zbarimg", "--raw", "-q", "-Sbinary", path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode == 0:
        return r.stdout
    if b"binary" in r.stderr or b"option" in r.stderr:
        r = subprocess.run(["zbarimg", "--raw", "-q", path],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode == 0:
            return r.stdout[:-1] if r.stdout.endswith(b"\n") else r.stdout
    return None


def main(argv):
    image = None
    args = argv[1:]
    if len(args) >= 2 and args[0] == "--image":
        image, args = args[1], args[2:]
    if len(args) > 1 or (args and args[0].startswith("-") and args[0] != "-"):
        die(2, "usage: qrdecode.py [--image OUT.pgm] [FILE]")
    if args and args[0] != "-":
        with open(args[0], "rb") as f:
            data = f.read()
    else:
        data = sys.stdin.buffer.read()
    rows = grid_from_text(data.decode("utf-8", errors="replace"))
    if not shutil.which("zbarimg"):
        die(77, "zbarimg is not installed (zbar-tools)")
    if image:
        write_pgm(image, rows)
        decoded = zbar(image)
    else:
        fd, path = tempfile.mkstemp(prefix="qrdecode-", suffix=".pgm")
        os.close(fd)
        try:
            write_pgm(path, rows)
            decoded = zbar(path)
        finally:
            os.unlink(path)
    if decoded is None:
        die(1, "zbarimg found no QR code")
    sys.stdout.buffer.write(decoded)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
