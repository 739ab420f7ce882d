"""The local exchange's REST API over real loopback sockets: authentication errors, roles and every endpoint."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from decimal import Decimal
from typing import Any

import httpx
import pytest

from console.exchange.keys import (
    DEMO_API_KEY,
    DEMO_API_SECRET,
    DEMO_AUDITOR_API_KEY,
    DEMO_AUDITOR_API_SECRET,
    FUND_MANAGER,
)
from console.exchange.server.app import ExchangeServer
from console.exchange.symbols import DEFAULT_SYMBOLS
from tests.integration.conftest import (
    PrivateClient,
    Signer,
    encode,
    next_nonce,
    signed_headers,
)

ORDER_KEYS = {
    "order_id", "id", "symbol", "exchange", "avg_execution_price", "side", "type", "timestamp", "timestampms",
    "is_live", "is_cancelled", "is_hidden", "was_forced", "executed_amount", "remaining_amount", "original_amount",
    "price", "options",
}  # fmt: skip


def error(reason: str, message: str) -> dict[str, str]:
    return {"result": "error", "reason": reason, "message": message}


def assert_error(response: httpx.Response, status: int, reason: str, message: str | None = None) -> None:
    """The exact Gemini error body (https://docs.gemini.com/rest/error-codes): three keys, the reason, and the message
    when given."""
    body = response.json()
    assert response.status_code == status, response.text
    assert set(body) == {"result", "reason", "message"}
    assert body["result"] == "error"
    assert body["reason"] == reason
    assert isinstance(body["message"], str) and body["message"]
    if message is not None:
        assert body["message"] == message


async def place(
    client: PrivateClient, side: str, amount: str, price: str, symbol: str = "btcusd", **extra: Any
) -> dict:
    return await client.ok(
        "/v1/order/new", symbol=symbol, amount=amount, price=price, side=side, type="exchange limit", **extra
    )


# -- authentication --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dropped", "reason", "message"),
    [
        ("X-GEMINI-APIKEY", "MissingApikeyHeader", "The X-GEMINI-APIKEY header is missing"),
        ("X-GEMINI-PAYLOAD", "MissingPayloadHeader", "The X-GEMINI-PAYLOAD header is missing"),
        ("X-GEMINI-SIGNATURE", "MissingSignatureHeader", "The X-GEMINI-SIGNATURE header is missing"),
    ],
)
async def test_missing_header_is_400(
    http: httpx.AsyncClient, trader_signer: Signer, dropped: str, reason: str, message: str
) -> None:
    headers = trader_signer.headers("/v1/balances")
    del headers[dropped]
    response = await http.post("/v1/balances", headers=headers)
    assert response.status_code == 400
    assert response.json() == error(reason, message)


async def test_bad_signature_is_invalid_signature(http: httpx.AsyncClient, trader_signer: Signer) -> None:
    headers = trader_signer.headers("/v1/balances")
    headers["X-GEMINI-SIGNATURE"] = headers["X-GEMINI-SIGNATURE"][:-1] + (
        "0" if headers["X-GEMINI-SIGNATURE"][-1] != "0" else "1"
    )
    response = await http.post("/v1/balances", headers=headers)
    assert response.status_code == 400
    assert response.json() == error("InvalidSignature", "InvalidSignature")  # Gemini: the message is the reason


async def test_signature_with_wrong_secret_is_rejected_and_does_not_burn_the_nonce(
    http: httpx.AsyncClient, trader: PrivateClient
) -> None:
    payload = trader.signer.payload("/v1/balances")
    forged = signed_headers(DEMO_API_KEY, "not-the-secret", encode(payload))
    assert_error(await http.post("/v1/balances", headers=forged), 400, "InvalidSignature")
    # The same nonce, correctly signed, is still accepted: nonces are recorded only after the signature checks out.
    good = await http.post("/v1/balances", headers=trader.signer.headers_for(payload))
    assert good.status_code == 200


async def test_unknown_key_is_invalid_signature(http: httpx.AsyncClient) -> None:
    signer = Signer("account-NoSuchKey0000000001", "whatever")
    response = await http.post("/v1/balances", headers=signer.headers("/v1/balances"))
    assert response.status_code == 400
    assert response.json() == error("InvalidSignature", "InvalidSignature")


async def test_request_differing_from_path_is_endpoint_mismatch(http: httpx.AsyncClient, trader_signer: Signer) -> None:
    response = await http.post("/v1/balances", headers=trader_signer.headers("/v1/orders"))
    assert response.status_code == 400
    assert response.json() == error(
        "EndpointMismatch", "The payload's request '/v1/orders' does not match the URL path '/v1/balances'"
    )


async def test_payload_without_request_is_endpoint_not_found(http: httpx.AsyncClient) -> None:
    headers = signed_headers(DEMO_API_KEY, DEMO_API_SECRET, encode({"nonce": next_nonce()}))
    assert_error(await http.post("/v1/balances", headers=headers), 400, "EndpointNotFound")


async def test_payload_without_nonce_is_missing_nonce(http: httpx.AsyncClient) -> None:
    headers = signed_headers(DEMO_API_KEY, DEMO_API_SECRET, encode({"request": "/v1/balances"}))
    response = await http.post("/v1/balances", headers=headers)
    assert response.status_code == 400
    assert response.json() == error("MissingNonce", "A nonce was not provided in the payload")


@pytest.mark.parametrize(
    "payload_b64",
    [
        "%%% not base64 %%%",
        base64.b64encode(b"{not json").decode(),
        base64.b64encode(b'["/v1/balances", 1]').decode(),
        base64.b64encode(b"\xff\xfe").decode(),
    ],
    ids=["bad-base64", "bad-json", "json-array", "bad-utf8"],
)
async def test_garbage_payload_is_invalid_json(http: httpx.AsyncClient, payload_b64: str) -> None:
    headers = signed_headers(DEMO_API_KEY, DEMO_API_SECRET, payload_b64)
    assert_error(await http.post("/v1/balances", headers=headers), 400, "InvalidJson", "InvalidJson")


async def test_replayed_request_is_invalid_nonce(http: httpx.AsyncClient, trader_signer: Signer) -> None:
    payload = trader_signer.payload("/v1/balances")
    headers = trader_signer.headers_for(payload)
    assert (await http.post("/v1/balances", headers=headers)).status_code == 200
    replay = await http.post("/v1/balances", headers=headers)
    assert replay.status_code == 400
    assert replay.json() == error(
        "InvalidNonce", f"Nonce '{payload['nonce']}' has not increased since your last call to the Gemini API."
    )


async def test_nonces_as_int_float_and_string_are_compared_numerically(
    http: httpx.AsyncClient, trader_signer: Signer
) -> None:
    async def post(nonce: object) -> httpx.Response:
        return await http.post(
            "/v1/balances", headers=trader_signer.headers_for({"request": "/v1/balances", "nonce": nonce})
        )

    assert (await post(1000)).status_code == 200
    assert (await post(1000.5)).status_code == 200  # float, greater than 1000
    assert (await post("1001")).status_code == 200  # numeric string, greater than 1000.5

    lower_string = await post("1000.75")
    assert lower_string.status_code == 400
    assert lower_string.json() == error(
        "InvalidNonce", "Nonce '1000.75' has not increased since your last call to the Gemini API."
    )
    lower_float = await post(1000.9)
    assert lower_float.json() == error(
        "InvalidNonce", "Nonce '1000.9' has not increased since your last call to the Gemini API."
    )
    equal_int = await post(1001)
    assert equal_int.json() == error(
        "InvalidNonce", "Nonce '1001' has not increased since your last call to the Gemini API."
    )
    assert (await post("1001.5")).status_code == 200


async def test_non_numeric_nonce_is_invalid_nonce(http: httpx.AsyncClient, trader_signer: Signer) -> None:
    headers = trader_signer.headers_for({"request": "/v1/balances", "nonce": "soon"})
    response = await http.post("/v1/balances", headers=headers)
    assert response.json() == error("InvalidNonce", "Nonce 'soon' is not a number.")


async def test_nonces_are_tracked_per_key(
    http: httpx.AsyncClient, trader: PrivateClient, auditor: PrivateClient
) -> None:
    nonce = next_nonce()
    ok_trader = await http.post(
        "/v1/balances", headers=trader.signer.headers_for({"request": "/v1/balances", "nonce": nonce})
    )
    ok_auditor = await http.post(
        "/v1/balances", headers=auditor.signer.headers_for({"request": "/v1/balances", "nonce": nonce})
    )
    assert (ok_trader.status_code, ok_auditor.status_code) == (200, 200)


async def test_time_based_nonce_must_be_within_30_seconds(
    exchange: ExchangeServer, http: httpx.AsyncClient, clock: list[int]
) -> None:
    exchange.add_api_key("account-TimeNonceKey00000001", "time-secret", time_based_nonce=True)
    signer = Signer("account-TimeNonceKey00000001", "time-secret")
    now_s = clock[0] // 1000

    async def post(nonce: object) -> httpx.Response:
        return await http.post("/v1/balances", headers=signer.headers_for({"request": "/v1/balances", "nonce": nonce}))

    assert (await post(now_s)).status_code == 200
    assert (await post(now_s)).status_code == 200  # time-based keys need not increase (see auth._check_nonce)
    assert (await post(now_s + 30)).status_code == 200
    assert (await post(now_s - 30)).status_code == 200
    millis = await post(clock[0])
    assert millis.status_code == 400
    assert millis.json() == error(
        "InvalidNonce", f"Nonce '{clock[0]}' is not within 30 seconds of server time '{now_s}'"
    )
    stale = await post(now_s - 31)
    assert stale.json() == error(
        "InvalidNonce", f"Nonce '{now_s - 31}' is not within 30 seconds of server time '{now_s}'"
    )


async def test_auditor_key_lacks_trader_role(http: httpx.AsyncClient, auditor: PrivateClient) -> None:
    trader_only = ("/v1/order/new", "/v1/order/cancel", "/v1/order/cancel/all", "/v1/order/cancel/session",
                   "/v1/heartbeat")
    for path in trader_only:
        response = await auditor.post(path, symbol="btcusd", amount="1", price="1", side="buy", type="exchange limit")
        assert response.status_code == 403, path
        assert response.json() == error(
            "MissingRole",
            "To access this endpoint, you need to log in to the website and go to the settings page to assign one "
            f"of these roles [Trader] to API key {DEMO_AUDITOR_API_KEY} which currently has roles [Auditor]",
        )


async def test_auditor_key_may_read(auditor: PrivateClient, trader: PrivateClient) -> None:
    order = await place(trader, "buy", "0.01", "50000")
    assert [o["order_id"] for o in await auditor.ok("/v1/orders")] == [order["order_id"]]
    assert (await auditor.ok("/v1/order/status", order_id=int(order["order_id"])))["order_id"] == order["order_id"]
    assert isinstance(await auditor.ok("/v1/balances"), list)
    assert await auditor.ok("/v1/mytrades") == []


async def test_fund_manager_key_may_only_read_balances(exchange: ExchangeServer, http: httpx.AsyncClient) -> None:
    exchange.add_api_key("account-FundManagerKey000001", "fm-secret", roles=[FUND_MANAGER])
    fund_manager = PrivateClient(http, Signer("account-FundManagerKey000001", "fm-secret"))
    assert isinstance(await fund_manager.ok("/v1/balances"), list)
    response = await fund_manager.post("/v1/orders")
    assert_error(response, 403, "MissingRole")
    assert "[Trader, Auditor]" in response.json()["message"]
    assert "currently has roles [FundManager]" in response.json()["message"]


async def test_request_body_is_ignored(http: httpx.AsyncClient, trader_signer: Signer) -> None:
    headers = trader_signer.headers("/v1/balances")
    headers.pop("Content-Length")
    response = await http.post(
        "/v1/balances", headers=headers, content=json.dumps({"request": "/v1/orders", "nonce": 1}).encode()
    )
    assert response.status_code == 200
    assert {b["currency"] for b in response.json()} >= {"USD", "BTC"}


async def test_account_field_with_account_key_is_rejected(trader: PrivateClient) -> None:
    assert_error(await trader.post("/v1/balances", account="primary"), 400, "AccountsOnGroupOnlyApi")


# -- routing and generic errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/v1/nonsense"), ("POST", "/v2/order/new"), ("GET", "/v1/order/new")]
)
async def test_unknown_path_or_method_is_404(http: httpx.AsyncClient, method: str, path: str) -> None:
    response = await http.request(method, path)
    assert response.status_code == 404
    assert response.json() == error("EndpointNotFound", f"API entry point `{path}` not found")


async def test_unhandled_exception_is_500_system(
    exchange: ExchangeServer, trader: PrivateClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(account_id: int) -> list[dict]:
        raise RuntimeError("boom")

    monkeypatch.setattr(exchange.engine, "balances", broken)
    response = await trader.post("/v1/balances")
    assert_error(response, 500, "System")
    assert "boom" not in response.text


async def test_order_events_without_upgrade_is_an_http_error(http: httpx.AsyncClient, trader_signer: Signer) -> None:
    response = await http.get("/v1/order/events", headers=trader_signer.headers("/v1/order/events"))
    assert_error(response, 400, "EndpointNotFound")


# -- private endpoints -----------------------------------------------------------------------------------------------


async def test_order_new_resting_order_shape(trader: PrivateClient, clock: list[int]) -> None:
    order = await place(trader, "buy", "0.5", "60000.00", symbol="BTCUSD", client_order_id="ticket-1")
    assert ORDER_KEYS <= set(order)
    assert re.fullmatch(r"\d+", order["order_id"]) and order["id"] == order["order_id"]
    assert order["symbol"] == "btcusd"
    assert order["exchange"] == "gemini"
    assert order["side"] == "buy"
    assert order["type"] == "exchange limit"
    assert order["timestamp"] == str(clock[0] // 1000)
    assert order["timestampms"] == clock[0]
    assert (order["is_live"], order["is_cancelled"], order["is_hidden"], order["was_forced"]) == (
        True,
        False,
        False,
        False,
    )
    assert (order["executed_amount"], order["remaining_amount"], order["original_amount"]) == ("0", "0.5", "0.5")
    assert order["price"] == "60000.00"
    assert order["options"] == []
    assert order["client_order_id"] == "ticket-1"
    assert "reason" not in order


@pytest.mark.parametrize(
    ("dropped", "reason"),
    [("amount", "MissingQuantity"), ("price", "MissingPrice"), ("side", "MissingSide"), ("type", "MissingType")],
)
async def test_order_new_missing_field_has_its_own_reason(trader: PrivateClient, dropped: str, reason: str) -> None:
    """Gemini's sandbox: one reason per missing field, "Order for symbol BTCUSD was missing required field '…'"."""
    order = {"symbol": "btcusd", "amount": "1", "price": "64000.00", "side": "buy", "type": "exchange limit"}
    del order[dropped]
    response = await trader.post("/v1/order/new", **order)
    assert response.status_code == 400
    assert response.json() == error(reason, f"Order for symbol BTCUSD was missing required field '{dropped}'")


async def test_order_new_missing_symbol_is_missing_symbol(trader: PrivateClient) -> None:
    response = await trader.post("/v1/order/new", amount="1", price="64000.00", side="buy", type="exchange limit")
    assert response.status_code == 400
    assert response.json() == error("MissingSymbol", "Order was missing required field 'symbol'")


async def test_engine_rejects_map_to_their_status(trader: PrivateClient) -> None:
    order = {"symbol": "btcusd", "amount": "1", "price": "64000", "side": "buy", "type": "exchange limit"}
    assert_error(await trader.post("/v1/order/new", **{**order, "amount": "100"}), 406, "InsufficientFunds")
    assert_error(await trader.post("/v1/order/new", **{**order, "symbol": "nosuch"}), 400, "InvalidSymbol")
    assert_error(
        await trader.post("/v1/order/new", **order, options="maker-or-cancel"), 400, "OptionsMustBeArray"
    )


async def test_fill_then_status_with_trades_and_mytrades(trader: PrivateClient, maker: PrivateClient) -> None:
    resting = await place(maker, "sell", "0.25", "64000.00")
    taken = await place(trader, "buy", "0.25", "64000.00", client_order_id="taker-1")
    assert (taken["is_live"], taken["executed_amount"], taken["remaining_amount"]) == (False, "0.25", "0")
    assert taken["avg_execution_price"] == "64000.00"

    by_id = await trader.ok("/v1/order/status", order_id=int(taken["order_id"]), include_trades=True)
    assert by_id["order_id"] == taken["order_id"]
    [trade] = by_id["trades"]
    assert trade["type"] == "Buy" and trade["aggressor"] is True and trade["symbol"] == "BTCUSD"
    assert (trade["price"], trade["amount"], trade["order_id"]) == ("64000.00", "0.25", taken["order_id"])

    by_client_id = await trader.ok("/v1/order/status", client_order_id="taker-1")
    assert by_client_id["order_id"] == taken["order_id"] and "trades" not in by_client_id
    by_string_id = await trader.ok("/v1/order/status", order_id=taken["order_id"])
    assert by_string_id["order_id"] == taken["order_id"]

    mine = await trader.ok("/v1/mytrades", symbol="btcusd", limit_trades=10)
    assert [t["tid"] for t in mine] == [trade["tid"]]
    assert isinstance(mine[0]["tid"], int) and isinstance(mine[0]["timestamp"], int)
    maker_side = await maker.ok("/v1/mytrades")
    assert maker_side[0]["type"] == "Sell" and maker_side[0]["aggressor"] is False
    assert maker_side[0]["order_id"] == resting["order_id"]


async def test_order_status_field_checks(trader: PrivateClient) -> None:
    assert_error(await trader.post("/v1/order/status"), 400, "MissingOrderField")
    assert_error(await trader.post("/v1/order/status", order_id=[1]), 400, "MissingOrderField")
    assert_error(await trader.post("/v1/order/status", order_id=1, include_trades="yes"), 400, "InvalidJson")
    assert_error(await trader.post("/v1/order/status", order_id=1), 404, "OrderNotFound")


async def test_cancel_order(trader: PrivateClient) -> None:
    order = await place(trader, "sell", "1", "70000.00")
    cancelled = await trader.ok("/v1/order/cancel", order_id=int(order["order_id"]))
    assert cancelled["order_id"] == order["order_id"]
    assert (cancelled["is_live"], cancelled["is_cancelled"], cancelled["reason"]) == (False, True, "Requested")
    again = await trader.ok("/v1/order/cancel", order_id=int(order["order_id"]))  # no effect, still 200
    assert again["is_cancelled"] is True
    assert await trader.ok("/v1/orders") == []


async def test_cancel_errors(trader: PrivateClient, maker: PrivateClient) -> None:
    response = await trader.post("/v1/order/cancel")
    assert response.status_code == 400
    assert response.json() == error("MissingOrderField", "The payload is missing the required key 'order_id'")
    assert_error(await trader.post("/v1/order/cancel", order_id="abc"), 400, "MissingOrderField")
    assert_error(await trader.post("/v1/order/cancel", order_id=987654321), 404, "OrderNotFound")
    other = await place(maker, "sell", "1", "70000.00")
    assert_error(await trader.post("/v1/order/cancel", order_id=int(other["order_id"])), 404, "OrderNotFound")


async def test_cancel_all_and_cancel_session(
    exchange: ExchangeServer, http: httpx.AsyncClient, trader: PrivateClient
) -> None:
    exchange.add_api_key("account-SecondTraderKey00001", "second-secret")
    second = PrivateClient(http, Signer("account-SecondTraderKey00001", "second-secret"))
    mine = await place(trader, "buy", "0.01", "50000.00")
    theirs = await place(second, "buy", "0.01", "50001.00")

    session = await trader.ok("/v1/order/cancel/session")
    assert session == {"result": "ok", "details": {"cancelledOrders": [int(mine["order_id"])], "cancelRejects": []}}
    assert [o["order_id"] for o in await trader.ok("/v1/orders")] == [theirs["order_id"]]

    everything = await trader.ok("/v1/order/cancel/all")
    assert everything == {
        "result": "ok",
        "details": {"cancelledOrders": [int(theirs["order_id"])], "cancelRejects": []},
    }
    assert await trader.ok("/v1/orders") == []


async def test_orders_lists_live_orders(trader: PrivateClient) -> None:
    first = await place(trader, "buy", "0.01", "50000.00")
    second = await place(trader, "sell", "1", "3500.00", symbol="ethusd")
    orders = await trader.ok("/v1/orders")
    assert [o["order_id"] for o in orders] == [first["order_id"], second["order_id"]]
    assert all(ORDER_KEYS <= set(o) and o["is_live"] for o in orders)


async def test_balances_shape_and_holds(trader: PrivateClient) -> None:
    before = {b["currency"]: b for b in await trader.ok("/v1/balances")}
    assert before["USD"] == {
        "type": "exchange",
        "currency": "USD",
        "amount": "500000",
        "available": "500000",
        "availableForWithdrawal": "500000",
    }
    assert set(before) == {"USD", "BTC", "ETH", "SOL", "LTC", "DOGE", "GUSD"}
    await place(trader, "sell", "2", "70000.00")
    after = {b["currency"]: b for b in await trader.ok("/v1/balances")}
    assert (after["BTC"]["amount"], after["BTC"]["available"]) == ("10", "8")


async def test_heartbeat(trader: PrivateClient) -> None:
    assert await trader.ok("/v1/heartbeat") == {"result": "ok"}


async def test_require_heartbeat_session_expires_after_30_silent_seconds(
    exchange: ExchangeServer, http: httpx.AsyncClient, clock: list[int]
) -> None:
    exchange.add_api_key("account-HeartbeatKey00000001", "hb-secret", require_heartbeat=True)
    session = PrivateClient(http, Signer("account-HeartbeatKey00000001", "hb-secret"))
    order = await place(session, "buy", "0.01", "50000.00")
    start = clock[0]

    clock[0] = start + 20_000
    assert exchange.expire_heartbeat_sessions() == {}
    assert await session.ok("/v1/heartbeat") == {"result": "ok"}  # resets the 30 s timer

    clock[0] = start + 49_999
    assert exchange.expire_heartbeat_sessions() == {}
    assert (await session.ok("/v1/orders"))[0]["is_live"] is True  # any authenticated call is a heartbeat too

    clock[0] = start + 79_998
    assert exchange.expire_heartbeat_sessions() == {}
    clock[0] = start + 79_999  # 30 s after the /v1/orders call
    expired = exchange.expire_heartbeat_sessions()
    assert expired == {
        "account-HeartbeatKey00000001": {"cancelledOrders": [int(order["order_id"])], "cancelRejects": []}
    }
    status = await session.ok("/v1/order/status", order_id=int(order["order_id"]))
    assert (status["is_live"], status["is_cancelled"]) == (False, True)
    clock[0] = start + 100_000
    assert exchange.expire_heartbeat_sessions() == {}  # the status call restarted the timer
    clock[0] = start + 200_000
    assert exchange.expire_heartbeat_sessions() == {
        "account-HeartbeatKey00000001": {"cancelledOrders": [], "cancelRejects": []}
    }
    assert exchange.expire_heartbeat_sessions() == {}  # an expired session is not cancelled again


async def test_keys_without_require_heartbeat_never_expire(
    exchange: ExchangeServer, trader: PrivateClient, clock: list[int]
) -> None:
    await place(trader, "buy", "0.01", "50000.00")
    clock[0] += 3_600_000
    assert exchange.expire_heartbeat_sessions() == {}
    assert len(await trader.ok("/v1/orders")) == 1


async def test_mytrades_field_checks(trader: PrivateClient) -> None:
    assert_error(await trader.post("/v1/mytrades", limit_trades="many"), 400, "InvalidJson")
    assert_error(await trader.post("/v1/mytrades", timestamp="yesterday"), 400, "InvalidTimestampInPayload")
    assert_error(await trader.post("/v1/mytrades", symbol="nosuch"), 400, "InvalidSymbol")


# -- public endpoints ------------------------------------------------------------------------------------------------


async def test_symbols_and_details(http: httpx.AsyncClient) -> None:
    symbols = (await http.get("/v1/symbols")).json()
    assert "btcusd" in symbols and all(s == s.lower() for s in symbols)
    details = (await http.get("/v1/symbols/details/btcusd")).json()
    assert details == {
        "symbol": "BTCUSD",
        "base_currency": "BTC",
        "quote_currency": "USD",
        "tick_size": 1e-8,
        "quote_increment": 0.01,
        "min_order_size": "0.00001",
        "status": "open",
        "wrap_enabled": False,
        "product_type": "spot",
        "contract_type": "vanilla",
        "contract_price_currency": "USD",
    }
    assert_error(await http.get("/v1/symbols/details/nosuch"), 400, "InvalidSymbol")


async def test_book_ticker_and_trades(http: httpx.AsyncClient, trader: PrivateClient, maker: PrivateClient) -> None:
    await place(maker, "sell", "1", "64010.00")
    await place(maker, "sell", "2", "64020.00")
    await place(maker, "buy", "1.5", "63990.00")
    await place(trader, "buy", "0.1", "64010.00")

    book = (await http.get("/v1/book/btcusd", params={"limit_bids": 5, "limit_asks": 1})).json()
    assert [(level["price"], level["amount"]) for level in book["asks"]] == [("64010.00", "0.9")]
    assert [(level["price"], level["amount"]) for level in book["bids"]] == [("63990.00", "1.5")]
    assert all(isinstance(level["timestamp"], str) for level in book["bids"] + book["asks"])
    full = (await http.get("/v1/book/BTCUSD")).json()
    assert len(full["asks"]) == 2

    ticker = (await http.get("/v1/pubticker/btcusd")).json()
    assert (ticker["bid"], ticker["ask"], ticker["last"]) == ("63990.00", "64010.00", "64010.00")
    assert ticker["volume"]["BTC"] == "0.1" and isinstance(ticker["volume"]["timestamp"], int)

    trades = (await http.get("/v1/trades/btcusd", params={"limit_trades": 10})).json()
    assert len(trades) == 1
    assert set(trades[0]) == {"timestamp", "timestampms", "tid", "price", "amount", "exchange", "type", "broken"}
    assert (trades[0]["price"], trades[0]["amount"], trades[0]["type"]) == ("64010.00", "0.1", "buy")
    since = trades[0]["timestampms"] + 1
    assert (await http.get("/v1/trades/btcusd", params={"since": since})).json() == []
    in_seconds = trades[0]["timestamp"]
    assert len((await http.get("/v1/trades/btcusd", params={"timestamp": in_seconds})).json()) == 1


async def test_public_query_errors(http: httpx.AsyncClient) -> None:
    assert_error(await http.get("/v1/book/btcusd", params={"limit_bids": "lots"}), 400, "InvalidJson")
    assert_error(await http.get("/v1/trades/btcusd", params={"limit_trades": "-1"}), 400, "InvalidJson")
    assert_error(await http.get("/v1/pubticker/nosuch"), 400, "InvalidSymbol")


async def test_demo_constants_are_the_ones_served(exchange: ExchangeServer) -> None:
    trader_key = exchange.keystore.get(DEMO_API_KEY)
    auditor_key = exchange.keystore.get(DEMO_AUDITOR_API_KEY)
    assert trader_key is not None and auditor_key is not None
    assert trader_key.secret.get_secret_value() == DEMO_API_SECRET and trader_key.roles == {"Trader"}
    assert auditor_key.secret.get_secret_value() == DEMO_AUDITOR_API_SECRET and auditor_key.roles == {"Auditor"}
    assert trader_key.account_id == auditor_key.account_id == exchange.demo_account_id
    assert exchange.rest_url.startswith("http://127.0.0.1:") and exchange.ws_url.startswith("ws://127.0.0.1:")


async def test_simulator_quotes_at_start_and_trades_while_running() -> None:
    server = ExchangeServer(port=0, simulator=True, seed=7, mid_interval_s=0.05, flow_interval_s=0.05)
    traded = asyncio.Event()
    traded_symbols: set[str] = set()

    def on_events(account_id: int, events: list[dict]) -> None:
        fills = [event["symbol"] for event in events if event["type"] == "fill"]
        if fills:
            traded_symbols.update(fills)
            traded.set()

    server.engine.add_listener(on_events)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.rest_url, timeout=5.0) as http:
            book = (await http.get("/v1/book/btcusd")).json()
            assert book["bids"] and book["asks"]  # quotes are up as soon as start() returns
            assert Decimal(book["bids"][0]["price"]) < Decimal(book["asks"][0]["price"])
            server.pause_simulation()
            server.resume_simulation()
            await asyncio.wait_for(traded.wait(), 5.0)
            symbol = sorted(traded_symbols)[0]
            trades = (await http.get(f"/v1/trades/{symbol}", params={"limit_trades": 500})).json()
            assert trades and all(t["exchange"] == "gemini" for t in trades)
    finally:
        await server.stop()


async def test_account_endpoints_field_checks(trader: PrivateClient, auditor: PrivateClient) -> None:
    assert_error(await trader.post("/v1/orders/history", limit_orders="many"), 400, "InvalidJson")
    assert_error(await trader.post("/v1/orders/history", timestamp="yesterday"), 400, "InvalidTimestampInPayload")
    assert_error(await trader.post("/v1/orders/history", symbol="nosuch"), 400, "InvalidSymbol")
    assert_error(await trader.post("/v1/wrap/GUSDUSD", side="buy"), 400, "MissingPayloadKey")
    assert_error(await trader.post("/v1/wrap/GUSDUSD", amount="1", side="sideways"), 400, "InvalidSide")
    assert_error(await trader.post("/v1/wrap/NOSUCH", amount="1", side="buy"), 400, "InvalidSymbol")
    assert_error(await auditor.post("/v1/wrap/GUSDUSD", amount="1", side="buy"), 403, "MissingRole")
    # The payload's request must name the wrap path with its symbol.
    response = await trader.http.post(
        "/v1/wrap/GUSDUSD", headers=trader.signer.headers("/v1/wrap/BTCUSD", amount="1", side="buy")
    )
    assert_error(response, 400, "EndpointMismatch")
    body = await trader.ok("/v1/notionalvolume")
    assert {"api_maker_fee_bps", "api_taker_fee_bps", "notional_30d_volume", "last_updated_ms", "date"} <= set(body)
    assert isinstance(body["notional_30d_volume"], (int, float)) and body["api_taker_fee_bps"] == 35
    assert await trader.ok("/v1/tradevolume") == []


# -- what Gemini's sandbox answered, as recorded by public test suites (docs/local-exchange.md) ----------------------


async def test_stop_limit_order_object_says_stop_limit(trader: PrivateClient) -> None:
    """The request's type is "exchange stop limit"; Gemini's REST order object answers "stop-limit"."""
    placed = await trader.ok(
        "/v1/order/new", symbol="btcusd", amount="0.01", price="64100.00", stop_price="64000.00", side="buy",
        type="exchange stop limit",
    )  # fmt: skip
    assert (placed["type"], placed["stop_price"], placed["price"]) == ("stop-limit", "64000.00", "64100.00")
    status = await trader.ok("/v1/order/status", order_id=int(placed["order_id"]))
    assert status["type"] == "stop-limit"
    assert [o["type"] for o in await trader.ok("/v1/orders")] == ["stop-limit"]
    cancelled = await trader.ok("/v1/order/cancel", order_id=int(placed["order_id"]))
    assert (cancelled["type"], cancelled["is_cancelled"]) == ("stop-limit", True)
    plain = await place(trader, "buy", "0.01", "60000.00")
    assert plain["type"] == "exchange limit"


async def test_absurd_amount_is_invalid_quantity_before_funds(trader: PrivateClient) -> None:
    order = {"symbol": "btcusd", "price": "64000.00", "side": "buy", "type": "exchange limit"}
    response = await trader.post("/v1/order/new", **order, amount="91384652837642836592")
    assert response.status_code == 400
    assert response.json() == error("InvalidQuantity", "Invalid quantity for symbol BTCUSD: 91384652837642836592")
    # Just above btcusd's maximum order size it is still a quantity error; at the maximum, funds decide.
    assert_error(await trader.post("/v1/order/new", **order, amount="10000.00000001"), 400, "InvalidQuantity")
    assert_error(await trader.post("/v1/order/new", **order, amount="10000"), 406, "InsufficientFunds")


async def test_empty_payload_header_is_invalid_json(http: httpx.AsyncClient) -> None:
    headers = signed_headers(DEMO_API_KEY, DEMO_API_SECRET, "")
    response = await http.post("/v1/balances", headers=headers)
    assert response.status_code == 400
    assert response.json() == error("InvalidJson", "InvalidJson")


@pytest.mark.parametrize(
    ("change", "reason", "message"),
    [
        ({"symbol": "abc"}, "InvalidSymbol", "Received unsupported symbol 'abc'"),
        ({"side": "abc"}, "InvalidSide", "Invalid side for symbol BTCUSD: 'abc'"),
        (
            {"options": ["maker-or-cancel", "immediate-or-cancel"]},
            "ConflictingOptions",
            "A single order supports at most one of these options: "
            "['maker-or-cancel', 'immediate-or-cancel', 'auction-only', 'fill-or-kill']",
        ),
        ({"options": ["abc"]}, "UnsupportedOption", "Option 'abc' is not supported."),
        ({"amount": "xxx"}, "InvalidQuantity", "Invalid quantity for symbol BTCUSD: xxx"),
        ({"price": "-3633.00"}, "InvalidPrice", "Invalid price for symbol BTCUSD: -3633.00"),
    ],
    ids=["symbol", "side", "options", "option", "quantity", "price"],
)
async def test_reject_messages_use_gemini_wording(
    trader: PrivateClient, change: dict[str, Any], reason: str, message: str
) -> None:
    order = {"symbol": "BTCUSD", "amount": "1", "price": "3633.00", "side": "buy", "type": "exchange limit"}
    response = await trader.post("/v1/order/new", **{**order, **change})
    assert response.status_code == 400
    assert response.json() == error(reason, message)


async def test_every_documented_symbol_is_listed_with_its_increments(
    http: httpx.AsyncClient, trader: PrivateClient
) -> None:
    symbols = (await http.get("/v1/symbols")).json()
    assert symbols == list(DEFAULT_SYMBOLS)
    assert {"btceur", "btcgbp", "ethgusd", "xrpusd", "shibusd", "linketh", "btcgusdperp"} <= set(symbols)
    assert symbols[:7] == ["btcusd", "ethusd", "solusd", "ltcusd", "dogeusd", "ethbtc", "gusdusd"]
    details = (await http.get("/v1/symbols/details/BTCEUR")).json()
    assert details == {
        "symbol": "BTCEUR", "base_currency": "BTC", "quote_currency": "EUR", "tick_size": 1e-8,
        "quote_increment": 0.01, "min_order_size": "0.00001", "status": "open", "wrap_enabled": False,
        "product_type": "spot", "contract_type": "vanilla", "contract_price_currency": "EUR",
    }  # fmt: skip
    perp = (await http.get("/v1/symbols/details/btcgusdperp")).json()
    assert (perp["tick_size"], perp["quote_increment"], perp["min_order_size"]) == (0.0001, 0.5, "0.0001")
    assert (perp["product_type"], perp["contract_type"]) == ("swap", "linear")
    shib = (await http.get("/v1/symbols/details/shibusd")).json()
    assert (shib["quote_increment"], shib["min_order_size"]) == (1e-9, "1000")

    # An order on btceur validates as on Gemini (the sandbox accepted one): BTC increments, EUR cents.
    accepted = await place(trader, "sell", "0.001", "59000.00", symbol="btceur")
    assert (accepted["symbol"], accepted["is_live"]) == ("btceur", True)
    assert_error(await trader.post("/v1/order/new", symbol="btceur", amount="0.001", price="59000.001",
                                   side="sell", type="exchange limit"), 400, "InvalidPrice")  # fmt: skip
    assert_error(await trader.post("/v1/order/new", symbol="btceur", amount="0.000001", price="59000.00",
                                   side="sell", type="exchange limit"), 400, "InvalidQuantity")  # fmt: skip


async def test_self_cross_fills_other_accounts_first_then_cancels_the_rest(
    trader: PrivateClient, maker: PrivateClient
) -> None:
    """An IOC sell crossing foreign bids above the account's own bid trades them, then stops at its own order."""
    await place(maker, "buy", "0.1", "64000.00")
    await place(maker, "buy", "0.2", "63990.00")
    ahead = await place(maker, "buy", "0.1", "63980.00")  # same level as the own bid, earlier in time
    own = await place(trader, "buy", "0.5", "63980.00")
    below = await place(maker, "buy", "1", "63970.00")

    sell = await place(trader, "sell", "1", "63900.00", options=["immediate-or-cancel"])

    assert (sell["is_cancelled"], sell["reason"]) == (True, "SelfCrossPrevented")
    assert (sell["executed_amount"], sell["remaining_amount"]) == ("0.4", "0.6")
    trades = await trader.ok("/v1/mytrades", symbol="btcusd")
    assert sorted((t["price"], t["amount"]) for t in trades) == [
        ("63980.00", "0.1"), ("63990.00", "0.2"), ("64000.00", "0.1"),
    ]  # fmt: skip
    assert (await maker.ok("/v1/order/status", order_id=int(ahead["order_id"])))["is_live"] is False
    still = await trader.ok("/v1/order/status", order_id=int(own["order_id"]))
    assert (still["is_live"], still["executed_amount"], still["remaining_amount"]) == (True, "0", "0.5")
    untouched = await maker.ok("/v1/order/status", order_id=int(below["order_id"]))
    assert (untouched["is_live"], untouched["executed_amount"]) == (True, "0")
