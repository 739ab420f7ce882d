"""The session header: environment (LOCAL / SANDBOX / PRODUCTION), connection state, exchange URL, key, and
"low bandwidth" when that mode is on."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from console.app.settings import Environment
from console.trading.session import ConnectionState
from console.util.clock import wall_clock_ms


class SessionHeader(Horizontal):
    """One line at the top that no one can misread: where this console trades, and whether it is connected."""

    #: States in which the blotter cannot be trusted: the connection label becomes a STALE banner with its age.
    UNTRUSTED = frozenset({ConnectionState.STALE, ConnectionState.RECONNECTING, ConnectionState.RECONCILING})

    def __init__(
        self,
        *,
        environment: Environment,
        rest_url: str,
        masked_key: str,
        clock_ms: Callable[[], int] = wall_clock_ms,
        low_bandwidth: bool = False,
        api_label: str = "",
        id: str | None = None,
        venue: str = "",
    ) -> None:
        super().__init__(id=id)
        self._low_bandwidth = low_bandwidth
        self._venue = venue  # e.g. "ROXOM", shown before the environment; "" (Gemini) shows the environment alone
        #: The order API and its dead-man behaviour, e.g. "WS API · cancel-on-disconnect" ("" for REST: not shown).
        self._api_label = api_label
        self._environment = environment
        self._rest_url = rest_url
        self._masked_key = masked_key
        self._clock_ms = clock_ms
        self._state = ConnectionState.CONNECTING
        self._detail = ""
        self._since_ms: int | None = None

    def compose(self) -> ComposeResult:
        label = f"{self._venue} {self._environment.value}" if self._venue else self._environment.value
        yield Static(f" {label} ", id="environment", classes=f"-{self._environment.value.lower()}")
        yield Static("", id="connection")
        yield Static(self._rest_url, id="url")
        if self._api_label:
            yield Static(self._api_label, id="api")
        yield Static(f"key {self._masked_key}", id="key")
        if self._low_bandwidth:
            yield Static("low bandwidth", id="bandwidth")

    def on_mount(self) -> None:
        self.set_connection(ConnectionState.CONNECTING, "")
        self.set_interval(1.0, self._refresh_age)

    def set_connection(self, state: ConnectionState, detail: str, *, since_ms: int | None = None) -> None:
        """Show the order-events stream's state (class ``-live``, ``-stale``, ``-reconciling``, ``-halted``…).

        Args:
            state: the stream's state.
            detail: why, e.g. ``"sequence gap"``.
            since_ms: console time (ms) of the last trusted message; the STALE banner shows its age.
                None while trusted.
        """
        self._state, self._detail, self._since_ms = state, detail, since_ms
        label = self.query_one("#connection", Static)
        for other in ConnectionState:
            label.set_class(other is state, f"-{other.value}")
        label.set_class(state in self.UNTRUSTED, "-untrusted")
        self._render_connection()

    def _render_connection(self) -> None:
        state, detail = self._state, self._detail
        if state in self.UNTRUSTED:
            age = ""
            if self._since_ms is not None:
                age = f" {max(0, (self._clock_ms() - self._since_ms) // 1000)}s"
            doing = "reconciling" if state is ConnectionState.RECONCILING else (detail or "reconnecting")
            text = f"⚠ STALE{age} · {doing}"
        else:
            symbol = {"live": "●", "connecting": "◌", "halted": "✖"}.get(state.value, "◌")
            text = f"{symbol} {state.value.upper()}" + (f" ({detail})" if detail else "")
        self.query_one("#connection", Static).update(text)

    def _refresh_age(self) -> None:
        if self._state in self.UNTRUSTED:
            self._render_connection()
