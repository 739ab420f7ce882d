"""Build the console app against a running local exchange, with a fixed clock and fixed client order ids."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from pydantic import SecretStr

from console.app.config import DeskConfig, load_config
from console.app.settings import Environment, Settings
from console.domain.ticket import ClientOrderIds
from console.exchange.keys import DEMO_API_KEY, DEMO_API_SECRET
from console.trading.account import AccountService
from console.trading.market import MarketSession
from console.trading.session import ConnectionState, TradingSession
from console.tui.app import TradingConsoleApp
from console.venues.gemini.account_venue import GeminiAccountVenue
from console.venues.gemini.auth import NonceSource
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.market_data import MarketDataClient
from console.venues.gemini.market_venue import GeminiQuotes
from console.venues.gemini.order_events import OrderEventsClient
from console.venues.gemini.rest import GeminiRestClient
from console.venues.gemini.venue import GeminiVenue

#: 2026-11-22 14:30:00 UTC, the fixed "now" of every screen test.
FIXED_NOW_MS = 1_795_444_200_000


def fixed_clock(now_ms: int = FIXED_NOW_MS) -> Callable[[], int]:
    return lambda: now_ms


def make_app(
    rest_url: str,
    ws_url: str,
    *,
    clock_ms: Callable[[], int] | None = None,
    api_key: str = DEMO_API_KEY,
    api_secret: str = DEMO_API_SECRET,
    environment: Environment = Environment.LOCAL,
    sub_accounts: tuple[str, ...] = (),
    stall_timeout_s: float = 15.0,
    desk: DeskConfig | None = None,
) -> TradingConsoleApp:
    """A console app wired to the exchange at ``rest_url`` / ``ws_url`` with the demo key.

    ``desk`` defaults to the built-in settings with toasts and the bell off, so pictures do not depend on timing.
    """
    clock = clock_ms or fixed_clock()
    credentials = Credentials(api_key=api_key, api_secret=SecretStr(api_secret))
    if desk is None:
        desk = load_config({"toasts": "false", "bell": "false"}, environ={})
    settings = Settings(environment=environment, rest_url=rest_url, ws_url=ws_url, credentials=credentials,
                        sub_accounts=sub_accounts, desk=desk)
    nonce = NonceSource()
    rest = GeminiRestClient(rest_url, credentials, nonce=nonce, account=sub_accounts[0] if sub_accounts else None)
    venue = GeminiVenue(
        rest,
        OrderEventsClient(ws_url, credentials, nonce=nonce),
        api_key=api_key,
        clock_ms=clock,
    )
    session = TradingSession(
        venue,
        symbols=settings.symbols,
        clock_ms=clock,
        client_order_ids=ClientOrderIds("snapshot"),
    )
    market = MarketSession(MarketDataClient(ws_url, stall_timeout_s=stall_timeout_s), settings.symbols[0])
    account = AccountService(GeminiAccountVenue(rest), settings.sub_accounts)
    return TradingConsoleApp(settings, session, account=account, quotes=GeminiQuotes(rest), clock_ms=clock,
                             market=market)


async def wait_for(pilot, predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    """Let the app run until ``predicate()`` holds; fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def settle_balances(pilot, timeout: float = 10.0) -> None:
    """Have the ticket read the balances once more and wait until they equal the exchange's (REST), so a picture
    never catches a balance read in flight (orders ended by the venue alone do not make the console read them)."""
    app = pilot.app
    ticket = app.main_screen.query_one("#ticket")
    app.main_screen.refresh_balances()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        rows = await app.account.balances()
        if ticket.available == {row.currency.upper(): row.available for row in rows}:
            break
        if loop.time() > deadline:
            raise AssertionError("timed out waiting for the ticket's balances to match the exchange")
        await pilot.pause(0.02)


async def settle_market(pilot, timeout: float = 10.0) -> None:
    """Wait until the console's book and last trade equal the exchange's (REST), so a picture never catches a
    market data message in flight; and the ticket's balances too."""
    app = pilot.app
    await settle_balances(pilot, timeout)
    if app.market is None:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        symbol = app.market.symbol
        rest = await app.session.venue.rest.book(symbol, limit_bids=0, limit_asks=0)
        trades = await app.session.venue.rest.public_trades(symbol, limit_trades=1)
        book = app.market.book
        if (
            app.market.live
            and [(lvl.price, lvl.amount) for lvl in book.bids()] == [(lvl.price, lvl.amount) for lvl in rest.bids]
            and [(lvl.price, lvl.amount) for lvl in book.asks()] == [(lvl.price, lvl.amount) for lvl in rest.asks]
            and [t.tid for t in trades] == [t.trade_id for t in book.trades[:1]]
        ):
            break
        if loop.time() > deadline:
            raise AssertionError("timed out waiting for the book to match the exchange")
        await pilot.pause(0.02)
    await pilot.pause()


async def wait_until_ready(pilot) -> None:
    """Wait until the stream is live, the ticket knows its symbols' rules and the book is live."""
    app = pilot.app
    await wait_for(pilot, lambda: app.session.connection is ConnectionState.LIVE and bool(app.session.rules),
                   what="the order events stream to go live")
    if app.market is not None:
        await wait_for(pilot, lambda: app.market.live, what="the market data book to go live")
    await pilot.pause()
