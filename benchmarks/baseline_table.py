"""Baseline for the benchmarks: the orders table as it was before issue #4, on Textual's stock ``DataTable``.

Kept verbatim from git history (commit a201995, ``console/tui/widgets/orders_table.py``) except the class name,
:meth:`BaselineOrdersTable.cursor_signature` and a no-op :meth:`BaselineOrdersTable.set_rules`, so the benchmarks
feed it the same stream as the Line API table. It is not part of the console.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from textual.binding import Binding
from textual.content import Content
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from console.domain.model import Order, OrderState, OrderType, Side
from console.tui.messages import CancelRequested
from console.tui.widgets.orders_table import COLUMNS, STATUS_LABELS, format_age

_STATE_STYLE = {
    OrderState.PENDING_NEW: "$text-muted",
    OrderState.UNKNOWN: "$warning",
    OrderState.ACCEPTED: "$text-muted",
    OrderState.WAITING_TRIGGER: "$accent",
    OrderState.LIVE: "$foreground",
    OrderState.PARTIALLY_FILLED: "$success",
    OrderState.PENDING_CANCEL: "$warning",
}


def row_key(order: Order) -> str:
    """Stable row identity: the client order id when there is one (known before the venue's id), else the id."""
    return order.client_order_id or order.order_id


def _num(value: Decimal | None, *, blank_zero: bool = False) -> Content:
    if value is None or (blank_zero and value == 0):
        return Content("—")
    return Content(format(value, "f"))


class BaselineOrdersTable(DataTable):
    """Active orders, one row each; rows appear, change and leave as the blotter changes.

    Attributes down: the screen calls :meth:`apply_changes` with changed orders. Messages up: a cancel key posts
    :class:`CancelRequested` for the order under the cursor.
    """

    BINDINGS = [
        Binding("x", "cancel_selected", "Cancel order", id="orders.cancel_selected"),
        Binding("delete", "cancel_selected", "Cancel order", show=False, id="orders.cancel_selected_delete"),
    ]

    def __init__(self, *, clock_ms: Callable[[], int], id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._clock_ms = clock_ms
        self._orders: dict[str, Order] = {}

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)
        self.set_interval(1.0, self.refresh_ages)

    # -- attributes down ------------------------------------------------------------------------------------
    def apply_changes(self, orders: Iterable[Order]) -> None:
        """Add, update or remove the rows of changed orders (terminal orders leave the table)."""
        for order in orders:
            key = row_key(order)
            if not key:
                continue
            if order.state.is_terminal:
                if key in self._orders:
                    del self._orders[key]
                    self.remove_row(key)
                continue
            cells = self._cells(order)
            if key in self._orders:
                for (column, _, _), cell in zip(COLUMNS, cells, strict=True):
                    self.update_cell(key, column, cell)
            else:
                self.add_row(*cells, key=key)
            self._orders[key] = order

    def refresh_ages(self) -> None:
        """Recompute the age column of every row."""
        now = self._clock_ms()
        for key, order in self._orders.items():
            self.update_cell(key, "age", Content(format_age(now - order.created_ms)))

    @property
    def selected_order(self) -> Order | None:
        """The order under the cursor, if any."""
        if self.row_count == 0:
            return None
        row = self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key
        return self._orders.get(str(row.value))

    def order_count(self) -> int:
        """How many rows the table shows."""
        return len(self._orders)

    def set_rules(self, rules: object) -> None:
        """The symbols' tick sizes, which the console's bootstrap hands the orders table (added after this
        baseline): the baseline shows prices as the venue sends them, so it ignores them."""

    def cursor_signature(self) -> int:
        """What a cursor key changes (benchmarks): the cursor's row number."""
        return self.cursor_row

    # -- actions -----------------------------------------------------------------------------------------------
    def action_cancel_selected(self) -> None:
        """Ask to cancel the order under the cursor."""
        order = self.selected_order
        if order is not None and order.order_id:
            self.post_message(CancelRequested(order.order_id))
        elif order is not None:
            self.notify("This order has no exchange id yet; wait for the exchange's answer.", severity="warning")

    # -- rendering -----------------------------------------------------------------------------------------------
    def _cells(self, order: Order) -> list[Content]:
        side_style = "$success" if order.side is Side.BUY else "$error"
        order_type = "stop-limit" if order.order_type is OrderType.STOP_LIMIT else "limit"
        if order.options:
            order_type = {"maker-or-cancel": "limit MOC", "immediate-or-cancel": "limit IOC",
                          "fill-or-kill": "limit FOK"}.get(order.options[0].value, order_type)
        cells = {
            "symbol": Content(order.symbol.upper()),
            "side": Content.styled(order.side.upper(), side_style),
            "price": _num(order.price),
            "amount": _num(order.amount),
            "status": Content.styled(STATUS_LABELS[order.state], _STATE_STYLE.get(order.state, "$foreground")),
            "filled": _num(order.filled),
            "type": Content(order_type),
            "stop_price": _num(order.stop_price),
            "remaining": _num(order.open_amount),
            "avg_price": _num(order.avg_price, blank_zero=True),
            "age": Content(format_age(self._clock_ms() - order.created_ms)),
            "order_id": Content(order.order_id or "—"),
            "client_order_id": Content(order.client_order_id or "—"),
        }
        return [cells[key] for key, _, _ in COLUMNS]
