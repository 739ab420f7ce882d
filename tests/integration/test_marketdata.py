"""Market data WebSocket v2 of the local exchange, and our client's resync, over real loopback sockets."""

from __future__ import annotations

import asyncio
import json
import random
from decimal import Decimal
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from console.domain.book import OrderBook
from console.domain.feed import FeedListener, FeedState
from console.exchange.engine import ExchangeError
from console.exchange.server.app import ExchangeServer
from console.venues.gemini.market_data import MarketDataClient
from tests.integration.conftest import MAKER_BALANCES, WAIT_S

D = Decimal
SENTINEL = '{"type":"sentinel"}'


class Flow:
    """Seeded random limit orders from two accounts around 64000, so levels appear, change, cross and vanish."""

    def __init__(self, exchange: ExchangeServer, seed: int) -> None:
        self.engine = exchange.engine
        self.rng = random.Random(seed)
        self.accounts = [self.engine.add_account(f"flow{i}", MAKER_BALANCES) for i in range(2)]

    def step(self, n: int) -> None:
        for _ in range(n):
            account = self.rng.choice(self.accounts)
            side = self.rng.choice(["buy", "sell"])
            price = D("64000.00") + D(self.rng.randint(-30, 30)) / 10
            try:
                self.engine.place_order(account, f"flow-key-{account}", symbol="btcusd", side=side,
                                        order_type="exchange limit", amount=str(D(self.rng.randint(1, 30)) / 100),
                                        price=str(price))
            except ExchangeError:
                pass  # e.g. SelfCrossPrevented is a cancel, not an error; others are fine to skip here
            if self.rng.random() < 0.2:
                orders = self.engine.active_orders(account)
                if orders:
                    self.engine.cancel_order(account, self.rng.choice(orders)["order_id"], f"flow-key-{account}")


async def open_md(exchange: ExchangeServer) -> ClientConnection:
    return await asyncio.wait_for(connect(f"{exchange.ws_url}/v2/marketdata"), WAIT_S)


async def receive(ws: ClientConnection) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), WAIT_S))


async def subscribe(ws: ClientConnection, *symbols: str, kind: str = "subscribe") -> None:
    await ws.send(json.dumps({"type": kind, "subscriptions": [{"name": "l2", "symbols": list(symbols)}]}))


async def rest_book(http: httpx.AsyncClient, symbol: str = "btcusd") -> dict[str, list[tuple[Decimal, Decimal]]]:
    body = (await http.get(f"/v1/book/{symbol}", params={"limit_bids": 0, "limit_asks": 0})).json()
    return {side: [(D(lvl["price"]), D(lvl["amount"])) for lvl in body[side]] for side in ("bids", "asks")}


def apply(book: dict[str, dict[Decimal, Decimal]], changes: list[list[str]]) -> None:
    for side, price, amount in changes:
        levels = book["bids" if side == "buy" else "asks"]
        if D(amount):
            levels[D(price)] = D(amount)
        else:
            levels.pop(D(price), None)


def as_rest(book: dict[str, dict[Decimal, Decimal]]) -> dict[str, list[tuple[Decimal, Decimal]]]:
    return {"bids": sorted(book["bids"].items(), reverse=True), "asks": sorted(book["asks"].items())}


async def test_snapshot_and_deltas_rebuild_rest_book_and_trades(exchange, http):
    flow = Flow(exchange, seed=3)
    flow.step(40)  # a book (and some trades) before subscribing
    ws = await open_md(exchange)
    await subscribe(ws, "BTCUSD")
    first = await receive(ws)
    assert first["type"] == "l2_updates" and first["symbol"] == "BTCUSD" and first["auction_events"] == []
    book: dict[str, dict[Decimal, Decimal]] = {"bids": {}, "asks": {}}
    apply(book, first["changes"])
    assert as_rest(book) == await rest_book(http)
    rest_trades = (await http.get("/v1/trades/btcusd", params={"limit_trades": 50})).json()
    assert [t["tid"] for t in first["trades"]] == [t["tid"] for t in rest_trades]
    assert len(rest_trades) > 0

    before = {t["tid"] for t in rest_trades}
    flow.step(300)
    exchange.marketdata.fault_send_raw(SENTINEL)  # queued after every delta of the orders above
    trade_ids: list[int] = []
    while (msg := await receive(ws)) != json.loads(SENTINEL):
        if msg["type"] == "l2_updates":
            assert "trades" not in msg and msg["symbol"] == "BTCUSD"
            apply(book, msg["changes"])
            bids, asks = as_rest(book)["bids"], as_rest(book)["asks"]
            assert not bids or not asks or bids[0][0] < asks[0][0], "a delta left the book crossed"
        elif msg["type"] == "trade":
            assert msg["side"] in ("buy", "sell") and D(msg["quantity"]) > 0
            trade_ids.append(msg["tid"])
    assert as_rest(book) == await rest_book(http)
    rest_trades = (await http.get("/v1/trades/btcusd", params={"limit_trades": 500})).json()
    assert trade_ids == sorted(t["tid"] for t in rest_trades if t["tid"] not in before)
    assert trade_ids, "the random flow should have traded"
    await ws.close()


async def test_unsubscribe_stops_deltas_and_other_symbols_are_not_sent(exchange):
    flow = Flow(exchange, seed=4)
    ws = await open_md(exchange)
    assert not exchange.marketdata.listening  # nobody subscribed: the engine does no market data work
    await subscribe(ws, "ETHUSD")
    assert (await receive(ws))["symbol"] == "ETHUSD"
    assert exchange.marketdata.listening
    flow.step(20)  # btcusd only
    await subscribe(ws, "ETHUSD", kind="unsubscribe")
    await subscribe(ws, "BTCUSD")
    snapshot = await receive(ws)
    assert snapshot["symbol"] == "BTCUSD" and "trades" in snapshot
    await subscribe(ws, "BTCUSD", kind="unsubscribe")
    await ws.send("{barrier")  # answered after the unsubscribe was applied (one socket's messages run in order)
    assert (await receive(ws))["type"] == "error"
    flow.step(20)
    exchange.marketdata.fault_send_raw(SENTINEL)
    assert await receive(ws) == json.loads(SENTINEL)  # nothing for BTCUSD after the unsubscribe
    assert not exchange.marketdata.listening
    await ws.close()


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("{not json", "InvalidJson"),
        ('{"type":"subscribe"}', "InvalidJson"),
        ('{"type":"dance","subscriptions":[{"name":"l2","symbols":["BTCUSD"]}]}', "InvalidJson"),
        ('{"type":"subscribe","subscriptions":[{"name":"l3","symbols":["BTCUSD"]}]}', "InvalidJson"),
        ('{"type":"subscribe","subscriptions":[{"name":"l2","symbols":"BTCUSD"}]}', "InvalidJson"),
        ('{"type":"subscribe","subscriptions":[{"name":"l2","symbols":["BTCUSD","NOPE"]}]}', "InvalidSymbol"),
        ("[1,2,3]", "InvalidJson"),
    ],
)
async def test_bad_client_messages_get_an_error_and_change_nothing(exchange, message, reason):
    ws = await open_md(exchange)
    await ws.send(message)
    error = await receive(ws)
    assert error["type"] == "error" and error["reason"] == reason and error["message"]
    exchange.marketdata.fault_send_raw(SENTINEL)
    assert await receive(ws) == json.loads(SENTINEL)  # no snapshot: the bad message subscribed nothing
    await subscribe(ws, "BTCUSD")  # and the socket still works
    assert (await receive(ws))["type"] == "l2_updates"
    await ws.close()


async def test_v2_ticker_and_pubticker_agree_with_the_book(exchange, http):
    Flow(exchange, seed=5).step(80)
    book = await rest_book(http)
    ticker = (await http.get("/v2/ticker/btcusd")).json()
    pub = (await http.get("/v1/pubticker/btcusd")).json()
    trades = (await http.get("/v1/trades/btcusd", params={"limit_trades": 500})).json()
    assert ticker["symbol"] == "BTCUSD" and len(ticker["changes"]) == 24
    assert D(ticker["bid"]) == D(pub["bid"]) == book["bids"][0][0]
    assert D(ticker["ask"]) == D(pub["ask"]) == book["asks"][0][0]
    assert D(ticker["close"]) == D(pub["last"]) == D(trades[0]["price"])
    prices = [D(t["price"]) for t in trades]
    assert (D(ticker["high"]), D(ticker["low"]), D(ticker["open"])) == (max(prices), min(prices), prices[-1])
    assert (await http.get("/v2/ticker/nope")).json()["reason"] == "InvalidSymbol"


# -- our client ---------------------------------------------------------------------------------------------------


@pytest.fixture
async def md_exchange(clock):
    """A local exchange whose market data heartbeats come every 50 ms, so a 0.3 s silence means a stall."""
    server = ExchangeServer(port=0, simulator=False, clock_ms=lambda: clock[0], marketdata_heartbeat_interval_s=0.05)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def md_http(md_exchange):
    async with httpx.AsyncClient(base_url=md_exchange.rest_url, timeout=WAIT_S) as client:
        yield client


class Recorder:
    def __init__(self) -> None:
        self.states: list[tuple[FeedState, str]] = []
        self.listener = FeedListener(state_changed=lambda s, d: self.states.append((s, d)))

    @property
    def state(self) -> FeedState | None:
        return self.states[-1][0] if self.states else None


async def until(predicate, what: str, timeout: float = WAIT_S) -> None:
    """Bounded polling: yield to the loop until ``predicate()`` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


def levels(book: OrderBook) -> dict[str, list[tuple[Decimal, Decimal]]]:
    return {"bids": [(lvl.price, lvl.amount) for lvl in book.bids()],
            "asks": [(lvl.price, lvl.amount) for lvl in book.asks()]}


async def run_client(exchange: ExchangeServer, *, stall_timeout_s: float = 5.0):
    book = OrderBook("btcusd")
    recorder = Recorder()
    client = MarketDataClient(exchange.ws_url, stall_timeout_s=stall_timeout_s, backoff_initial_s=0.01,
                              rng=random.Random(1))
    task = asyncio.create_task(client.run("btcusd", book, recorder.listener))
    await until(lambda: recorder.state is FeedState.LIVE, "the book to go live")
    return client, book, recorder, task


async def settled_equal(http, book: OrderBook, recorder: Recorder) -> None:
    """Wait until the live client book equals REST's full book (it must, once the deltas are in)."""
    target: dict = {}

    async def refresh() -> None:
        target.update(await rest_book(http))

    await refresh()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not (recorder.state is FeedState.LIVE and levels(book) == target):
        assert loop.time() < deadline, f"client book never matched REST: {levels(book)} vs {target}"
        await asyncio.sleep(0.02)
        await refresh()


async def stop(task: asyncio.Task) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_client_keeps_the_book_equal_to_rest(md_exchange, md_http):
    exchange, http = md_exchange, md_http
    flow = Flow(exchange, seed=6)
    flow.step(30)
    client, book, recorder, task = await run_client(exchange)
    for _ in range(5):
        flow.step(40)
        await settled_equal(http, book, recorder)
    assert client.resyncs == 0 and book.trades and not book.crossed
    await stop(task)


@pytest.mark.parametrize("fault", ["close", "bad_frame", "crossing_delta", "stall"])
async def test_client_resyncs_after_a_fault_and_matches_rest(md_exchange, md_http, fault):
    exchange, http = md_exchange, md_http
    flow = Flow(exchange, seed=7)
    flow.step(30)
    stall_s = 0.3 if fault == "stall" else 5.0  # heartbeats keep a quiet stream alive; a stalled one is silent
    client, book, recorder, task = await run_client(exchange, stall_timeout_s=stall_s)
    hub = exchange.marketdata
    if fault == "close":
        assert hub.fault_close_all() == 1
    elif fault == "bad_frame":
        assert hub.fault_send_raw('{"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","abc","1"]]}') == 1
    elif fault == "crossing_delta":
        ask = book.best_ask
        assert ask is not None
        hub.fault_send_raw(json.dumps({"type": "l2_updates", "symbol": "BTCUSD",
                                       "changes": [["buy", format(ask, "f"), "1"]]}))
    else:
        assert hub.fault_stall_all() == 1
    flow.step(40)  # the market moves while the client is down or its socket is silent
    await until(lambda: client.resyncs == 1, "the client to resync")
    expected = FeedState.STALE if fault == "stall" else FeedState.RESYNCING
    assert expected in [s for s, _ in recorder.states[-3:]], recorder.states
    await until(lambda: recorder.state is FeedState.LIVE, "the book to go live again")
    await settled_equal(http, book, recorder)
    assert client.resyncs == 1, client.last_resync_reason
    await stop(task)
