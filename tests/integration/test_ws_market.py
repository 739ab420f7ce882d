"""``GeminiWsMarketFeed``: the ladder's book and the trades over the new WebSocket API, against the local exchange's
``/ws`` over real loopback sockets (https://docs.gemini.com/websocket/introduction, "Streams").

The same state machine as the market data v2 client: LIVE only from a snapshot and every diff since; RESYNCING and
a fresh snapshot after a dropped socket; STALE when the link stops answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr

from console.domain.book import OrderBook, Trade
from console.domain.feed import FeedListener, FeedState
from console.domain.model import Side
from console.exchange.faults import FaultKind
from console.exchange.keys import DEMO_API_KEY, DEMO_API_SECRET
from console.exchange.server.app import ExchangeServer
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.rest import GeminiRestClient
from console.venues.gemini.ws_market import GeminiWsMarketFeed
from tests.integration.conftest import WAIT_S, PrivateClient


class Recorder:
    """The feed's listener: every state and trade, and how many book changes."""

    def __init__(self) -> None:
        self.states: list[tuple[FeedState, str]] = []
        self.trades: list[Trade] = []
        self.changes = 0
        self.listener = FeedListener(book_changed=self._changed, trades_added=self.trades.extend,
                                     state_changed=lambda state, detail: self.states.append((state, detail)))

    def _changed(self, book: OrderBook) -> None:
        self.changes += 1

    @property
    def state(self) -> FeedState | None:
        return self.states[-1][0] if self.states else None


async def wait_until(predicate: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


def levels(book: OrderBook, side: Side) -> list[tuple[Decimal, Decimal]]:
    return [(lvl.price, lvl.amount) for lvl in (book.bids() if side is Side.BUY else book.asks())]


def engine_levels(exchange: ExchangeServer, side: Side) -> list[tuple[Decimal, Decimal]]:
    book = exchange.engine.book("btcusd", 0, 0)
    return [(Decimal(lvl["price"]), Decimal(lvl["amount"])) for lvl in book["bids" if side is Side.BUY else "asks"]]


def matches(book: OrderBook, exchange: ExchangeServer) -> bool:
    return all(levels(book, side) == engine_levels(exchange, side) for side in (Side.BUY, Side.SELL))


@pytest.fixture
async def running(exchange: ExchangeServer) -> AsyncIterator[tuple[GeminiWsMarketFeed, OrderBook, Recorder]]:
    rest = GeminiRestClient(exchange.rest_url, Credentials(DEMO_API_KEY, SecretStr(DEMO_API_SECRET)),
                            timeout=httpx.Timeout(WAIT_S, connect=5.0))
    feed = GeminiWsMarketFeed(exchange.ws_api_url, rest, stall_timeout_s=0.6, backoff_initial_s=0.01,
                              backoff_cap_s=0.05, rng=random.Random(1))
    book, recorder = OrderBook("btcusd"), Recorder()
    task = asyncio.get_running_loop().create_task(feed.run("btcusd", book, recorder.listener))
    try:
        yield feed, book, recorder
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await rest.close()


async def test_snapshot_diffs_and_trades_keep_the_book_right(
        running: tuple[GeminiWsMarketFeed, OrderBook, Recorder], exchange: ExchangeServer,
        maker: PrivateClient, trader: PrivateClient) -> None:
    feed, book, recorder = running
    await wait_until(lambda: recorder.state is FeedState.LIVE, "the snapshot")
    assert recorder.states[0][0] is FeedState.CONNECTING
    assert matches(book, exchange)  # the exchange's book as it stands (these tests' exchange starts empty)
    # New levels arrive as diffs.
    await maker.ok("/v1/order/new", symbol="btcusd", amount="0.3", price="1000.00", side="sell",
                   type="exchange limit")
    await maker.ok("/v1/order/new", symbol="btcusd", amount="0.2", price="990.00", side="buy",
                   type="exchange limit")
    await wait_until(lambda: levels(book, Side.SELL) == [(Decimal("1000.00"), Decimal("0.3"))]
                     and levels(book, Side.BUY) == [(Decimal("990.00"), Decimal("0.2"))], "the new levels")
    # Another account buys at the ask: a trade (taker side buy), and the level shrinks.
    await trader.ok("/v1/order/new", symbol="btcusd", amount="0.1", price="1000.00", side="buy",
                    type="exchange limit")
    await wait_until(lambda: bool(recorder.trades), "the trade")
    trade = recorder.trades[-1]
    assert (trade.price, trade.amount, trade.taker_side) == (Decimal("1000.00"), Decimal("0.1"), Side.BUY)
    assert book.last == Decimal("1000.00")
    await wait_until(lambda: levels(book, Side.SELL) == [(Decimal("1000.00"), Decimal("0.2"))], "the level after")
    assert matches(book, exchange)
    assert feed.resyncs == 0 and [s for s, _ in recorder.states] == [FeedState.CONNECTING, FeedState.LIVE]


async def test_a_dropped_socket_resyncs_from_a_fresh_snapshot(
        running: tuple[GeminiWsMarketFeed, OrderBook, Recorder], exchange: ExchangeServer,
        maker: PrivateClient) -> None:
    feed, book, recorder = running
    await wait_until(lambda: recorder.state is FeedState.LIVE, "the snapshot")
    first = feed.api
    assert first is not None
    first.abort()
    # A change made while the feed is away must be in the next snapshot.
    await maker.ok("/v1/order/new", symbol="btcusd", amount="0.2", price="1100.00", side="sell",
                   type="exchange limit")
    await wait_until(lambda: feed.resyncs == 1 and recorder.state is FeedState.LIVE and feed.api is not first,
                     "the resync")
    assert FeedState.RESYNCING in [s for s, _ in recorder.states]
    assert feed.last_resync_reason == "stream closed by the venue"
    await wait_until(lambda: matches(book, exchange), "the book after the resync")


async def test_a_link_that_stops_answering_makes_the_book_stale(
        running: tuple[GeminiWsMarketFeed, OrderBook, Recorder], exchange: ExchangeServer) -> None:
    feed, _, recorder = running
    await wait_until(lambda: recorder.state is FeedState.LIVE, "the snapshot")
    exchange.faults.arm(FaultKind.DROP_RESPONSE, path="/ws:ping", count=None)  # the quiet book's ping is lost
    await wait_until(lambda: FeedState.STALE in [s for s, _ in recorder.states], "the book to go stale")
    stale = next(detail for state, detail in recorder.states if state is FeedState.STALE)
    assert stale == "stream stalled 0.6 s"
    exchange.faults.clear()
    await wait_until(lambda: recorder.states[-1][0] is FeedState.LIVE and feed.resyncs >= 1, "live again")
