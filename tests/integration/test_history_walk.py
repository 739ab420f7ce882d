"""The documented history recipe over loopback: `timestamp` is a lower bound, walks see each order/trade once and
never loop, whatever the venue answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from pydantic import SecretStr

from console.exchange.keys import DEMO_API_KEY, DEMO_API_SECRET
from console.exchange.server.app import ExchangeServer
from console.trading.account import AccountService
from console.venues.gemini.account_venue import GeminiAccountVenue
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.rest import GeminiRestClient
from tests.integration.conftest import PrivateClient

FIXTURES = Path(__file__).parent.parent / "fixtures" / "gemini"
TOTAL = 1_200
PAGE = 500


@pytest.fixture
async def rest(exchange: ExchangeServer) -> AsyncIterator[GeminiRestClient]:
    creds = Credentials(api_key=DEMO_API_KEY, api_secret=SecretStr(DEMO_API_SECRET))
    async with GeminiRestClient(exchange.rest_url, creds) as client:
        yield client


def _same_ms_clusters(start: int) -> list[int]:
    """Submit times (ms) of TOTAL orders: one ms apart, except eleven orders sharing one ms around each page boundary
    (indices 495..505 and 995..1005), so a page ends in the middle of a millisecond."""
    times = []
    for i in range(TOTAL):
        if 495 <= i <= 505:
            i = 495
        elif 995 <= i <= 1005:
            i = 995
        times.append(start + i)
    return times


def _trade_1200(exchange: ExchangeServer, clock: list[int]) -> list[str]:
    """TOTAL filled demo orders (each one trade against the maker account); returns their ids, oldest first."""
    engine = exchange.engine
    maker = next(k.account_id for k in exchange.keystore if k.account_id != exchange.demo_account_id
                 and not k.is_master)
    ids = []
    for ms in _same_ms_clusters(clock[0]):
        clock[0] = ms
        engine.place_order(maker, "maker", symbol="btcusd", side="sell", order_type="exchange limit",
                           amount="0.001", price="60000.00")
        taken = engine.place_order(exchange.demo_account_id, DEMO_API_KEY, symbol="btcusd", side="buy",
                                   order_type="exchange limit", amount="0.001", price="60000.00",
                                   options=["immediate-or-cancel"])
        assert taken["executed_amount"] == "0.001", taken
        ids.append(taken["order_id"])
    clock[0] += 1_000
    return ids


async def test_timestamp_is_an_inclusive_lower_bound(exchange: ExchangeServer, trader: PrivateClient,
                                                     clock: list[int]) -> None:
    ids = _trade_1200(exchange, clock)
    first = await trader.ok("/v1/orders/history", timestamp=0, limit_orders=PAGE)
    # The documented first request answers the OLDEST 500 closed orders (newest first within the page), not [].
    assert [o["order_id"] for o in first] == ids[:PAGE][::-1]
    newest = first[0]["timestampms"]
    at_newest = await trader.ok("/v1/orders/history", timestamp=newest, limit_orders=3)
    assert all(o["timestampms"] >= newest for o in at_newest) and at_newest[-1]["timestampms"] == newest
    # Seconds work too (below 1e12), and without timestamp the newest page comes.
    in_seconds = await trader.ok("/v1/orders/history", timestamp=newest // 1000 + 10_000, limit_orders=5)
    assert in_seconds == []
    latest = await trader.ok("/v1/orders/history", limit_orders=3)
    assert [o["order_id"] for o in latest] == ids[-3:][::-1]


async def test_walkers_see_1200_orders_and_trades_once(exchange: ExchangeServer, rest: GeminiRestClient,
                                                        clock: list[int]) -> None:
    ids = _trade_1200(exchange, clock)
    requests: list[int] = []
    original = rest.orders_history

    async def counted(**kwargs):
        requests.append(kwargs["timestamp"])
        return await original(**kwargs)

    rest.orders_history = counted  # type: ignore[method-assign]
    walked = [o.order_id async for o in rest.iter_orders_history(page_size=PAGE)]
    assert walked == ids  # oldest first, each once, the same-millisecond orders at both page boundaries too
    assert requests[0] == 0 and len(requests) <= 5

    trades = [t async for t in rest.iter_my_trades(page_size=PAGE)]
    assert [t.order_id for t in trades] == ids and len({t.tid for t in trades}) == TOTAL

    records = await AccountService(GeminiAccountVenue(rest)).closed_orders()
    assert [r.order_id for r in records] == ids[::-1]  # the history screen's order: newest first
    fills = await AccountService(GeminiAccountVenue(rest)).all_fills()
    assert [f.order_id for f in fills] == ids[::-1]


# -- a venue that answers the same page forever ------------------------------------------------------------------


def _load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


class StuckVenue:
    """A loopback HTTP server answering every history request with the same full page (then [] after 100)."""

    PAGE_SIZE = 3

    def __init__(self) -> None:
        order, trade = _load("order_status_response.json"), _load("mytrade.json")
        self.orders = [{**order, "order_id": str(9 - i), "id": str(9 - i), "timestampms": order["timestampms"] - i,
                        "trades": []} for i in range(self.PAGE_SIZE)]
        self.trades = [{**trade, "tid": 9 - i, "timestampms": trade["timestampms"] - i}
                       for i in range(self.PAGE_SIZE)]
        self.requests: dict[str, int] = {"/v1/orders/history": 0, "/v1/mytrades": 0}
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _answer(self, request: web.Request) -> web.Response:
        self.requests[request.path] += 1
        if self.requests[request.path] > 100:  # a guard so a looping walker ends the test instead of hanging it
            return web.json_response([])
        return web.json_response(self.orders if request.path == "/v1/orders/history" else self.trades)

    async def __aenter__(self) -> StuckVenue:
        app = web.Application()
        app.router.add_post("/v1/orders/history", self._answer)
        app.router.add_post("/v1/mytrades", self._answer)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


@pytest.mark.parametrize("walker", ["iter_orders_history", "iter_my_trades", "closed_orders", "all_fills"])
async def test_each_walker_stops_on_a_page_with_nothing_new(walker: str) -> None:
    async with StuckVenue() as venue:
        creds = Credentials(api_key=DEMO_API_KEY, api_secret=SecretStr(DEMO_API_SECRET))
        async with GeminiRestClient(venue.url, creds) as rest:
            size = StuckVenue.PAGE_SIZE
            if walker == "iter_orders_history":
                seen = [o.order_id async for o in rest.iter_orders_history(page_size=size)]
            elif walker == "iter_my_trades":
                seen = [str(t.tid) async for t in rest.iter_my_trades(page_size=size)]
            else:
                rest_walks = {"closed_orders": "iter_orders_history", "all_fills": "iter_my_trades"}
                original = getattr(rest, rest_walks[walker])
                # The service walks with the default page (500); the stuck venue's page is full at 3.
                setattr(rest, rest_walks[walker], lambda **kw: original(page_size=size, **kw))
                service = AccountService(GeminiAccountVenue(rest))
                records = await getattr(service, walker)()
                seen = [getattr(r, "order_id" if walker == "closed_orders" else "trade_id") for r in records]
                seen = [str(s) for s in seen]
    assert sorted(seen) == ["7", "8", "9"]  # each once
    assert sum(venue.requests.values()) <= 3
