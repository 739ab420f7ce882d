"""The status pane: every fill, cancel and reject, with its reason code decoded, coloured by severity."""

from __future__ import annotations

import time
from collections import deque
from datetime import UTC, datetime

from rich.segment import Segment
from textual.content import Content
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.style import Style

from console.domain.reasons import Severity
from console.trading.session import StatusEntry
from console.tui.widgets.fields import InOrderKeys
from console.tui.widgets.scrolling import set_virtual_size

#: Entries kept in the pane; older ones scroll away for good (the journal keeps everything).
MAX_ENTRIES = 1_000
#: How often new entries are put on screen, at most (a burst of entries is shown at once).
FLUSHES_PER_S = 10
#: Lines of text the pane gives itself before it takes its full height (``StatusPane.-full`` in styles/app.tcss,
#: 30% of the screen): one line while there is one, then three, then full. It grows at most twice in a session and
#: never shrinks, so the rows above it do not move with every entry.
HEIGHT_STEPS = (1, 3)


def format_entry(entry: StatusEntry, time_style: Style | str = "", code_style: Style | str = "bold") -> Content:
    """One entry as a line: ``12:01:02 MakerOrCancelWouldTake  BUY 0.01 BTCUSD @ … — plain text``.

    ``time_style`` is given to the time and the dash, ``code_style`` to the reason code (the pane passes the
    styles of its ``status-pane--time`` and ``status-pane--code`` component classes).
    """
    stamp = datetime.fromtimestamp(entry.time_ms / 1000, tz=UTC).strftime("%H:%M:%S")
    code = (entry.code, code_style) if entry.code else ""
    return Content.assemble(
        (stamp, time_style), " ", code, "  " if entry.code else "", entry.subject, (" — ", time_style), entry.text,
    )


class StatusPane(InOrderKeys, ScrollView, can_focus=True):
    """Newest entry at the bottom; the pane follows it unless the trader scrolled up.

    A Line API widget: entries are kept as text, wrapped to the pane's width, and only the lines on screen are
    painted, so a burst of hundreds of fills and cancels costs one repaint of the pane, never a layout of the
    screen. Each entry is styled by its severity's component class (``status-pane--info``, ``--warning``,
    ``--error``, ``--critical``); the time and the reason code by ``status-pane--time`` and ``status-pane--code``.

    The pane is only as tall as its lines need, in steps (:data:`HEIGHT_STEPS`, then full with the ``-full``
    class), so the orders above it get the rows it does not use.
    """

    COMPONENT_CLASSES = {
        *(f"status-pane--{severity.value}" for severity in Severity),
        "status-pane--time",
        "status-pane--code",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Status"
        self._pending: list[StatusEntry] = []
        self._last_flush_s = 0.0
        #: Least time between two repaints for new entries, seconds (low-bandwidth mode sets it longer).
        self.flush_interval_s = 1 / FLUSHES_PER_S
        #: One style per line (low-bandwidth mode, set before entries arrive): the time, the reason code and the dash
        #: in the line's severity style, so a line is one colour escape instead of four (errors still show red).
        self.one_style = False
        self._entries: deque[StatusEntry] = deque(maxlen=MAX_ENTRIES)
        #: The entries wrapped to ``_wrap_width``: (severity, line) per screen line, oldest first.
        self._lines: deque[tuple[Severity, Content]] = deque()
        #: How many lines each entry of ``_entries`` wrapped to (same order).
        self._line_counts: deque[int] = deque()
        self._wrap_width = 0
        self._strips: dict[int, Strip] = {}  # id(line) -> painted strip; cleared on a restyle or a rewrap
        self._styles: dict[str, Style] = {}
        self._window: tuple[int, int] | None = None  # (scroll y, width) during a paint
        #: Where the pane last put itself to show the newest line: still there means the trader did not scroll
        #: away, even when a resize made the end move further down (a shorter pane has more lines above it).
        self._end_y = 0
        #: Lines of text the pane asks the layout for (a step of HEIGHT_STEPS); None once it takes its full height.
        self._rows: int | None = HEIGHT_STEPS[0]

    def add_entry(self, entry: StatusEntry) -> None:
        """Append an entry (shown within :attr:`flush_interval_s`; a burst is shown at once)."""
        if not self._pending:
            wait_s = self._last_flush_s + self.flush_interval_s - time.monotonic()
            if wait_s > 0:
                self.set_timer(wait_s, self._flush, name="status-flush")
            else:
                self.call_later(self._flush)
        self._pending.append(entry)

    def entries_text(self) -> list[str]:
        """Plain text of the newest :data:`MAX_ENTRIES` entries on screen, oldest first (tests, the journal view)."""
        return [format_entry(entry).plain for entry in self._entries]

    # -- Line API -------------------------------------------------------------------------------------------------
    def render_lines(self, crop: Region) -> list[Strip]:
        # The scroll offset and the width are properties that cost microseconds each: read them once per paint.
        self._window = (self.scroll_offset.y, self.scrollable_content_region.width)
        try:
            return super().render_lines(crop)
        finally:
            self._window = None

    def render_line(self, y: int) -> Strip:
        scroll_y, width = self._window or (self.scroll_offset.y, self.scrollable_content_region.width)
        index = scroll_y + y
        if index >= len(self._lines) or width <= 0:
            return Strip.blank(width, self.rich_style)
        severity, line = self._lines[index]
        strip = self._strips.get(id(line))
        if strip is None:
            base = self._style(severity.value)
            segments = [Segment(text, style.rich_style) for text, style in line.render(base, end="")]
            strip = self._strips[id(line)] = Strip(segments).crop_extend(0, width, base.rich_style)
        return strip

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """The rows of the current height step (styles cap them; the full height is a style of its own)."""
        return self._rows if self._rows is not None else max(1, len(self._lines))

    @property
    def full_height(self) -> bool:
        """True once the pane has taken its full height (more lines than the last of HEIGHT_STEPS arrived)."""
        return self._rows is None

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._rewrap()

    def on_resize(self) -> None:
        # Any resize, not only a new width: a shorter pane moves the end down while the scroll offset stays.
        following = self._at_end()
        if self.scrollable_content_region.width != self._wrap_width:
            self._rewrap()
        if following:
            self._scroll_to_end()

    # -- internals ------------------------------------------------------------------------------------------------
    def _style(self, name: str) -> Style:
        """A component class's style: a severity whole (background blended), time and code as their own rules."""
        style = self._styles.get(name)
        if style is None:
            partial = name in ("time", "code")
            rich = self.get_component_rich_style(f"status-pane--{name}", partial=partial)
            style = self._styles[name] = Style.from_rich_style(rich)
        return style

    def _wrap(self, entry: StatusEntry) -> list[tuple[Severity, Content]]:
        if self.one_style:
            content = format_entry(entry, "", "")
        else:
            content = format_entry(entry, self._style("time"), self._style("code"))
        if self._wrap_width <= 0 or content.cell_length <= self._wrap_width:
            return [(entry.severity, content)]  # most entries fit on one line: no wrapping pass
        lines = content.wrap(self._wrap_width)
        return [(entry.severity, line) for line in lines] or [(entry.severity, Content(""))]

    def _rewrap(self) -> None:
        """Wrap every entry again (the width or the theme changed)."""
        self._wrap_width = self.scrollable_content_region.width if self.is_mounted else 0
        self._strips.clear()
        self._lines.clear()
        self._line_counts.clear()
        for entry in self._entries:
            lines = self._wrap(entry)
            self._lines.extend(lines)
            self._line_counts.append(len(lines))
        self._update_size()

    def _at_end(self) -> bool:
        """True while the pane follows the newest entry: at the end, or where it last put itself for it."""
        y = self.scroll_offset.y
        return y >= self.max_scroll_y or y == self._end_y

    def _scroll_to_end(self) -> None:
        self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
        self._end_y = self.max_scroll_y

    def _flush(self) -> None:
        self._last_flush_s = time.monotonic()
        pending, self._pending = self._pending[-MAX_ENTRIES:], []
        if not pending:
            return
        at_end = self._at_end()
        if self._wrap_width != self.scrollable_content_region.width:
            self._rewrap()
        for entry in pending:
            if len(self._entries) == MAX_ENTRIES:  # the oldest entry leaves with its lines
                self._entries.popleft()
                for _ in range(self._line_counts.popleft()):
                    _, line = self._lines.popleft()
                    self._strips.pop(id(line), None)
            self._entries.append(entry)
            lines = self._wrap(entry)
            self._lines.extend(lines)
            self._line_counts.append(len(lines))
        self._update_size()
        if at_end:
            self._scroll_to_end()
        # The lines only: the border is not written to the terminal again for every burst of entries.
        content = self.scrollable_content_region
        self.refresh(Region(0, 0, content.width, content.height))

    def _update_size(self) -> None:
        set_virtual_size(self, Size(max(1, self._wrap_width), len(self._lines)))
        self._grow()

    def _grow(self) -> None:
        """Take the next height step when the lines outgrow this one (a layout at most twice a session)."""
        rows = self._rows
        if rows is None or len(self._lines) <= rows:
            return
        bigger = [step for step in HEIGHT_STEPS if step >= len(self._lines)]
        self._rows = bigger[0] if bigger else None
        if self._rows is None:
            self.add_class("-full")  # a class change lays the screen out again
        else:
            self.refresh(layout=True)
