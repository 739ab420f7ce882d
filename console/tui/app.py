"""The Textual app: wires a trading session to the main screen and runs the session's long-lived workers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, cast

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from console.app.paths import styles_dir
from console.app.settings import Environment, Settings
from console.domain.book import Trade
from console.domain.errors import TransportError as VenueTransportError
from console.domain.errors import VenueError, network_cause
from console.domain.latency import LatencyTracker
from console.domain.model import Order
from console.domain.reasons import Severity
from console.trading.account import AccountService
from console.trading.deadman import DeadManSwitch
from console.trading.market import FeedState, MarketListener, MarketSession
from console.trading.positions import PositionsService
from console.trading.session import ConnectionState, SessionListener, StatusEntry, TradingSession
from console.trading.venue_account import ReferenceQuotes
from console.trading.watchlist import Watchlist
from console.tui import themes
from console.tui.internals import install_acyclic_strips
from console.tui.messages import (
    AccountChanged,
    BalancesPushed,
    BookUpdated,
    ConnectionChanged,
    MarketStateChanged,
    OrdersChanged,
    PositionsChanged,
    StatusReported,
    TradesUpdated,
)
from console.tui.screens.account_view import AccountView
from console.tui.screens.confirm import ConfirmCancelAll, ConfirmProduction, ConfirmQuit
from console.tui.screens.guard_confirm import GuardConfirm
from console.tui.screens.help import HelpScreen, KeyHelp, key_help
from console.tui.screens.history import HistoryScreen
from console.tui.screens.main import MainScreen
from console.tui.screens.positions import PositionsScreen
from console.tui.screens.scoped import ConfirmFlatten, ConfirmScopedCancel, ScopeChooser
from console.tui.screens.sub_account import SubAccountScreen
from console.tui.widgets.fields import KeysInOrderApp
from console.tui.widgets.orders_table import OrdersTable
from console.tui.widgets.read_only_banner import ReadOnlyBanner
from console.tui.widgets.side_toggle import SideToggle
from console.tui.widgets.status_pane import StatusPane
from console.tui.widgets.ticket import OrderTicket
from console.tui.widgets.watchlist import WatchlistPanel
from console.util.backoff import Backoff
from console.util.clock import wall_clock_ms

log = logging.getLogger(__name__)

#: Every stylesheet the app loads, relative to the styles directory.
STYLESHEETS = ("app.tcss", "account.tcss", "scoped.tcss")
#: Seconds after the first reconciled state before the heap is settled (the reconciled table is painted first).
HEAP_SETTLE_DELAY_S = 0.5
#: After the exchange could not be reached at start: first automatic retry (seconds), doubling up to the cap.
RETRY_INITIAL_S = 2.0
RETRY_CAP_S = 30.0


class TradingConsoleApp(KeysInOrderApp):
    """A trading console for one venue account.

    Args:
        settings: where to trade and with which key.
        session: the trading session (REST client, order-events client, blotter).
        account: the account queries behind the account views (sharing the session's venue client).
        quotes: the venue's one-off quotes for the guards' reference prices (a live book replaces them).
        clock_ms: the console's clock, ms since the epoch (tests pass a fixed one).
        market: the market data session behind the depth ladder, trades and price keys (None: no market data).
        latency: acknowledgement latencies to show (p50/p95 in the status pane's subtitle), if measured.
        account: typed account queries for the account views (shares the session's REST client).
        deadman: heartbeats and cancel-on-exit, if wanted.
        once_reconciled: called once, :data:`HEAP_SETTLE_DELAY_S` after the blotter is first reconciled (its table
            painted first). The app factory passes the heap policy here (``console.app.heap.settle``) for the
            console's own process; tests pass nothing (it changes the collector of the whole process).
        shown_url: the exchange URL the header shows (default: ``settings.rest_url``).
        watchlist: the watched symbols' quotes behind the watchlist panel (``t``), if any.
    """

    CSS_PATH = [styles_dir() / name for name in STYLESHEETS]
    TITLE = "Trading console"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="app.quit"),
        Binding("question_mark", "help", "Help", id="app.help"),
    ]

    def __init__(
        self,
        settings: Settings,
        session: TradingSession,
        *,
        account: AccountService,
        quotes: ReferenceQuotes,
        clock_ms: Callable[[], int] = wall_clock_ms,
        market: MarketSession | None = None,
        latency: LatencyTracker | None = None,
        deadman: DeadManSwitch | None = None,
        once_reconciled: Callable[[], object] | None = None,
        shown_url: str | None = None,
        watchlist: Watchlist | None = None,
    ) -> None:
        install_acyclic_strips()  # painted lines freed by reference counting, not left to the cyclic collector
        super().__init__()
        #: Run once shortly after the blotter is first reconciled (the factory's heap policy), if given.
        self.once_reconciled = once_reconciled
        self.latency = latency
        self.deadman = deadman
        self.exit_reason = "exit"  # "SIGHUP" after a hangup; only logged
        self.settings = settings
        self.session = session
        self.clock_ms = clock_ms
        #: Typed account queries for the account views (shares the session's venue client).
        self.account = account
        #: True once the key turned out to lack the Trader role (Auditor): trading keys are then disabled.
        self.read_only = False
        self.market = market
        #: Positions and P&L since the chosen start: the venue's fills, then the blotter's (re-loaded on reconnect).
        self.positions = PositionsService(account.venue, session.blotter, clock_ms=clock_ms, quotes=quotes,
                                          market=market)
        self.positions.changed = self._positions_changed
        self.main_screen = MainScreen(settings, session, clock_ms, market, quotes, shown_url=shown_url,
                                      watchlist=watchlist)
        self._orders_message: OrdersChanged | None = None
        self._status_message: StatusReported | None = None
        if market is not None:
            market.listener = MarketListener(
                book_changed=self._book_changed,
                trades_added=self._trades_added,
                state_changed=self._market_state_changed,
            )
        session.listener = SessionListener(
            orders_changed=self._orders_changed,
            status=self._status_reported,
            connection_changed=self._connection_changed,
        )
        account.watch_balances(self._balances_pushed)  # a venue that pushes them (the WS API)
        self._reconciled_once = False
        #: Automatic retries after a network failure at start: the first pause and the cap, seconds (tests set
        #: short or long ones).
        self.retry_initial_s = RETRY_INITIAL_S
        self.retry_cap_s = RETRY_CAP_S
        self._retry_backoff: Backoff | None = None  # None: no failure since the stream was last LIVE
        self._retry_timer: Timer | None = None

    def _book_changed(self, symbol: str) -> None:
        self.main_screen.post_message(BookUpdated(symbol))

    def _trades_added(self, symbol: str, trades: list[Trade]) -> None:
        self.main_screen.post_message(TradesUpdated(symbol))

    def _market_state_changed(self, symbol: str, state: FeedState, detail: str) -> None:
        self.main_screen.post_message(MarketStateChanged(symbol, state, detail))

    def _connection_changed(self, state: ConnectionState, detail: str) -> None:
        self.main_screen.post_message(ConnectionChanged(state, detail))
        if state is ConnectionState.LIVE:
            self._retry_backoff = None  # connected: the next failure starts the back-off again
            self.reload_positions()  # reconciled: positions are re-loaded from the venue too, so they never drift
        if state is ConnectionState.LIVE and self.once_reconciled is not None and not self._reconciled_once:
            # The first time the blotter is reconciled: once its table has been painted (the factory's heap policy
            # collects and freezes the session's long-lived objects then, console/app/heap.py).
            self._reconciled_once = True
            self.set_timer(HEAP_SETTLE_DELAY_S, self.once_reconciled)

    def _positions_changed(self) -> None:
        """A position or a mark changed: the line beside the ticket, and the positions view if it is shown."""
        self.main_screen.post_message(PositionsChanged())
        stack = self.screen_stack
        if stack and stack[-1] is not self.main_screen:
            stack[-1].post_message(PositionsChanged())

    @work(exclusive=True, group="positions", exit_on_error=False)
    async def reload_positions(self) -> None:
        """Rebuild the positions from the venue's fills since the start (after every reconnect)."""
        await self.positions.reload()

    def _orders_changed(self, orders: list[Order]) -> None:
        """Blotter changes for the screen.

        The session runs in this app's event loop, so once the main screen is mounted its changes are handed
        down by a direct call (a message per burst cost more than applying the burst). Before that they wait in
        one message: added to the message still queued, or one new message per burst.
        """
        pending = self._orders_message
        if self.main_screen.is_mounted and (pending is None or pending.taken):  # never ahead of a queued burst
            self.main_screen.show_orders(orders)
            return
        if pending is not None and not pending.taken:
            pending.orders.extend(orders)
            return
        self._orders_message = OrdersChanged(list(orders))
        self.main_screen.post_message(self._orders_message)

    def on_mount(self) -> None:
        desk = self.settings.desk
        themes.register(self)
        self.theme = desk.theme
        self.set_class(desk.theme == themes.MONOCHROME, "-monochrome")
        if desk.keymap:
            self.set_keymap(dict(desk.keymap))
        self.push_screen(self.main_screen)
        if self.settings.environment is Environment.PRODUCTION:
            # Real money: nothing is fetched or sent until the trader has typed the word.
            self.push_screen(
                ConfirmProduction(self.settings.rest_url, self.settings.masked_key),
                lambda yes: self._start_trading() if yes else self.exit(return_code=3),
            )
        else:
            self._start_trading()
        if self.latency is not None or self.deadman is not None:
            self.set_interval(1.0, self.refresh_desk_status)

    def _start_trading(self) -> None:
        """Start the workers: bootstrap (then the order-events stream) and the market data stream."""
        self.bootstrap()
        if self.market is not None:
            self.run_market()

    def _status_reported(self, entry: StatusEntry) -> None:
        """Session status callback: to the status pane; a fill or a MissingRole also reaches the account views."""
        self._post_status(entry)
        if entry.code == "Fill":
            self.screen.post_message(AccountChanged())
        elif entry.code == "MissingRole" and not self.read_only:
            self.call_later(self.enter_read_only)

    def _balances_pushed(self, available: Mapping[str, Decimal] | None) -> None:
        """Account venue callback: pushed balances to the ticket and the balances view; None (pushes missed) makes
        the views read them again."""
        if available is None:
            self.screen.post_message(AccountChanged())
            return
        self.main_screen.post_message(BalancesPushed(available))
        if self.screen is not self.main_screen:
            self.screen.post_message(BalancesPushed(available))

    def _post_status(self, entry: StatusEntry) -> None:
        """To the status pane: a direct call once the main screen is mounted (as for orders); before that, added
        to the message still queued, or one new message per burst (in order)."""
        pending = self._status_message
        if self.main_screen.is_mounted and (pending is None or pending.taken):
            self.main_screen.show_status([entry])
            return
        if pending is not None and not pending.taken:
            pending.entries.append(entry)
        else:
            self._status_message = StatusReported(entry)
            self.main_screen.post_message(self._status_message)

    def enter_read_only(self) -> None:
        """Run read-only: a banner under the header, the ticket disabled, trading keys refused (Auditor keys)."""
        if self.read_only:
            return
        self.read_only = True
        self.main_screen.add_class("-read-only")
        self.main_screen.mount(ReadOnlyBanner(), after="#header")
        self.main_screen.query_one(OrderTicket).disabled = True
        self.main_screen.refresh_bindings()

    def switch_sub_account(self, name: str) -> None:
        """Act on sub-account ``name`` (master keys) and tell the views and the status pane."""
        self.account.switch_account(name)
        self._post_status(StatusEntry(self.clock_ms(), Severity.INFO, "Sub-account", "", f"Now acting on {name}."))
        self.screen.post_message(AccountChanged())

    def refresh_desk_status(self) -> None:
        """Heartbeat countdown and ack latency p50/p95 in the status pane's bottom border."""
        parts = [self.deadman.countdown_text() if self.deadman else "",
                 self.latency.status_text() if self.latency else ""]
        panes = self.main_screen.query(StatusPane)
        if not panes:  # the tick fired while the app shuts down, after the screen's widgets went: nothing to show
            return
        text = " · ".join(p for p in parts if p)
        pane = panes.first()
        if text != (pane.border_subtitle or ""):  # setting a border title repaints the whole pane, even unchanged
            pane.border_subtitle = text

    def start_dead_man(self) -> None:
        """Heartbeats (if configured) and the SIGHUP handler; called once trading is confirmed."""
        if self.deadman is None:
            return
        self.deadman.arm()
        if self.deadman.heartbeat:
            self.run_worker(self.deadman.run_heartbeats(), group="heartbeat", exclusive=True, exit_on_error=False)
        self.deadman.install_sighup(asyncio.get_running_loop(), self._hangup)

    def _hangup(self) -> None:
        log.warning("SIGHUP: the terminal went away; leaving")
        self.exit_reason = "SIGHUP"
        self.exit(return_code=129)

    def terminal_gone(self) -> None:
        """The terminal can no longer be written (an SSH drop without, or before, SIGHUP): leave as on SIGHUP.

        Called by ``console.tui.terminal.HangupSafeLinuxDriver`` in the app's event loop.
        """
        if self.exit_reason == "exit":
            self.exit_reason = "terminal gone"
        self.exit(return_code=129)

    async def action_quit(self) -> None:
        """Quit (``q``, Ctrl+Q); with orders working, a dialog first says how many and what happens to them."""
        working = self.session.blotter.open_orders()
        if not working:
            self.exit()
        elif not isinstance(self.screen, ConfirmQuit):
            deadman = self.deadman
            self.push_screen(
                ConfirmQuit(orders=working, api_key=self.session.api_key,
                            cancel_on_exit=bool(deadman and deadman.cancel_on_exit),
                            heartbeat=bool(deadman and deadman.heartbeat)),
                lambda yes: self.exit() if yes else None,
            )

    def action_help(self) -> None:
        """Show every key (generated from the bindings)."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.help_rows(), self.COMMAND_PALETTE_BINDING))

    def help_rows(self) -> list[KeyHelp]:
        """Every key of the console after the desk's ``[keymap]`` (the help screen and the command palette)."""
        return key_help(self.settings.desk.keymap, binding_sources())

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The command palette offers Textual's own commands and every action of the console's bindings."""
        yield from super().get_system_commands(screen)
        seen: set[str] = set()
        for row in self.help_rows():
            target = self._action_target(row.owner)
            if target is None or row.action in seen or row.action.startswith("dismiss"):
                continue
            seen.add(row.action)
            yield SystemCommand(row.description, f"{row.scope}: key {row.keys}",
                                lambda target=target, action=row.action: self.call_later(target.run_action, action))

    def _action_target(self, owner: type) -> App[Any] | Widget | None:
        """The live node whose action a palette command runs: the app, the main screen or one of its widgets."""
        if isinstance(self, owner):
            return self
        if isinstance(self.main_screen, owner):
            return self.main_screen
        if issubclass(owner, Screen):
            return None  # modal screens' keys only make sense while they are shown
        matches = self.main_screen.query(cast("type[Widget]", owner))  # the app and screens are handled above
        return matches.first() if matches else None

    @work(exclusive=True, group="bootstrap", exit_on_error=False)
    async def bootstrap(self) -> None:
        """Start the dead-man switch, check the key's role, load the symbols' rules, then run the stream."""
        self.start_dead_man()
        if not await self.account.can_trade():
            self.enter_read_only()
        rules = await self.session.load_symbols()
        self.positions.set_rules(rules)
        self.main_screen.query_one(OrderTicket).set_rules(rules)
        self.main_screen.query_one(OrdersTable).set_rules(rules)
        self.main_screen.start_balances()  # the ticket's available balance
        self.run_order_events()

    @work(exclusive=True, group="order-events", exit_on_error=False)
    async def run_order_events(self) -> None:
        """The one long-lived worker of the order-events stream."""
        await self.session.run_order_events()

    @work(exclusive=True, group="market", exit_on_error=False)
    async def run_market(self) -> None:
        """The one long-lived worker of the market data stream (follows the ticket's symbol)."""
        assert self.market is not None
        await self.market.run()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures are handled: show them, never crash the console."""
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        log.error("worker %s failed: %r", event.worker.name, error)
        code = getattr(error, "reason", None) or error.__class__.__name__
        message = str(error) if isinstance(error, VenueError) else repr(error)
        stopped = event.worker.group in ("bootstrap", "order-events")
        if isinstance(error, VenueTransportError):
            message = f"The exchange could not be reached: {network_cause(error)} ({error})."
        if stopped and isinstance(error, VenueTransportError):
            # The network may come back: retry on our own, with capped back-off; ctrl+r does not wait.
            if self._retry_backoff is None:
                self._retry_backoff = Backoff(self.retry_initial_s, self.retry_cap_s)  # no jitter: one console
            delay = self._retry_backoff.next_delay()
            self._retry_timer = self.set_timer(delay, self.retry_connection)
            message += f" Trading halted: retrying in {delay:g} s (ctrl+r: retry now)."
        elif stopped:
            message += " Trading halted: press ctrl+r (Retry) to connect again."
        self._post_status(StatusEntry(self.clock_ms(), Severity.ERROR, event.worker.name, str(code), message))
        if stopped:
            # The cause in the network's own words ("ConnectError: Name or service not known"), not a class name.
            self.session.halt_on_error(network_cause(error) if isinstance(error, VenueTransportError) else str(code))

    def retry_connection(self) -> None:
        """The trader's Retry key: start again (key role, symbols, then the order-events stream) after a halt."""
        if self._retry_timer is not None:
            self._retry_timer.stop()  # the trader did not wait for the automatic retry
            self._retry_timer = None
        if self.session.connection not in (ConnectionState.HALTED, ConnectionState.CONNECTING):
            return
        self._post_status(StatusEntry(self.clock_ms(), Severity.INFO, "Retry", "", "Connecting again…"))
        self.session.resume_connecting()
        self.bootstrap()

    async def on_unmount(self) -> None:
        if self.deadman is not None:
            self.deadman.remove_sighup(asyncio.get_running_loop())
            # An unhandled error sets return code 1 (Textual's App._handle_exception): say "error", not "exit".
            crashed = self.exit_reason == "exit" and self.return_code == 1
            await self.deadman.on_exit("error" if crashed else self.exit_reason)
        await self.session.close()


def binding_sources() -> list[tuple[str, type]]:
    """Every class of the console that declares bindings, with the scope name the help screen shows."""
    return [
        ("Anywhere", TradingConsoleApp),
        ("Main screen", MainScreen),
        ("Orders table", OrdersTable),
        ("Order ticket", OrderTicket),
        ("Ticket side control", SideToggle),
        ("Watchlist", WatchlistPanel),
        ("Guard confirmation", GuardConfirm),
        ("Cancel preview", ConfirmCancelAll),
        ("Scoped cancel: which orders (d)", ScopeChooser),
        ("Scoped cancel preview", ConfirmScopedCancel),
        ("Flatten confirmation (F)", ConfirmFlatten),
        ("Production start", ConfirmProduction),
        ("Quit with working orders", ConfirmQuit),
        ("Account views (history, fills, balances, fees, detail, wrap)", AccountView),
        ("Order history", HistoryScreen),
        ("Positions", PositionsScreen),
        ("Sub-account switcher", SubAccountScreen),
        ("Help", HelpScreen),
    ]
