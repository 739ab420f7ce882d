"""The depth ladder: the selected symbol's price levels with sizes, the touch highlighted, own orders marked."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Region
from textual.widget import Widget

from console.domain.book import BookLevel, OrderBook, own_levels
from console.domain.fmt import fmt_price, fmt_qty
from console.domain.model import Side
from console.trading.market import FeedState

__all__ = ["OWN_MARK", "DepthLadder", "own_levels"]

#: The mark drawn beside a level holding one of the trader's own resting orders.
OWN_MARK = "◆"
_STATE_LABELS = {
    FeedState.LIVE: "● live",
    FeedState.CONNECTING: "◌ connecting",
    FeedState.STALE: "✖ STALE",
    FeedState.RESYNCING: "◌ resyncing",
}


class DepthLadder(Widget, can_focus=False):
    """Asks above (best ask at the bottom of them), the spread, then bids (best bid first).

    Attributes down: :meth:`set_book` (the book and its feed state), :meth:`set_own_levels`. It never reads the
    venue itself. Redraws are coalesced: each setter only marks the widget dirty (``refresh``), so however many
    updates arrive within a frame, it renders once (the screen also paces the book's updates, see
    ``console/tui/pacing.py``). Only what changed is repainted: each setter compares the rows it would draw with the
    rows last drawn and marks dirty just the changed span of each changed row, so an update that changes one size
    writes that one row to the terminal (Textual writes a dirty row from the widget's left edge to the end of the
    span), not the whole ladder and its border. When the feed is not live it gets the
    ``-stale`` class and shows the state in its subtitle; the levels stay visible, dimmed, and never read as live.
    """

    COMPONENT_CLASSES = {
        "depth-ladder--bid",
        "depth-ladder--ask",
        "depth-ladder--best-bid",
        "depth-ladder--best-ask",
        "depth-ladder--own",
        "depth-ladder--spread",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._book: OrderBook | None = None
        self._state = FeedState.CONNECTING
        self._own: Mapping[tuple[Side, Decimal], Decimal] = {}
        self.border_title = "Book"
        self.border_subtitle = _STATE_LABELS[self._state]
        #: One style per row (low-bandwidth mode): the gap between price and size takes the row's style too, so a row
        #: is one colour escape on the terminal instead of four.
        self.one_style = False
        self._shown: list[Text] = []  # the rows as last marked for painting
        self._shown_size: tuple[int, int] = (0, 0)

    # -- attributes down --------------------------------------------------------------------------------------
    def set_book(self, book: OrderBook, state: FeedState) -> None:
        """Show ``book`` in feed state ``state`` (redrawn at the next frame)."""
        self._book = book
        if state is not self._state or self.border_title != f"Book {book.symbol.upper()}":
            self._state = state
            self.border_title = f"Book {book.symbol.upper()}"
            self.border_subtitle = _STATE_LABELS[state]
            self.set_class(state is not FeedState.LIVE, "-stale")
            self._shown = []  # restyled (the -stale class): repaint it all
        self._refresh_changed()

    def set_own_levels(self, own: Mapping[tuple[Side, Decimal], Decimal]) -> None:
        """Mark these ``(side, price)`` levels as holding the trader's own resting orders."""
        if dict(own) != dict(self._own):
            self._own = dict(own)
            self._refresh_changed()

    def on_resize(self) -> None:
        self._shown = []  # Textual repaints the whole widget after a resize

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._shown = []  # a theme or class change restyles every row

    def _refresh_changed(self) -> None:
        """Mark dirty only the spans of the rows that differ from those last marked (all of it the first time)."""
        size = (self.size.width, self.size.height)
        rows = self._lines()
        shown, self._shown = self._shown, rows
        if not shown or size != self._shown_size or len(shown) != len(rows) or not self.is_mounted:
            self._shown_size = size
            self.refresh()
            return
        regions = []
        for y, (old, new) in enumerate(zip(shown, rows, strict=True)):
            if old == new:
                continue
            start, end = changed_span(old, new)
            regions.append(Region(start, y, end - start, 1))
        if regions:
            self.refresh(*regions)

    @property
    def state(self) -> FeedState:
        """The feed state shown."""
        return self._state

    def visible_rows(self) -> list[str]:
        """The ladder's rows as plain text, top to bottom (what :meth:`render` draws, without styles)."""
        return self.render().plain.split("\n")

    # -- drawing ------------------------------------------------------------------------------------------------
    def render(self) -> Text:
        return Text("\n").join(self._lines())

    def _lines(self) -> list[Text]:
        book = self._book
        height = max(1, self.size.height)
        width = max(10, self.size.width)
        if book is None:
            return [Text("waiting for the book…", style="italic")]
        per_side = max(1, (height - 1) // 2)
        asks = book.asks(per_side)
        bids = book.bids(per_side)
        size_w = max(6, (width - 2) // 2)
        price_w = max(6, width - size_w - 2)
        lines: list[Text] = []
        best_ask = asks[0].price if asks else None
        best_bid = bids[0].price if bids else None
        pad = per_side - len(asks)
        lines.extend(Text("") for _ in range(pad))
        for level in reversed(asks):
            lines.append(self._row(level, Side.SELL, level.price == best_ask, price_w, size_w))
        spread = book.spread
        spread_text = f"spread {fmt_price(spread)}"
        spread_style = self.get_component_rich_style("depth-ladder--spread")
        lines.append(Text(spread_text.center(width)[:width], style=spread_style))
        for level in bids:
            lines.append(self._row(level, Side.BUY, level.price == best_bid, price_w, size_w))
        return lines

    def _row(self, level: BookLevel, side: Side, best: bool, price_w: int, size_w: int) -> Text:
        kind = "bid" if side is Side.BUY else "ask"
        style = self.get_component_rich_style(f"depth-ladder--{'best-' if best else ''}{kind}")
        mine = (side, level.price) in self._own
        row = Text()
        row.append(OWN_MARK if mine else " ", style=self.get_component_rich_style("depth-ladder--own") if mine else "")
        row.append(fmt_price(level.price).rjust(price_w)[-price_w:], style=style)
        row.append(" ", style=style if self.one_style else "")
        row.append(fmt_qty(level.amount).rjust(size_w)[:size_w], style=style)
        return row


def changed_span(old: Text, new: Text) -> tuple[int, int]:
    """The columns ``[start, end)`` where row ``new`` differs from row ``old`` (both one line of cells).

    Characters are compared one by one when both rows have the same length and the same styles; otherwise (a
    style moved, e.g. the best bid's highlight) the whole row, up to the longer of the two.
    """
    width = max(old.cell_len, new.cell_len)
    if len(old.plain) != len(new.plain) or old.spans != new.spans or old.style != new.style:
        return 0, width
    a, b = old.plain, new.plain
    start = 0
    while start < len(a) and a[start] == b[start]:
        start += 1
    end = len(a)
    while end > start and a[end - 1] == b[end - 1]:
        end -= 1
    if cell_len(a) != len(a) or cell_len(b) != len(b):  # wide or combining characters: columns are not indices
        return 0, width
    return start, max(end, start + 1)
