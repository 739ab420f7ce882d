"""Scoped cancels and flatten: the scope chooser, the scoped cancel's preview and the flatten confirmation.

Each says exactly what will happen before anything is sent (the cancels' preview groups the orders by origin, as
the cancel-all preview does: this session, other API sessions, the web UI); escape at any of them sends nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from console.domain.fmt import fmt_price, fmt_qty
from console.domain.model import Order, Side
from console.domain.scopes import OrderScope, scope_orders
from console.domain.view import ViewFilter
from console.trading.flatten import FlattenPlan
from console.tui.screens.confirm import MAX_LISTED, group_by_origin
from console.tui.screens.guard_confirm import order_line


def _orders(count: int) -> str:
    return "1 order" if count == 1 else f"{count} orders"


class ScopeChooser(ModalScreen[OrderScope | None]):
    """Which orders to cancel: the selected row's symbol (``a``), its buys (``b``) or sells (``s``), or the orders
    table's filter (``f``, offered only while a filter is set). Each line says how many orders it takes in.

    Dismisses with the chosen :class:`~console.domain.scopes.OrderScope`, or None on ``n`` / escape. A scope with
    no order in it is not offered (its key says so and stays open).

    Args:
        orders: the open orders (the blotter's).
        symbol: the selected row's symbol (None: no row selected, only the filter can be chosen).
        view_filter: the orders table's filter.
    """

    BINDINGS = [
        Binding("a", "choose('symbol')", "All of the symbol", id="scoped.symbol"),
        Binding("b", "choose('buy')", "Its buys", id="scoped.buy"),
        Binding("s", "choose('sell')", "Its sells", id="scoped.sell"),
        Binding("f", "choose('filter')", "The filter's", id="scoped.filter"),
        Binding("n,escape", "dismiss(None)", "Keep orders", id="scoped.no"),
    ]

    def __init__(self, *, orders: Iterable[Order], symbol: str | None, view_filter: ViewFilter) -> None:
        super().__init__()
        self.orders = list(orders)
        self.scopes: dict[str, OrderScope] = {}
        if symbol:
            self.scopes["symbol"] = OrderScope.of_symbol(symbol)
            self.scopes["buy"] = OrderScope.of_side(symbol, Side.BUY)
            self.scopes["sell"] = OrderScope.of_side(symbol, Side.SELL)
        if view_filter.active:
            self.scopes["filter"] = OrderScope.of_filter(view_filter)

    def count(self, choice: str) -> int:
        """How many cancellable orders the choice takes in (0 when it is not offered)."""
        scope = self.scopes.get(choice)
        return len(scope_orders(self.orders, scope)) if scope is not None else 0

    def compose(self) -> ComposeResult:
        keys = {"symbol": "a", "buy": "b", "sell": "s", "filter": "f"}
        with Vertical(id="dialog"):
            yield Static("Cancel which orders?", id="title")
            for choice, scope in self.scopes.items():
                yield Static(f"{keys[choice]}  {scope.label}: {_orders(self.count(choice))}", classes="choice",
                             markup=False)
            if "filter" not in self.scopes:
                yield Static("f  the orders table's filter: none set (keys 1, 2, 3 set one)", classes="choice -off",
                             markup=False)
            yield Static("n / escape: keep every order.  Each choice is previewed before anything is cancelled.",
                         id="hint")

    def action_choose(self, choice: str) -> None:
        scope = self.scopes.get(choice)
        if scope is None:
            self.notify("No filter is set on the orders table (keys 1, 2, 3 set one)." if choice == "filter"
                        else "Select an order first: its symbol is the scope.", severity="warning")
            return
        if not self.count(choice):
            self.notify(f"No open {scope.label} orders to cancel.", severity="warning")
            return
        self.dismiss(scope)


class ConfirmScopedCancel(ModalScreen[bool]):
    """The preview of a scoped cancel: the scope's orders grouped by origin, each listed (up to a few per group).

    ``y`` (or enter on the focused Cancel button) cancels exactly these orders, one by one by order id; ``n`` or
    escape keeps them. Dismisses with True to cancel.

    Args:
        scope: the chosen scope.
        orders: the scope's orders (:func:`~console.domain.scopes.scope_orders`).
        api_key: this session's API key (for the grouping by origin).
    """

    BINDINGS = [
        Binding("y", "dismiss(True)", "Cancel them", id="scoped.confirm.yes"),
        Binding("n,escape", "dismiss(False)", "Keep orders", id="scoped.confirm.no"),
    ]

    def __init__(self, *, scope: OrderScope, orders: Iterable[Order], api_key: str) -> None:
        super().__init__()
        self.scope = scope
        self.orders = list(orders)
        self.groups = group_by_origin(self.orders, api_key)

    def compose(self) -> ComposeResult:
        count = len(self.orders)
        with Vertical(id="dialog"):
            yield Static(f"Cancel {_orders(count)} of {self.scope.label}?", id="title", markup=False)
            with VerticalScroll(id="groups"):
                for origin, orders in self.groups.items():
                    yield Static(f"{origin.value}: {len(orders)}", classes="group-title")
                    lines = [_line(o) for o in orders[:MAX_LISTED]]
                    if len(orders) > MAX_LISTED:
                        lines.append(f"  … and {len(orders) - MAX_LISTED} more")
                    if lines:
                        yield Static("\n".join(lines), classes="group-orders", markup=False)
            yield Static("y / enter: cancel these orders, one by one by order id (every other order keeps working)."
                         "  n / escape: keep them.", id="body")
            with Horizontal(id="buttons"):
                yield Button("Keep (n)", id="no", compact=True)
                yield Button(f"Cancel {count} (y)", id="yes", variant="error", compact=True)

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


def _line(order: Order) -> str:
    stop = f" stop {fmt_price(order.stop_price)}" if order.stop_price is not None else ""
    return (f"  {order.side.upper():4} {fmt_qty(order.open_amount)} {order.symbol.upper()} @ {fmt_price(order.price)}"
            f"{stop}  #{order.order_id}")


class ConfirmFlatten(ModalScreen[bool]):
    """Before flattening: the order that brings the position to zero, with side, size, price limit and notional.

    ``y`` (or the Send button) sends it (the pre-trade guards still check it); ``n`` or escape sends nothing.
    Dismisses with True to send.
    """

    BINDINGS = [
        Binding("y", "dismiss(True)", "Send flatten", id="flatten.confirm.yes"),
        Binding("n,escape", "dismiss(False)", "Do not send", id="flatten.confirm.no"),
    ]

    def __init__(self, plan: FlattenPlan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        plan = self.plan
        with Vertical(id="dialog"):
            yield Static(f"Flatten {plan.order.symbol.upper()}?", id="title")
            yield Static(order_line(plan.order), id="order", classes=f"-{plan.order.side.value}", markup=False)
            yield Static(plan.describe(), id="body", markup=False)
            yield Static("y: send it.  n / escape: send nothing.", id="hint")
            with Horizontal(id="buttons"):
                yield Button("Don't send (n)", id="no", compact=True)
                yield Button("Send (y)", id="yes", variant="warning", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")
