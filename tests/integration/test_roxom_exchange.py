"""The local Roxom venue over real loopback sockets: every endpoint, each error, RSA auth, order states, the stream.

Requests are signed with the client's signing code (console/venues/roxom/auth.py); the venue verifies them with its
own reading of the string to sign, so the two must agree for any test to pass.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import stat
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

import console.exchange.roxom.connection as roxom_connection
import console.exchange.roxom.streams as roxom_streams
from console.exchange.process import LocalExchangeProcess
from console.exchange.roxom import cli as roxom_cli
from console.exchange.roxom.app import RoxomServer
from console.exchange.roxom.faults import parse_fault_spec
from console.venues.roxom.auth import RoxomSigner, load_private_key

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "roxom"
SAMPLES = json.loads((FIXTURES / "documented_samples.json").read_text())
WAIT_S = 5.0
GOLD = "GOLD-BTC"


class Client:
    """Signed REST calls for one key (the body sent is exactly the body signed)."""

    def __init__(self, base_url: str, signer: RoxomSigner | None) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=WAIT_S)
        self.signer = signer

    async def get(self, path: str, **query: Any) -> httpx.Response:
        qs = urlencode(query)
        headers = self.signer.headers("GET", path, qs) if self.signer else {}
        return await self.http.get(path + (f"?{qs}" if qs else ""), headers=headers)

    async def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        headers = self.signer.headers("POST", path, "", body) if self.signer else {}
        content = json.dumps(body) if body is not None else b""
        return await self.http.post(path, headers=headers, content=content)

    async def place(self, **fields: Any) -> str:
        body = {"symbol": GOLD, "instType": "perpetual", "orderType": "limit", "timeInForce": "gtc", **fields}
        response = await self.post("/api/v1/orders", body)
        assert response.status_code == 200, response.text
        return str(response.json()["data"]["orderId"])

    async def order(self, order_id: str) -> dict[str, Any]:
        response = await self.get(f"/api/v1/orders/{order_id}")
        assert response.status_code == 200, response.text
        return dict(response.json()["data"])


class Venue:
    def __init__(self, server: RoxomServer, user: Client, maker: Client, user_signer: RoxomSigner) -> None:
        self.server = server
        self.user = user
        self.maker = maker
        self.user_signer = user_signer

    def client(self, signer: RoxomSigner | None) -> Client:
        return Client(self.server.rest_url, signer)


@functools.cache
def _fixture_key() -> rsa.RSAPrivateKey:
    return load_private_key((FIXTURES / "test_private_key.pem").read_bytes())


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One state directory for the module: the demo key pair is made once (RSA key generation is slow)."""
    return tmp_path_factory.mktemp("roxom-state")


@pytest.fixture
async def venue(state_dir: Path) -> AsyncIterator[Venue]:
    server = RoxomServer(port=0, simulator=False, state_dir=state_dir, cancel_latency_s=0.05)
    await server.start()
    maker_key = _fixture_key()
    entry = server.add_key(maker_key.public_key(), "maker", Decimal(100))
    user_signer = RoxomSigner(server.api_key, load_private_key(server.private_key_path))
    user = Client(server.rest_url, user_signer)
    maker = Client(server.rest_url, RoxomSigner(entry.key_id, maker_key))
    try:
        yield Venue(server, user, maker, user_signer)
    finally:
        await user.http.aclose()
        await maker.http.aclose()
        await server.stop()


async def ws_open(venue: Venue, signer: RoxomSigner | None) -> ClientConnection:
    headers = signer.ws_headers() if signer is not None else None
    return await connect(venue.server.ws_url, additional_headers=headers, open_timeout=WAIT_S)


async def recv_until(ws: ClientConnection, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The first message matching ``predicate`` (bounded wait)."""

    async def loop() -> dict[str, Any]:
        while True:
            message = json.loads(await ws.recv())
            if predicate(message):
                return dict(message)

    return await asyncio.wait_for(loop(), WAIT_S)


async def collect(ws: ClientConnection, topics: set[str]) -> dict[str, dict[str, Any]]:
    """The next message of each topic (in whatever order the venue sends them)."""
    found: dict[str, dict[str, Any]] = {}
    while set(found) != topics:
        message = await recv_until(ws, lambda m: m.get("topic") in topics and m["topic"] not in found)
        found[message["topic"]] = message
    return found


def order_update(order_id: str, status: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m.get("type") == "order" and m["data"]["orderId"] == order_id and m["data"]["status"] == status


def assert_error(response: httpx.Response, status: int, message: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == set(SAMPLES["error_body"]["sample"])
    assert body["error"]["code"] == status and body["error"]["message"] == message
    return dict(body)


# -- public endpoints ---------------------------------------------------------------------------------------------


async def test_instruments_list_the_three_perpetuals_with_the_documented_fields(venue: Venue) -> None:
    response = await venue.client(None).get("/api/v1/market/instruments", tradeable="true", unit="btc")
    data = response.json()["data"]
    assert [i["symbol"] for i in data] == ["US500-BTC", "GOLD-BTC", "OIL-BTC"]
    assert set(SAMPLES["instrument"]["sample"]) <= set(data[0])
    gold = data[1]
    assert (gold["quoteAsset"], gold["tickSize"], gold["qtyStep"], gold["maxLimitNotional"]) == (
        "BTC", "0.000001", "0.01", "2.5")


async def test_orderbook_snapshot_shape_units_and_errors(venue: Venue) -> None:
    await venue.maker.place(side="sell", qty="2.00", px="0.025300")
    await venue.maker.place(side="sell", qty="1.00", px="0.025400")
    await venue.maker.place(side="buy", qty="1.00", px="0.025100")
    public = venue.client(None)
    body = (await public.get("/api/v1/orderbook/snapshot", symbol=GOLD, instType="perpetual")).json()
    assert set(body) == set(SAMPLES["orderbook_snapshot"]["sample"]) and set(body["data"]) == set(
        SAMPLES["orderbook_snapshot"]["sample"]["data"])
    sells = body["data"]["sells"]
    assert sells == [
        {"price": "0.02530000", "size": "2.00", "total": "0.05060000"},
        {"price": "0.02540000", "size": "1.00", "total": "0.07600000"},
    ]
    assert body["data"]["buySellVersus"] == {"buy": "0.02510000", "sell": "0.02530000"}
    sats = (await public.get("/api/v1/orderbook/snapshot", symbol=GOLD, levels=1, unit="sats")).json()["data"]
    assert sats["sells"] == [{"price": "2530000", "size": "2.00", "total": "5060000"}]
    assert_error(await public.get("/api/v1/orderbook/snapshot", symbol="NOPE-BTC"), 400, "Market not available")
    assert_error(await public.get("/api/v1/orderbook/snapshot", symbol=GOLD, levels=101), 400, "Validation error")
    assert_error(await public.get("/api/v1/orderbook/snapshot"), 400, "Validation error")
    assert_error(await public.get("/api/v1/nothing"), 404, "Not found")


# -- orders ---------------------------------------------------------------------------------------------------------


async def test_place_get_and_list_orders(venue: Venue) -> None:
    order_id = await venue.user.place(side="buy", qty="1.50", px="0.025000", clientOrderId="c-1")
    assert uuid.UUID(order_id).version == 7
    data = await venue.user.order(order_id)
    order = data["order"]
    assert set(SAMPLES["order_by_id"]["sample"]["data"]["order"]) <= set(order)
    assert (order["status"], order["qty"], order["px"], order["clientOrderId"], order["unit"]) == (
        "submitted", "1.50", "0.02500000", "c-1", "btc")
    assert data["fills"] == []
    assert (await venue.user.get(f"/api/v1/orders/{order_id}", unit="sats")).json()["data"]["order"]["px"] == "2500000"
    listed = (await venue.user.get("/api/v1/orders", instType="perpetual")).json()
    assert listed["error"] is False and [o["id"] for o in listed["data"]["orders"]] == [order_id]
    # the maker's orders are not the user's
    assert (await venue.maker.get("/api/v1/orders", instType="perpetual")).json()["data"]["orders"] == []
    assert_error(await venue.maker.get(f"/api/v1/orders/{order_id}"), 404, "Order not found")
    assert_error(await venue.user.get("/api/v1/orders"), 400, "Validation error")  # instType is required
    assert_error(await venue.user.get("/api/v1/orders", instType="spot"), 400, "Validation error")


async def test_place_in_sats_converts_prices(venue: Venue) -> None:
    order_id = await venue.user.place(side="buy", qty="1.00", px="2500000", unit="sats")
    assert (await venue.user.order(order_id))["order"]["px"] == "0.02500000"


@pytest.mark.parametrize(
    ("fields", "message", "detail"),
    [
        ({"px": "0.0250005"}, "Invalid price", "multiple of 0.000001"),
        ({"qty": "1.005"}, "Invalid quantity", "multiple of 0.01"),
        ({"qty": "0.001"}, "Quantity outside allowed range", "within"),
        ({"qty": 1.5}, "Validation error", "decimal string"),
        ({"px": "0.040000"}, "Price outside allowed range", "mark"),
        ({"qty": "120.00"}, "Order notional too large", "2.5 BTC"),
        ({"timeInForce": "gtd"}, "Validation error", "cancelAt"),
        ({"timeInForce": "gtd", "cancelAt": 1}, "Invalid cancelAt", "future"),
        ({"orderType": "stoplimit"}, "Validation error", "triggerPx"),
        ({"postOnly": True, "timeInForce": "ioc"}, "Validation error", "postOnly"),
        ({"symbol": "NOPE-BTC"}, "Market not available", "NOPE-BTC"),
        ({"side": "long"}, "Validation error", "side"),
        ({"colour": "red"}, "Validation error", "unknown field"),
        ({"unit": "eur"}, "Validation error", "unit"),
    ],
)
async def test_place_validation_errors(venue: Venue, fields: dict[str, Any], message: str, detail: str) -> None:
    body = {"symbol": GOLD, "instType": "perpetual", "side": "buy", "orderType": "limit", "qty": "1.00",
            "px": "0.025200", **fields}
    body = {k: v for k, v in body.items() if v is not None}
    error = assert_error(await venue.user.post("/api/v1/orders", body), 400, message)
    assert detail in error["error"]["details"]
    assert (await venue.user.get("/api/v1/orders", instType="perpetual", includeClosed="true")).json()["data"][
        "orders"] == []  # nothing was created


async def test_price_band_from_the_touch(venue: Venue) -> None:
    await venue.maker.place(side="sell", qty="1.00", px="0.025000")
    await venue.maker.place(side="buy", qty="1.00", px="0.024000")
    error = assert_error(await venue.user.post("/api/v1/orders", {
        "symbol": GOLD, "instType": "perpetual", "side": "buy", "orderType": "limit", "qty": "1.00",
        "px": "0.027600"}), 400, "Price outside allowed range")
    assert "best ask" in error["error"]["details"]
    error = assert_error(await venue.user.post("/api/v1/orders", {
        "symbol": GOLD, "instType": "perpetual", "side": "sell", "orderType": "limit", "qty": "1.00",
        "px": "0.021500"}), 400, "Price outside allowed range")
    assert "best bid" in error["error"]["details"]


async def test_cancel_errors_not_found_and_cannot_cancel_with_state(venue: Venue) -> None:
    missing = "01981061-787c-7fd0-b707-18fa252f0d0b"
    assert_error(await venue.user.post(f"/api/v1/orders/{missing}/cancel"), 404, "Order not found")
    assert_error(await venue.user.get(f"/api/v1/orders/{missing}"), 404, "Order not found")
    await venue.maker.place(side="sell", qty="1.00", px="0.025200")
    filled = await venue.user.place(side="buy", qty="1.00", px="0.025200")
    assert (await venue.user.order(filled))["order"]["status"] == "filled"
    error = assert_error(await venue.user.post(f"/api/v1/orders/{filled}/cancel"), 409, "Order cannot be cancelled")
    assert error["error"]["details"] == "order is filled"


# -- auth ------------------------------------------------------------------------------------------------------------


async def test_auth_errors(venue: Venue) -> None:
    anonymous = venue.client(None)
    assert_error(await anonymous.get("/api/v1/accounts/balance"), 401, "Missing API Key")
    response = await anonymous.http.get("/api/v1/accounts/balance", headers={"X-API-Key": venue.server.api_key})
    assert_error(response, 401, "Missing Signature")
    unknown = RoxomSigner("xrxk_key_00000000000000000000000000000000", _fixture_key())
    assert_error(await venue.client(unknown).get("/api/v1/accounts/balance"), 401, "Invalid API Key")
    wrong_key = RoxomSigner(venue.server.api_key, _fixture_key())  # the demo key id, another private key
    assert_error(await venue.client(wrong_key).get("/api/v1/accounts/balance"), 401, "Invalid Signature")
    garbage = {"X-API-Key": venue.server.api_key, "X-API-Signature": "not base64!"}
    assert_error(await anonymous.http.get("/api/v1/accounts/balance", headers=garbage), 401, "Invalid Signature")


async def test_tampered_body_and_query_are_refused(venue: Venue) -> None:
    signed = {"symbol": GOLD, "instType": "perpetual", "side": "buy", "orderType": "limit", "qty": "1.00",
              "px": "0.025000"}
    headers = venue.user_signer.headers("POST", "/api/v1/orders", "", signed)
    sent = {**signed, "qty": "9.00"}
    response = await venue.user.http.post("/api/v1/orders", headers=headers, content=json.dumps(sent))
    assert_error(response, 401, "Invalid Signature")
    headers = venue.user_signer.headers("GET", "/api/v1/accounts/balance", "unit=sats")
    response = await venue.user.http.get("/api/v1/accounts/balance?unit=btc", headers=headers)
    assert_error(response, 401, "Invalid Signature")
    # the same request untampered is accepted, and nothing was placed by the refused one
    response = await venue.user.http.post("/api/v1/orders", headers=venue.user_signer.headers(
        "POST", "/api/v1/orders", "", signed), content=json.dumps(signed))
    assert response.status_code == 200
    orders = (await venue.user.get("/api/v1/orders", instType="perpetual")).json()["data"]["orders"]
    assert [o["qty"] for o in orders] == ["1.00"]


async def test_auth_is_checked_before_the_body(venue: Venue) -> None:
    response = await venue.client(None).http.post("/api/v1/orders", content=b"{not json")
    assert_error(response, 401, "Missing API Key")
    path = "/api/v1/orders"
    headers = venue.user_signer.headers("POST", path)
    assert_error(await venue.user.http.post(path, headers=headers, content=b"{not json"), 400, "Validation error")


# -- order states ----------------------------------------------------------------------------------------------------


async def test_pending_cancel_then_a_fill_then_partially_filled_cancelled(venue: Venue) -> None:
    venue.server.cancel_latency_s = 2.0  # long enough for the maker's order to arrive while the cancel is pending
    ws = await ws_open(venue, venue.user_signer)
    try:
        order_id = await venue.user.place(side="buy", qty="2.00", px="0.025000")
        await recv_until(ws, order_update(order_id, "submitted"))
        response = await venue.user.post(f"/api/v1/orders/{order_id}/cancel")
        assert response.json() == {**SAMPLES["cancel_order_response"]["sample"], "error": False}
        pending = await recv_until(ws, order_update(order_id, "pendingcancel"))
        assert set(pending["data"]) <= set(SAMPLES["ws_order_update_cancelled_minimal_fields"]["sample"]) | {"reason"}
        assert (await venue.user.order(order_id))["order"]["status"] == "pendingcancel"
        again = await venue.user.post(f"/api/v1/orders/{order_id}/cancel")
        assert assert_error(again, 409, "Order cannot be cancelled")["error"]["details"] == "order is pendingcancel"
        await venue.maker.place(side="sell", qty="1.00", px="0.025000")
        fill = await recv_until(ws, lambda m: m.get("type") == "order" and m["data"]["orderId"] == order_id
                                and m["data"].get("fillPx") is not None)
        assert (fill["data"]["status"], fill["data"]["executedQty"], fill["data"]["fillPx"]) == (
            "pendingcancel", "1.00", "0.02500000")
        done = await recv_until(ws, order_update(order_id, "partiallyfilledcancelled"))
        assert (done["data"]["executedQty"], done["data"]["remainingQty"], done["data"]["reason"]) == (
            "1.00", "0.00", "usercancel")
        order = (await venue.user.order(order_id))["order"]
        assert (order["status"], order["amountFilled"]) == ("partiallyfilledcancelled", "1.00")
    finally:
        await ws.close()


async def test_a_fill_that_completes_a_pending_cancel_wins(venue: Venue) -> None:
    venue.server.cancel_latency_s = 2.0
    ws = await ws_open(venue, venue.user_signer)
    try:
        order_id = await venue.user.place(side="sell", qty="1.00", px="0.025300")
        await venue.user.post(f"/api/v1/orders/{order_id}/cancel")
        await recv_until(ws, order_update(order_id, "pendingcancel"))
        await venue.maker.place(side="buy", qty="1.00", px="0.025300")
        await recv_until(ws, order_update(order_id, "filled"))
        assert (await venue.user.order(order_id))["order"]["status"] == "filled"
    finally:
        await ws.close()


async def test_cancel_all_reports_pending_then_cancelled_in_order(venue: Venue) -> None:
    venue.server.cancel_service_s = 0.02  # a burst queues: the last cancel is pending longest
    ws = await ws_open(venue, venue.user_signer)
    try:
        ids = [await venue.user.place(side="buy", qty="1.00", px=f"0.0250{i:02d}") for i in range(4)]
        response = (await venue.user.post("/api/v1/orders/cancel-all")).json()
        assert set(response) == set(SAMPLES["cancel_all_response"]["sample"])
        assert response["data"]["cancelledOrderIds"] == ids
        statuses: list[tuple[str, str]] = []
        while len([s for s in statuses if s[1] == "cancelled"]) < 4:
            message = await recv_until(ws, lambda m: m.get("type") == "order")
            statuses.append((message["data"]["orderId"], message["data"]["status"]))
        relevant = [s for s in statuses if s[1] in ("pendingcancel", "cancelled")]
        assert relevant == [(i, "pendingcancel") for i in ids] + [(i, "cancelled") for i in ids]
        assert (await venue.user.get("/api/v1/orders", instType="perpetual")).json()["data"]["orders"] == []
        assert (await venue.user.post("/api/v1/orders/cancel-all")).json()["data"]["cancelledOrderIds"] == []
    finally:
        await ws.close()


async def test_post_only_that_would_cross_is_cancelled_not_rejected(venue: Venue) -> None:
    await venue.maker.place(side="sell", qty="1.00", px="0.025200")
    order_id = await venue.user.place(side="buy", qty="1.00", px="0.025200", postOnly=True)
    order = (await venue.user.order(order_id))["order"]
    assert (order["status"], order["reason"]) == ("cancelled", "postonlywouldcross")
    resting = await venue.user.place(side="buy", qty="1.00", px="0.025100", postOnly=True)
    assert (await venue.user.order(resting))["order"]["status"] == "submitted"


async def test_self_trade_prevention_cancels_the_older_resting_order(venue: Venue) -> None:
    older = await venue.user.place(side="sell", qty="1.00", px="0.025200")
    await venue.maker.place(side="sell", qty="1.00", px="0.025300")
    newer = await venue.user.place(side="buy", qty="1.00", px="0.025300")
    old = (await venue.user.order(older))["order"]
    assert (old["status"], old["reason"]) == ("cancelled", "selftradeprevention")
    new = await venue.user.order(newer)
    assert new["order"]["status"] == "filled" and [f["px"] for f in new["fills"]] == ["0.02530000"]


async def test_ioc_remainder_is_partially_filled_cancelled(venue: Venue) -> None:
    await venue.maker.place(side="sell", qty="1.00", px="0.025200")
    order_id = await venue.user.place(side="buy", qty="3.00", px="0.025200", timeInForce="ioc")
    order = (await venue.user.order(order_id))["order"]
    assert (order["status"], order["amountFilled"], order["reason"]) == (
        "partiallyfilledcancelled", "1.00", "immediateorcancel")
    nothing = await venue.user.place(side="buy", qty="1.00", px="0.025000", timeInForce="ioc")
    assert (await venue.user.order(nothing))["order"]["status"] == "cancelled"


async def test_stop_limit_waits_for_its_trigger(venue: Venue) -> None:
    ws = await ws_open(venue, venue.user_signer)
    try:
        stop = await venue.user.place(orderType="stoplimit", side="buy", qty="1.00", px="0.025500",
                                      triggerPx="0.025300")
        await recv_until(ws, order_update(stop, "waitingtrigger"))
        order = (await venue.user.order(stop))["order"]
        assert (order["status"], order["isTriggered"], order["triggerPx"]) == ("waitingtrigger", False, "0.02530000")
        await venue.maker.place(side="sell", qty="2.00", px="0.025300")
        third_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        entry = venue.server.add_key(third_key.public_key(), "third", Decimal(10))
        third = venue.client(RoxomSigner(entry.key_id, third_key))
        try:
            trigger = await third.place(side="buy", qty="1.00", px="0.025300")  # a trade at the trigger price
            assert (await third.order(trigger))["order"]["status"] == "filled"
        finally:
            await third.http.aclose()
        await recv_until(ws, order_update(stop, "filled"))
        order = (await venue.user.order(stop))["order"]
        assert order["isTriggered"] is True and order["triggeredAt"] is not None
    finally:
        await ws.close()


async def test_gtd_order_expires_at_cancel_at(venue: Venue) -> None:
    ws = await ws_open(venue, venue.user_signer)
    try:
        cancel_at = venue.server.engine._clock_ns() // 1_000_000 + 300
        order_id = await venue.user.place(side="buy", qty="1.00", px="0.025000", timeInForce="gtd", cancelAt=cancel_at)
        assert (await venue.user.order(order_id))["order"]["cancelAt"] == cancel_at
        expired = await recv_until(ws, order_update(order_id, "expired"))
        assert expired["data"]["reason"] == "gtdexpired"
        assert (await venue.user.order(order_id))["order"]["status"] == "expired"
        response = await venue.user.post(f"/api/v1/orders/{order_id}/cancel")
        assert assert_error(response, 409, "Order cannot be cancelled")["error"]["details"] == "order is expired"
    finally:
        await ws.close()


async def test_restricted_account_orders_go_inactive_and_new_ones_are_rejected(venue: Venue) -> None:
    resting = await venue.user.place(side="buy", qty="1.00", px="0.025000")
    assert (await venue.user.post("/_control/restriction", {"restricted": True})).status_code == 200
    order = (await venue.user.order(resting))["order"]
    assert (order["status"], order["reason"]) == ("inactive", "accountinactive")
    refused = await venue.user.place(side="buy", qty="1.00", px="0.025000")
    order = (await venue.user.order(refused))["order"]
    assert (order["status"], order["reason"]) == ("rejected", "accountinactive")
    await venue.user.post("/_control/restriction", {"restricted": False})
    assert (await venue.user.order(await venue.user.place(side="buy", qty="1.00", px="0.025000")))["order"][
        "status"] == "submitted"
    assert_error(await venue.user.post("/_control/restriction", {"restricted": "yes"}), 400, "Validation error")


async def test_insufficient_margin_is_rejected_with_its_reason(venue: Venue) -> None:
    poor_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    entry = venue.server.add_key(poor_key.public_key(), "poor", Decimal("0.001"))
    poor = venue.client(RoxomSigner(entry.key_id, poor_key))
    try:
        order_id = await poor.place(side="buy", qty="1.00", px="0.025000")  # margin 0.0025 BTC > 0.001
        order = (await poor.order(order_id))["order"]
        assert (order["status"], order["reason"]) == ("rejected", "insufficientmargin")
    finally:
        await poor.http.aclose()


# -- account ---------------------------------------------------------------------------------------------------------


async def test_balance_positions_after_a_fill(venue: Venue) -> None:
    before = (await venue.user.get("/api/v1/accounts/balance")).json()["data"]["balances"][0]
    assert (before["asset"], before["current"], before["available"]) == ("BTC", "500000000", "500000000")  # sats
    await venue.maker.place(side="sell", qty="2.00", px="0.025000")
    await venue.user.place(side="buy", qty="2.00", px="0.025000")
    balance = (await venue.user.get("/api/v1/accounts/balance", unit="btc")).json()["data"]["balances"][0]
    fee = Decimal("0.050000") * Decimal("0.0005")
    assert Decimal(balance["current"]) == Decimal(5) - fee
    assert Decimal(balance["lockedInOrders"]) == Decimal("0.0050")  # position margin at 10%
    positions = (await venue.user.get("/api/v1/positions", instType="perpetual", symbol=GOLD, unit="btc")).json()
    position = positions["data"]["positions"][0]
    assert (position["side"], position["size"], position["entryPrice"]) == ("long", "2.00", "0.02500000")
    maker_position = (await venue.maker.get("/api/v1/positions", symbol=GOLD)).json()["data"]["positions"][0]
    assert (maker_position["side"], maker_position["entryPrice"]) == ("short", "2500000")  # sats by default
    assert_error(await venue.user.get("/api/v1/positions", instType="perpetual"), 400, "Validation error")
    assert (await venue.user.get("/api/v1/positions", symbol="OIL-BTC")).json()["data"]["positions"] == []


async def test_transaction_log_cursor_paging_ends(venue: Venue) -> None:
    await venue.maker.place(side="sell", qty="5.00", px="0.025000")
    order_ids = [await venue.user.place(side="buy", qty="1.00", px="0.025000") for _ in range(5)]
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(10):  # a walker that cannot loop: at most 10 pages
        query: dict[str, Any] = {"limit": 2}
        if cursor is not None:
            query["cursor"] = cursor
        body = (await venue.user.get("/api/v1/accounts/transaction-log", **query)).json()
        assert set(body["data"]) == {"logs", "cursor"}
        seen += [log["orderId"] for log in body["data"]["logs"]]
        cursor = body["data"]["cursor"]
        if cursor is None:
            break
    assert seen == order_ids  # oldest first, each once, and the walk ended
    first = (await venue.user.get("/api/v1/accounts/transaction-log", limit=1)).json()["data"]["logs"][0]
    assert set(first) == set(SAMPLES["transaction_log_page"]["sample"]["data"]["logs"][0])
    assert (first["transactionType"], first["amount"], first["fillPrice"], first["isTaker"]) == (
        "orderFill", "1.00", "2500000", True)
    assert_error(await venue.user.get("/api/v1/accounts/transaction-log", cursor="@@"), 400, "Validation error")
    assert_error(await venue.user.get("/api/v1/accounts/transaction-log", limit=0), 400, "Validation error")
    future = venue.server.engine._clock_ns() // 1_000_000 + 60_000
    empty = (await venue.user.get("/api/v1/accounts/transaction-log", **{"from": future})).json()["data"]
    assert empty == {"logs": [], "cursor": None}


# -- WebSocket -------------------------------------------------------------------------------------------------------


async def test_orders_channel_reaches_every_authenticated_connection(venue: Venue) -> None:
    first, second = await ws_open(venue, venue.user_signer), await ws_open(venue, venue.user_signer)
    public = await ws_open(venue, None)
    try:
        order_id = await venue.user.place(side="buy", qty="1.00", px="0.025000", clientOrderId="two-sockets")
        for ws in (first, second):
            update = await recv_until(ws, order_update(order_id, "submitted"))
            assert set(update["data"]) == set(SAMPLES["ws_order_update"]["sample"]["data"])
            assert update["data"]["clientOrderId"] == "two-sockets"
        await public.send(json.dumps({"op": "ping"}))
        pong = await recv_until(public, lambda m: True)  # the first message: no order update reached it
        assert pong["op"] == "pong"
    finally:
        for ws in (first, second, public):
            await ws.close()


async def test_order_updates_go_pendingsubmit_then_submitted_then_fills(venue: Venue) -> None:
    ws = await ws_open(venue, venue.user_signer)
    try:
        await venue.maker.place(side="sell", qty="1.00", px="0.025200")
        order_id = await venue.user.place(side="buy", qty="2.00", px="0.025200")
        seen: list[str] = []
        while not seen or seen[-1] != "partiallyfilled":
            message = await recv_until(ws, lambda m: m.get("type") == "order" and m["data"]["orderId"] == order_id)
            seen.append(message["data"]["status"])
        assert seen == ["pendingsubmit", "submitted", "partiallyfilled"]
        assert message["data"]["entryPositionId"] is not None and message["data"]["fillPx"] == "0.02520000"
        position = await recv_until(ws, lambda m: m.get("type") == "position")
        assert position["data"][0]["side"] == "long"
        balance = await recv_until(ws, lambda m: m.get("type") == "balance")
        assert set(balance["data"]) == set(SAMPLES["ws_balance"]["sample"]["data"])
    finally:
        await ws.close()


async def test_bad_handshake_signature_fails_the_upgrade(venue: Venue) -> None:
    wrong = RoxomSigner(venue.server.api_key, _fixture_key())
    with pytest.raises(InvalidStatus) as info:
        await connect(venue.server.ws_url, additional_headers=wrong.ws_headers(), open_timeout=WAIT_S)
    assert info.value.response.status_code == 401
    body = json.loads(info.value.response.body or b"{}")
    assert body["error"]["message"] == "Invalid Signature"


async def test_market_data_channels_subscribe_snapshot_and_updates(venue: Venue) -> None:
    await venue.maker.place(side="sell", qty="2.00", px="0.025300")
    ws = await ws_open(venue, None)
    try:
        subscribe = {"op": "subscribe", "args": [{"channel": c, "symbol": GOLD} for c in ("level1", "depth", "trade")]}
        await ws.send(json.dumps(subscribe))
        ack = await recv_until(ws, lambda m: m.get("event") == "subscribe")
        assert ack["success"] is True and ack["args"] == [subscribe["args"][0]]
        level1 = await recv_until(ws, lambda m: m.get("topic") == f"level1.{GOLD}")
        assert set(level1) == set(SAMPLES["ws_level1"]["sample"])
        assert (level1["data"]["ask"], level1["data"]["bid"]) == (["0.02530000", "2.00"], None)
        depth = await recv_until(ws, lambda m: m.get("topic") == f"depth.{GOLD}")
        assert depth["type"] == "snapshot" and depth["data"]["ask"] == [["0.02530000", "2.00"]]
        await venue.user.place(side="buy", qty="0.50", px="0.025300")
        got = await collect(ws, {f"trade.{GOLD}", f"depth.{GOLD}", f"level1.{GOLD}"})
        trade = got[f"trade.{GOLD}"]
        assert set(trade["data"]) == set(SAMPLES["ws_trade"]["sample"]["data"])
        assert (trade["data"]["takerSide"], trade["data"]["volume"], trade["data"]["vwap"]) == (
            "buy", "0.50", "0.02530000")
        delta = got[f"depth.{GOLD}"]
        assert delta["type"] == "delta" and delta["data"]["ask"] == [["0.02530000", "1.50"]]
        assert got[f"level1.{GOLD}"]["data"]["ask"] == ["0.02530000", "1.50"]
        await venue.user.place(side="buy", qty="1.50", px="0.025300")
        got = await collect(ws, {f"depth.{GOLD}", f"level1.{GOLD}"})
        assert got[f"depth.{GOLD}"]["data"]["ask"] == [["0.02530000", "0"]]  # the level emptied
        assert (got[f"level1.{GOLD}"]["data"]["ask"], got[f"level1.{GOLD}"]["data"]["bid"]) == (None, None)
    finally:
        await ws.close()


async def test_ws_errors_and_ping(venue: Venue) -> None:
    ws = await ws_open(venue, None)
    try:
        async def error_for(frame: str | bytes) -> dict[str, Any]:
            await ws.send(frame)
            return await recv_until(ws, lambda m: m.get("event") == "error")

        bad_channel = await error_for(json.dumps({"op": "subscribe", "args": [{"channel": "nope", "symbol": GOLD}]}))
        assert set(bad_channel) == set(SAMPLES["ws_error"]["sample"]) and bad_channel["code"] == "60014"
        bad_symbol = {"op": "subscribe", "args": [{"channel": "level1", "symbol": "NOPE"}]}
        assert (await error_for(json.dumps(bad_symbol)))["code"] == "60015"
        assert (await error_for("{nope"))["code"] == "60017"
        assert (await error_for(b"\x00\x01"))["code"] == "60018"
        private = {"op": "subscribe", "args": [{"channel": "orders"}]}
        assert (await error_for(json.dumps(private)))["code"] == "600010"
        await ws.send(json.dumps({"op": "ping"}))
        pong = await recv_until(ws, lambda m: m.get("op") == "pong")
        assert isinstance(pong["timestamp"], int)
    finally:
        await ws.close()
    authed = await ws_open(venue, venue.user_signer)
    try:
        await authed.send(json.dumps({"op": "subscribe", "args": [{"channel": "orders"}]}))
        assert (await recv_until(authed, lambda m: "event" in m))["event"] == "subscribe"
    finally:
        await authed.close()


async def test_subscription_limit(venue: Venue, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(roxom_streams, "MAX_SUBSCRIPTIONS", 1)
    ws = await ws_open(venue, None)
    try:
        await ws.send(json.dumps({"op": "subscribe", "args": [{"channel": "level1", "symbol": GOLD}]}))
        await recv_until(ws, lambda m: m.get("event") == "subscribe")
        await ws.send(json.dumps({"op": "subscribe", "args": [{"channel": "depth", "symbol": GOLD}]}))
        assert (await recv_until(ws, lambda m: m.get("event") == "error"))["code"] == "60016"
    finally:
        await ws.close()


async def test_a_client_too_far_behind_is_closed_with_1011(venue: Venue, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(roxom_connection, "WS_QUEUE_SIZE", 3)
    for i in range(4):
        await venue.user.place(side="buy", qty="1.00", px=f"0.0250{i:02d}")
    ws = await ws_open(venue, venue.user_signer)
    try:
        await venue.user.post("/api/v1/orders/cancel-all")  # 4 pendingcancel updates + balance in one step
        with pytest.raises(ConnectionClosed) as info:
            while True:
                await asyncio.wait_for(ws.recv(), WAIT_S)
        assert info.value.rcvd is not None and info.value.rcvd.code == 1011
    finally:
        await ws.close()


# -- the command line --------------------------------------------------------------------------------------------------


async def test_ready_json_prints_urls_key_and_a_0600_private_key_that_signs(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "console.exchange", "--venue", "roxom", "--port", "0", "--no-simulator",
         "--ready-json", "--exit-with-stdin"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 30)
        ready = json.loads(line)
        assert set(ready) == {"rest_url", "ws_url", "api_key", "private_key_path"}
        key_path = Path(ready["private_key_path"])
        assert key_path == tmp_path / "trading-console" / "roxom" / "demo-private-key.pem"
        assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
        assert ready["api_key"].startswith("xrxk_key_") and ready["ws_url"].endswith("/ws")
        signer = RoxomSigner(ready["api_key"], load_private_key(key_path))
        client = Client(ready["rest_url"], signer)
        try:
            response = await client.get("/api/v1/accounts/balance")
            assert response.status_code == 200 and response.json()["data"]["balances"][0]["asset"] == "BTC"
        finally:
            await client.http.aclose()
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        code = proc.wait(timeout=30)
    assert code == 0
    stderr = proc.stderr.read().decode() if proc.stderr is not None else ""
    assert ready["api_key"] not in stderr  # the banner masks the key id
    assert str(key_path) in stderr  # and prints the private key's path


async def test_second_start_reuses_the_key_and_refuses_a_readable_one(tmp_path: Path) -> None:
    first = RoxomServer(port=0, simulator=False, state_dir=tmp_path)
    await first.start()
    await first.stop()
    second = RoxomServer(port=0, simulator=False, state_dir=tmp_path)
    await second.start()
    await second.stop()
    assert second.api_key == first.api_key
    second.private_key_path.chmod(0o644)
    third = RoxomServer(port=0, simulator=False, state_dir=tmp_path)
    with pytest.raises(ValueError, match="chmod 600"):
        await third.start()


async def test_simulated_market_maker_quotes_every_instrument(tmp_path: Path) -> None:
    server = RoxomServer(port=0, simulator=True, state_dir=tmp_path, step_interval_s=3600)
    await server.start()
    client = Client(server.rest_url, None)
    try:
        for symbol in ("US500-BTC", "GOLD-BTC", "OIL-BTC"):
            book = (await client.get("/api/v1/orderbook/snapshot", symbol=symbol)).json()["data"]
            assert len(book["buys"]) == 6 and len(book["sells"]) == 6
            assert Decimal(book["buySellVersus"]["buy"]) < Decimal(book["buySellVersus"]["sell"])
    finally:
        await client.http.aclose()
        await server.stop()


def test_fixture_private_key_matches_its_public_key() -> None:
    public = serialization.load_pem_public_key((FIXTURES / "test_public_key.pem").read_bytes())
    assert isinstance(public, rsa.RSAPublicKey)
    assert public.public_numbers() == _fixture_key().public_key().public_numbers()


async def test_local_exchange_process_starts_the_roxom_venue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    with LocalExchangeProcess() as process:
        info = await asyncio.to_thread(process.start, venue="roxom", simulator=False)
        assert info.private_key_path == str(tmp_path / "trading-console" / "roxom" / "demo-private-key.pem")
        assert info.ws_url.endswith("/ws") and info.api_key.startswith("xrxk_key_")
        client = Client(info.rest_url, RoxomSigner(info.api_key, load_private_key(Path(info.private_key_path))))
        try:
            assert (await client.get("/api/v1/accounts/balance")).status_code == 200
        finally:
            await client.http.aclose()


# -- faults ----------------------------------------------------------------------------------------------------------


async def test_fault_http_error_answers_without_processing(venue: Venue) -> None:
    venue.server.faults.arm("http-error", status=503, path="/api/v1/orders", count=1)
    body = {"symbol": GOLD, "instType": "perpetual", "side": "buy", "orderType": "limit", "qty": "1.00",
            "px": "0.025000"}
    assert_error(await venue.user.post("/api/v1/orders", body), 503, "Internal error")
    assert (await venue.user.get("/api/v1/orders", instType="perpetual")).json()["data"]["orders"] == []
    assert (await venue.user.post("/api/v1/orders", body)).status_code == 200  # count 1: it fired once


async def test_fault_drop_response_places_the_order_but_loses_the_answer(venue: Venue) -> None:
    venue.server.faults.arm("drop-response", path="/api/v1/orders")
    with pytest.raises(httpx.TransportError):
        await venue.user.place(side="buy", qty="1.00", px="0.025000", clientOrderId="ambiguous-1")
    orders = (await venue.user.get("/api/v1/orders", instType="perpetual")).json()["data"]["orders"]
    assert [o["clientOrderId"] for o in orders] == ["ambiguous-1"]  # settled by client order id, never re-sent


async def test_fault_on_a_route_template_matches_every_order_s_path(venue: Venue) -> None:
    """``path`` may be a route's template: the fault fires on any order's cancel, not on other routes."""
    first = await venue.user.place(side="buy", qty="1.00", px="0.025000")
    second = await venue.user.place(side="buy", qty="1.00", px="0.024900")
    venue.server.faults.arm("http-error", status=502, path="/api/v1/orders/{orderId}/cancel", count=2)
    assert (await venue.user.get(f"/api/v1/orders/{first}")).status_code == 200  # another route: not consumed
    for order_id in (second, first):
        assert_error(await venue.user.post(f"/api/v1/orders/{order_id}/cancel"), 502, "Internal error")
    assert [(await venue.user.order(o))["order"]["status"] for o in (first, second)] == ["submitted"] * 2
    assert (await venue.user.post(f"/api/v1/orders/{first}/cancel")).status_code == 200  # count 2: spent


async def test_fault_drop_request_places_nothing(venue: Venue) -> None:
    venue.server.faults.arm("drop-request", path="/api/v1/orders")
    with pytest.raises(httpx.TransportError):
        await venue.user.place(side="buy", qty="1.00", px="0.025000")
    assert (await venue.user.get("/api/v1/orders", instType="perpetual")).json()["data"]["orders"] == []


async def test_fault_delay_answers_late(venue: Venue) -> None:
    venue.server.faults.arm("delay", path="/api/v1/accounts/balance", delay_s=0.3)
    loop = asyncio.get_running_loop()
    start = loop.time()
    assert (await venue.user.get("/api/v1/accounts/balance")).status_code == 200
    assert loop.time() - start >= 0.3


async def test_fault_stall_stream_loses_messages_until_cleared(venue: Venue) -> None:
    ws = await ws_open(venue, venue.user_signer)
    try:
        admin = venue.client(None).http
        assert (await admin.post("/_faults", json={"kind": "stall-stream"})).status_code == 200
        await venue.user.place(side="buy", qty="1.00", px="0.025000")  # its updates are lost
        await ws.send(json.dumps({"op": "ping"}))  # and so is the pong
        listed = (await admin.get("/_faults")).json()
        assert [f["kind"] for f in listed["armed"]] == ["stall-stream"]
        assert (await admin.delete("/_faults")).json() == {"armed": []}
        await ws.send(json.dumps({"op": "ping"}))
        first = json.loads(await asyncio.wait_for(ws.recv(), WAIT_S))
        assert first.get("op") == "pong"  # nothing sent while stalled arrives late
    finally:
        await ws.close()


@pytest.mark.parametrize(("kind", "code"), [("close-clean", 1000), ("close-abrupt", None)])
async def test_fault_close_streams(venue: Venue, kind: str, code: int | None) -> None:
    ws = await ws_open(venue, venue.user_signer)
    try:
        answer = await venue.client(None).http.post("/_faults", json={"kind": kind})
        assert answer.json() == {"closed": 1}
        with pytest.raises(ConnectionClosed) as info:
            await asyncio.wait_for(ws.recv(), WAIT_S)
        assert (info.value.rcvd.code if info.value.rcvd is not None else None) == code
    finally:
        await ws.close()


async def test_fault_admin_refuses_a_bad_fault(venue: Venue) -> None:
    admin = venue.client(None).http
    assert (await admin.post("/_faults", json={"kind": "nope"})).status_code == 400
    assert (await admin.post("/_faults", json={"kind": "http-error", "status": 418})).status_code == 400
    assert (await admin.get("/_faults")).json()["armed"] == []


def test_cli_refuses_a_bad_fault_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert roxom_cli.main(["--port", "0", "--state-dir", str(tmp_path), "--fault", "nope"]) == 2
    assert "--fault 'nope'" in capsys.readouterr().err
    assert parse_fault_spec("http-error:status=503,path=/api/v1/orders,count=0") == {
        "kind": "http-error", "status": 503, "path": "/api/v1/orders", "count": None}
