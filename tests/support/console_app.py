"""Build the console app (through the app factory) against a running local exchange, with a fixed clock and fixed
client order ids; and the waits the screen tests share."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Any

from pydantic import SecretStr

from console.app.config import DeskConfig, load_config
from console.app.settings import Environment, Settings
from console.app.wiring import MARKET_STALL_TIMEOUT_S, build_console
from console.domain.ticket import ClientOrderIds
from console.exchange.keys import DEMO_API_KEY, DEMO_API_SECRET
from console.trading.session import ConnectionState
from console.tui.app import TradingConsoleApp
from console.venues.gemini.credentials import Credentials

#: The exchange URL every picture's header shows. The snapshot exchanges bind a free port (a fixed one could be
#: taken, and two runs at once would collide); the header is told to show this instead, so pictures stay the same.
SHOWN_URL = "http://127.0.0.1:48787"

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
    stall_timeout_s: float = MARKET_STALL_TIMEOUT_S,
    desk: DeskConfig | None = None,
    measure_latency: bool = True,
    settle_heap: bool = False,
    shown_url: str | None = None,
    ws_api_url: str | None = None,
) -> TradingConsoleApp:
    """The console wired by the app factory (``console.app.wiring.build_console``) to the exchange at ``rest_url`` /
    ``ws_url`` with the demo key, a fixed clock and fixed client order ids: what ``trading-console`` runs, tap,
    journal and dead-man switch included.

    ``desk`` defaults to the built-in settings with toasts and the bell off, so pictures do not depend on timing.
    The journal and the nonce high-water mark go to ``$XDG_STATE_HOME`` (a temporary directory in every test,
    tests/conftest.py); the journal is closed when the app is collected.
    """
    clock = clock_ms or fixed_clock()
    credentials = Credentials(api_key=api_key, api_secret=SecretStr(api_secret))
    if desk is None:
        desk = load_config({"toasts": "false", "bell": "false"}, environ={})
    settings = Settings(environment=environment, rest_url=rest_url, ws_url=ws_url, credentials=credentials,
                        sub_accounts=sub_accounts, desk=desk, ws_api_url=ws_api_url)
    console = build_console(settings, clock_ms=clock, client_order_ids=ClientOrderIds("snapshot"),
                            measure_latency=measure_latency, settle_heap=settle_heap,
                            market_stall_timeout_s=stall_timeout_s, shown_url=shown_url)
    if console.journal is not None:  # tests run the app and drop it: the journal closes when the app is collected
        weakref.finalize(console.app, console.journal.close)
    return console.app


def snapshot_app(rest_url: str, ws_url: str, **kwargs: Any) -> TradingConsoleApp:
    """:func:`make_app` for a picture: the header shows :data:`SHOWN_URL` whatever port the exchange got, and no
    latency figures (timings differ on every run, like toasts)."""
    return make_app(rest_url, ws_url, shown_url=SHOWN_URL, measure_latency=False, **kwargs)


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
