"""The session header: environment (LOCAL / SANDBOX / PRODUCTION), connection state, exchange URL, key."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from console.session import ConnectionState
from console.settings import Environment


class SessionHeader(Horizontal):
    """One line at the top that no one can misread: where this console trades, and whether it is connected."""

    def __init__(self, *, environment: Environment, rest_url: str, masked_key: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self._environment = environment
        self._rest_url = rest_url
        self._masked_key = masked_key

    def compose(self) -> ComposeResult:
        yield Static(f" {self._environment.value} ", id="environment", classes=f"-{self._environment.value.lower()}")
        yield Static("", id="connection")
        yield Static(self._rest_url, id="url")
        yield Static(f"key {self._masked_key}", id="key")
        yield Static("0 open", id="counts")

    def on_mount(self) -> None:
        self.set_connection(ConnectionState.CONNECTING, "")

    def set_connection(self, state: ConnectionState, detail: str) -> None:
        """Show the order-events stream's state (class ``-live``, ``-connecting``, ``-reconnecting``, ``-halted``)."""
        label = self.query_one("#connection", Static)
        symbol = {"live": "●", "connecting": "◌", "reconnecting": "◌", "halted": "✖"}[state.value]
        label.update(f"{symbol} {state.value.upper()}" + (f" ({detail})" if detail else ""))
        for other in ConnectionState:
            label.set_class(other is state, f"-{other.value}")

    def set_counts(self, open_orders: int) -> None:
        """Show how many orders are open."""
        self.query_one("#counts", Static).update(f"{open_orders} open")
