"""The console's one screen: header, active orders, order ticket, status pane, footer."""

from __future__ import annotations

from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer

from console.orders.ticket import TicketErrors
from console.session import TradingSession
from console.settings import Settings
from console.tui.messages import CancelRequested, ConnectionChanged, OrdersChanged, StatusReported, TicketSubmitted
from console.tui.screens.confirm import ConfirmCancelAll
from console.tui.widgets.header import SessionHeader
from console.tui.widgets.orders_table import OrdersTable
from console.tui.widgets.status_pane import StatusPane
from console.tui.widgets.ticket import OrderTicket


class MainScreen(Screen):
    """Orders on the left, the ticket on the right, the status pane below; every action on a plain key."""

    BINDINGS = [
        Binding("o", "focus_ticket", "New order", id="main.focus_ticket"),
        Binding("escape", "focus_orders", "Orders", id="main.focus_orders"),
        Binding("s", "cancel_session", "Cancel session", id="main.cancel_session"),
        Binding("a", "cancel_all", "Cancel all…", id="main.cancel_all"),
        Binding("l", "focus_status", "Status log", show=False, id="main.focus_status"),
        Binding("q", "app.quit", "Quit", id="main.quit"),
    ]

    def __init__(self, settings: Settings, session: TradingSession, clock_ms: Callable[[], int]) -> None:
        super().__init__()
        self.settings = settings
        self.session = session
        self.clock_ms = clock_ms
        self._blocked = False  # the ticket shows "new orders blocked"

    def compose(self) -> ComposeResult:
        yield SessionHeader(
            environment=self.settings.environment,
            rest_url=self.settings.rest_url,
            masked_key=self.settings.credentials.masked_key,
            clock_ms=self.clock_ms,
            id="header",
        )
        with Horizontal(id="workspace"):
            yield OrdersTable(clock_ms=self.clock_ms, id="orders")
            yield OrderTicket(list(self.settings.symbols), id="ticket")
        yield StatusPane(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.add_class(f"-{self.settings.environment.value.lower()}")
        self.query_one(OrdersTable).border_title = "Active orders"
        self.query_one(OrdersTable).focus()

    # -- messages up from the session bridge and the widgets --------------------------------------------------
    def on_orders_changed(self, message: OrdersChanged) -> None:
        table = self.query_one(OrdersTable)
        table.apply_changes(message.orders)
        self.query_one(SessionHeader).set_counts(table.order_count())

    def on_status_reported(self, message: StatusReported) -> None:
        self.query_one(StatusPane).add_entry(message.entry)

    def on_connection_changed(self, message: ConnectionChanged) -> None:
        self.query_one(SessionHeader).set_connection(message.state, message.detail,
                                                     since_ms=self.session.trusted_until_ms)
        if self.session.order_entry_block() is None and self._blocked:
            self._blocked = False  # trusted again: the ticket's "blocked" message no longer holds
            self.query_one(OrderTicket).clear_errors()

    @on(TicketSubmitted)
    def submit_ticket(self, message: TicketSubmitted) -> None:
        ticket = self.query_one(OrderTicket)
        block = self.session.order_entry_block()  # stale, reconciling or halted: cancels only
        if block is not None:
            ticket.show_errors({"symbol": block})
            self._blocked = True
            return
        try:
            order = self.session.prepare(message.ticket)
        except TicketErrors as exc:
            ticket.show_errors(exc.errors)
            return
        ticket.clear_errors()
        self.send_order(order)

    @work(group="orders", exit_on_error=False)
    async def send_order(self, order) -> None:
        await self.session.submit(order)

    @on(CancelRequested)
    def cancel_order(self, message: CancelRequested) -> None:
        self.send_cancel(message.order_id)

    @work(group="orders", exit_on_error=False)
    async def send_cancel(self, order_id: str) -> None:
        await self.session.cancel(order_id)

    # -- actions --------------------------------------------------------------------------------------------------
    def action_focus_ticket(self) -> None:
        self.query_one(OrderTicket).focus_first()

    def action_focus_orders(self) -> None:
        self.query_one(OrdersTable).focus()

    def action_focus_status(self) -> None:
        self.query_one(StatusPane).focus()

    @work(group="orders", exit_on_error=False)
    async def action_cancel_session(self) -> None:
        await self.session.cancel_session()

    def action_cancel_all(self) -> None:
        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_worker(self.session.cancel_all(), group="orders", exit_on_error=False)

        self.app.push_screen(
            ConfirmCancelAll(
                account_orders=self.session.open_order_count(),
                session_orders=self.session.session_order_count(),
            ),
            confirmed,
        )
