"""Where a terminal's bytes go: a dump of ``python -m benchmarks.bandwidth --dump DIR`` by screen area.

Run: ``python -m benchmarks.bandwidth_where DIR/quiet-120x36-default.bin``. Each changed span is written after a
cursor move (``ESC [ row ; col H``, or ``ESC [ n C`` to the right on the same row, which the console's
``ScreenDiff`` writes between the changed cells of a row); this tallies the bytes written after each move by the
row and the starting column, and how many of them are colour and style escapes (SGR, ``ESC [ … m``), and counts
the frames (synchronized-output blocks, ``ESC [ ? 2026 h``).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

_MOVE = re.compile(rb"\x1b\[(\d+);(\d+)H|\x1b\[(\d+)C")
_SGR = re.compile(rb"\x1b\[[0-9;:]*m")


def tally(data: bytes) -> tuple[Counter[tuple[int, int]], int, int]:
    """Bytes per (row, first column) of each span; SGR bytes; frames."""
    spans: Counter[tuple[int, int]] = Counter()
    moves = list(_MOVE.finditer(data))
    row = column = 0
    for i, move in enumerate(moves):
        end = moves[i + 1].start() if i + 1 < len(moves) else len(data)
        if move.group(3) is None:
            row, column = int(move.group(1)), int(move.group(2))
        else:  # a move right: the span starts that many columns after the previous span's start (an estimate:
            column += int(move.group(3))  # the text between counts too, so this attributes to the row, not the cell)
        spans[(row, column)] += end - move.start()
    sgr = sum(len(m.group(0)) for m in _SGR.finditer(data))
    return spans, sgr, data.count(b"\x1b[?2026h")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bandwidth_where", description=__doc__.splitlines()[0])
    parser.add_argument("dump", type=Path)
    parser.add_argument("--top", type=int, default=25, help="how many spans to list")
    args = parser.parse_args(argv)
    data = args.dump.read_bytes()
    spans, sgr, frames = tally(data)
    print(f"{len(data):,} bytes, {frames} frames, {sgr:,} bytes of SGR escapes ({sgr / max(1, len(data)):.0%})")
    by_column: Counter[int] = Counter()
    for (_, column), n in spans.items():
        by_column[column] += n
    print("bytes by a span's first column:", ", ".join(f"{c}: {n:,}" for c, n in by_column.most_common(12)))
    for (row, column), n in spans.most_common(args.top):
        print(f"  row {row:3} col {column:3}: {n:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
