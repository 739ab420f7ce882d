"""Build the console app against a running local exchange, with a fixed clock and fixed client order ids."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from pydantic import SecretStr

from console.exchange.accounts import DEMO_API_KEY, DEMO_API_SECRET
from console.gemini.auth import NonceSource
from console.gemini.credentials import Credentials
from console.gemini.order_events import OrderEventsClient
from console.gemini.rest import GeminiRestClient
from console.orders.ticket import ClientOrderIds
from console.session import ConnectionState, TradingSession
from console.config import DeskConfig, load_config
from console.settings import Environment, Settings
from console.tui.app import TradingConsoleApp

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
                        desk=desk)
    nonce = NonceSource()
    session = TradingSession(
        GeminiRestClient(rest_url, credentials, nonce=nonce),
        OrderEventsClient(ws_url, credentials, nonce=nonce),
        api_key=api_key,
        symbols=settings.symbols,
        clock_ms=clock,
        client_order_ids=ClientOrderIds("snapshot"),
    )
    return TradingConsoleApp(settings, session, clock_ms=clock)


async def wait_for(pilot, predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    """Let the app run until ``predicate()`` holds; fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def wait_until_ready(pilot) -> None:
    """Wait until the stream is live and the ticket knows its symbols' rules."""
    app = pilot.app
    await wait_for(pilot, lambda: app.session.connection is ConnectionState.LIVE and bool(app.session.rules),
                   what="the order events stream to go live")
    await pilot.pause()
