"""The Textual app: wires a trading session to the main screen and runs the session's long-lived workers."""

from __future__ import annotations

import logging
from collections.abc import Callable

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from console.gemini.errors import GeminiError
from console.orders.model import Order
from console.orders.reasons import Severity
from console.paths import styles_dir
from console.session import ConnectionState, SessionListener, StatusEntry, TradingSession, wall_clock_ms
from console.settings import Settings
from console.tui.messages import ConnectionChanged, OrdersChanged, StatusReported
from console.tui.screens.main import MainScreen
from console.tui.widgets.ticket import OrderTicket

log = logging.getLogger(__name__)

#: Every stylesheet the app loads, relative to the styles directory.
STYLESHEETS = ("app.tcss",)


class TradingConsoleApp(App):
    """A trading console for one venue account.

    Args:
        settings: where to trade and with which key.
        session: the trading session (REST client, order-events client, blotter).
        clock_ms: the console's clock, ms since the epoch (tests pass a fixed one).
    """

    CSS_PATH = [styles_dir() / name for name in STYLESHEETS]
    TITLE = "Trading console"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="app.quit")]

    def __init__(
        self, settings: Settings, session: TradingSession, *, clock_ms: Callable[[], int] = wall_clock_ms
    ) -> None:
        super().__init__()
        self.settings = settings
        self.session = session
        self.clock_ms = clock_ms
        self.main_screen = MainScreen(settings, session, clock_ms)
        self._orders_message: OrdersChanged | None = None
        session.listener = SessionListener(
            orders_changed=self._orders_changed,
            status=lambda entry: self.main_screen.post_message(StatusReported(entry)),
            connection_changed=lambda state, detail: self.main_screen.post_message(ConnectionChanged(state, detail)),
        )

    def _orders_changed(self, orders: list[Order]) -> None:
        """Blotter changes for the screen: added to the message still queued, or one new message per burst."""
        pending = self._orders_message
        if pending is not None and not pending.taken:
            pending.orders.extend(orders)
            return
        self._orders_message = OrdersChanged(list(orders))
        self.main_screen.post_message(self._orders_message)

    def on_mount(self) -> None:
        self.push_screen(self.main_screen)
        self.bootstrap()

    @work(exclusive=True, group="bootstrap", exit_on_error=False)
    async def bootstrap(self) -> None:
        """Load the symbols' trading rules, then keep the order-events stream running."""
        rules = await self.session.load_symbols()
        self.main_screen.query_one(OrderTicket).set_rules(rules)
        self.run_order_events()

    @work(exclusive=True, group="order-events", exit_on_error=False)
    async def run_order_events(self) -> None:
        """The one long-lived worker of the order-events stream."""
        await self.session.run_order_events()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures are handled: show them, never crash the console."""
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        log.error("worker %s failed: %r", event.worker.name, error)
        code = getattr(error, "reason", None) or error.__class__.__name__
        message = str(error) if isinstance(error, GeminiError) else repr(error)
        self.main_screen.post_message(
            StatusReported(StatusEntry(self.clock_ms(), Severity.ERROR, event.worker.name, str(code), message))
        )
        if event.worker.group in ("bootstrap", "order-events"):
            self.main_screen.post_message(ConnectionChanged(ConnectionState.HALTED, str(code)))

    async def on_unmount(self) -> None:
        await self.session.close()
