"""The one factory that builds the console: settings in, the app and everything a trader's console runs with it.

``trading-console`` (and so ``serve``, which starts it per browser tab), ``doctor``, the test suite's ``make_app``,
``scripts/screenshots.py`` and the benchmarks all build through here, so tests run what users run: the venue's
REST and order-events clients behind the wire tap, the trading session, the market session, the account service,
the journal, the latency tracker, the dead-man switch, the heap policy, and a clean shutdown.

Shutdown, in order: the app's unmount runs the dead-man switch's exit (cancel-on-exit if configured, then what is
left working) and closes the session's clients; then :meth:`Console.finish` tells the trader and the journal what
happened to the orders and closes the journal.

What a test or a picture needs differently is an explicit parameter of :func:`build_console` (a fixed clock, fixed
client order ids, no latency figures, the heap left alone, the URL the header shows) or a setting (toasts, the
bell, the journal's path): never a second wiring.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from console.app import heap
from console.app.clients import venue_clients
from console.app.settings import Environment, Settings, Venue
from console.domain.latency import LatencyTracker
from console.domain.ticket import ClientOrderIds
from console.trading.account import AccountService
from console.trading.deadman import EXIT_CANCEL_FAILED, DeadManSwitch, ExitReport
from console.trading.journal import Journal, default_path
from console.trading.market import MarketSession
from console.trading.session import TradingSession
from console.trading.watchlist import PerSymbolFeeds, Watchlist
from console.tui.app import TradingConsoleApp
from console.util.clock import ClockMs, monotonic_ms, wall_clock_ms
from console.venues.gemini.account_venue import GeminiAccountVenue
from console.venues.gemini.auth import NonceSource, TimeNonceSource
from console.venues.gemini.market_data import MarketDataClient
from console.venues.gemini.market_venue import GeminiQuotes
from console.venues.gemini.tap import Observer, latency_observer
from console.venues.gemini.venue import GeminiVenue
from console.venues.gemini.ws_account import GeminiWsAccountVenue
from console.venues.gemini.ws_market import GeminiWsMarketFeed
from console.venues.gemini.ws_venue import REPLAY_WINDOW_MS, GeminiWsVenue
from console.venues.roxom.account_venue import RoxomAccountVenue, RoxomQuotes
from console.venues.roxom.auth import RoxomSigner, load_private_key
from console.venues.roxom.market_venue import RoxomMarketFeed
from console.venues.roxom.rest import RoxomRestClient
from console.venues.roxom.venue import RoxomVenue
from console.venues.roxom.ws import RoxomWsClient

log = logging.getLogger(__name__)

#: Seconds without a market data frame before the book is STALE and resynchronised (the client's default).
MARKET_STALL_TIMEOUT_S = 15.0


@dataclass
class Console:
    """A built console: the app, and the journal that outlives it (the exit summary is written after the app ends).

    Attributes:
        app: the Textual app (``app.session``, ``app.market``, ``app.account``, ``app.latency``, ``app.deadman``).
        journal: the SQLite journal, None when the setting ``journal`` is off.
    """

    app: TradingConsoleApp
    journal: Journal | None
    _closed: bool = field(default=False, repr=False)

    def finish(self, code: int, out: TextIO | None = None) -> int:
        """After the app ended: report what happened to the orders, close the journal, return the exit status.

        Args:
            code: the app's exit status.
            out: where the summary is printed (default: stderr).

        Returns:
            ``code``, or :data:`console.trading.deadman.EXIT_CANCEL_FAILED` (see :func:`finish_exit`).
        """
        deadman = self.app.deadman
        try:
            return finish_exit(deadman.report if deadman else None, self.journal, code, out)
        finally:
            self.close()

    def close(self) -> None:
        """Close the journal (safe to call twice)."""
        if not self._closed and self.journal is not None:
            self.journal.close()
        self._closed = True


def build_console(
    settings: Settings,
    *,
    clock_ms: ClockMs = wall_clock_ms,
    client_order_ids: ClientOrderIds | None = None,
    nonce: NonceSource | None = None,
    measure_latency: bool = True,
    latency_clock_ms: ClockMs = monotonic_ms,
    settle_heap: bool = False,
    market_stall_timeout_s: float = MARKET_STALL_TIMEOUT_S,
    shown_url: str | None = None,
) -> Console:
    """Build the console for ``settings``, wired as ``trading-console`` runs it.

    Args:
        settings: where to trade, with which key, and the desk settings (``journal``, ``journal_path``,
            ``heartbeat``, ``cancel_on_exit``, toasts, theme…).
        clock_ms: the console's wall clock, ms since the epoch (tests pass a fixed one).
        client_order_ids: generator of the session's client order ids (default: a fresh random prefix).
        nonce: the nonce source of the key (default: one whose high-water mark persists in the state directory,
            so a restart never reuses a nonce).
        measure_latency: tap acknowledgement latencies and show p50/p95 in the status pane's border. Pictures turn
            it off: the figures are timings, different on every run.
        latency_clock_ms: the monotonic clock latencies are measured with, ms.
        settle_heap: apply the console's heap policy (:func:`console.app.heap.settle`) once the blotter is first
            reconciled. The command line and the benchmarks turn it on; tests leave it off, because it changes
            the garbage collector of the whole process.
        market_stall_timeout_s: seconds without a market data frame before the book is STALE and resynchronised.
        shown_url: the exchange URL the header shows (default: ``settings.rest_url``). The snapshot tests show a
            fixed one so that their pictures do not depend on the free port their exchange was given.

    Returns:
        The console; run ``console.app``, then call :meth:`Console.finish`.

    Raises:
        sqlite3.DatabaseError: the journal file is not a journal.
    """
    desk = settings.desk
    latency = LatencyTracker() if measure_latency else None
    observers: list[Observer] = []
    journal = None
    if desk.journal:
        # The journal stamps records with the wall clock even when the console's clock is fixed (tests).
        journal = Journal(desk.journal_path or default_path(), venue=settings.environment.value,
                          url=settings.rest_url)
        observers.append(journal.observe)
    if latency is not None:
        observers.append(latency_observer(latency, latency_clock_ms))
    if settings.venue is Venue.ROXOM:
        roxom = roxom_parts(settings, clock_ms, market_stall_timeout_s,
                            observers=[journal.observe] if journal is not None else [])
        session = TradingSession(roxom.venue, symbols=settings.ticket_symbols, clock_ms=clock_ms,
                                 client_order_ids=client_order_ids)
        deadman = DeadManSwitch(session, heartbeat=False, cancel_on_exit=_cancel_on_exit(settings))
        app = TradingConsoleApp(settings, session, account=AccountService(roxom.account, ()), quotes=roxom.quotes,
                                clock_ms=clock_ms, market=roxom.market, latency=latency, deadman=deadman,
                                once_reconciled=heap.settle if settle_heap else None, shown_url=shown_url,
                                watchlist=roxom.watchlist)
        return Console(app, journal)
    assert settings.credentials is not None, "a Gemini console needs Gemini credentials"
    time_based = settings.time_based_nonce
    if nonce is None:
        # A time-based key signs with the clock in seconds; a counter key's high-water mark survives restarts.
        # (Both on the console's clock: a test's fixed clock matches its exchange's.)
        nonce = TimeNonceSource(clock_ms) if time_based else NonceSource.persistent(settings.credentials.api_key)
    clients = venue_clients(settings.rest_url, settings.ws_url, settings.credentials, nonce=nonce,
                            account=settings.sub_accounts[0] if settings.sub_accounts else None, observers=observers)
    venue: GeminiVenue | GeminiWsVenue
    if settings.api == "ws":
        if settings.ws_api_url is None:
            raise ValueError("api ws needs the URL of Gemini's WebSocket API (settings.ws_api_url)")
        venue = GeminiWsVenue(clients.rest, settings.ws_api_url, settings.credentials,
                              cancel_on_disconnect=settings.cancel_on_disconnect, clock_ms=clock_ms,
                              clock_s=lambda: clock_ms() / 1000, observers=observers)
    else:
        venue = GeminiVenue(
            clients.rest,
            clients.order_events,
            api_key=settings.credentials.api_key,
            clock_ms=clock_ms,
            # A late copy of a request signed with a time-based nonce can still be executed within ±30 s.
            replay_window_ms=REPLAY_WINDOW_MS if time_based else 0,
        )
    session = TradingSession(venue, symbols=settings.ticket_symbols, clock_ms=clock_ms,
                             client_order_ids=client_order_ids)
    cancel_on_exit = desk.cancel_on_exit
    if cancel_on_exit is None:  # auto: on wherever real orders could be left behind
        cancel_on_exit = settings.environment is not Environment.LOCAL
    deadman = DeadManSwitch(session, heartbeat=desk.heartbeat, cancel_on_exit=cancel_on_exit)
    # Over the WS API the ladder and trades come from its streams too (the REST client reads the recent trades).
    feed: MarketDataClient | GeminiWsMarketFeed = (
        GeminiWsMarketFeed(settings.ws_api_url, clients.rest, stall_timeout_s=market_stall_timeout_s)
        if isinstance(venue, GeminiWsVenue) and settings.ws_api_url is not None
        else MarketDataClient(settings.ws_url, stall_timeout_s=market_stall_timeout_s))
    market = MarketSession(feed, settings.ticket_symbols[0])
    # The watchlist's own socket: one subscription for all its symbols, running only while the watchlist is shown.
    watchlist = Watchlist(MarketDataClient(settings.ws_url, stall_timeout_s=market_stall_timeout_s),
                          settings.watchlist_symbols)
    # Over the WS API the order socket also pushes the balances (balances@account) to the views.
    account_venue = (GeminiWsAccountVenue(clients.rest, venue) if isinstance(venue, GeminiWsVenue)
                     else GeminiAccountVenue(clients.rest))
    account = AccountService(account_venue, settings.sub_accounts)
    once_reconciled: Callable[[], object] | None = heap.settle if settle_heap else None
    app = TradingConsoleApp(settings, session, account=account, quotes=GeminiQuotes(clients.rest), clock_ms=clock_ms,
                            market=market, latency=latency,
                            deadman=deadman, once_reconciled=once_reconciled, shown_url=shown_url,
                            watchlist=watchlist)
    return Console(app, journal)


def _cancel_on_exit(settings: Settings) -> bool:
    """The ``cancel_on_exit`` setting; auto (None): on wherever real orders could be left behind (not LOCAL)."""
    cancel_on_exit = settings.desk.cancel_on_exit
    if cancel_on_exit is None:
        cancel_on_exit = settings.environment is not Environment.LOCAL
    return cancel_on_exit


@dataclass
class RoxomParts:
    """What a Roxom console trades through: the venue, the account views' venue, the reference quotes, the market
    session and the watchlist."""

    venue: RoxomVenue
    account: RoxomAccountVenue
    quotes: RoxomQuotes
    market: MarketSession
    watchlist: Watchlist


def roxom_parts(settings: Settings, clock_ms: ClockMs = wall_clock_ms,
                market_stall_timeout_s: float = MARKET_STALL_TIMEOUT_S,
                observers: Sequence[Observer] = ()) -> RoxomParts:
    """Roxom's clients for ``settings`` (its ``roxom_key`` signs every request and the WebSocket handshake);
    ``observers`` (the journal) are told of every REST request, answer and order update.

    Raises:
        KeyFileError: the private key file is missing, unreadable, group/world readable or not an RSA key.
        ValueError: ``settings`` has no Roxom key.
    """
    if settings.roxom_key is None:
        raise ValueError("a Roxom console needs a Roxom key (key id and private key file)")
    signer = RoxomSigner(settings.roxom_key.key_id, load_private_key(settings.roxom_key.private_key_source()),
                         settings.desk.roxom.signing_scheme())
    venue = RoxomVenue(RoxomRestClient(settings.rest_url, signer, observers=observers),
                       RoxomWsClient(settings.ws_url, signer),
                       api_key=settings.roxom_key.key_id, clock_ms=clock_ms)
    feed = RoxomMarketFeed(RoxomWsClient(settings.ws_url, signer), stall_timeout_s=market_stall_timeout_s,
                           ticks=venue.ticks, load_ticks=venue.load_ticks)
    market = MarketSession(feed, settings.ticket_symbols[0])
    # Roxom's feed takes one symbol per connection here: the watchlist runs one per symbol while it is shown.
    watch_feed = RoxomMarketFeed(RoxomWsClient(settings.ws_url, signer), stall_timeout_s=market_stall_timeout_s)
    watchlist = Watchlist(PerSymbolFeeds(watch_feed), settings.watchlist_symbols)
    return RoxomParts(venue, RoxomAccountVenue(venue), RoxomQuotes(venue), market, watchlist)


def finish_exit(report: ExitReport | None, journal: Journal | None, code: int, out: TextIO | None = None) -> int:
    """Tell the trader (and the journal) what happened to the orders on the way out; return the exit status.

    Args:
        report: the dead-man switch's :class:`console.trading.deadman.ExitReport` (None: the app never got that far).
        journal: where the report is recorded as an ``exit`` record (None: journal off).
        code: the app's exit status.
        out: where the summary is printed (default: stderr). A terminal that is gone (SIGHUP) is skipped:
            the journal and the log still have the report.

    Returns:
        ``code``, or :data:`console.trading.deadman.EXIT_CANCEL_FAILED` when a requested cancel-on-exit failed and
        the app was leaving with 0.
    """
    if report is None:
        return code
    if journal is not None:
        try:
            journal.append("exit", "summary", report.as_record())
        except Exception:  # noqa: BLE001 - the summary must still reach the terminal
            log.exception("could not journal the exit summary")
    try:
        stream = out or sys.stderr
        for line in report.lines():
            print(f"trading-console: {line}", file=stream)
        stream.flush()
    except (OSError, ValueError):  # the terminal went away (SIGHUP) or stderr is closed
        pass
    if report.cancel_failed and code == 0:
        return EXIT_CANCEL_FAILED
    return code
