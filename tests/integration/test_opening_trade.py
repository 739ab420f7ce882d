"""A fresh local market has a last price: each symbol's opening trade at its seeded mid, over real sockets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from websockets.asyncio.client import connect

from console.exchange.engine import MatchingEngine
from console.exchange.keys import DEMO_API_KEY, DEMO_API_SECRET, DEMO_BALANCES
from console.exchange.server.app import ExchangeServer
from console.exchange.symbols import DEFAULT_SYMBOLS
from tests.integration.conftest import WAIT_S, PrivateClient, Signer


@pytest.fixture
async def fresh() -> AsyncIterator[ExchangeServer]:
    """The exchange as `trading-console exchange --no-simulator` starts it: nothing has traded yet."""
    server = ExchangeServer(port=0, simulator=False)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def test_every_symbol_has_a_last_price_from_the_start(fresh: ExchangeServer) -> None:
    async with httpx.AsyncClient(base_url=fresh.rest_url, timeout=WAIT_S) as http:
        symbols = (await http.get("/v1/symbols")).json()
        assert set(symbols) == set(DEFAULT_SYMBOLS)
        for symbol in symbols:
            mid = format(DEFAULT_SYMBOLS[symbol].initial_price, "f")
            ticker = (await http.get(f"/v1/pubticker/{symbol}")).json()
            assert ticker["last"] == mid, symbol  # a decimal string, never null
            assert Decimal(ticker["volume"][DEFAULT_SYMBOLS[symbol].base_currency]) > 0
            assert (await http.get(f"/v2/ticker/{symbol}")).json()["close"] == mid
            [trade] = (await http.get(f"/v1/trades/{symbol}")).json()
            assert (trade["price"], trade["amount"]) == (mid, format(DEFAULT_SYMBOLS[symbol].min_order_size, "f"))

    async with connect(f"{fresh.ws_url}/v2/marketdata") as ws:
        await ws.send(json.dumps({"type": "subscribe", "subscriptions": [{"name": "l2", "symbols": ["BTCUSD"]}]}))
        while (snapshot := json.loads(await asyncio.wait_for(ws.recv(), WAIT_S)))["type"] != "l2_updates":
            pass
        assert [(t["price"], t["side"]) for t in snapshot["trades"]] == [("64250.00", "buy")]


async def test_the_opening_trade_belongs_to_no_account(fresh: ExchangeServer) -> None:
    async with httpx.AsyncClient(base_url=fresh.rest_url, timeout=WAIT_S) as http:
        trader = PrivateClient(http, Signer(DEMO_API_KEY, DEMO_API_SECRET))
        assert await trader.ok("/v1/mytrades", timestamp=0, limit_trades=500) == []
        assert await trader.ok("/v1/tradevolume") == []
        assert (await trader.ok("/v1/notionalvolume"))["notional_30d_volume"] == 0
        balances = {b["currency"]: Decimal(b["amount"]) for b in await trader.ok("/v1/balances")}
        assert balances == {currency: Decimal(amount) for currency, amount in DEMO_BALANCES.items()}
    assert fresh.engine.fees_collected() == {}


def test_opening_trades_keep_order_ids_and_open_once() -> None:
    engine = MatchingEngine(clock_ms=lambda: 1_700_000_000_000)
    made = engine.open_markets()
    assert len(made) == len(DEFAULT_SYMBOLS) and all(t["tid"] < 73_000_000_000 for t in made)
    assert engine.open_markets() == []  # every market has traded: nothing more
    account = engine.add_account("a", {"USD": "100000"})
    order = engine.place_order(account, "k", symbol="btcusd", side="buy", order_type="exchange limit",
                               amount="0.01", price="64000.00")
    assert order["order_id"] == "73000000000"  # the first order id did not move
    small = MatchingEngine(first_order_id=1, clock_ms=lambda: 1_700_000_000_000)
    assert all(t["tid"] >= 1 for t in small.open_markets())
