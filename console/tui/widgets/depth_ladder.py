"""The depth ladder: the selected symbol's price levels with sizes, the touch highlighted, own orders marked."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from rich.text import Text
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
    updates arrive within a frame, it renders once. When the feed is not live it gets the ``-stale`` class and
    shows the state in its subtitle; the levels stay visible, dimmed, and never read as live.
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

    # -- attributes down --------------------------------------------------------------------------------------
    def set_book(self, book: OrderBook, state: FeedState) -> None:
        """Show ``book`` in feed state ``state`` (redrawn at the next frame)."""
        self._book = book
        if state is not self._state or self.border_title != f"Book {book.symbol.upper()}":
            self._state = state
            self.border_title = f"Book {book.symbol.upper()}"
            self.border_subtitle = _STATE_LABELS[state]
            self.set_class(state is not FeedState.LIVE, "-stale")
        self.refresh()

    def set_own_levels(self, own: Mapping[tuple[Side, Decimal], Decimal]) -> None:
        """Mark these ``(side, price)`` levels as holding the trader's own resting orders."""
        if dict(own) != dict(self._own):
            self._own = dict(own)
            self.refresh()

    @property
    def state(self) -> FeedState:
        """The feed state shown."""
        return self._state

    def visible_rows(self) -> list[str]:
        """The ladder's rows as plain text, top to bottom (what :meth:`render` draws, without styles)."""
        return self.render().plain.split("\n")

    # -- drawing ------------------------------------------------------------------------------------------------
    def render(self) -> Text:
        book = self._book
        height = max(1, self.size.height)
        width = max(10, self.size.width)
        if book is None:
            return Text("waiting for the book…", style="italic")
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
        return Text("\n").join(lines)

    def _row(self, level: BookLevel, side: Side, best: bool, price_w: int, size_w: int) -> Text:
        kind = "bid" if side is Side.BUY else "ask"
        style = self.get_component_rich_style(f"depth-ladder--{'best-' if best else ''}{kind}")
        mine = (side, level.price) in self._own
        row = Text()
        row.append(OWN_MARK if mine else " ", style=self.get_component_rich_style("depth-ladder--own") if mine else "")
        row.append(fmt_price(level.price).rjust(price_w)[-price_w:], style=style)
        row.append(" ")
        row.append(fmt_qty(level.amount).rjust(size_w)[:size_w], style=style)
        return row
