"""The console's one screen: header, active orders, order ticket, status pane, footer."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer

from console.market_reference import PriceSource, pubticker_source
from console.orders.guards import PreTradeGuards
from console.orders.reasons import Severity
from console.orders.ticket import NewOrder, TicketErrors
from console.session import ConnectionState, TradingSession
from console.settings import Settings
from console.tui.messages import CancelRequested, ConnectionChanged, OrdersChanged, StatusReported, TicketSubmitted
from console.tui.screens.confirm import CancelScope, ConfirmCancelAll
from console.tui.screens.guard_confirm import GuardConfirm
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
        #: The pre-trade guards (limits from the config's [guards]).
        self.guards = PreTradeGuards(settings.desk.guards)
        #: Where the guards' reference price comes from; injectable (a live book can replace the ticker).
        self.price_source: PriceSource = pubticker_source(session.rest)
        #: Monotonic ms for the double-submit window (the display clock may be fixed in tests).
        self.guard_clock_ms: Callable[[], int] = lambda: time.monotonic_ns() // 1_000_000

    def compose(self) -> ComposeResult:
        yield SessionHeader(
            environment=self.settings.environment,
            rest_url=self.settings.rest_url,
            masked_key=self.settings.credentials.masked_key,
            id="header",
        )
        with Horizontal(id="workspace"):
            yield OrdersTable(clock_ms=self.clock_ms, id="orders")
            yield OrderTicket(self._ticket_symbols(), id="ticket")
        yield StatusPane(id="status")
        yield Footer()

    def _ticket_symbols(self) -> list[str]:
        """The configured symbols, the config's ``default_symbol`` first (the ticket starts on the first)."""
        symbols = list(self.settings.symbols)
        default = self.settings.desk.get("default_symbol")
        if default:
            symbols = [default] + [s for s in symbols if s != default]
        return symbols

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
        entry = message.entry
        self.query_one(StatusPane).add_entry(entry)
        if entry.code == "Fill" or entry.severity in (Severity.ERROR, Severity.CRITICAL):
            if self.settings.desk.get("toasts"):
                self.notify(entry.text, title=f"{entry.code or entry.severity.value}: {entry.subject}",
                            severity="information" if entry.code == "Fill" else "error")
            if self.settings.desk.get("bell"):
                self.app.bell()

    def on_connection_changed(self, message: ConnectionChanged) -> None:
        self.query_one(SessionHeader).set_connection(message.state, message.detail)

    @on(TicketSubmitted)
    def submit_ticket(self, message: TicketSubmitted) -> None:
        ticket = self.query_one(OrderTicket)
        if self.session.connection is ConnectionState.HALTED:
            ticket.show_errors({"symbol": "Trading is halted: see the status pane."})
            return
        try:
            order = self.session.prepare(message.ticket)
        except TicketErrors as exc:
            ticket.show_errors(exc.errors)
            return
        ticket.clear_errors()
        self.guard_and_send(order)

    @work(group="orders", exit_on_error=False)
    async def guard_and_send(self, order: NewOrder) -> None:
        """Check the pre-trade guards; a breach asks again (GuardConfirm), a hard breach is never sent."""
        reference, label = await self.price_source(order.symbol)
        verdict = self.guards.check(order, reference=reference, reference_label=label, now_ms=self.guard_clock_ms())
        if not verdict.ok and not await self.app.push_screen_wait(GuardConfirm(order, verdict)):
            self.query_one(OrderTicket).show_errors({"price": "Not sent: " + verdict.breaches[0].text})
            return
        self.guards.record_sent(order, self.guard_clock_ms())
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
        def chosen(scope: CancelScope | None) -> None:
            if scope is CancelScope.SESSION:
                self.run_worker(self.session.cancel_session(), group="orders", exit_on_error=False)
            elif scope is CancelScope.ACCOUNT:
                self.run_worker(self.session.cancel_all(), group="orders", exit_on_error=False)

        self.app.push_screen(
            ConfirmCancelAll(orders=self.session.blotter.open_orders(), api_key=self.session.api_key), chosen
        )
