""""Never placed" stays true with time-based nonces: a request delivered 20 s late on a time-based key.

A key created with "Uses a time based nonce" signs with Unix seconds accepted within ±30 s of Gemini's clock
(https://docs.gemini.com/authentication/api-key), so a copy of ``/v1/order/new`` held up in the network can still be
placed after ``/v1/order/status`` found no order with its client order id (with counter nonces the status call's
greater nonce makes the late copy invalid). The session keeps such an order UNKNOWN until the venue's
``replay_window_ms`` has passed; and if the venue ever reports an order under a client order id already declared
not received, the blotter shows the venue's order and the status pane says what happened.

Time is the test's: the exchange and the session share a settable clock, the request is held by the exchange's
``hang`` fault and released after the clock moved 20 s (no real 20 s wait).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import httpx
from pydantic import SecretStr

from console.domain.model import OrderState, OrderType, Side
from console.domain.ticket import ClientOrderIds, TicketInput
from console.exchange.faults import FaultKind
from console.exchange.keys import DEMO_WS_API_KEY, DEMO_WS_API_SECRET
from console.exchange.server.app import ExchangeServer
from console.trading.session import NOT_RECEIVED, ConnectionState, StatusEntry, TradingSession
from console.venues.gemini.auth import TimeNonceSource
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.order_events import OrderEventsClient
from console.venues.gemini.rest import GeminiRestClient
from console.venues.gemini.venue import GeminiVenue
from tests.integration.conftest import WAIT_S

CREDENTIALS = Credentials(DEMO_WS_API_KEY, SecretStr(DEMO_WS_API_SECRET))


async def wait_until(predicate: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


@contextlib.asynccontextmanager
async def rest_session(exchange: ExchangeServer, clock: list[int], replay_window_ms: int
                       ) -> AsyncIterator[tuple[TradingSession, list[StatusEntry]]]:
    """A REST session (``/v1/order/new`` + ``/v1/order/events``) on the time-based demo key, on the test's clock."""
    nonce = TimeNonceSource(lambda: clock[0])
    venue = GeminiVenue(
        GeminiRestClient(exchange.rest_url, CREDENTIALS, nonce=nonce, timeout=httpx.Timeout(0.3, connect=5.0)),
        OrderEventsClient(exchange.ws_url, CREDENTIALS, nonce=nonce, open_timeout=2.0),
        api_key=DEMO_WS_API_KEY, clock_ms=lambda: clock[0], replay_window_ms=replay_window_ms,
    )
    session = TradingSession(venue, symbols=("btcusd",), clock_ms=lambda: clock[0],
                             client_order_ids=ClientOrderIds("late"), stale_after_s=2.0, reconnect_initial_s=0.02,
                             reconnect_cap_s=0.2, retry_initial_s=0.02, retry_cap_s=0.05, seed=1)
    statuses: list[StatusEntry] = []
    session.listener.status = statuses.append
    await session.load_symbols()
    task = asyncio.get_running_loop().create_task(session.run_order_events())
    try:
        await wait_until(lambda: session.connection is ConnectionState.LIVE, "the stream to be live")
        yield session, statuses
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        await session.close()


def ticket() -> TicketInput:
    return TicketInput(symbol="btcusd", side=Side.BUY, order_type=OrderType.LIMIT, price="1000.00", amount="0.01")


def placements(exchange: ExchangeServer, cid: str) -> int:
    return len(exchange.engine._by_client_id.get((exchange.demo_account_id, cid), []))


async def test_an_order_sent_on_a_time_based_key_stays_unknown_through_the_nonce_window(
        exchange: ExchangeServer, clock: list[int]) -> None:
    async with rest_session(exchange, clock, replay_window_ms=30_000) as (session, statuses):
        exchange.faults.arm(FaultKind.HANG, path="/v1/order/new", delay_s=60)
        prepared = session.prepare(ticket())
        cid = prepared.client_order_id
        order = await session.submit(prepared)
        assert order is not None and order.state is OrderState.UNKNOWN
        # The exchange has no such order: the status pane says why it is not declared "never placed" yet.
        await wait_until(lambda: any(s.code == "Unknown" and "delayed copy" in s.text for s in statuses),
                         "the nonce-window note")
        await asyncio.sleep(0.1)  # several status calls come back empty meanwhile (no verdict is drawn from them)
        assert session.blotter.by_client_order_id(cid).state is OrderState.UNKNOWN  # type: ignore[union-attr]
        # 20 s later (on the shared clock) the network delivers the request: within ±30 s, so it is placed.
        clock[0] += 20_000
        exchange.faults.clear(FaultKind.HANG)
        await wait_until(lambda: (o := session.blotter.by_client_order_id(cid)) is not None
                         and o.state is OrderState.LIVE, "the late order live in the blotter")
        assert placements(exchange, cid) == 1
        assert not any(s.code == NOT_RECEIVED for s in statuses)


async def test_past_the_window_the_order_is_declared_not_received(exchange: ExchangeServer,
                                                                  clock: list[int]) -> None:
    async with rest_session(exchange, clock, replay_window_ms=30_000) as (session, statuses):
        exchange.faults.arm(FaultKind.DROP_REQUEST, path="/v1/order/new")
        prepared = session.prepare(ticket())
        await session.submit(prepared)
        await wait_until(lambda: any(s.code == "Unknown" and "delayed copy" in s.text for s in statuses),
                         "the nonce-window note")
        clock[0] += 31_000
        await wait_until(lambda: any(s.code == NOT_RECEIVED for s in statuses), "the not-received verdict")
        entry = next(s for s in statuses if s.code == NOT_RECEIVED)
        assert "30 s in which a delayed copy could still be accepted have passed" in entry.text
        assert session.blotter.by_client_order_id(prepared.client_order_id).state is OrderState.REJECTED  # type: ignore[union-attr]


async def test_an_order_reported_after_it_was_declared_not_received_shows_live(exchange: ExchangeServer,
                                                                               clock: list[int]) -> None:
    # A console that believes its key has counter nonces (no replay window) declares the verdict at once.
    async with rest_session(exchange, clock, replay_window_ms=0) as (session, statuses):
        exchange.faults.arm(FaultKind.HANG, path="/v1/order/new", delay_s=60)
        prepared = session.prepare(ticket())
        cid = prepared.client_order_id
        await session.submit(prepared)
        await wait_until(lambda: any(s.code == NOT_RECEIVED for s in statuses), "the not-received verdict")
        clock[0] += 20_000
        exchange.faults.clear(FaultKind.HANG)
        await wait_until(lambda: (o := session.blotter.by_client_order_id(cid)) is not None
                         and o.state is OrderState.LIVE, "the late order live in the blotter")
        placed_late = next(s for s in statuses if s.code == "PlacedLate")
        assert cid in placed_late.subject and "declared not received" in placed_late.text
        assert [o.client_order_id for o in session.blotter.open_orders()] == [cid]
        assert placements(exchange, cid) == 1
