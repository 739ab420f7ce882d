"""The watchlist panel: bid, ask, last, change and spread of several symbols, live, one row each; Enter picks one."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget
from textual.worker import Worker

from console.domain.feed import FeedState
from console.domain.fmt import fmt_price
from console.domain.watchlist import WatchRow
from console.trading.watchlist import Watchlist
from console.tui.pacing import Pacer

__all__ = ["WatchlistPanel", "change_text"]

_PCT = Decimal("0.01")
#: Columns in priority order: the narrowest panel drops the last ones that do not fit (the symbol always shows).
_HEADERS = ("Symbol", "Bid", "Ask", "Last", "Chg%", "Spread")
_STATE_LABELS = {
    FeedState.CONNECTING: "◌ connecting",
    FeedState.LIVE: "● live",
    FeedState.STALE: "▲ STALE",
    FeedState.RESYNCING: "↻ resyncing",
}


def change_text(change_pct: Decimal | None) -> str:
    """``Decimal("0.0338")`` → ``"+0.03%"``; ``Decimal("-1.5")`` → ``"-1.50%"``; None → ``"—"``."""
    if change_pct is None:
        return "—"
    rounded = change_pct.quantize(_PCT)
    return f"{'+' if rounded > 0 else ''}{rounded}%"


def _cells(row: WatchRow) -> tuple[str, ...]:
    return (row.symbol.upper(), fmt_price(row.bid), fmt_price(row.ask), fmt_price(row.last),
            change_text(row.change_pct), fmt_price(row.spread))


class WatchlistPanel(Widget, can_focus=True):
    """One row per watched symbol; up/down move the cursor, Enter moves the ticket (and so the ladder and trades)
    to the cursor's symbol, Esc goes back to the orders.

    It runs its :class:`~console.trading.watchlist.Watchlist` only while shown (:meth:`start` / :meth:`stop`, the
    screen's ``t``): a hidden watchlist costs no market data. Quotes arriving in a burst are one repaint, at most one
    per ``interval_s`` (:class:`~console.tui.pacing.Pacer`). A symbol whose feed is not live is drawn dimmed, its
    numbers kept; the border's subtitle says whether every row is live.

    Messages up: :class:`SymbolChosen` (Enter), :class:`Closed` (Esc).

    Args:
        watchlist: the watched symbols' quotes.
        clock_ms: the console's clock, ms since the epoch (the change's UTC day).
        interval_s: least seconds between two repaints.
    """

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False, id="watchlist.up"),
        Binding("down", "cursor(1)", "Down", show=False, id="watchlist.down"),
        Binding("enter", "choose", "Trade symbol", id="watchlist.choose"),
        Binding("escape", "close", "Orders", id="watchlist.close"),
    ]
    COMPONENT_CLASSES = {
        "watchlist-panel--header", "watchlist-panel--cursor", "watchlist-panel--stale",
        "watchlist-panel--up", "watchlist-panel--down",
    }

    class SymbolChosen(Message):
        """The trader chose a watchlist row: the ticket, ladder and trades move to ``symbol`` (lowercase)."""

        def __init__(self, symbol: str) -> None:
            super().__init__()
            self.symbol = symbol

    class Closed(Message):
        """The trader left the watchlist (Esc): the orders come back."""

    def __init__(self, watchlist: Watchlist, clock_ms: Callable[[], int], *, interval_s: float,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.watchlist = watchlist
        self.clock_ms = clock_ms
        self.pacer = Pacer(interval_s)
        self.cursor = 0
        #: How many repaints the quotes have caused (tests check the coalescing).
        self.repaints = 0
        self._rows: list[WatchRow] = watchlist.rows(clock_ms())
        self._worker: Worker[None] | None = None
        self.border_title = "Watchlist"
        self.border_subtitle = _STATE_LABELS[FeedState.CONNECTING]

    # -- attributes down --------------------------------------------------------------------------------------
    @property
    def rows(self) -> list[WatchRow]:
        """The rows shown now, in display order."""
        return list(self._rows)

    @property
    def selected_symbol(self) -> str:
        """The symbol under the cursor (lowercase)."""
        return self.watchlist.symbols[self.cursor]

    @property
    def running(self) -> bool:
        """True while the watchlist's market data runs (the panel is shown)."""
        return self._worker is not None and not self._worker.is_finished

    def start(self) -> None:
        """Run the watchlist's market data (the panel was shown); no-op while it runs."""
        if self.running:
            return
        self.watchlist.changed = self._quote_changed
        self._worker = self.run_worker(self.watchlist.run(), group="watchlist", exclusive=True,
                                       exit_on_error=False)

    def stop(self) -> None:
        """Stop the market data (the panel was hidden): its socket closes; the rows keep their last numbers."""
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None

    def move_to(self, symbol: str) -> None:
        """Put the cursor on ``symbol``'s row (the ticket's symbol when the panel opens); no-op if not watched."""
        if symbol in self.watchlist.symbols:
            self.cursor = self.watchlist.symbols.index(symbol)
            self.refresh()

    # -- pacing ------------------------------------------------------------------------------------------------
    def _quote_changed(self, symbol: str) -> None:
        delay = self.pacer.request()
        if delay is None:
            return  # a repaint is already scheduled: it shows this change too
        if delay > 0:
            self.set_timer(delay, self._repaint, name="watchlist-repaint")
        else:
            self.call_later(self._repaint)

    def _repaint(self) -> None:
        self.pacer.ran()
        self.repaints += 1
        self._rows = self.watchlist.rows(self.clock_ms())
        states = {row.state for row in self._rows}
        if states == {FeedState.LIVE}:
            self.border_subtitle = _STATE_LABELS[FeedState.LIVE]
            self.remove_class("-stale")
        else:
            worst = next(s for s in (FeedState.STALE, FeedState.RESYNCING, FeedState.CONNECTING) if s in states)
            not_live = sum(1 for row in self._rows if not row.live)
            self.border_subtitle = f"{_STATE_LABELS[worst]} {not_live}/{len(self._rows)}"
            self.add_class("-stale")
        self.refresh()

    # -- keys --------------------------------------------------------------------------------------------------
    def action_cursor(self, step: int) -> None:
        self.cursor = max(0, min(len(self.watchlist.symbols) - 1, self.cursor + step))
        self.refresh()

    def action_choose(self) -> None:
        self.post_message(self.SymbolChosen(self.selected_symbol))

    def action_close(self) -> None:
        self.post_message(self.Closed())

    # -- drawing -----------------------------------------------------------------------------------------------
    def render(self) -> Text:
        table = [_HEADERS] + [_cells(row) for row in self._rows]
        widths = [max(len(line[i]) for line in table) for i in range(len(_HEADERS))]
        room = max(10, self.size.width)
        shown = 1
        while shown < len(widths) and sum(widths[: shown + 1]) + shown <= room:
            shown += 1
        header_style = self.get_component_rich_style("watchlist-panel--header")
        lines = [self._line(table[0], widths[:shown], header_style, [header_style] * shown)]
        up = self.get_component_rich_style("watchlist-panel--up")
        down = self.get_component_rich_style("watchlist-panel--down")
        stale = self.get_component_rich_style("watchlist-panel--stale")
        cursor = self.get_component_rich_style("watchlist-panel--cursor")
        for index, (row, cells) in enumerate(zip(self._rows, table[1:], strict=True)):
            base = stale if not row.live else Style()
            styles = [base] * shown
            if row.live and row.change_pct is not None and len(styles) > 4:
                styles[4] = up if row.change_pct > 0 else down if row.change_pct < 0 else base
            line_style = cursor if index == self.cursor and self.has_focus else base
            if index == self.cursor and not self.has_focus:
                styles[0] = base + Style(bold=True)
            lines.append(self._line(cells, widths[:shown], line_style, styles))
        return Text("\n").join(lines)

    @staticmethod
    def _line(cells: tuple[str, ...], widths: list[int], style: Style, styles: list[Style]) -> Text:
        line = Text(style=style, end="")
        for i, width in enumerate(widths):
            if i:
                line.append(" ")
            text = cells[i].ljust(width) if i == 0 else cells[i].rjust(width)
            line.append(text, style=styles[i])
        return line

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
