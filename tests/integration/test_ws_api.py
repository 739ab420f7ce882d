"""The local exchange's new WebSocket API (``/ws``) over real loopback sockets, driven by the typed client.

https://docs.gemini.com/websocket/introduction; the choices where the documentation is silent are
console/exchange/server/ws_api_wire.py WS_API_CHOICES (docs/local-exchange.md, "The new WebSocket API").
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import pytest
from pydantic import SecretStr
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from console.exchange.faults import FaultKind
from console.exchange.keys import DEMO_API_KEY, DEMO_API_SECRET, DEMO_WS_API_KEY, DEMO_WS_API_SECRET
from console.exchange.process import LocalExchangeProcess
from console.exchange.server.app import ExchangeServer
from console.exchange.server.ws_api_wire import RateLimit
from console.venues.gemini.auth import sign
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.models.ws_api import (
    BalanceUpdate,
    BookTicker,
    DepthSnapshot,
    DepthUpdate,
    OrderUpdate,
    PushedMessage,
    TradeMessage,
)
from console.venues.gemini.ws_api import (
    HandshakeRefused,
    WsApiClient,
    WsApiDisconnected,
    WsApiError,
    WsApiRequestTimeout,
    handshake_headers,
)
from tests.integration.conftest import WAIT_S, PrivateClient, Signer, encode

WS_CREDENTIALS = Credentials(DEMO_WS_API_KEY, SecretStr(DEMO_WS_API_SECRET))
M = TypeVar("M", bound=PushedMessage)


@pytest.fixture
async def open_api(exchange: ExchangeServer, clock: list[int]) -> AsyncIterator[Callable[..., Any]]:
    """Open clients on the exchange (the nonce from the test's server clock); all closed at the end."""
    opened: list[WsApiClient] = []

    async def open_client(credentials: Credentials | None = WS_CREDENTIALS, **kwargs: Any) -> WsApiClient:
        kwargs.setdefault("clock_s", lambda: clock[0] / 1000)
        client = WsApiClient(exchange.ws_api_url, credentials, request_timeout_s=WAIT_S, **kwargs)
        await client.connect()
        opened.append(client)
        return client

    yield open_client
    for client in opened:
        await client.close()


@pytest.fixture
async def api(open_api: Callable[..., Any]) -> WsApiClient:
    client: WsApiClient = await open_api()
    return client


async def next_of(client: WsApiClient, kind: type[M], predicate: Callable[[M], bool] = lambda m: True) -> M:
    """The next stream message of ``kind`` that satisfies ``predicate`` (others are skipped)."""
    async with asyncio.timeout(WAIT_S):
        while True:
            message = await client.next_message()
            if isinstance(message, kind) and predicate(message):
                return message


async def wait_until(predicate: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def time_signer(clock: list[int]) -> Callable[..., dict[str, str]]:
    """REST headers for the time-based demo key: the nonce is the server clock in seconds."""

    def headers(request: str, **fields: Any) -> dict[str, str]:
        payload = encode({"request": request, "nonce": clock[0] // 1000, **fields})
        return {"X-GEMINI-APIKEY": DEMO_WS_API_KEY, "X-GEMINI-PAYLOAD": payload,
                "X-GEMINI-SIGNATURE": sign(payload, DEMO_WS_API_SECRET)}

    return headers


async def rest_place(client: PrivateClient, side: str, amount: str, price: str, **extra: Any) -> dict[str, Any]:
    return await client.ok(  # type: ignore[no-any-return]
        "/v1/order/new", symbol="btcusd", amount=amount, price=price, side=side, type="exchange limit", **extra
    )


async def live_ids(trader: PrivateClient) -> set[int]:
    return {int(order["order_id"]) for order in await trader.ok("/v1/orders")}


# -- connection and auth -------------------------------------------------------------------------------------------


async def test_ping_time_and_conninfo_counters(api: WsApiClient, exchange: ExchangeServer, clock: list[int]) -> None:
    await api.ping()
    assert await api.server_time_ms() == clock[0]
    assert [path for path, _ in exchange.faults.arrivals][-2:] == ["/ws:ping", "/ws:time"]
    limits = {(r.rate_limit_type, r.interval, r.interval_num): r for r in await api.conninfo()}
    assert set(limits) == {("REQUEST_WEIGHT", "MINUTE", 1), ("ORDERS", "SECOND", 10), ("ORDERS", "DAY", 1),
                           ("CONNECTION_ATTEMPTS", "MINUTE", 5)}
    assert limits[("REQUEST_WEIGHT", "MINUTE", 1)].count == 3  # ping, time, conninfo
    assert limits[("REQUEST_WEIGHT", "MINUTE", 1)].limit == 30_000
    assert limits[("ORDERS", "SECOND", 10)].count == 0
    assert limits[("CONNECTION_ATTEMPTS", "MINUTE", 5)].count == 1
    await api.place_order("btcusd", "BUY", Decimal("0.01"), Decimal("100.00"))
    after = {(r.rate_limit_type, r.interval): r.count for r in await api.conninfo()}
    assert after[("ORDERS", "SECOND")] == 1 and after[("ORDERS", "DAY")] == 1


async def test_without_credentials_market_data_only(open_api: Callable[..., Any]) -> None:
    public: WsApiClient = await open_api(None)
    await public.ping()
    assert (await public.depth("btcusd", 5)).bids == []
    with pytest.raises(WsApiError) as refused:
        await public.place_order("btcusd", "BUY", Decimal("0.01"), Decimal("100.00"))
    assert (refused.value.code, refused.value.status) == (-1002, 401)
    for private in ("orders@session", "orders@account", "balances@account", "balances@account@1s"):
        with pytest.raises(WsApiError) as refused:
            await public.subscribe([private])
        assert refused.value.code == -1002
    for method in ("order.cancel_all", "order.cancel_session"):
        with pytest.raises(WsApiError) as refused:
            await public.request(method)
        assert refused.value.code == -1002


async def test_wrong_signature_is_refused(open_api: Callable[..., Any]) -> None:
    with pytest.raises(HandshakeRefused) as refused:
        await open_api(Credentials(DEMO_WS_API_KEY, SecretStr("not-the-secret")))
    assert (refused.value.code, refused.value.status, refused.value.msg) == (-1002, 401, "InvalidSignature")


@pytest.mark.parametrize("offset_s", [-31, 31])
async def test_nonce_outside_30_seconds_is_refused(
    open_api: Callable[..., Any], clock: list[int], offset_s: int
) -> None:
    with pytest.raises(HandshakeRefused) as refused:
        await open_api(clock_s=lambda: clock[0] / 1000 + offset_s)
    assert refused.value.code == -1002
    assert "not within 30 seconds of server time" in refused.value.msg


@pytest.mark.parametrize("offset_s", [-30, 30])
async def test_nonce_at_30_seconds_is_accepted(
    open_api: Callable[..., Any], clock: list[int], offset_s: int
) -> None:
    clock[0] -= clock[0] % 1000  # whole seconds, so the edge is exact
    client: WsApiClient = await open_api(clock_s=lambda: clock[0] / 1000 + offset_s)
    await client.ping()


async def test_counter_nonce_key_is_refused(open_api: Callable[..., Any]) -> None:
    with pytest.raises(HandshakeRefused) as refused:
        await open_api(Credentials(DEMO_API_KEY, SecretStr(DEMO_API_SECRET)))
    assert refused.value.code == -1002 and "counter nonce" in refused.value.msg


async def test_payload_must_encode_the_nonce(exchange: ExchangeServer, clock: list[int]) -> None:
    headers = handshake_headers(WS_CREDENTIALS, clock[0] // 1000)
    headers["X-GEMINI-NONCE"] = str(clock[0] // 1000 - 1)
    with pytest.raises(InvalidStatus) as refused:
        await connect(exchange.ws_api_url, additional_headers=headers)
    assert refused.value.response.status_code == 401
    body = json.loads(bytes(refused.value.response.body or b""))
    assert body["id"] is None and body["error"]["code"] == -1002


async def test_bad_connection_parameter_is_400(exchange: ExchangeServer) -> None:
    async with httpx.AsyncClient(base_url=exchange.rest_url, timeout=WAIT_S) as http:
        response = await http.get("/ws", params={"cancelOnDisconnect": "maybe"})
    assert response.status_code == 400 and response.json()["error"]["code"] == -1013


async def test_rest_accepts_the_time_based_key(http: httpx.AsyncClient, clock: list[int]) -> None:
    headers = time_signer(clock)
    response = await http.post("/v1/balances", headers=headers("/v1/balances"))
    assert response.status_code == 200 and any(b["currency"] == "USD" for b in response.json())
    ms_nonce = encode({"request": "/v1/balances", "nonce": clock[0]})  # ms: far outside ±30 s
    response = await http.post("/v1/balances", headers={
        "X-GEMINI-APIKEY": DEMO_WS_API_KEY, "X-GEMINI-PAYLOAD": ms_nonce,
        "X-GEMINI-SIGNATURE": sign(ms_nonce, DEMO_WS_API_SECRET)})
    assert response.status_code == 400 and response.json()["reason"] == "InvalidNonce"


# -- framing and errors --------------------------------------------------------------------------------------------


async def raw_socket(exchange: ExchangeServer, clock: list[int]) -> ClientConnection:
    return await connect(exchange.ws_api_url, additional_headers=handshake_headers(WS_CREDENTIALS, clock[0] // 1000))


async def exchange_frame(ws: ClientConnection, text: str) -> dict[str, Any]:
    await ws.send(text)
    async with asyncio.timeout(WAIT_S):
        answer: dict[str, Any] = json.loads(await ws.recv())
    return answer


async def test_bad_frames_get_documented_codes(exchange: ExchangeServer, clock: list[int]) -> None:
    ws = await raw_socket(exchange, clock)
    try:
        assert await exchange_frame(ws, "not json") == {
            "id": None, "status": 400, "error": {"code": -1013, "msg": "The message is not valid JSON"}}
        assert (await exchange_frame(ws, '{"id": true, "method": "ping"}'))["error"]["code"] == -1013
        assert (await exchange_frame(ws, "[1, 2]"))["error"]["code"] == -1013
        missing = await exchange_frame(ws, '{"id": "7"}')
        assert (missing["id"], missing["status"], missing["error"]["code"]) == ("7", 400, -1020)
        unknown = await exchange_frame(ws, '{"id": 8, "method": "order.modify"}')
        assert (unknown["id"], unknown["error"]["code"]) == (8, -1020)
        wrong = await exchange_frame(ws, '{"id": "9", "method": "depth", "params": ["btcusd"]}')
        assert wrong["error"]["code"] == -1013
        assert await exchange_frame(ws, '{"id": "10", "method": "ping"}') == {"id": "10", "status": 200}
        listed = await exchange_frame(ws, '{"id": "11", "method": "list_subscriptions"}')
        assert listed == {"id": "11", "status": 200, "result": None}
    finally:
        await ws.close()


async def test_internal_error_is_1000(api: WsApiClient, exchange: ExchangeServer) -> None:
    exchange.faults.arm(FaultKind.HTTP_ERROR, path="/ws:ping")
    with pytest.raises(WsApiError) as failed:
        await api.ping()
    assert (failed.value.code, failed.value.status) == (-1000, 500)
    await api.ping()  # once only


async def test_orders_rate_limit_is_1003(api: WsApiClient, exchange: ExchangeServer) -> None:
    exchange.ws_api.rate_limits = [RateLimit("ORDERS", "SECOND", 10, 2), *exchange.ws_api.rate_limits[1:]]
    for _ in range(2):
        await api.place_order("btcusd", "BUY", Decimal("0.01"), Decimal("100.00"))
    with pytest.raises(WsApiError) as limited:
        await api.place_order("btcusd", "BUY", Decimal("0.01"), Decimal("100.00"))
    assert (limited.value.code, limited.value.status) == (-1003, 429)
    counts = {(r.rate_limit_type, r.interval): r.count for r in await api.conninfo()}
    assert counts[("ORDERS", "SECOND")] == 3


# -- subscriptions and market data ---------------------------------------------------------------------------------


async def test_subscribe_list_unsubscribe(api: WsApiClient) -> None:
    assert await api.list_subscriptions() == []
    await api.subscribe(["BTCUSD@bookTicker", "orders@session"])
    assert await api.list_subscriptions() == ["btcusd@bookTicker", "orders@session"]
    with pytest.raises(WsApiError) as unknown:
        await api.subscribe(["ethusd@trade", "btcusd@depth7"])
    assert unknown.value.code == -1013
    assert await api.list_subscriptions() == ["btcusd@bookTicker", "orders@session"]  # all or nothing
    await api.unsubscribe(["btcusd@bookTicker"])
    assert await api.list_subscriptions() == ["orders@session"]
    with pytest.raises(WsApiError) as empty:
        await api.subscribe([])
    assert empty.value.code == -1013


async def test_depth_method(api: WsApiClient, maker: PrivateClient) -> None:
    await rest_place(maker, "buy", "0.5", "60000.00")
    await rest_place(maker, "buy", "0.25", "59000.00")
    await rest_place(maker, "sell", "1", "61000.00")
    book = await api.depth("btcusd", 1)
    assert book.bids == [(Decimal("60000.00"), Decimal("0.5"))] and book.asks == [(Decimal("61000.00"), Decimal("1"))]
    assert len((await api.depth("BTCUSD")).bids) == 2
    for params in ({"symbol": "btcusd", "limit": 0}, {"symbol": "nope"}, {"limit": 5}):
        with pytest.raises(WsApiError) as bad:
            await api.request("depth", params)
        assert bad.value.code == -1013


async def test_book_ticker_trade_and_depth_streams(
    open_api: Callable[..., Any], maker: PrivateClient, trader: PrivateClient
) -> None:
    await rest_place(maker, "sell", "1", "61000.00")
    ticker: WsApiClient = await open_api(None)
    await ticker.subscribe(["btcusd@bookTicker"])
    first = await next_of(ticker, BookTicker)  # sent on subscribe
    assert (first.symbol, first.ask, first.ask_qty, first.bid) == ("btcusd", Decimal("61000.00"), Decimal("1"), None)
    await rest_place(maker, "buy", "0.5", "60000.00")
    update = await next_of(ticker, BookTicker)
    assert (update.bid, update.bid_qty, update.ask) == (Decimal("60000.00"), Decimal("0.5"), Decimal("61000.00"))
    assert update.update_id > first.update_id and update.event_time_ns > 10**18

    trades: WsApiClient = await open_api(None)
    await trades.subscribe(["btcusd@trade"])
    await rest_place(trader, "sell", "0.2", "60000.00")  # the taker sells into the maker's bid
    trade = await next_of(trades, TradeMessage)
    assert (trade.symbol, trade.price, trade.quantity, trade.buyer_is_maker) == (
        "btcusd", Decimal("60000.00"), Decimal("0.2"), True)

    partial: WsApiClient = await open_api(None)
    await partial.subscribe(["btcusd@depth5@100ms"])
    levels = await next_of(partial, DepthSnapshot)
    assert levels.symbol == "btcusd" and levels.bids == [(Decimal("60000.00"), Decimal("0.3"))]

    diff: WsApiClient = await open_api(None, snapshot=-1)
    await diff.subscribe(["btcusd@depth@100ms"])
    snapshot = await next_of(diff, DepthSnapshot)
    assert snapshot.asks == [(Decimal("61000.00"), Decimal("1"))]
    await rest_place(maker, "buy", "0.1", "59000.00")
    change = await next_of(diff, DepthUpdate, lambda m: m.last_update_id > snapshot.last_update_id)
    assert (Decimal("59000.00"), Decimal("0.1")) in change.bids and change.symbol == "btcusd"


# -- orders --------------------------------------------------------------------------------------------------------


async def test_order_place_answer_then_updates_and_rest_sees_it(
    api: WsApiClient, trader: PrivateClient, clock: list[int]
) -> None:
    await api.subscribe(["orders@session"])
    placed = await api.place_order("btcusd", "BUY", Decimal("0.01"), Decimal("100.00"), client_order_id="ws-1")
    assert (placed.symbol, placed.client_order_id, placed.status, placed.side, placed.time_in_force) == (
        "BTCUSD", "ws-1", "OPEN", "BUY", "GTC")
    assert (placed.price, placed.orig_qty, placed.executed_qty) == (Decimal("100.00"), Decimal("0.01"), Decimal("0"))
    new = await next_of(api, OrderUpdate)
    opened = await next_of(api, OrderUpdate)
    assert (new.status, opened.status) == ("NEW", "OPEN")
    assert (opened.order_id, opened.client_order_id, opened.symbol, opened.side, opened.order_type) == (
        placed.order_id, "ws-1", "BTCUSD", "BUY", "LIMIT")
    assert (opened.price, opened.quantity, opened.remaining) == (Decimal("100.00"), Decimal("0.01"), Decimal("0.01"))
    assert opened.event_time_ns == clock[0] * 1_000_000 and opened.update_time_ns == clock[0] * 1_000_000

    assert placed.order_id in await live_ids(trader)
    status = await trader.ok("/v1/order/status", client_order_id="ws-1")
    assert int(status["order_id"]) == placed.order_id and status["is_live"] is True


async def test_ws_order_on_v1_order_events_and_rest_order_on_orders_account(
    exchange: ExchangeServer, open_api: Callable[..., Any], trader: PrivateClient, trader_signer: Signer
) -> None:
    events = await connect(f"{exchange.ws_url}/v1/order/events?heartbeat=false",
                           additional_headers=trader_signer.headers("/v1/order/events"))
    try:
        async with asyncio.timeout(WAIT_S):
            assert json.loads(await events.recv())["type"] == "subscription_ack"
        every: WsApiClient = await open_api()
        own: WsApiClient = await open_api()
        await every.subscribe(["orders@account"])
        await own.subscribe(["orders@session"])

        rest = await rest_place(trader, "buy", "0.02", "101.00", client_order_id="rest-1")
        seen = await next_of(every, OrderUpdate, lambda m: m.status == "OPEN")
        assert (seen.order_id, seen.client_order_id) == (int(rest["order_id"]), "rest-1")

        placed = await own.place_order("btcusd", "SELL", Decimal("0.01"), Decimal("90000.00"), client_order_id="ws-2")
        mine = await next_of(own, OrderUpdate)  # the REST order (another key's session) never came here
        assert (mine.order_id, mine.status) == (placed.order_id, "NEW")
        async with asyncio.timeout(WAIT_S):
            while True:
                batch = json.loads(await events.recv())
                if isinstance(batch, list) and any(e.get("client_order_id") == "ws-2" for e in batch):
                    break
        accepted = next(e for e in batch if e["type"] == "accepted")
        assert (int(accepted["order_id"]), accepted["api_session"]) == (placed.order_id, DEMO_WS_API_KEY)
    finally:
        await events.close()


async def test_fill_updates(api: WsApiClient, maker: PrivateClient) -> None:
    await api.subscribe(["orders@session"])
    placed = await api.place_order("btcusd", "BUY", Decimal("0.5"), Decimal("64000.00"), client_order_id="fill-1")
    await rest_place(maker, "sell", "0.2", "64000.00")
    partial = await next_of(api, OrderUpdate, lambda m: m.status == "PARTIALLY_FILLED")
    assert (partial.order_id, partial.executed_qty, partial.last_price, partial.remaining) == (
        placed.order_id, Decimal("0.2"), Decimal("64000.00"), Decimal("0.3"))
    assert partial.trade_id is not None
    await rest_place(maker, "sell", "0.3", "64000.00")
    filled = await next_of(api, OrderUpdate, lambda m: m.status == "FILLED")
    assert (filled.executed_qty, filled.remaining) == (Decimal("0.3"), Decimal("0"))


async def test_order_cancel(api: WsApiClient) -> None:
    await api.subscribe(["orders@session"])
    placed = await api.place_order("btcusd", "BUY", Decimal("0.01"), Decimal("100.00"), client_order_id="c-1")
    cancelled = await api.cancel_order(placed.order_id)
    assert (cancelled.order_id, cancelled.status, cancelled.reason) == (placed.order_id, "CANCELED", "Requested")
    update = await next_of(api, OrderUpdate, lambda m: m.status == "CANCELED")
    assert (update.order_id, update.reason, update.client_order_id) == (placed.order_id, "Requested", "c-1")
    again = await api.cancel_order(placed.order_id)  # already closed: its final status, no error
    assert again.status == "CANCELED"
    with pytest.raises(WsApiError) as unknown:
        await api.cancel_order(1)
    assert unknown.value.code == -2010 and unknown.value.reject_reason == "OrderNotFound"
    with pytest.raises(WsApiError) as bad:
        await api.request("order.cancel", {"orderId": "abc"})
    assert bad.value.code == -1013


async def test_cancel_all_and_cancel_session(
    api: WsApiClient, http: httpx.AsyncClient, trader: PrivateClient, clock: list[int]
) -> None:
    ws_order = await api.place_order("btcusd", "BUY", Decimal("0.01"), Decimal("100.00"))
    headers = time_signer(clock)(  # the same key over REST: the same session
        "/v1/order/new", symbol="btcusd", amount="0.01", price="101.00", side="buy", type="exchange limit")
    same_key = (await http.post("/v1/order/new", headers=headers)).json()
    other_key = await rest_place(trader, "buy", "0.01", "102.00")
    session = await api.cancel_session()
    assert sorted(session.cancelled_orders) == sorted([ws_order.order_id, int(same_key["order_id"])])
    assert await live_ids(trader) == {int(other_key["order_id"])}
    everything = await api.cancel_all()
    assert everything.cancelled_orders == [int(other_key["order_id"])] and everything.cancel_rejects == []
    assert await live_ids(trader) == set()


async def test_rejections(api: WsApiClient) -> None:
    await api.subscribe(["orders@session"])
    with pytest.raises(WsApiError) as funds:
        await api.place_order("btcusd", "BUY", Decimal("1000"), Decimal("64000.00"), client_order_id="big")
    assert (funds.value.code, funds.value.status, funds.value.reject_reason) == (-2010, 400, "InsufficientFunds")
    rejected = await next_of(api, OrderUpdate)
    assert (rejected.status, rejected.reason, rejected.client_order_id) == ("REJECTED", "InsufficientFunds", "big")

    with pytest.raises(WsApiError) as quantity:
        await api.request("order.place", {"symbol": "btcusd", "side": "BUY", "type": "LIMIT", "quantity": "abc",
                                          "price": "100.00"})
    assert (quantity.value.code, quantity.value.reject_reason) == (-2010, "InvalidQuantity")
    with pytest.raises(WsApiError) as instrument:
        await api.place_order("nopeusd", "BUY", Decimal("1"), Decimal("1"))
    assert (instrument.value.code, instrument.value.reject_reason) == (-2010, "UnknownInstrument")
    base = {"symbol": "btcusd", "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "100.00"}
    for change, code in (({"side": "buy"}, -1013), ({"timeInForce": "DAY"}, -1013), ({"price": None}, -1013),
                         ({"type": "MARKET"}, -1020), ({"type": "STOP"}, -1013), ({"eventOutcome": "YES"}, -1020)):
        with pytest.raises(WsApiError) as bad:
            await api.request("order.place", {**base, **change})
        assert bad.value.code == code, change

    await api.place_order("btcusd", "BUY", Decimal("0.01"), Decimal("100.00"), client_order_id="dup")
    with pytest.raises(WsApiError) as duplicate:
        await api.place_order("btcusd", "BUY", Decimal("0.01"), Decimal("100.00"), client_order_id="dup")
    assert (duplicate.value.code, duplicate.value.reject_reason) == (-2010, "DuplicateOrder")


async def test_time_in_force_options(api: WsApiClient, maker: PrivateClient) -> None:
    ioc = await api.place_order("btcusd", "BUY", Decimal("0.01"), Decimal("100.00"), time_in_force="IOC")
    assert (ioc.status, ioc.reason, ioc.time_in_force) == ("CANCELED", "ImmediateOrCancelWouldPost", "IOC")
    await rest_place(maker, "sell", "1", "100.00")
    moc = await api.place_order("btcusd", "BUY", Decimal("0.01"), Decimal("100.00"), time_in_force="MOC")
    assert (moc.status, moc.reason) == ("CANCELED", "MakerOrCancelWouldTake")
    fok = await api.place_order("btcusd", "BUY", Decimal("0.5"), Decimal("100.00"), time_in_force="FOK")
    assert (fok.status, fok.executed_qty) == ("FILLED", Decimal("0.5"))
    stop = await api.place_order("btcusd", "SELL", Decimal("0.01"), Decimal("90.00"), stop_price=Decimal("95.00"))
    assert (stop.status, stop.stop_price) == ("NEW", Decimal("95.00"))


# -- balances ------------------------------------------------------------------------------------------------------


async def test_balance_streams(open_api: Callable[..., Any]) -> None:
    snapshots: WsApiClient = await open_api()
    await snapshots.subscribe(["balances@account@1s"])
    first = await next_of(snapshots, BalanceUpdate)
    assert {b.asset: b.free for b in first.balances}["USD"] == Decimal("500000")
    assert len(first.balances) > 1  # every asset
    changes: WsApiClient = await open_api()
    await changes.subscribe(["balances@account"])
    await changes.place_order("btcusd", "BUY", Decimal("1"), Decimal("1000.00"))
    changed = await next_of(changes, BalanceUpdate)
    assert [b.asset for b in changed.balances] == ["USD"]  # only what changed
    assert changed.balances[0].free < Decimal("500000")
    second = await next_of(snapshots, BalanceUpdate)  # then every second, every asset
    assert {b.asset: b.free for b in second.balances}["USD"] == changed.balances[0].free


async def test_requests_are_heartbeats_of_a_require_heartbeat_key(
    exchange: ExchangeServer, open_api: Callable[..., Any], clock: list[int]
) -> None:
    key = "account-HeartbeatTimeKey0001"
    exchange.add_api_key(key, "hb-secret", require_heartbeat=True, time_based_nonce=True)
    client: WsApiClient = await open_api(Credentials(key, SecretStr("hb-secret")))
    placed = await client.place_order("btcusd", "BUY", Decimal("0.01"), Decimal("100.00"))
    for _ in range(3):  # 60 s of requests 20 s apart: the key never goes silent for 30 s
        clock[0] += 20_000
        await client.ping()
    assert exchange.expire_heartbeat_sessions() == {}
    clock[0] += 30_000
    assert exchange.expire_heartbeat_sessions()[key]["cancelledOrders"] == [placed.order_id]


# -- cancel on disconnect, lost answers ----------------------------------------------------------------------------


async def test_cancel_on_disconnect_cancels_only_that_connections_orders(
    exchange: ExchangeServer, open_api: Callable[..., Any], trader: PrivateClient, clock: list[int],
    http: httpx.AsyncClient,
) -> None:
    watcher: WsApiClient = await open_api()
    await watcher.subscribe(["orders@account"])
    dropped: WsApiClient = await open_api(cancel_on_disconnect=True)
    sibling: WsApiClient = await open_api(cancel_on_disconnect=True)  # same key, another connection
    plain: WsApiClient = await open_api()  # no cancelOnDisconnect
    gone = await dropped.place_order("btcusd", "BUY", Decimal("0.01"), Decimal("100.00"))
    kept = await sibling.place_order("btcusd", "BUY", Decimal("0.01"), Decimal("101.00"))
    plain_order = await plain.place_order("btcusd", "BUY", Decimal("0.01"), Decimal("102.00"))
    rest_order = (await http.post("/v1/order/new", headers=time_signer(clock)(
        "/v1/order/new", symbol="btcusd", amount="0.01", price="103.00", side="buy", type="exchange limit"))).json()
    other = await rest_place(trader, "buy", "0.01", "104.00")

    connections = exchange.ws_api.connection_count
    plain.abort()
    await wait_until(lambda: exchange.ws_api.connection_count == connections - 1, "the plain socket to be gone")
    dropped.abort()
    cancelled = await next_of(watcher, OrderUpdate, lambda m: m.status == "CANCELED")
    assert (cancelled.order_id, cancelled.reason) == (gone.order_id, "Requested")
    assert await live_ids(trader) == {kept.order_id, plain_order.order_id, int(rest_order["order_id"]),
                                      int(other["order_id"])}


async def test_drop_all_closes_every_socket(exchange: ExchangeServer, open_api: Callable[..., Any]) -> None:
    abrupt: WsApiClient = await open_api()
    assert await exchange.ws_api.drop_all(abrupt=True) == 1
    with pytest.raises(WsApiDisconnected):
        await abrupt.next_message(timeout_s=WAIT_S)
    with pytest.raises(WsApiDisconnected):
        await abrupt.ping()
    clean: WsApiClient = await open_api()
    await wait_until(lambda: exchange.ws_api.connection_count == 1, "the dropped socket to be gone")
    assert await exchange.ws_api.drop_all(abrupt=False) == 1
    with pytest.raises(WsApiDisconnected):
        await clean.next_message(timeout_s=WAIT_S)


async def test_dropped_order_place_answer_is_settled_by_client_order_id(
    api: WsApiClient, exchange: ExchangeServer, trader: PrivateClient
) -> None:
    await api.subscribe(["orders@session"])
    exchange.faults.arm(FaultKind.DROP_RESPONSE, path="/ws:order.place")
    with pytest.raises(WsApiRequestTimeout):
        await api.place_order("btcusd", "BUY", Decimal("0.01"), Decimal("100.00"), client_order_id="lost-1",
                              timeout_s=0.3)
    update = await next_of(api, OrderUpdate, lambda m: m.client_order_id == "lost-1")  # the stream still tells
    status = await trader.ok("/v1/order/status", client_order_id="lost-1")  # and so does REST
    assert int(status["order_id"]) == update.order_id and status["is_live"] is True
    with pytest.raises(WsApiError) as again:  # a blind retry cannot place it twice
        await api.place_order("btcusd", "BUY", Decimal("0.01"), Decimal("100.00"), client_order_id="lost-1")
    assert again.value.reject_reason == "DuplicateOrder"
    assert len([o for o in await trader.ok("/v1/orders") if o.get("client_order_id") == "lost-1"]) == 1
    assert exchange.faults.fired["drop-response"] == 1


async def test_answer_precedes_its_updates_unless_delayed(exchange: ExchangeServer, clock: list[int]) -> None:
    ws = await raw_socket(exchange, clock)
    try:
        assert (await exchange_frame(ws, '{"id": 1, "method": "subscribe", "params": ["orders@session"]}'))[
            "status"] == 200
        place = {"symbol": "btcusd", "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "100.00"}
        await ws.send(json.dumps({"id": 2, "method": "order.place", "params": place}))
        async with asyncio.timeout(WAIT_S):
            frames = [json.loads(await ws.recv()) for _ in range(3)]
        assert [f.get("id", f.get("X")) for f in frames] == [2, "NEW", "OPEN"]  # CHOICE ws:answer-first

        exchange.faults.arm(FaultKind.DELAY, path="/ws:order.place", delay_s=0.2)
        await ws.send(json.dumps({"id": 3, "method": "order.place", "params": place}))
        async with asyncio.timeout(WAIT_S):
            frames = [json.loads(await ws.recv()) for _ in range(3)]
        assert [f.get("id", f.get("X")) for f in frames] == ["NEW", "OPEN", 3]
    finally:
        await ws.close()


async def test_slow_depth_streams_and_a_top_n_snapshot(
    open_api: Callable[..., Any], maker: PrivateClient
) -> None:
    await rest_place(maker, "buy", "0.5", "60000.00")
    await rest_place(maker, "buy", "0.5", "59000.00")
    await rest_place(maker, "sell", "1", "61000.00")
    diff: WsApiClient = await open_api(None, snapshot=1)
    await diff.subscribe(["btcusd@depth", "btcusd@depth10"])
    snapshot = await next_of(diff, DepthSnapshot)  # the diff stream's snapshot, top 1 level per side
    assert snapshot.bids == [(Decimal("60000.00"), Decimal("0.5"))] and len(snapshot.asks) == 1
    await rest_place(maker, "sell", "0.5", "62000.00")
    change = await next_of(diff, DepthUpdate)  # within the 1 s period
    assert change.asks == [(Decimal("62000.00"), Decimal("0.5"))] and change.bids == []
    partial = await next_of(diff, DepthSnapshot, lambda m: len(m.bids) == 2)  # the 1 s partial depth
    assert len(partial.asks) == 2


async def test_connection_attempts_limit_is_1003(exchange: ExchangeServer, open_api: Callable[..., Any]) -> None:
    limits = exchange.ws_api.rate_limits
    exchange.ws_api.rate_limits = [*limits[:3], RateLimit("CONNECTION_ATTEMPTS", "MINUTE", 5, 1)]
    await open_api()
    with pytest.raises(HandshakeRefused) as refused:
        await open_api()
    assert (refused.value.code, refused.value.status) == (-1003, 429)


async def test_hung_order_place_is_placed_when_released(
    api: WsApiClient, exchange: ExchangeServer, trader: PrivateClient
) -> None:
    exchange.faults.arm(FaultKind.HANG, path="/ws:order.place", delay_s=60)
    placing = asyncio.ensure_future(
        api.place_order("btcusd", "BUY", Decimal("0.01"), Decimal("100.00"), client_order_id="late-1"))
    await wait_until(lambda: exchange.faults.fired.get("hang") == 1, "the request to reach the exchange")
    assert await trader.ok("/v1/orders") == []  # held: not placed yet
    exchange.faults.clear(FaultKind.HANG)
    placed = await placing
    assert placed.client_order_id == "late-1" and placed.order_id in await live_ids(trader)


# -- the command line ----------------------------------------------------------------------------------------------


def test_ready_json_has_ws_api_url() -> None:
    with LocalExchangeProcess() as proc:
        info = proc.start(simulator=False)
        assert info.ws_api_url == f"{info.ws_url}/ws"
        assert info.ws_api_key == DEMO_WS_API_KEY

        async def ping() -> int:
            credentials = Credentials(info.ws_api_key or "", info.ws_api_secret)
            async with WsApiClient(info.ws_api_url or "", credentials) as client:
                await client.ping()
                return len(await client.conninfo())

        assert asyncio.run(ping()) == 4


def _ready_line(*args: str) -> dict[str, Any]:
    """Start the exchange CLI with ``args``, return its ready line, stop it."""
    env = {k: v for k, v in os.environ.items() if k not in ("GEMINI_API_KEY", "GEMINI_API_SECRET")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "console.exchange", "--port", "0", "--no-simulator", "--ready-json",
         "--exit-with-stdin", *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        ready: dict[str, Any] = json.loads(proc.stdout.readline())
        if ready.get("ws_api_key"):
            async def ping() -> None:
                credentials = Credentials(ready["ws_api_key"], SecretStr("own-secret-0001"))
                async with WsApiClient(ready["ws_api_url"], credentials) as client:
                    await client.ping()

            asyncio.run(ping())
        proc.stdin.close()
        proc.wait(timeout=WAIT_S)
        return ready
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_own_key_kind_on_the_command_line() -> None:
    key = "account-OwnTimeNonceKey0001"
    timed = _ready_line("--api-key", key, "--api-secret", "own-secret-0001", "--time-based-nonce")
    assert (timed["api_key"], timed["ws_api_key"]) == (key, key)  # and it opened /ws (ping above)
    counter = _ready_line("--api-key", key, "--api-secret", "own-secret-0001")
    assert counter["ws_api_key"] is None and counter["ws_api_url"].endswith("/ws")

