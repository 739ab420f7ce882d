"""Order history view: closed orders page by page, filterable by symbol, side, status and date; fills on selection."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Select

from console.domain.fmt import fmt_money, fmt_qty
from console.domain.model import Side
from console.trading.account import HistoryStatus, OrderRecord
from console.tui.screens.account_view import AccountView, utc_date, utc_time
from console.tui.widgets.fields import Dropdown, TextInput
from console.tui.widgets.tables import MeasuredTable

PAGE_SIZE = 50
_ALL = "all"


class HistoryScreen(AccountView):
    """Closed orders from ``/v1/orders/history``, newest first; ``n`` older page, ``p`` newer page.

    Gemini's paging reads the history forward from the oldest order, so the view reads it whole (each order once)
    and pages it here, newest page first. The symbol filter asks the venue again (paging restarts); side, status
    and date filter the page shown. Highlighting an order lists its fills below.
    """

    VIEW_TITLE = "Order history"
    BINDINGS = [
        Binding("n", "older", "Older page", id="history.older"),
        Binding("p", "newer", "Newer page", id="history.newer"),
        Binding("slash", "focus_filters", "Filter", id="history.filter"),
    ]

    def __init__(self, *args: Any, page_size: int = PAGE_SIZE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.page_size = page_size
        self.page: tuple[OrderRecord, ...] = ()
        self.shown: list[OrderRecord] = []
        self._orders: list[OrderRecord] = []  # the whole closed-order history, newest first
        self._page_index = 0  # 0 = the newest page
        #: The (side, status, date) filters the table was last drawn with: a dropdown's Changed on mount (value
        #: unchanged) must not clear and refill a table already drawn, which left it with its header widths.
        self._drawn_filters: tuple[str, str, str] | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="history-filters"):
            yield TextInput(placeholder="symbol", id="filter-symbol", compact=True)
            yield Dropdown([("any side", _ALL), ("buy", "buy"), ("sell", "sell")], value=_ALL, allow_blank=False,
                           id="filter-side", compact=True)
            yield Dropdown([("any status", _ALL)] + [(s.value, s.value) for s in HistoryStatus if s is not
                            HistoryStatus.LIVE], value=_ALL, allow_blank=False, id="filter-status",
                           compact=True)
            yield TextInput(placeholder="date YYYY-MM-DD", id="filter-date", compact=True)
        table = MeasuredTable(id="history-orders", cursor_type="row", zebra_stripes=True)
        table.add_columns("time (UTC)", "symbol", "side", "price", "amount", "filled", "avg", "status", "reason",
                          "order id", "client order id")
        yield table
        fills = MeasuredTable(id="history-fills", cursor_type="row")
        fills.add_columns("fill time", "price", "amount", "fee", "liq", "trade id", "broken")
        yield fills

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#history-orders", DataTable).focus()

    async def fetch(self) -> None:
        symbol = self.query_one("#filter-symbol", Input).value.strip().lower() or None
        self._orders = await self.account.closed_orders(symbol=symbol)
        self._show_page(min(self._page_index, self._last_page()))

    def _last_page(self) -> int:
        return max(0, (len(self._orders) - 1) // self.page_size)

    def _show_page(self, index: int) -> None:
        self._page_index = index
        start = index * self.page_size
        self.page = tuple(self._orders[start:start + self.page_size])
        self.render_page()

    def render_page(self) -> None:
        """Show the current page through the side, status and date filters."""
        side, status, date = self._filters()
        self._drawn_filters = (side, status, date)
        self.shown = [
            o for o in self.page
            if (side == _ALL or o.side == Side(side))
            and (status == _ALL or o.status == HistoryStatus(status))
            and (not date or utc_date(o.time_ms) == date)
        ]
        table = self.query_one("#history-orders", DataTable)
        table.clear()
        for o in self.shown:
            table.add_row(utc_time(o.time_ms), o.symbol.upper(), o.side.value, self.price(o.symbol, o.price),
                          fmt_qty(o.amount), fmt_qty(o.filled), self.price(o.symbol, o.avg_price, blank_zero=True),
                          o.status.value, o.reason, o.order_id, o.client_order_id, key=o.order_id)
        more = "n: older page" if self._page_index < self._last_page() else "oldest page"
        self.set_status(
            f"Page {self._page_index + 1} of {self._last_page() + 1} · {len(self.shown)} of {len(self.page)} orders"
            f" shown · {more}"
        )
        self.show_fills(self.shown[0] if self.shown else None)

    def show_fills(self, order: OrderRecord | None) -> None:
        """List ``order``'s fills under the orders table."""
        fills = self.query_one("#history-fills", DataTable)
        fills.clear()
        if order is None:
            return
        for f in order.fills:
            fills.add_row(utc_time(f.time_ms), self.price(order.symbol, f.price), fmt_qty(f.amount),
                          fmt_money(f.fee, f.fee_currency), f.liquidity, str(f.trade_id), f.broken or "")
        fills.border_title = f"Fills of {order.order_id} ({len(order.fills)})"

    @on(DataTable.RowHighlighted, "#history-orders")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.shown):
            self.show_fills(self.shown[event.cursor_row])

    def _filters(self) -> tuple[str, str, str]:
        # Both dropdowns have allow_blank=False: their values are always the str values they were built with.
        return (str(self.query_one("#filter-side", Select).value), str(self.query_one("#filter-status", Select).value),
                self.query_one("#filter-date", Input).value.strip())

    @on(Select.Changed)
    @on(Input.Changed, "#filter-date")
    def _filter_changed(self) -> None:
        if self.is_mounted and self.page and self._filters() != self._drawn_filters:
            self.render_page()

    @on(Input.Submitted, "#filter-symbol")
    def _symbol_submitted(self) -> None:
        self._restart()
        self.query_one("#history-orders", DataTable).focus()

    def _restart(self) -> None:
        self._page_index = 0
        self.load()

    def action_older(self) -> None:
        """Show the next older page."""
        if self._page_index < self._last_page():
            self._show_page(self._page_index + 1)

    def action_newer(self) -> None:
        """Go back to the previous (newer) page."""
        if self._page_index > 0:
            self._show_page(self._page_index - 1)

    def action_focus_filters(self) -> None:
        """Put the cursor in the symbol filter."""
        self.query_one("#filter-symbol", Input).focus()

