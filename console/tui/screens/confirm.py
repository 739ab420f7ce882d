"""Confirmation modals for irreversible actions: they say exactly what will happen."""

from __future__ import annotations

import enum
from collections.abc import Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from console.domain.fmt import fmt_price, fmt_qty
from console.domain.model import Order
from console.tui.widgets.fields import TextInput

#: The ``api_session`` Gemini gives orders placed from its web UI.
WEB_UI_SESSION = "UI"

#: At most this many orders are listed per group; the rest are counted.
MAX_LISTED = 6


class CancelScope(enum.StrEnum):
    """What the cancel preview decided: this API session's orders, or every order of the account."""

    SESSION = "session"
    ACCOUNT = "account"


class Origin(enum.StrEnum):
    """Where an open order came from, by the ``api_session`` the venue reports."""

    THIS_SESSION = "This session"
    OTHER_API = "Other API sessions"
    WEB_UI = "Web UI"


def group_by_origin(orders: Iterable[Order], api_key: str) -> dict[Origin, list[Order]]:
    """Group open orders: ``api_session == api_key`` (this session), ``"UI"`` (web UI), anything else (other API).

    Orders not yet acknowledged (no order id) are left out: neither cancel can reach them yet.
    """
    groups: dict[Origin, list[Order]] = {origin: [] for origin in Origin}
    for order in orders:
        if not order.order_id:
            continue
        if order.api_session == api_key:
            groups[Origin.THIS_SESSION].append(order)
        elif order.api_session == WEB_UI_SESSION:
            groups[Origin.WEB_UI].append(order)
        else:
            groups[Origin.OTHER_API].append(order)
    return groups


def _line(order: Order) -> str:
    stop = f" stop {fmt_price(order.stop_price)}" if order.stop_price is not None else ""
    return (f"  {order.side.upper():4} {fmt_qty(order.open_amount)} {order.symbol.upper()} @ {fmt_price(order.price)}"
            f"{stop}  #{order.order_id}")


class ConfirmCancelAll(ModalScreen[CancelScope | None]):
    """Preview before cancelling many orders: the open orders grouped by origin, cancel-session the default.

    ``s`` or enter (on the focused default button) cancels this session's orders (``/v1/order/cancel/session``).
    The account-wide cancel (``/v1/order/cancel/all``, which also reaches other API sessions and the web UI) needs
    the distinct key ``!``, so a double tap of the key that opened the preview can never cancel everything.
    ``n`` or escape keeps every order. Dismisses with the chosen :class:`CancelScope`, or None.
    """

    BINDINGS = [
        Binding("s", "choose('session')", "Cancel this session's", id="confirm.cancel_all.session"),
        Binding("exclamation_mark", "choose('account')", "Cancel ALL (account)", id="confirm.cancel_all.account"),
        Binding("n,escape", "dismiss(None)", "Keep orders", id="confirm.cancel_all.no"),
    ]

    def __init__(self, *, orders: Iterable[Order], api_key: str) -> None:
        super().__init__()
        self.groups = group_by_origin(orders, api_key)

    @property
    def session_orders(self) -> int:
        return len(self.groups[Origin.THIS_SESSION])

    @property
    def account_orders(self) -> int:
        return sum(len(g) for g in self.groups.values())

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(f"Cancel open orders? {self.account_orders} open on the account", id="title")
            with VerticalScroll(id="groups"):
                for origin, orders in self.groups.items():
                    yield Static(f"{origin.value}: {len(orders)}", classes="group-title")
                    lines = [_line(o) for o in orders[:MAX_LISTED]]
                    if len(orders) > MAX_LISTED:
                        lines.append(f"  … and {len(orders) - MAX_LISTED} more")
                    if lines:
                        yield Static("\n".join(lines), classes="group-orders")
            yield Static(
                f"s / enter: cancel this session's {self.session_orders} (default).  "
                f"!: cancel ALL {self.account_orders}, other API sessions and the web UI included.  n: keep.",
                id="body",
            )
            with Horizontal(id="buttons"):
                yield Button("Keep (n)", id="no", compact=True)
                yield Button(f"Cancel ALL {self.account_orders} (!)", id="account", variant="error", compact=True)
                yield Button(f"Cancel session's {self.session_orders} (s)", id="session", variant="warning",
                             compact=True)

    def on_mount(self) -> None:
        self.query_one("#session", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss({"session": CancelScope.SESSION, "account": CancelScope.ACCOUNT}.get(event.button.id or ""))

    def action_choose(self, scope: str) -> None:
        self.dismiss(CancelScope(scope))


class ConfirmProduction(ModalScreen[bool]):
    """At start on PRODUCTION: the trader types the word PRODUCTION to trade real money; escape quits."""

    WORD = "PRODUCTION"
    BINDINGS = [Binding("escape", "dismiss(False)", "Quit", id="confirm.production.quit")]

    def __init__(self, rest_url: str, masked_key: str) -> None:
        super().__init__()
        self.rest_url = rest_url
        self.masked_key = masked_key

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("PRODUCTION: real orders, real money", id="title")
            yield Static(f"Exchange {self.rest_url}\nAPI key {self.masked_key}\n\n"
                         f"Type {self.WORD} and press enter to continue; escape quits.", id="body")
            yield TextInput(placeholder=self.WORD, id="word")
            yield Static("", id="error")

    def on_mount(self) -> None:
        self.query_one("#word", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() == self.WORD:
            self.dismiss(True)
        else:
            self.query_one("#error", Static).update(f"That is not {self.WORD}: type it exactly, or escape to quit.")


class ConfirmQuit(ModalScreen[bool]):
    """Before quitting with orders working: how many, and what happens to them once the console is gone.

    ``y`` quits; ``n``, escape or the focused Stay button keep the console running. Dismisses with True to quit.

    Args:
        orders: the blotter's open orders (working, or possibly working: pending, unknown, pending cancel).
        api_key: this session's API key (cancel-on-exit reaches only the orders of this session).
        cancel_on_exit: the dead-man switch cancels this session's orders on quit.
        heartbeat: the console sends heartbeats (a Require-Heartbeat key's orders are cancelled by the exchange
            30 s after the last one).
    """

    BINDINGS = [
        Binding("y", "dismiss(True)", "Quit", id="confirm.quit.yes"),
        Binding("n,escape", "dismiss(False)", "Stay", id="confirm.quit.no"),
    ]

    def __init__(self, *, orders: Iterable[Order], api_key: str, cancel_on_exit: bool, heartbeat: bool) -> None:
        super().__init__()
        self.orders = list(orders)
        self.session_orders = sum(1 for o in self.orders if o.api_session in (api_key, None))
        self.cancel_on_exit = cancel_on_exit
        self.heartbeat = heartbeat

    def outcome(self) -> str:
        """What quitting does to the working orders, in one or two sentences."""
        count = len(self.orders)
        if not self.cancel_on_exit:
            text = f"Cancel-on-exit is off: {_stay(count)} working on the exchange after you quit."
            if self.heartbeat:
                text += " With a Require-Heartbeat key the exchange cancels them 30 s after the last heartbeat."
            return text
        others = count - self.session_orders
        text = (f"Cancel-on-exit is on: quitting cancels this session's {_orders(self.session_orders)} "
                f"(/v1/order/cancel/session).")
        if others:
            text += f" The other {_stay(others)} working on the exchange (web UI, other API sessions)."
        return text

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(f"Quit with {_orders(len(self.orders))} working?", id="title")
            yield Static(self.outcome(), id="body")
            yield Static("y: quit.  n / escape: stay.", id="hint")
            with Horizontal(id="buttons"):
                yield Button("Stay (n)", id="no", compact=True)
                yield Button("Quit (y)", id="yes", variant="warning", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


def _orders(count: int) -> str:
    return f"{count} order" if count == 1 else f"{count} orders"


def _stay(count: int) -> str:
    return "1 order stays" if count == 1 else f"{count} orders stay"
