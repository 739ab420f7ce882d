"""The watchlist's quotes of several symbols over one market data socket of the local exchange (real loopback)."""

from __future__ import annotations

import asyncio
import random
from decimal import Decimal

import httpx
import pytest

from console.domain.feed import FeedState
from console.exchange.server.app import ExchangeServer
from console.trading.watchlist import Watchlist
from console.venues.gemini.market_data import MarketDataClient
from tests.integration.conftest import MAKER_BALANCES, WAIT_S

D = Decimal
#: (symbol, bid, ask) each symbol's resting book starts with.
BOOKS = [("btcusd", "64000.00", "64010.00"), ("ethusd", "3150.00", "3151.00"), ("solusd", "142.500", "142.600")]


@pytest.fixture
async def exchange(clock):
    """A local exchange without the simulator (books hold still) whose heartbeats come every 50 ms."""
    server = ExchangeServer(port=0, simulator=False, clock_ms=lambda: clock[0], marketdata_heartbeat_interval_s=0.05)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def rest_both_sides(exchange: ExchangeServer) -> tuple[int, int]:
    """Rest one bid and one ask on every symbol of :data:`BOOKS`; return the two accounts."""
    engine = exchange.engine
    maker = engine.add_account("maker", MAKER_BALANCES)
    taker = engine.add_account("taker", MAKER_BALANCES)
    for symbol, bid, ask in BOOKS:
        for side, price in (("buy", bid), ("sell", ask)):
            engine.place_order(maker, "maker-key", symbol=symbol, side=side, order_type="exchange limit",
                               amount="1", price=price)
    return maker, taker


async def until(predicate, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not predicate():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


async def rest_top(exchange: ExchangeServer, symbol: str) -> tuple[Decimal, Decimal]:
    async with httpx.AsyncClient(base_url=exchange.rest_url, timeout=WAIT_S) as http:
        body = (await http.get(f"/v1/book/{symbol}", params={"limit_bids": 1, "limit_asks": 1})).json()
    return D(body["bids"][0]["price"]), D(body["asks"][0]["price"])


async def test_several_symbols_quotes_arrive_over_one_socket_and_follow_trades_and_a_stall(exchange, clock):
    maker, taker = rest_both_sides(exchange)
    client = MarketDataClient(exchange.ws_url, stall_timeout_s=1.0, backoff_initial_s=0.01, rng=random.Random(1))
    watchlist = Watchlist(client, [symbol for symbol, _, _ in BOOKS])
    changed: list[str] = []
    seen: list[tuple[str, FeedState]] = []  # every (symbol, state) a change left its row in

    def record(symbol: str) -> None:
        changed.append(symbol)
        seen.append((symbol, watchlist.quotes[symbol].state))

    watchlist.changed = record
    task = asyncio.create_task(watchlist.run())
    try:
        await until(lambda: all(row.live for row in watchlist.rows(clock[0])), "every row to go live")
        assert exchange.marketdata.subscriber_count == 1  # one socket, one subscription naming every symbol
        for row in watchlist.rows(clock[0]):
            assert (row.bid, row.ask) == await rest_top(exchange, row.symbol)
            assert row.spread == row.ask - row.bid
            # The exchange seeds one trade per symbol: the first trade of the day seen, so no change yet.
            assert row.last is not None and row.change == 0
        opening = {row.symbol: row.last for row in watchlist.rows(clock[0])}
        assert set(changed) == {symbol for symbol, _, _ in BOOKS}

        # Two trades on ethusd: last and change follow the newest, against the day's first trade seen.
        engine = exchange.engine
        engine.place_order(taker, "taker-key", symbol="ethusd", side="buy", order_type="exchange limit",
                           amount="0.5", price="3151.00", options=["immediate-or-cancel"])
        engine.place_order(maker, "maker-key", symbol="ethusd", side="sell", order_type="exchange limit",
                           amount="1", price="3157.30")
        engine.place_order(taker, "taker-key", symbol="ethusd", side="buy", order_type="exchange limit",
                           amount="1", price="3157.30", options=["immediate-or-cancel"])
        await until(lambda: watchlist.quotes["ethusd"].last == D("3157.30"), "the second ethusd trade")
        eth = watchlist.rows(clock[0])[1]
        reference = opening["ethusd"]
        assert reference is not None
        assert eth.change == D("3157.30") - reference and eth.change_pct == eth.change / reference * 100
        assert eth.change != 0
        assert (eth.bid, eth.ask) == await rest_top(exchange, "ethusd") == (D("3150.00"), D("3157.30"))
        assert eth.spread == D("7.30")
        btc = watchlist.rows(clock[0])[0]
        assert btc.last == opening["btcusd"] and btc.change == 0 and btc.live  # ethusd's trades are not btcusd's

        # The socket goes silent: every row is stale (numbers kept), then live again from fresh snapshots.
        resyncs = client.resyncs  # 0, unless a loaded machine starved the heartbeats past the stall timeout
        seen.clear()
        assert exchange.marketdata.fault_stall_all() == 1
        await until(lambda: client.resyncs > resyncs, "the resync")
        assert {(symbol, FeedState.STALE) for symbol, _, _ in BOOKS} <= set(seen)
        assert watchlist.quotes["ethusd"].last == D("3157.30")  # the numbers stay while not live
        await until(lambda: all(row.live for row in watchlist.rows(clock[0])), "live rows again")
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    # Stopped: nothing shown is live any more, and the socket is closed.
    assert not any(row.live for row in watchlist.rows(clock[0]))
    await until(lambda: exchange.marketdata.subscriber_count == 0, "the socket to close")
