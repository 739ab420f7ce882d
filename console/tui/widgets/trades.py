"""The last public trades of the selected symbol, newest first, coloured by the taker's side."""

from __future__ import annotations

import time

from rich.text import Text
from textual.geometry import Region
from textual.widget import Widget

from console.domain.book import Trade
from console.domain.fmt import fmt_price, fmt_qty
from console.domain.model import Side


def _clock(time_ms: int) -> str:
    """``HH:MM:SS`` in UTC."""
    return time.strftime("%H:%M:%S", time.gmtime(time_ms // 1000))


class TradesPanel(Widget, can_focus=False):
    """Time (UTC), price and amount of each trade; buys (taker bought) and sells in their theme colours.

    Attributes down: :meth:`set_trades`. Redraws are coalesced to one per frame (``refresh``), and the screen paces
    market data (``console/tui/pacing.py``).
    """

    COMPONENT_CLASSES = {"trades-panel--buy", "trades-panel--sell", "trades-panel--time"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._trades: list[Trade] = []
        #: One style per row (low-bandwidth mode): time, price and amount in the side's style, one colour escape.
        self.one_style = False
        self.border_title = "Trades"

    def set_trades(self, trades: list[Trade]) -> None:
        """Show these trades (newest first); the panel repaints only when they differ from those shown (a book
        update passes the same trades again, and every repaint is bytes on the trader's terminal link)."""
        if trades == self._trades:
            return
        first = not self._trades
        self._trades = trades
        if first:
            self.refresh()
        else:  # the rows only: the border has not changed
            self.refresh(Region(0, 0, self.size.width, self.size.height))

    def render(self) -> Text:
        if not self._trades:
            return Text("no trades yet", style="italic")
        width = max(12, self.size.width)
        rows = self._trades[: max(1, self.size.height)]
        time_style = self.get_component_rich_style("trades-panel--time")
        price_w = max(len(fmt_price(t.price)) for t in rows)
        show_time = width - price_w - 1 - 9 >= 4  # "HH:MM:SS " only when the amounts keep 4 columns
        size_w = max(4, width - price_w - 1 - (9 if show_time else 0))
        lines = []
        for trade in rows:
            style = self.get_component_rich_style(
                "trades-panel--buy" if trade.taker_side is Side.BUY else "trades-panel--sell"
            )
            line = Text()
            if show_time:
                line.append(_clock(trade.time_ms) + " ", style=style if self.one_style else time_style)
            line.append(fmt_price(trade.price).rjust(price_w)[-price_w:], style=style)
            line.append(" ", style=style if self.one_style else "")
            line.append(fmt_qty(trade.amount).rjust(size_w)[:size_w], style=style)
            lines.append(line)
        return Text("\n").join(lines)
