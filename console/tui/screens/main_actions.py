"""The main screen's desk actions: the trading hotkeys, the cancels (session, all, scoped) and flatten, the account
views, and the ticket's balance reads. :class:`DeskActions` is :class:`console.tui.screens.main.MainScreen`'s base;
it holds what the keys do, the main screen holds the layout and the order flow it calls."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Protocol, cast

from textual import work
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from console.app.settings import Settings
from console.app.settings import Venue as VenueName
from console.domain.errors import VenueError
from console.domain.fmt import fmt_qty
from console.domain.hotkeys import default_size, hotkey_price
from console.domain.model import Side
from console.domain.reasons import Severity
from console.domain.scopes import OrderScope, scope_orders
from console.domain.ticket import NewOrder
from console.trading.account import AccountService
from console.trading.flatten import FlattenRefused, plan_flatten
from console.trading.market import MarketSession
from console.trading.positions import PositionsService
from console.trading.session import StatusEntry, TradingSession
from console.tui.messages import AccountChanged, BalancesPushed
from console.tui.screens.balances import BalancesScreen
from console.tui.screens.confirm import CancelScope, ConfirmCancelAll
from console.tui.screens.fees import FeesScreen
from console.tui.screens.fills import FillsScreen
from console.tui.screens.guard_confirm import order_line
from console.tui.screens.history import HistoryScreen
from console.tui.screens.order_detail import OrderDetailScreen
from console.tui.screens.positions import PositionsScreen
from console.tui.screens.scoped import ConfirmFlatten, ConfirmScopedCancel, ScopeChooser
from console.tui.screens.sub_account import SubAccountScreen
from console.tui.screens.wrap import WRAP_CANDIDATES, WrapScreen
from console.tui.widgets.orders_table import OrdersTable
from console.tui.widgets.ticket import OrderTicket, ReplaceTarget
from console.tui.widgets.watchlist import WatchlistPanel

log = logging.getLogger(__name__)

#: Orders, cancels and fills within this many seconds make the ticket read its balances once, seconds.
BALANCES_AFTER_FILLS_S = 1.0


class ConsoleHost(Protocol):
    """What MainScreen asks of its app (``TradingConsoleApp``), typed without importing the app (it imports us)."""

    account: AccountService
    positions: PositionsService
    read_only: bool

    def retry_connection(self) -> None: ...

    def switch_sub_account(self, name: str) -> None: ...


class DeskActions(Screen[None]):
    """The actions behind the main screen's keys; the main screen provides the state and the order flow below."""

    settings: Settings
    session: TradingSession
    market: MarketSession | None
    clock_ms: Callable[[], int]
    _balances_timer: Timer | None
    _balances_on: bool
    _flattens: dict[str, tuple[str, Decimal] | None]

    @property
    def host(self) -> ConsoleHost:
        """The app, typed as what this screen uses of it (``self.app`` is typed as a plain ``App``)."""
        return cast(ConsoleHost, self.app)

    # -- provided by MainScreen ------------------------------------------------------------------------------------
    def show_status(self, entries: list[StatusEntry]) -> None:
        """Show status entries in the status pane (MainScreen)."""
        raise NotImplementedError

    def _entry_block(self) -> str | None:
        """Why new orders cannot be sent now, or None (MainScreen)."""
        raise NotImplementedError

    def guard_and_send(self, order: NewOrder, replacing: ReplaceTarget | None = None) -> Worker[None]:
        """Check the pre-trade guards and send ``order`` (MainScreen)."""
        raise NotImplementedError

    # -- trading hotkeys ---------------------------------------------------------------------------------------------
    def action_hotkey(self, side: str, kind: str) -> None:
        """Fill the ticket with the symbol's default size at the touch and place it through the ticket's own path.

        ``join`` rests on the order's own side (a buy at the best bid, a sell at the best ask); ``take`` crosses
        (a buy at the ask, a sell at the bid). No live book, no price on the side needed or no default size: a
        status line says why and nothing is sent.
        """
        ticket = self.query_one(OrderTicket)
        symbol = ticket.symbol
        order_side = Side(side)
        elsewhere = self._watchlist_elsewhere(symbol)
        if elsewhere is not None:
            self._hotkey_refused(order_side, symbol, elsewhere)
            return
        market = self.market
        price = None
        if market is not None and market.symbol == symbol and market.live:
            price = hotkey_price(order_side, market.book, aggressive=kind == "take")
        if price is None:
            needed = "ask" if (order_side is Side.BUY) == (kind == "take") else "bid"
            self._hotkey_refused(order_side, symbol, f"No live {needed} in the {symbol.upper()} book: nothing sent.")
            return
        amount = default_size(symbol, ticket.remembered_amount(symbol), self.settings.desk.ticket.default_size)
        if amount is None:
            self._hotkey_refused(order_side, symbol, f"No default size for {symbol.upper()}: place a ticket of it "
                                 f"first, or set [ticket.default_size] {symbol} in the config. Nothing sent.")
            return
        ticket.load_hotkey(order_side, price, amount)
        ticket.submit()

    def _watchlist_elsewhere(self, symbol: str) -> str | None:
        """Why a ticket-symbol key (B/S/K/J, F) must not act: the watchlist has focus and its cursor is on another
        symbol than the ticket's, so the trader may believe the highlighted row is what trades."""
        if not isinstance(self.focused, WatchlistPanel):
            return None
        watched = self.focused.selected_symbol
        if watched == symbol:
            return None
        return (f"The watchlist's cursor is on {watched.upper()} but the ticket trades {symbol.upper()}: nothing "
                f"sent. Enter moves the ticket to {watched.upper()}; then press the key again.")

    def _hotkey_refused(self, side: Side, symbol: str, text: str) -> None:
        self.show_status([StatusEntry(self.clock_ms(), Severity.WARNING, f"{side.upper()} {symbol.upper()}",
                                      "Hotkey", text)])

    def action_flip_side(self) -> None:
        """Flip the ticket's side (``n`` from the orders or the status pane; ``ctrl+s`` inside the ticket)."""
        self.query_one(OrderTicket).action_flip_side()

    # -- the ticket's balances --------------------------------------------------------------------------------------
    async def _then_balances(self, work: Awaitable[object]) -> None:
        try:
            await work
        finally:
            self._balances_soon()

    def on_account_changed(self, message: AccountChanged) -> None:
        self._balances_soon()  # a fill, or another sub-account

    def on_balances_pushed(self, message: BalancesPushed) -> None:
        """The venue pushed available balances: the ticket's balance line shows them at once (no request)."""
        if not self._balances_on:
            return
        try:
            ticket = self.query_one(OrderTicket)
        except NoMatches:  # the console is quitting
            return
        ticket.set_balances({**(ticket.available or {}), **message.available})

    def _balances_soon(self) -> None:
        """Read the balances once within BALANCES_AFTER_FILLS_S for a whole burst of orders, cancels and fills: a
        read per order would spend one of the key's private requests (600 a minute) on every order sent."""
        if self._balances_timer is None:
            self._balances_timer = self.set_timer(BALANCES_AFTER_FILLS_S, self._balances_due)

    def _balances_due(self) -> None:
        self._balances_timer = None
        self.refresh_balances()

    def start_balances(self) -> None:
        """Trading has started: read the balances for the ticket now and from now on (attributes down: the app)."""
        self._balances_on = True
        self.refresh_balances()

    @work(exclusive=True, group="balances", exit_on_error=False)
    async def refresh_balances(self) -> None:
        """Read the available balances (``/v1/balances``) for the ticket's balance line.

        Does nothing before :meth:`start_balances` (never before a PRODUCTION start is confirmed). Called at once
        on a symbol change; once per burst of orders, cancels and fills (:meth:`_balances_soon`), never per order
        event: each read is one of the key's rate-limited private requests.
        """
        account = getattr(self.app, "account", None)
        if account is None or not self._balances_on:
            return
        try:
            rows = await account.balances()
        except VenueError as exc:
            log.warning("balances for the ticket: %r", exc)
            available: dict[str, Decimal] | None = None
        else:
            available = {row.currency.upper(): row.available for row in rows}
        try:
            ticket = self.query_one(OrderTicket)
        except NoMatches:  # the console is quitting
            return
        ticket.set_balances(available)

    # -- cancels ----------------------------------------------------------------------------------------------------
    @work(group="orders", exit_on_error=False)
    async def action_cancel_session(self) -> None:
        try:
            await self.session.cancel_session()
        finally:
            self._balances_soon()

    def action_cancel_all(self) -> None:
        def chosen(scope: CancelScope | None) -> None:
            if scope is CancelScope.SESSION:
                self.run_worker(self._then_balances(self.session.cancel_session()), group="orders",
                                exit_on_error=False)
            elif scope is CancelScope.ACCOUNT:
                self.run_worker(self._then_balances(self.session.cancel_all()), group="orders", exit_on_error=False)

        self.app.push_screen(
            ConfirmCancelAll(orders=self.session.blotter.open_orders(), api_key=self.session.api_key), chosen
        )

    # -- scoped cancels and flatten (console/tui/screens/scoped.py) -------------------------------------------------
    def action_scoped_cancel(self) -> None:
        """Cancel the selected row's symbol, one side of it, or the table's filter: chooser, preview, then one cancel
        per order by order id (TradingSession.cancel_scope)."""
        if not any(o.order_id for o in self.session.blotter.open_orders()):
            self.notify("No open orders to cancel.", severity="warning")
            return
        table = self.query_one(OrdersTable)
        selected = table.selected_order

        def chosen(scope: OrderScope | None) -> None:
            if scope is None:
                return
            orders = scope_orders(self.session.blotter.open_orders(), scope)

            def confirmed(yes: bool | None) -> None:
                if yes:
                    cancels = self.session.cancel_scope(scope, [o.order_id for o in orders])
                    self.run_worker(self._then_balances(cancels), group="orders", exit_on_error=False)

            self.app.push_screen(ConfirmScopedCancel(scope=scope, orders=orders, api_key=self.session.api_key),
                                 confirmed)

        self.app.push_screen(ScopeChooser(orders=self.session.blotter.open_orders(),
                                          symbol=selected.symbol if selected is not None else None,
                                          view_filter=table.view.filter), chosen)

    @work(group="orders", exit_on_error=False)
    async def action_flatten(self) -> None:
        """Bring the ticket's symbol's position to zero: an IOC limit at the touch ± guards.flatten_band_bps, after a
        confirmation, then the pre-trade guards like any order (console/trading/flatten.py).

        One flatten per symbol at a time: `F` again while the last one is being confirmed or is still working is
        refused (its fills are not in the position yet, so a second one would flatten twice), and a confirmation
        whose position changed before `y` sends nothing.
        """
        symbol = self.query_one(OrderTicket).symbol
        market = self.market
        book = market.book if market is not None and market.live and market.symbol == symbol else None
        name = symbol.upper()
        mine = False  # this flatten holds the symbol's marker (self._flattens)
        try:
            block = self._entry_block() or self._watchlist_elsewhere(symbol) or self._flatten_busy(symbol)
            if block is not None:
                raise FlattenRefused(block)
            self._flattens[symbol] = None
            mine = True
            plan = await plan_flatten(symbol, session=self.session, positions=self.host.positions,
                                      account=self.host.account, book=book,
                                      band_bps=self.settings.desk.guards.flatten_band_bps,
                                      spot=self.settings.venue is VenueName.GEMINI)
            if not await self.app.push_screen_wait(ConfirmFlatten(plan)):
                self._flattens.pop(symbol, None)
                return
            now = self.host.positions.net(symbol)
            if now != plan.terms.position:
                raise FlattenRefused(f"The {name} position changed while the confirmation was open "
                                     f"({fmt_qty(plan.terms.position)} → {fmt_qty(now or Decimal(0))}): "
                                     "nothing sent; press F again.")
        except FlattenRefused as exc:
            if mine:
                self._flattens.pop(symbol, None)
            self.show_status([StatusEntry(self.clock_ms(), Severity.WARNING, f"Flatten {name}",
                                          "NotSent", str(exc))])
            self.notify(str(exc), title="Flatten", severity="warning")
            return
        except BaseException:
            if mine:
                self._flattens.pop(symbol, None)
            raise
        self.show_status([StatusEntry(self.clock_ms(), Severity.INFO, f"Flatten {name}", "Flatten",
                                      "Sending " + order_line(plan.order) + " (immediate-or-cancel).")])
        try:
            await self.guard_and_send(plan.order).wait()
        except (WorkerFailed, WorkerCancelled):
            pass
        finally:
            # From here the blotter says whether the order is still working (a guard declined: it never was).
            self._flattens[symbol] = (plan.order.client_order_id, plan.terms.position)

    def _flatten_busy(self, symbol: str) -> str | None:
        """Why a flatten of ``symbol`` cannot start now: the last one is being confirmed or is still working."""
        if symbol not in self._flattens:
            return None
        sent = self._flattens[symbol]
        name = symbol.upper()
        if sent is None:
            return (f"A flatten of {name} is already under way (being confirmed or sent): nothing sent; wait for its "
                    "done line, then press F again if a position is left.")
        client_order_id, closing = sent
        order = self.session.blotter.by_client_order_id(client_order_id)
        positions = self.host.positions
        if (order is not None and order.state.is_terminal and order.filled and positions.has_venue_positions
                and positions.net(symbol) == closing):
            # The venue pushes its position after the fills: until it moves, a second flatten would sell it again.
            return (f"A flatten of {name} filled; the venue has not reported the new position yet: nothing sent; "
                    "press F again in a moment if a position is left.")
        if order is None or order.state.is_terminal:
            del self._flattens[symbol]
            return None
        return (f"A flatten of {name} is already under way ({client_order_id} is {order.state.value}): nothing "
                "sent; wait for its done line, then press F again if a position is left.")

    # -- account views (console/tui/screens/*): plain keys, Esc comes back -----------------------------------------
    def action_history(self) -> None:
        self.app.push_screen(HistoryScreen(self.host.account, self.clock_ms))

    def action_fills(self) -> None:
        self.app.push_screen(FillsScreen(self.host.account, self.clock_ms))

    def action_balances(self) -> None:
        self.app.push_screen(BalancesScreen(self.host.account, self.clock_ms))

    def action_positions(self) -> None:
        """Positions and P&L per symbol, with the USD total."""
        self.app.push_screen(PositionsScreen(self.host.account, self.clock_ms, self.host.positions))

    def action_fees(self) -> None:
        self.app.push_screen(FeesScreen(self.host.account, self.clock_ms))

    def action_order_detail(self) -> None:
        order = self.query_one(OrdersTable).selected_order
        if order is None or not order.order_id:
            self.notify("Select an order in the orders table first.", severity="warning")
            return
        self.app.push_screen(OrderDetailScreen(self.host.account, self.clock_ms, order_id=order.order_id))

    def action_wrap(self) -> None:
        symbols = sorted(set(self.session.symbols) | set(WRAP_CANDIDATES))
        self.app.push_screen(WrapScreen(self.host.account, self.clock_ms, symbols=symbols,
                                        read_only=self.host.read_only))

    def action_sub_account(self) -> None:
        account = self.host.account
        if not account.is_master_key:
            self.notify("This API key is not a master key: it acts on one account and cannot switch sub-accounts.",
                        title="Sub-account", severity="warning")
            return
        if not account.sub_accounts:
            self.notify("No sub-accounts to switch to: start the console with --accounts primary,secondary.",
                        title="Sub-account", severity="warning")
            return

        def picked(name: str | None) -> None:
            if name and name != account.account:
                self.host.switch_sub_account(name)

        self.app.push_screen(SubAccountScreen(account.sub_accounts, account.account), picked)
