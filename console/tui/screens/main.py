"""The console's one screen: header, active orders, order ticket, status pane, footer."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from decimal import Decimal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.timer import Timer
from textual.widgets import Footer

from console.app.settings import Settings
from console.domain.book import price_for
from console.domain.guards import GuardKind, PreTradeGuards
from console.domain.model import Order, OrderType
from console.domain.reasons import Severity
from console.domain.replace import replacement_errors
from console.domain.ticket import NewOrder, TicketErrors
from console.trading.market import MarketSession
from console.trading.positions import PositionsService
from console.trading.reference_prices import (
    LastPriceSource,
    PriceSource,
    last_price_source,
    live_book_source,
    quote_source,
    touch_source,
)
from console.trading.session import ConnectionState, StatusEntry, TradingBlocked, TradingSession
from console.trading.venue_account import ReferenceQuotes
from console.trading.watchlist import Watchlist
from console.tui.messages import (
    BookUpdated,
    CancelRequested,
    ConnectionChanged,
    MarketStateChanged,
    OrdersChanged,
    PositionsChanged,
    ReplaceRequested,
    StatusReported,
    TicketSubmitted,
    TicketSymbolChanged,
    TradesUpdated,
)
from console.tui.pacing import (
    LOW_BANDWIDTH_AGE_RESOLUTION_S,
    LOW_BANDWIDTH_MARKET_FPS,
    LOW_BANDWIDTH_ORDERS_FPS,
    MARKET_FPS,
    SENDING_HOLD_S,
    WATCHLIST_FPS,
    Pacer,
    fps_interval,
    sending_only,
)
from console.tui.screens.guard_confirm import GuardConfirm, order_line
from console.tui.screens.main_actions import DeskActions
from console.tui.widgets.depth_ladder import DepthLadder, own_levels
from console.tui.widgets.header import SessionHeader
from console.tui.widgets.orders_table import OrdersTable
from console.tui.widgets.position_line import PositionLine, position_text
from console.tui.widgets.status_pane import StatusPane
from console.tui.widgets.ticket import OrderTicket, ReplaceTarget
from console.tui.widgets.trades import TradesPanel
from console.tui.widgets.watchlist import WatchlistPanel
from console.util.clock import monotonic_ms

log = logging.getLogger(__name__)

#: Below this many columns the market column (ladder + trades) is hidden until the trader toggles it with `m`.
NARROW_WIDTH = 110

#: Longest delay before the ladder shows a change in the trader's own resting orders, seconds.
MARKS_REFRESH_S = 1.0

#: Fill and error toasts on screen at once, at most: a burst of fills shows the newest few (the status pane keeps
#: the completions, the fills view every fill), and the stack stays in the top right corner, clear of the status pane.
MAX_TOASTS = 3
#: How long a toast stays, seconds.
TOAST_TIMEOUT_S = 5.0


class MainScreen(DeskActions):
    """Orders on the left, the ticket on the right, the status pane below; every action on a plain key.

    The actions behind the desk's keys (hotkeys, cancels, flatten, the account views) and the ticket's balance
    reads are in :class:`console.tui.screens.main_actions.DeskActions`.
    """

    BINDINGS = [
        Binding("o", "focus_ticket", "New order", id="main.focus_ticket"),
        # Footer priorities: the footer shows what fits at 80 columns first and everything shown at 120 (the table's
        # cancel key, order entry, the cancels, the account views, help); the rest is in help (?) and the palette.
        Binding("m", "toggle_market", "Book", show=False, id="main.toggle_market"),
        Binding("escape", "focus_orders", "Orders", id="main.focus_orders"),
        Binding("s", "cancel_session", "Cancel session", id="main.cancel_session"),
        Binding("a", "cancel_all", "Cancel all…", id="main.cancel_all"),
        Binding("l", "focus_status", "Status log", show=False, id="main.focus_status"),
        # Price keys: ctrl combos Textual's Input does not use, so they work while typing in the ticket.
        Binding("ctrl+l", "price('bid')", "Price=bid", show=False, id="main.price_bid"),
        Binding("ctrl+o", "price('ask')", "Price=ask", show=False, id="main.price_ask"),
        Binding("ctrl+g", "price('mid')", "Price=mid", show=False, id="main.price_mid"),
        Binding("ctrl+y", "price('join')", "Price=join", show=False, id="main.price_join"),
        Binding("ctrl+t", "price('improve')", "Price=improve", show=False, id="main.price_improve"),
        Binding("q", "app.quit", "Quit", show=False, id="main.quit"),
        # Not a letter: shown while halted or connecting, when the trader may well be typing in the ticket.
        Binding("ctrl+r", "retry", "Retry", id="main.retry"),
        Binding("h", "history", "History", id="main.history"),
        Binding("f", "fills", "Fills", id="main.fills"),
        Binding("b", "balances", "Balances", id="main.balances"),
        Binding("v", "fees", "Fees", id="main.fees"),
        Binding("p", "positions", "Positions", show=False, id="main.positions"),  # no room left at 120 columns
        Binding("i", "order_detail", "Detail", id="main.order_detail"),
        Binding("w", "wrap", "Wrap", show=False, id="main.wrap"),
        Binding("u", "sub_account", "Sub-account", show=False, id="main.sub_account"),
        # Trading hotkeys (shift letters: a stray lower-case key never trades): the ticket's symbol, its default size
        # (console/domain/hotkeys.py), through the ticket's own validation, guards and confirmations.
        Binding("B", "hotkey('buy', 'join')", "Buy default @ bid", show=False, id="main.buy_join"),
        Binding("S", "hotkey('sell', 'join')", "Sell default @ ask", show=False, id="main.sell_join"),
        Binding("K", "hotkey('buy', 'take')", "Buy default @ ask", show=False, id="main.buy_take"),
        Binding("J", "hotkey('sell', 'take')", "Sell default @ bid", show=False, id="main.sell_take"),
        Binding("n", "flip_side", "Flip ticket side", show=False, id="main.flip_side"),
        Binding("d", "scoped_cancel", "Cancel scope…", show=False, id="main.scoped_cancel"),
        Binding("F", "flatten", "Flatten…", show=False, id="main.flatten"),
        Binding("t", "toggle_watchlist", "Watchlist", show=False, id="main.toggle_watchlist"),
    ]
    #: Actions refused while the key is read-only (an Auditor key, see TradingConsoleApp.enter_read_only).
    TRADING_ACTIONS = frozenset({"focus_ticket", "cancel_session", "cancel_all", "hotkey", "flip_side",
                                 "scoped_cancel", "flatten"})

    def __init__(
        self,
        settings: Settings,
        session: TradingSession,
        clock_ms: Callable[[], int],
        market: MarketSession | None,
        quotes: ReferenceQuotes,
        *,
        shown_url: str | None = None,
        watchlist: Watchlist | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        #: The watched symbols' quotes behind the watchlist panel (``t``); None: no watchlist.
        self.watchlist = watchlist
        #: The exchange URL the header shows (the app factory's ``shown_url``; default: the REST URL).
        self.shown_url = shown_url or settings.rest_url
        self.session = session
        self.clock_ms = clock_ms
        self.market = market
        #: The pre-trade guards (limits from the config's [guards]).
        self.guards = PreTradeGuards(settings.desk.guards.limits())
        #: Where the guards' reference price comes from; injectable (a live book can replace the ticker).
        self.price_source: PriceSource = quote_source(quotes)
        if market is not None:
            self.price_source = live_book_source(market, self.price_source)
        #: The last trade price, for a stop price already through the market (the live book's, else the ticker's).
        self.last_price: LastPriceSource = last_price_source(quotes, market)
        self.touch = touch_source(quotes, market)  # a venue's own price band (Roxom) is measured from the touch
        #: Monotonic ms for the double-submit window (the display clock may be fixed in tests).
        self.guard_clock_ms: Callable[[], int] = monotonic_ms
        self._marks_scheduled = False
        self._marks_shown_s = 0.0
        self._balances_timer: Timer | None = None
        self._balances_on = False  # no private call before trading starts (a PRODUCTION start is confirmed)
        self._blocked = False  # the ticket shows "new orders blocked"
        #: Flattens under way per symbol: None while planned, confirmed or guarded, then the client order id sent and
        #: the position it set out to close. A second `F` of the symbol is refused until that order has ended (and,
        #: where the venue keeps positions, until the venue reports the position moved).
        self._flattens: dict[str, tuple[str, Decimal] | None] = {}
        self._toast_expiry_s: deque[float] = deque()  # monotonic expiry time of each toast on screen
        #: Low-bandwidth mode (``--low-bandwidth``): market data and the orders table repaint less often.
        self.low_bandwidth = settings.desk.low_bandwidth
        #: The ladder, trades and ticket quote repaint at most this often; a burst of book updates is one repaint.
        self.market_pacer = Pacer(fps_interval(LOW_BANDWIDTH_MARKET_FPS if self.low_bandwidth else MARKET_FPS))

    def compose(self) -> ComposeResult:
        yield SessionHeader(
            environment=self.settings.environment,
            rest_url=self.shown_url,
            masked_key=self.settings.masked_key,
            api_label=self.settings.api_label,
            clock_ms=self.clock_ms,
            low_bandwidth=self.low_bandwidth,
            id="header",
            venue=self.settings.venue_label,
        )
        with Horizontal(id="workspace"):
            if self.watchlist is not None:  # hidden until `t`; it then takes the orders table's place
                yield WatchlistPanel(self.watchlist, self.clock_ms, id="watchlist", interval_s=fps_interval(
                    LOW_BANDWIDTH_MARKET_FPS if self.low_bandwidth else WATCHLIST_FPS))
            yield OrdersTable(clock_ms=self.clock_ms, id="orders")
            with Vertical(id="market"):
                yield DepthLadder(id="ladder")
                yield TradesPanel(id="trades")
            with OrderTicket(self.settings.ticket_symbols, id="ticket"):
                yield PositionLine(id="position-line")  # docked at the ticket's bottom, shown once there is one
        yield StatusPane(id="status")
        yield Footer(show_command_palette=False)  # ctrl+p is listed in help (?): its room goes to the desk's keys

    def on_mount(self) -> None:
        self.add_class(f"-{self.settings.environment.value.lower()}")
        self.query_one(OrdersTable).focus()
        self.set_class(self.market is None, "-no-market")
        self.set_class(self.low_bandwidth, "-low-bandwidth")
        if self.low_bandwidth:
            self.query_one(OrdersTable).flush_interval_s = fps_interval(LOW_BANDWIDTH_ORDERS_FPS)
            self.query_one(OrdersTable).age_resolution_s = LOW_BANDWIDTH_AGE_RESOLUTION_S
            self.query_one(OrdersTable).one_style = True
            self.query_one(StatusPane).flush_interval_s = fps_interval(LOW_BANDWIDTH_ORDERS_FPS)
            self.query_one(StatusPane).one_style = True
            self.query_one(DepthLadder).one_style = True
            self.query_one(TradesPanel).one_style = True
        self._show_market()

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW_WIDTH, "-narrow")

    # -- messages up from the session bridge and the widgets --------------------------------------------------
    def on_orders_changed(self, message: OrdersChanged) -> None:
        self.show_orders(message.take())

    def show_orders(self, orders: list[Order]) -> None:
        """Changed orders for the table (attributes down: the app calls this for every burst from the session)."""
        try:
            table = self.query_one(OrdersTable)
        except NoMatches:  # the console is quitting (the session still reports its cancels): nothing to show
            return
        table.apply_changes(orders)
        if not self._marks_scheduled:
            # The ladder's own-order marks scan every open order: at most once a second (the first change shows
            # at once, a "sending" order's after the same hold as its row).
            self._marks_scheduled = True
            wait_s = self._marks_shown_s + MARKS_REFRESH_S - time.monotonic()
            if sending_only(orders):
                wait_s = max(wait_s, SENDING_HOLD_S)
            if wait_s > 0:
                self.set_timer(wait_s, self._show_marks)
            else:
                self.call_later(self._show_marks)

    def _show_marks(self) -> None:
        """The ladder's own-order marks: O(open orders), so at most once a second."""
        self._marks_scheduled = False
        self._marks_shown_s = time.monotonic()
        self._show_own_levels()

    def on_status_reported(self, message: StatusReported) -> None:
        self.show_status(message.take())

    def show_status(self, entries: list[StatusEntry]) -> None:
        """Status entries for the pane (and a toast or the bell for fills and errors, if the desk wants them)."""
        try:
            pane = self.query_one(StatusPane)
        except NoMatches:  # the console is quitting (the journal keeps the wire messages behind these entries)
            return
        alerts = self.settings.desk.fill_alerts
        for entry in entries:
            # An order's fills show as its one completion line ("Done"); each fill stays in the fills view (f),
            # the orders table and the journal.
            if entry.code != "Fill":
                pane.add_entry(entry)
            fill_alert = (entry.code == "Fill" and alerts == "each") or (entry.code == "Done" and alerts == "done")
            if fill_alert or entry.severity in (Severity.ERROR, Severity.CRITICAL):
                if self.settings.desk.toasts:
                    self._toast(entry)
                if self.settings.desk.bell:
                    self.app.bell()

    def _toast(self, entry: StatusEntry) -> None:
        """Toast a fill or an error; at :data:`MAX_TOASTS` the older toasts go (the status pane keeps them)."""
        now_s = time.monotonic()
        while self._toast_expiry_s and self._toast_expiry_s[0] <= now_s:
            self._toast_expiry_s.popleft()
        if len(self._toast_expiry_s) >= MAX_TOASTS:
            # notify() posts a message to the app: the clear must queue behind the toasts posted before it.
            self.app.call_later(self.app.clear_notifications)
            self._toast_expiry_s.clear()
        self.notify(entry.text, title=f"{entry.code or entry.severity.value}: {entry.subject}",
                    severity="information" if entry.code in ("Fill", "Done") else "error", timeout=TOAST_TIMEOUT_S)
        self._toast_expiry_s.append(now_s + TOAST_TIMEOUT_S)

    def on_connection_changed(self, message: ConnectionChanged) -> None:
        self.query_one(SessionHeader).set_connection(message.state, message.detail,
                                                     since_ms=self.session.trusted_until_ms)
        self.refresh_bindings()  # the Retry key shows only while halted or connecting
        if self._blocked:
            block = self._entry_block()
            if block is None:
                self._blocked = False  # trusted again: the ticket's "blocked" message no longer holds
                self.query_one(OrderTicket).clear_errors()
            else:  # e.g. "Connecting…" became "halted": the ticket says what holds now
                self.query_one(OrderTicket).show_errors({"symbol": block})

    def _entry_block(self) -> str | None:
        """Why new orders are refused now (the session's words), with the Retry key while halted."""
        block = self.session.order_entry_block()
        if block is not None and self.session.connection is ConnectionState.HALTED:
            block += " Press ctrl+r to retry."
        return block

    # -- market data (attributes down to the ladder, the trades and the ticket) -----------------------------------
    # Book and trade updates are coalesced (:attr:`market_pacer`): however many arrive, the ladder, the trades and
    # the ticket's quote repaint at most MARKET_FPS times a second. A feed state change shows at once.
    def on_book_updated(self, message: BookUpdated) -> None:
        self._market_changed()
        self._show_position()

    def on_positions_changed(self, message: PositionsChanged) -> None:
        self._show_position()

    def _show_position(self) -> None:
        """The ticket's symbol's position and P&L in the line beside the ticket (marked at the live mid)."""
        positions = getattr(self.app, "positions", None)
        if not isinstance(positions, PositionsService):
            return
        try:
            line = self.query_one(PositionLine)
            symbol = self.query_one(OrderTicket).symbol
        except NoMatches:  # the console is quitting
            return
        rules = positions.rules(symbol)
        line.show(position_text(symbol, positions.row(symbol), rules.price_increment if rules else None))

    def on_trades_updated(self, message: TradesUpdated) -> None:
        self._market_changed()

    def on_market_state_changed(self, message: MarketStateChanged) -> None:
        self._show_market()

    def _market_changed(self) -> None:
        delay = self.market_pacer.request()
        if delay is None:
            return  # a repaint is already scheduled: it shows this update too
        if delay > 0:
            self.set_timer(delay, self._paced_market, name="market-repaint")
        else:
            self.call_later(self._paced_market)

    def _paced_market(self) -> None:
        self._show_market()

    @on(TicketSymbolChanged)
    def switch_book(self, message: TicketSymbolChanged) -> None:
        self.refresh_balances()
        self._show_position()
        if self.market is not None:
            self.market.select(message.symbol)
            self._show_market()
            self._show_own_levels()

    def _show_market(self) -> None:
        market = self.market
        self.market_pacer.ran()  # a scheduled repaint still runs, and finds nothing new to draw
        if market is None:
            return
        self.query_one(DepthLadder).set_book(market.book, market.state)
        self.query_one(TradesPanel).set_trades(market.trades())
        self._show_quote()

    def _show_quote(self) -> None:
        market = self.market
        if market is None:
            return
        book = market.book
        self.query_one(OrderTicket).set_quote(book.best_bid, book.best_ask, book.last, book.spread, live=market.live)

    def _show_own_levels(self) -> None:
        if self.market is not None:
            marks = own_levels(self.session.blotter.iter_open_orders(), self.market.symbol)
            self.query_one(DepthLadder).set_own_levels(marks)

    def action_price(self, action: str) -> None:
        """Fill the ticket's price from the live book (see :func:`console.domain.book.price_for`)."""
        ticket = self.query_one(OrderTicket)
        market = self.market
        if market is None or market.symbol != ticket.symbol or not market.live:
            self.notify("The book is not live: price not set.", severity="warning", timeout=3)
            return
        rules = self.session.rules.get(ticket.symbol)
        if rules is None:
            self.notify("The symbol's tick size is not loaded yet.", severity="warning", timeout=3)
            return
        price = price_for(action, ticket.side, market.book, rules.price_increment)
        if price is None:
            self.notify("The book has no price for that key.", severity="warning", timeout=3)
            return
        ticket.set_price(price)

    def action_toggle_market(self) -> None:
        self.toggle_class("-market-toggled")
        if self.has_class("-narrow", "-market-toggled", "-watchlist"):
            self.action_toggle_watchlist()  # at 80 columns the book and the watchlist take turns: hide it, stop feed

    @on(TicketSubmitted)
    def submit_ticket(self, message: TicketSubmitted) -> None:
        ticket = self.query_one(OrderTicket)
        block = self._entry_block()  # stale, reconciling or halted: cancels only
        if block is not None:
            ticket.show_errors({"symbol": block})
            self._blocked = True
            return
        try:
            order = self.session.prepare(message.ticket)
        except TicketErrors as exc:
            ticket.show_errors(exc.errors)
            return
        target = ticket.replacing
        old = self.session.blotter.get(target.order_id) if target is not None else None
        if old is not None and (errors := replacement_errors(old, order)):
            ticket.show_errors(errors)
            return
        ticket.clear_errors()
        self.guard_and_send(order, target)

    @work(group="orders", exit_on_error=False)
    async def guard_and_send(self, order: NewOrder, replacing: ReplaceTarget | None = None) -> None:
        """Check the pre-trade guards; a breach asks again (GuardConfirm), a hard breach is never sent.

        With ``replacing`` the order replaces that one (``TradingSession.replace``: cancel, confirmation, then the
        rest of the amount); the ticket leaves replace mode.
        """
        reference, label = await self.price_source(order.symbol)
        last = await self.last_price(order.symbol) if order.order_type is OrderType.STOP_LIMIT else None
        rules = self.session.rules.get(order.symbol)
        band = rules.price_band if rules is not None else None
        bid, ask = await self.touch(order.symbol) if band is not None else (None, None)
        verdict = self.guards.check(order, reference=reference, reference_label=label, now_ms=self.guard_clock_ms(),
                                    last=last, band=band, bid=bid, ask=ask,
                                    tick=rules.price_increment if rules is not None else None)
        if not verdict.ok and not await self.app.push_screen_wait(GuardConfirm(order, verdict)):
            first = verdict.breaches[0]
            field = {GuardKind.QUANTITY: "amount", GuardKind.STOP_TRIGGERS: "stop_price"}.get(first.kind, "price")
            self.query_one(OrderTicket).show_errors({field: "Not sent: " + first.text})
            return
        # Trust may have been lost while the dialog was open: the session refuses then, and the trader is told.
        block = self.session.order_entry_block()
        if block is not None:
            self._not_sent(order, block)
            return
        self.guards.record_sent(order, self.guard_clock_ms())
        try:
            if replacing is None:
                await self.session.submit(order)
            else:
                ticket = self.query_one(OrderTicket)
                if ticket.replacing == replacing:
                    ticket.leave_replace()
                await self.session.replace(replacing.order_id, order, filled_at_load=replacing.filled_at_load)
        except TradingBlocked as exc:
            self._not_sent(order, str(exc))
        except TicketErrors as exc:  # a replacement that changes the symbol or side: nothing was sent
            self.query_one(OrderTicket).show_errors(exc.errors)
        finally:
            self._balances_soon()  # the order holds funds now (or a fill moved them)

    def _not_sent(self, order: NewOrder, block: str) -> None:
        """Say in the ticket and in the status pane why a confirmed order was not sent (trading is blocked)."""
        self.query_one(OrderTicket).show_errors({"symbol": "Not sent: " + block})
        self._blocked = True  # cleared when the stream is trusted again
        self.show_status([StatusEntry(self.clock_ms(), Severity.ERROR, order_line(order), "NotSent",
                                      "Not sent: " + block)])

    @on(CancelRequested)
    def cancel_order(self, message: CancelRequested) -> None:
        if getattr(self.app, "read_only", False):
            return  # the banner says why: an Auditor key cannot cancel
        self.send_cancel(message.order_id)

    @on(ReplaceRequested)
    def load_replace(self, message: ReplaceRequested) -> None:
        """Key ``e``: load the selected order into the ticket in replace mode, or say in the status pane why not."""
        if getattr(self.app, "read_only", False):
            return  # the banner says why: an Auditor key cannot trade
        order = message.order
        block = self.session.replace_block(order)
        if block is not None or order is None:
            self.show_status([StatusEntry(self.clock_ms(), Severity.WARNING, "Replace", "Replace",
                                          f"Not replaced: {block}")])
            return
        ticket = self.query_one(OrderTicket)
        ticket.load_replace(order)
        ticket.focus_first()

    @work(group="orders", exit_on_error=False)
    async def send_cancel(self, order_id: str) -> None:
        try:
            await self.session.cancel(order_id)
        finally:
            self._balances_soon()  # the cancelled order's hold is free again

    # -- actions --------------------------------------------------------------------------------------------------
    def action_retry(self) -> None:
        """Connect again after a halt (the app restarts the key check, the symbols and the stream)."""
        self.host.retry_connection()

    def action_focus_ticket(self) -> None:
        self.query_one(OrderTicket).focus_first()

    # Focus moves at once (Screen.set_focus), not through Widget.focus, which waits for the app's queue: the keys
    # typed right after Esc or l must reach the newly focused widget (console/tui/widgets/fields.py).
    def action_focus_orders(self) -> None:
        self.query_one(OrderTicket).leave_replace()  # Esc also leaves replace mode
        if self.has_class("-watchlist"):  # the watchlist holds the orders' place: Esc there brings them back
            self.set_focus(self.query_one(WatchlistPanel))
            return
        self.set_focus(self.query_one(OrdersTable))

    def action_toggle_watchlist(self) -> None:
        """Show the watchlist in the orders' place (its market data runs while shown) and focus it; or hide it."""
        if self.watchlist is None:
            self.notify("No watchlist: this console has no market data.", severity="warning", timeout=3)
            return
        panel = self.query_one(WatchlistPanel)
        shown = not self.has_class("-watchlist")
        self.set_class(shown, "-watchlist")
        if shown:
            if self.has_class("-narrow"):
                self.remove_class("-market-toggled")  # at 80 columns the book (`m`) and the watchlist take turns
            panel.start()
            panel.move_to(self.query_one(OrderTicket).symbol)
            self.set_focus(panel)
        else:
            panel.stop()
            self.set_focus(self.query_one(OrdersTable))

    @on(WatchlistPanel.SymbolChosen)
    def watchlist_chosen(self, message: WatchlistPanel.SymbolChosen) -> None:
        """A watchlist row chosen: the ticket moves to its symbol, and with it the ladder and trades."""
        self.query_one(OrderTicket).select_symbol(message.symbol)

    @on(WatchlistPanel.Closed)
    def watchlist_closed(self) -> None:
        if self.has_class("-watchlist"):
            self.action_toggle_watchlist()

    def action_focus_status(self) -> None:
        self.set_focus(self.query_one(StatusPane))

    # -- account views (console/tui/screens/*): plain keys, Esc comes back -----------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide trading keys on a read-only (Auditor) key, and Esc (back to the orders) where the orders have focus:
        in the ticket, whose plain keys are its own, the footer then shows Esc and the ticket's Ctrl keys."""
        if action in self.TRADING_ACTIONS and getattr(self.app, "read_only", False):
            return False
        if action == "focus_orders":
            return not isinstance(self.focused, OrdersTable) or self._replacing()
        if action == "retry":
            return self.session.connection in (ConnectionState.HALTED, ConnectionState.CONNECTING)
        if action == "cancel_session" and isinstance(self.focused, WatchlistPanel):
            return False  # `s` there reads as "sell": the session's orders are cancelled from the orders table only
        return True

    def _replacing(self) -> bool:
        """True while the ticket is in replace mode (Esc leaves it, from the orders table too)."""
        try:
            return self.query_one(OrderTicket).replacing is not None
        except NoMatches:
            return False
