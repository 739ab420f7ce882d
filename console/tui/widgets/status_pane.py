"""The status pane: every fill, cancel and reject, with its reason code decoded, coloured by severity."""

from __future__ import annotations

import time
from collections import deque
from datetime import UTC, datetime
from itertools import groupby

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from console.session import StatusEntry

#: Entries kept on screen; older ones scroll away for good (the journal keeps everything).
MAX_ENTRIES = 200
#: How often new entries are put on screen, at most (a burst of entries is shown at once).
FLUSHES_PER_S = 2


def format_entry(entry: StatusEntry) -> Content:
    """One entry as a line: ``12:01:02 MakerOrCancelWouldTake  BUY 0.01 BTCUSD @ … — plain text``."""
    stamp = datetime.fromtimestamp(entry.time_ms / 1000, tz=UTC).strftime("%H:%M:%S")
    code = (entry.code, "bold") if entry.code else ""
    return Content.assemble(
        (stamp, "$text-muted"), " ", code, "  " if entry.code else "", entry.subject, (" — ", "$text-muted"),
        entry.text,
    )


class StatusPane(VerticalScroll):
    """Newest entry at the bottom; the pane follows it unless the trader scrolled up."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Status"
        self.can_focus = True
        self._pending: list[StatusEntry] = []
        self._last_flush_s = 0.0
        self._shown: deque[tuple[Static, int]] = deque()  # (widget, entries in it), oldest first
        self._texts: deque[str] = deque(maxlen=MAX_ENTRIES)

    def add_entry(self, entry: StatusEntry) -> None:
        """Append an entry, styled by its severity class (``-info``, ``-warning``, ``-error``, ``-critical``).

        A busy account reports hundreds of fills and cancels a second, so entries are shown in batches, at most
        :data:`FLUSHES_PER_S` times a second: consecutive entries of one severity share one widget (one line
        each), and the pane never holds more than :data:`MAX_ENTRIES` entries' worth of widgets.
        """
        if not self._pending:
            wait_s = self._last_flush_s + 1 / FLUSHES_PER_S - time.monotonic()
            if wait_s > 0:
                self.set_timer(wait_s, self._flush, name="status-flush")
            else:
                self.call_later(self._flush)
        self._pending.append(entry)

    def _flush(self) -> None:
        self._last_flush_s = time.monotonic()
        pending, self._pending = self._pending[-MAX_ENTRIES:], []
        if not pending:
            return
        at_end = self.is_vertical_scroll_end
        widgets = []
        for severity, run in groupby(pending, key=lambda e: e.severity):
            lines = [format_entry(e) for e in run]
            self._texts.extend(str(line) for line in lines)
            widget = Static(Content("\n").join(lines), classes=f"entry -{severity.value}")
            widgets.append(widget)
            self._shown.append((widget, len(lines)))
        self.mount(*widgets)
        total = sum(count for _, count in self._shown)
        old = []
        while self._shown and total - self._shown[0][1] >= MAX_ENTRIES:
            widget, count = self._shown.popleft()
            total -= count
            old.append(widget)
        if old:
            self.remove_children(old)
        if at_end:
            self.call_after_refresh(self.scroll_end, animate=False)

    def entries_text(self) -> list[str]:
        """Plain text of the newest :data:`MAX_ENTRIES` entries on screen, oldest first (tests, the journal view)."""
        return list(self._texts)
