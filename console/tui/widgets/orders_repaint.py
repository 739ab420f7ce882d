"""Which lines of the orders table a repaint must draw again: pure logic, tested without an app.

A row changed in place is one line; a row added, removed or moved shifts every row below the first of its old and
new places (they moved, and their zebra stripes flipped). The table notes each burst of changes here and, at its
repaint, asks for the lines on screen that changed (content lines: 0 is the header, 1 the first row on screen).
"""

from __future__ import annotations


class ChangedRows:
    """The view's rows changed since the last repaint (view indexes: 0 is the top row)."""

    def __init__(self) -> None:
        self._in_place: set[int] = set()
        self._shifted_from: int | None = None  # every row from this one down changed

    def note(self, moves: list[tuple[int | None, int | None]]) -> None:
        """One burst: each changed row's ``(index before, index after)``, None where it was or is not shown. The
        cursor follows its order, so its old and new lines are among these (or it stays on a removed row's line)."""
        shifted = self._shifted_from
        for old, new in moves:
            if old is not None and old == new:
                self._in_place.add(old)
                continue
            for index in (old, new):
                if index is not None and (shifted is None or index < shifted):
                    shifted = index
        self._shifted_from = shifted

    def take_spans(self, top: int, lines: int) -> list[tuple[int, int]]:
        """The changed lines on screen as ``(first line, count)`` spans, and start again from none.

        Args:
            top: the view index shown on line 1 (the scroll position).
            lines: how many row lines the screen shows (lines 1 to ``lines``).
        """
        in_place, shifted = self._in_place, self._shifted_from
        self._in_place, self._shifted_from = set(), None
        spans = []
        first = None if shifted is None else max(shifted - top, 0) + 1
        if first is not None and first <= lines:
            spans.append((first, lines + 1 - first))
        for row in sorted(in_place):
            line = row - top + 1
            if 1 <= line <= lines and (first is None or line < first):
                spans.append((line, 1))
        return spans
