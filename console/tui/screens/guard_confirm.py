"""The pre-trade guard confirmation: states the order and every breached limit with its numbers."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from console.domain.fmt import fmt_money, fmt_price, fmt_qty
from console.domain.guards import GuardVerdict
from console.domain.ticket import OPTION_SHORT, NewOrder


def order_line(order: NewOrder) -> str:
    """``BUY 0.5 BTCUSD limit IOC @ 70,000.00 (stop 69,000) = 35,000.00 USD``: the order as the trader will send
    it, its execution option (IOC, FOK, MOC) included."""
    stop = f" (stop {fmt_price(order.stop_price)})" if order.stop_price is not None else ""
    options = "".join(f" {OPTION_SHORT[option]}" for option in order.options)
    return (f"{order.side.upper()} {fmt_qty(order.amount)} {order.symbol.upper()} {order.order_type.value}{options} "
            f"@ {fmt_price(order.price)}{stop} = {fmt_money(order.notional, order.symbol[-3:])}")


class GuardConfirm(ModalScreen[bool]):
    """Ask a second time before sending an order that breaks a soft guard; refuse one that breaks a hard limit.

    Dismisses with True only on an explicit ``y`` (or the Send-anyway button) and only when no breach is hard;
    ``n``, escape or the Back button dismiss with False and the ticket keeps what was typed.
    """

    BINDINGS = [
        Binding("y", "confirm", "Send anyway", id="guard.confirm"),
        Binding("n,escape", "dismiss(False)", "Back to ticket", id="guard.back"),
    ]

    def __init__(self, order: NewOrder, verdict: GuardVerdict) -> None:
        super().__init__()
        self.order = order
        self.verdict = verdict

    def compose(self) -> ComposeResult:
        blocked = self.verdict.blocked
        with Vertical(id="dialog", classes="-blocked" if blocked else "-soft"):
            yield Static("Order BLOCKED by a hard limit" if blocked else "Check this order before it is sent",
                         id="title")
            yield Static(order_line(self.order), id="order", classes=f"-{self.order.side.value}", markup=False)
            for breach in self.verdict.breaches:
                yield Static(("HARD  " if breach.hard else "CHECK ") + breach.text,
                             classes="breach " + ("-hard" if breach.hard else "-soft"), markup=False)
            yield Static(
                "A hard limit cannot be overridden here; change [guards] in the config file."
                if blocked else "Press y to send it anyway, n to go back to the ticket.",
                id="hint",
                markup=False,
            )
            with Horizontal(id="buttons"):
                yield Button("Back (n)", id="no", compact=True)
                if not blocked:
                    yield Button("Send anyway (y)", id="yes", variant="warning", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes" and not self.verdict.blocked)

    def action_confirm(self) -> None:
        if self.verdict.blocked:
            self.notify("A hard limit cannot be overridden from the screen.", severity="error")
            return
        self.dismiss(True)
