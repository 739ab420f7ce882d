"""GeminiRestClient against httpx.MockTransport: signed requests, payloads, responses and error mapping."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from console.domain.model import ExecOption, OrderType, Side
from console.venues.gemini.auth import NonceSource
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.errors import (
    AccountError,
    ApiError,
    AuthenticationError,
    GeminiError,
    InsufficientFunds,
    InvalidResponse,
    NonceError,
    OrderNotFound,
    OrderRejected,
    PermissionDenied,
    RateLimited,
    RequestTimeout,
    ServerError,
    TransportError,
    error_from_response,
)
from console.venues.gemini.models import OrderStatus
from console.venues.gemini.rest import GeminiRestClient

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gemini"
BASE = "https://api.example.test"
KEY = "account-0123456789abcdefXY12"
SECRET = "TOP-SECRET-hmac-key-value"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


class Recorder:
    """A MockTransport handler that records requests and answers with a queued (status, body) or callable."""

    def __init__(self, status: int = 200, body: bytes | str = b"{}") -> None:
        self.requests: list[httpx.Request] = []
        self.status = status
        self.body = body.encode() if isinstance(body, str) else body
        self.raise_exc: Exception | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.raise_exc is not None:
            raise self.raise_exc
        return httpx.Response(self.status, content=self.body)

    def payload(self, index: int = -1) -> dict[str, Any]:
        request = self.requests[index]
        return json.loads(base64.b64decode(request.headers["X-GEMINI-PAYLOAD"]))


def make_client(recorder: Recorder, *, credentials: Credentials | None = None, **kwargs: Any) -> GeminiRestClient:
    return GeminiRestClient(
        BASE,
        credentials if credentials is not None else Credentials(KEY, SecretStr(SECRET)),
        transport=httpx.MockTransport(recorder),
        **kwargs,
    )


def check_signed(request: httpx.Request, path: str) -> dict[str, Any]:
    """Assert a request is a correctly signed private POST and return its decoded payload."""
    assert request.method == "POST"
    assert request.url == httpx.URL(BASE + path)
    assert request.content == b""
    headers = request.headers
    assert headers["Content-Type"] == "text/plain"
    assert headers["Content-Length"] == "0"
    assert headers.get_list("Content-Length") == ["0"]
    assert headers["Cache-Control"] == "no-cache"
    assert headers["X-GEMINI-APIKEY"] == KEY
    payload_b64 = headers["X-GEMINI-PAYLOAD"]
    expected = hmac.new(SECRET.encode(), payload_b64.encode(), hashlib.sha384).hexdigest()
    assert headers["X-GEMINI-SIGNATURE"] == expected
    payload = json.loads(base64.b64decode(payload_b64))
    assert payload["request"] == path
    assert type(payload["nonce"]) is int
    return payload


# --- every private method: path, payload fields and their JSON types -------------------------------------------

PrivateCall = Callable[[GeminiRestClient], Any]

PRIVATE_CASES: list[tuple[str, PrivateCall, str, dict[str, Any], str]] = [
    (
        "new_order limit",
        lambda c: c.new_order(symbol="btcusd", side=Side.BUY, amount=Decimal("0.5"), price=Decimal("30000.00")),
        "/v1/order/new",
        {"symbol": "btcusd", "amount": "0.5", "price": "30000.00", "side": "buy", "type": "exchange limit",
         "options": []},
        "order_new_response.json",
    ),
    (
        "new_order options and client id",
        lambda c: c.new_order(
            symbol="ethusd", side=Side.SELL, amount=Decimal("1E-8"), price=Decimal("2E+3"),
            options=[ExecOption.MAKER_OR_CANCEL], client_order_id="cid-1",
        ),
        "/v1/order/new",
        {"symbol": "ethusd", "amount": "0.00000001", "price": "2000", "side": "sell", "type": "exchange limit",
         "options": ["maker-or-cancel"], "client_order_id": "cid-1"},
        "order_new_response.json",
    ),
    (
        "new_order stop-limit",
        lambda c: c.new_order(
            symbol="btcusd", side=Side.BUY, amount=Decimal("1"), price=Decimal("101"),
            order_type=OrderType.STOP_LIMIT, stop_price=Decimal("100.5"),
        ),
        "/v1/order/new",
        {"symbol": "btcusd", "amount": "1", "price": "101", "side": "buy", "type": "exchange stop limit",
         "options": [], "stop_price": "100.5"},
        "order_new_response.json",
    ),
    ("cancel_order str", lambda c: c.cancel_order("106817811"), "/v1/order/cancel",
     {"order_id": 106817811}, "order_cancel_response.json"),
    ("cancel_order int", lambda c: c.cancel_order(106817811), "/v1/order/cancel",
     {"order_id": 106817811}, "order_cancel_response.json"),
    ("cancel_all", lambda c: c.cancel_all(), "/v1/order/cancel/all", {}, "cancel_all_response.json"),
    ("cancel_session", lambda c: c.cancel_session(), "/v1/order/cancel/session", {}, "cancel_session_response.json"),
    ("order_status by id", lambda c: c.order_status(order_id="123456789012345"), "/v1/order/status",
     {"order_id": 123456789012345, "include_trades": False}, "order_status_response.json"),
    ("order_status by client id", lambda c: c.order_status(client_order_id="cid-9", include_trades=True),
     "/v1/order/status", {"client_order_id": "cid-9", "include_trades": True}, "order_status_response.json"),
    ("active_orders", lambda c: c.active_orders(), "/v1/orders", {}, None),
    ("balances", lambda c: c.balances(), "/v1/balances", {}, "balances_response.json"),
    ("heartbeat", lambda c: c.heartbeat(), "/v1/heartbeat", {}, "heartbeat_response.json"),
    ("my_trades all", lambda c: c.my_trades(), "/v1/mytrades", {}, None),
    ("my_trades filtered", lambda c: c.my_trades(symbol="btcusd", limit_trades=10, timestamp=1547232911),
     "/v1/mytrades", {"symbol": "btcusd", "limit_trades": 10, "timestamp": 1547232911}, None),
    ("notional_volume", lambda c: c.notional_volume(), "/v1/notionalvolume", {}, "notionalvolume_response.json"),
]


def _list_body(name: str) -> bytes:
    if name == "active_orders":
        return b"[" + fixture_bytes("order_new_response.json").strip() + b"]"
    return b"[" + fixture_bytes("mytrade.json").strip() + b"]"


@pytest.mark.parametrize(
    ("label", "call", "path", "fields", "body_file"), PRIVATE_CASES, ids=[c[0] for c in PRIVATE_CASES]
)
async def test_private_call_is_signed_with_exact_payload(
    label: str, call: PrivateCall, path: str, fields: dict[str, Any], body_file: str | None
) -> None:
    body = fixture_bytes(body_file) if body_file else _list_body(label.split()[0])
    recorder = Recorder(body=body)
    async with make_client(recorder) as client:
        result = await call(client)
        await call(client)
    assert result is not None
    first, second = (check_signed(r, path) for r in recorder.requests)
    assert second["nonce"] > first["nonce"]
    for payload in (first, second):
        del payload["nonce"]
        assert payload.pop("request") == path
        assert payload == fields  # exactly these fields, with these JSON types
        for key, value in fields.items():
            assert type(payload[key]) is type(value), key


async def test_new_order_returns_typed_status() -> None:
    recorder = Recorder(body=fixture_bytes("order_new_response.json"))
    async with make_client(recorder) as client:
        status = await client.new_order(symbol="btcusd", side=Side.BUY, amount=Decimal("5"), price=Decimal("3633"))
    assert isinstance(status, OrderStatus)
    assert status.executed_amount == Decimal("3.7567928949")


async def test_account_field_added_for_master_keys() -> None:
    recorder = Recorder(body=fixture_bytes("heartbeat_response.json"))
    async with make_client(recorder, account="primary") as client:
        await client.heartbeat()
    assert recorder.payload() == {"request": "/v1/heartbeat", "nonce": recorder.payload()["nonce"],
                                  "account": "primary"}


async def test_shared_nonce_source_and_floor() -> None:
    nonce = NonceSource(lambda: 1000, start=5000)
    recorder = Recorder(body=fixture_bytes("heartbeat_response.json"))
    async with make_client(recorder, nonce=nonce) as client:
        await client.heartbeat()
        await client.heartbeat()
    assert [recorder.payload(i)["nonce"] for i in range(2)] == [5001, 5002]
    assert nonce.last == 5002


async def test_list_results_are_typed() -> None:
    recorder = Recorder(body=fixture_bytes("balances_response.json"))
    async with make_client(recorder) as client:
        balances = await client.balances()
    assert [b.currency for b in balances] == ["BTC", "USD"]
    assert balances[0].available == Decimal("4.5")


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"order_id": 1, "client_order_id": "x"}],
)
async def test_order_status_needs_exactly_one_id(kwargs: dict[str, Any]) -> None:
    recorder = Recorder()
    async with make_client(recorder) as client:
        with pytest.raises(ValueError):
            await client.order_status(**kwargs)
    assert recorder.requests == []


@pytest.mark.parametrize("bad_id", ["abc", "12x", "", "-5", True])
async def test_cancel_order_refuses_non_digit_ids_before_sending(bad_id: Any) -> None:
    recorder = Recorder()
    async with make_client(recorder) as client:
        with pytest.raises(ValueError):
            await client.cancel_order(bad_id)
    assert recorder.requests == []


async def test_new_order_argument_checks_before_sending() -> None:
    recorder = Recorder()
    async with make_client(recorder) as client:
        with pytest.raises(ValueError):
            await client.new_order(symbol="btcusd", side=Side.BUY, amount=Decimal(1), price=Decimal(1),
                                   order_type=OrderType.STOP_LIMIT)
        with pytest.raises(ValueError):
            await client.new_order(symbol="btcusd", side=Side.BUY, amount=Decimal(1), price=Decimal(1),
                                   stop_price=Decimal(1))
        with pytest.raises(ValueError):
            await client.new_order(symbol="btcusd", side=Side.BUY, amount=Decimal("NaN"), price=Decimal(1))
    assert recorder.requests == []


async def test_private_call_without_credentials_is_refused_locally() -> None:
    recorder = Recorder()
    client = GeminiRestClient(BASE, transport=httpx.MockTransport(recorder))
    async with client:
        with pytest.raises(AuthenticationError) as info:
            await client.balances()
    assert info.value.reason == "MissingCredentials"
    assert info.value.status is None
    assert recorder.requests == []


# --- public endpoints ------------------------------------------------------------------------------------------


async def test_public_endpoints() -> None:
    routes = {
        "/v1/symbols": fixture_bytes("symbols.json"),
        "/v1/symbols/details/btcusd": fixture_bytes("symbol_details.json"),
        "/v1/pubticker/btcusd": fixture_bytes("pubticker.json"),
        "/v1/book/btcusd": fixture_bytes("book.json"),
        "/v1/trades/btcusd": b"[" + fixture_bytes("public_trade.json").strip() + b"]",
    }
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=routes[request.url.path])

    async with GeminiRestClient(BASE, transport=httpx.MockTransport(handler)) as client:
        assert await client.symbols() == ["btcusd", "ethusd", "solusd", "btcgusdperp"]
        details = await client.symbol_details("btcusd")
        ticker = await client.pubticker("btcusd")
        book = await client.book("btcusd", limit_bids=5, limit_asks=0)
        trades = await client.public_trades("btcusd", limit_trades=3, since_ms=1547146811000)
        await client.book("btcusd")
    assert details.tick_size == Decimal("1E-8") and str(details.tick_size) == "1E-8"
    assert details.quote_increment == Decimal("0.01")
    assert ticker.volume["BTC"] == Decimal("2210.505328803")
    assert book.asks[0].amount == Decimal("14.68205084")
    assert trades[0].tid == 5335307668
    assert all(r.method == "GET" and "X-GEMINI-PAYLOAD" not in r.headers for r in seen)
    assert dict(seen[3].url.params) == {"limit_bids": "5", "limit_asks": "0"}
    assert dict(seen[4].url.params) == {"limit_trades": "3", "timestamp": "1547146811000"}
    assert dict(seen[5].url.params) == {}


async def test_symbol_is_quoted_into_the_path() -> None:
    recorder = Recorder(body=fixture_bytes("pubticker.json"))
    async with make_client(recorder) as client:
        await client.pubticker("../v1/balances")
    assert recorder.requests[0].url.raw_path == b"/v1/pubticker/..%2Fv1%2Fbalances"


# --- error mapping ---------------------------------------------------------------------------------------------


def error_body(reason: str, message: str = "details") -> bytes:
    return json.dumps({"result": "error", "reason": reason, "message": message}).encode()


ERROR_CASES = [
    (400, "InvalidSignature", AuthenticationError),
    (400, "MissingApikeyHeader", AuthenticationError),
    (400, "MissingPayloadHeader", AuthenticationError),
    (400, "MissingSignatureHeader", AuthenticationError),
    (400, "InvalidApiKey", AuthenticationError),
    (400, "InvalidNonce", NonceError),
    (400, "MissingNonce", NonceError),
    (403, "MissingRole", PermissionDenied),
    (400, "InvalidPrice", OrderRejected),
    (400, "InvalidQuantity", OrderRejected),
    (400, "InvalidStopPrice", OrderRejected),
    (400, "InvalidStopPriceBuy", OrderRejected),
    (400, "InvalidStopPriceSell", OrderRejected),
    (400, "InvalidStopPriceRatio", OrderRejected),
    (400, "InvalidSide", OrderRejected),
    (400, "InvalidSymbol", OrderRejected),
    (400, "InvalidOrderType", OrderRejected),
    (400, "ConflictingOptions", OrderRejected),
    (400, "UnsupportedOption", OrderRejected),
    (400, "OptionsMustBeArray", OrderRejected),
    (400, "ClientOrderIdTooLong", OrderRejected),
    (400, "ClientOrderIdMustBeString", OrderRejected),
    (400, "MarketNotOpen", OrderRejected),
    (400, "AuctionNotOpen", OrderRejected),
    (400, "MissingSymbol", OrderRejected),
    (400, "MissingQuantity", OrderRejected),
    (400, "MissingPrice", OrderRejected),
    (400, "MissingSide", OrderRejected),
    (400, "MissingType", OrderRejected),
    (400, "InvalidJson", ApiError),
    (406, "InsufficientFunds", InsufficientFunds),
    (404, "OrderNotFound", OrderNotFound),
    (429, "RateLimit", RateLimited),
    (500, "System", ServerError),
    (503, "Maintenance", ServerError),
    (400, "AccountsOnGroupOnlyApi", AccountError),
    (400, "NotGroupApiCompatible", AccountError),
    (400, "MissingAccountName", AccountError),
    (400, "InvalidAccountName", AccountError),
    (400, "MoreThanOneAccount", AccountError),
    (400, "EndpointMismatch", ApiError),
    (400, "SomethingGeminiInventedTomorrow", ApiError),
]


@pytest.mark.parametrize(("status", "reason", "cls"), ERROR_CASES, ids=[c[1] for c in ERROR_CASES])
async def test_error_mapping_through_the_client(status: int, reason: str, cls: type[ApiError]) -> None:
    recorder = Recorder(status=status, body=error_body(reason, "human text"))
    async with make_client(recorder) as client:
        with pytest.raises(ApiError) as info:
            await client.cancel_order(1)
    error = info.value
    assert type(error) is cls
    assert (error.reason, error.message, error.status) == (reason, "human text", status)
    assert str(error) == f"{reason}: human text"


def test_insufficient_funds_is_an_order_reject() -> None:
    assert isinstance(error_from_response(406, error_body("InsufficientFunds")), OrderRejected)


@pytest.mark.parametrize(
    ("status", "cls"),
    [(429, RateLimited), (500, ServerError), (502, ServerError), (503, ServerError), (403, PermissionDenied),
     (406, InsufficientFunds), (400, ApiError), (404, ApiError)],
)
def test_status_decides_only_when_reason_unknown(status: int, cls: type[ApiError]) -> None:
    error = error_from_response(status, "<html><body>Bad Gateway</body></html>")
    assert type(error) is cls
    assert error.reason == "Unknown"
    assert error.message == "<html><body>Bad Gateway</body></html>"
    assert error.status == status


def test_404_without_order_not_found_reason_is_not_order_not_found() -> None:
    assert not isinstance(error_from_response(404, error_body("EndpointNotFound")), OrderNotFound)
    assert not isinstance(error_from_response(404, b""), OrderNotFound)


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[1,2]", b'{"result":"error"}', b'{"reason":42}', b"\xff\xfe garbage", b'"text"'],
)
def test_malformed_error_bodies(body: bytes) -> None:
    error = error_from_response(400, body)
    assert type(error) is ApiError
    assert error.reason == "Unknown"
    assert error.status == 400
    assert str(error)


def test_long_error_body_is_truncated() -> None:
    error = error_from_response(500, "x" * 10_000)
    assert len(error.message) < 600
    assert error.message.endswith("…")


def test_error_fixture_bodies() -> None:
    role = error_from_response(403, fixture_bytes("error_missing_role.json"))
    assert type(role) is PermissionDenied and "[FundManager]" in role.message
    nonce = error_from_response(400, fixture_bytes("error_bad_nonce.json"))
    assert type(nonce) is NonceError


# --- transport failures and bad 200s ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "exc",
    [httpx.ReadTimeout("read timed out"), httpx.ConnectTimeout("connect timed out"), httpx.WriteTimeout("w"),
     httpx.PoolTimeout("p")],
)
async def test_timeouts_raise_request_timeout(exc: Exception) -> None:
    recorder = Recorder()
    recorder.raise_exc = exc
    async with make_client(recorder) as client:
        with pytest.raises(RequestTimeout) as info:
            await client.order_status(order_id=1)
    assert not isinstance(info.value, ApiError)
    assert isinstance(info.value, TransportError)


@pytest.mark.parametrize(
    "exc", [httpx.ConnectError("refused"), httpx.ReadError("reset"), httpx.RemoteProtocolError("x")]
)
async def test_network_errors_raise_transport_error_never_order_not_found(exc: Exception) -> None:
    recorder = Recorder()
    recorder.raise_exc = exc
    async with make_client(recorder) as client:
        with pytest.raises(TransportError) as info:
            await client.cancel_order(5)
    assert not isinstance(info.value, (RequestTimeout, OrderNotFound, ApiError))


@pytest.mark.parametrize("body", [b"not json at all", b"", b"{truncated", b"NaN"])
async def test_invalid_json_on_200_raises_invalid_response(body: bytes) -> None:
    recorder = Recorder(body=body)
    async with make_client(recorder) as client:
        with pytest.raises(InvalidResponse):
            await client.heartbeat()


async def test_wrong_shape_on_200_raises_invalid_response() -> None:
    recorder = Recorder(body=b'{"order_id":"1","price":""}')
    async with make_client(recorder) as client:
        with pytest.raises(InvalidResponse) as info:
            await client.order_status(order_id=1)
    assert isinstance(info.value, GeminiError) and not isinstance(info.value, ApiError)


async def test_error_body_with_200_is_still_an_error() -> None:
    recorder = Recorder(body=error_body("InvalidNonce"))
    async with make_client(recorder) as client:
        with pytest.raises(NonceError):
            await client.heartbeat()


# --- secrets ---------------------------------------------------------------------------------------------------


async def test_secret_never_in_exception_text_or_repr() -> None:
    failures: list[BaseException] = []
    scenarios: list[tuple[int, bytes | None, Exception | None]] = [
        (400, error_body("InvalidSignature"), None),
        (403, fixture_bytes("error_missing_role.json"), None),
        (500, b"<html>oops</html>", None),
        (200, b"garbage", None),
        (200, b'{"order_id": 1}', None),
        (200, b"", httpx.ReadTimeout("timeout")),
        (200, b"", httpx.ConnectError("refused")),
    ]
    for status, body, exc in scenarios:
        recorder = Recorder(status=status, body=body or b"")
        recorder.raise_exc = exc
        async with make_client(recorder) as client:
            with pytest.raises(GeminiError) as info:
                await client.order_status(order_id=1)
            failures.append(info.value)
            assert SECRET not in repr(client)
    async with GeminiRestClient(BASE, transport=httpx.MockTransport(Recorder())) as client:
        with pytest.raises(GeminiError) as info:
            await client.cancel_all()
        failures.append(info.value)
    assert len(failures) == 8
    for error in failures:
        chain = [error, error.__cause__, error.__context__]
        for item in chain:
            if item is not None:
                assert SECRET not in str(item)
                assert SECRET not in repr(item)
                assert SECRET not in repr(item.args)
