"""The status pane: every fill, cancel and reject, with its reason code decoded, coloured by severity."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from console.session import StatusEntry

#: Entries kept on screen; older ones scroll away for good (the journal keeps everything).
MAX_ENTRIES = 200


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

    def add_entry(self, entry: StatusEntry) -> None:
        """Append an entry, styled by its severity class (``-info``, ``-warning``, ``-error``, ``-critical``)."""
        at_end = self.is_vertical_scroll_end
        line = Static(format_entry(entry), classes=f"entry -{entry.severity.value}")
        self.mount(line)
        entries = self.query(".entry")
        excess = len(entries) - MAX_ENTRIES
        for old in list(entries)[: max(0, excess)]:
            old.remove()
        if at_end:
            self.call_after_refresh(self.scroll_end, animate=False)

    def entries_text(self) -> list[str]:
        """Plain text of every entry on screen, oldest first (for tests and the journal view)."""
        return [str(widget.content) for widget in self.query(".entry").results(Static)]
