"""Confirmation modals for irreversible actions: they say exactly what will happen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmCancelAll(ModalScreen[bool]):
    """Ask before ``/v1/order/cancel/all``: how many orders, and that it reaches beyond this console.

    Dismisses with True only on an explicit yes (``y`` or the Cancel-all button); anything else keeps the orders.
    """

    BINDINGS = [
        Binding("y", "confirm", "Cancel all", id="confirm.cancel_all.yes"),
        Binding("n,escape", "dismiss(False)", "Keep orders", id="confirm.cancel_all.no"),
    ]

    def __init__(self, *, account_orders: int, session_orders: int) -> None:
        super().__init__()
        self.account_orders = account_orders
        self.session_orders = session_orders

    def compose(self) -> ComposeResult:
        others = self.account_orders - self.session_orders
        with Vertical(id="dialog"):
            yield Static("Cancel ALL orders on this account?", id="title")
            yield Static(
                f"This cancels {self.account_orders} open order{'s' if self.account_orders != 1 else ''}: "
                f"{self.session_orders} from this API session and {others} placed elsewhere.\n"
                "Cancel-all also removes orders placed from OTHER API sessions and from the Gemini WEB UI.\n"
                "To cancel only this session's orders, press n, then s.",
                id="body",
            )
            with Horizontal(id="buttons"):
                yield Button("Keep orders (n)", id="no", variant="default", compact=True)
                yield Button("Cancel all (y)", id="yes", variant="error", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_confirm(self) -> None:
        self.dismiss(True)
