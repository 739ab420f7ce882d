"""OrderEventsClient against a real websockets server on 127.0.0.1: signed upgrade, typed stream, sequence checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import SecretStr
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from console.venues.gemini.auth import NonceSource
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.errors import (
    ApiError,
    AuthenticationError,
    NonceError,
    PermissionDenied,
    StreamClosed,
    TransportError,
)
from console.venues.gemini.models import HeartbeatMessage, SubscriptionAck
from console.venues.gemini.order_events import (
    BadFrame,
    FrameDecoder,
    OrderEventBatch,
    OrderEventsClient,
    SequenceGap,
    StreamMessage,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gemini"
KEY = "account-ws0123456789abcdQQ77"
SECRET = "ws-secret-do-not-leak"
LOGGER = "console.venues.gemini.order_events"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def events_frame(*names: str, seq: int | Sequence[int]) -> str:
    """An order events array built from fixture events, with the given socket_sequence (one or one per event)."""
    events = [load(name)[0] for name in names]
    seqs = [seq] * len(events) if isinstance(seq, int) else list(seq)
    for event, number in zip(events, seqs, strict=True):
        event["socket_sequence"] = number
    return json.dumps(events)


def heartbeat_frame(seq: int) -> str:
    return json.dumps(load("ws_heartbeat.json") | {"socket_sequence": seq, "sequence": seq})


ACK = (FIXTURES / "ws_subscription_ack.json").read_text().strip()


def json_response(connection: ServerConnection, status: int, reason: str, message: str) -> Response:
    body = json.dumps({"result": "error", "reason": reason, "message": message})
    response = connection.respond(status, body)
    del response.headers["Content-Type"]
    response.headers["Content-Type"] = "application/json"
    return response


class FakeExchange:
    """Checks the signed upgrade like Gemini does, then plays scripted frames and closes."""

    def __init__(self, frames: Sequence[str] = (), *, close_code: int = 1000, reject: tuple[int, str] | None = None):
        self.frames = list(frames)
        self.close_code = close_code
        self.reject = reject
        self.requests: list[Request] = []
        self.payloads: list[dict[str, Any]] = []

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        self.requests.append(request)
        if self.reject is not None:
            return json_response(connection, self.reject[0], self.reject[1], "refused by the test")
        headers = request.headers
        payload_b64 = headers.get("X-GEMINI-PAYLOAD")
        signature = headers.get("X-GEMINI-SIGNATURE")
        if headers.get("X-GEMINI-APIKEY") != KEY or payload_b64 is None or signature is None:
            return json_response(connection, 400, "InvalidApiKey", "unknown key")
        expected = hmac.new(SECRET.encode(), payload_b64.encode(), hashlib.sha384).hexdigest()
        if not hmac.compare_digest(signature, expected):
            return json_response(connection, 400, "InvalidSignature", "InvalidSignature")
        payload = json.loads(base64.b64decode(payload_b64))
        if payload.get("request") != urlsplit(request.path).path:
            return json_response(connection, 400, "EndpointMismatch", "request does not match path")
        if self.payloads and payload["nonce"] <= self.payloads[-1]["nonce"]:
            return json_response(connection, 400, "InvalidNonce", "Nonce has not increased")
        self.payloads.append(payload)
        return None

    async def handler(self, websocket: ServerConnection) -> None:
        for frame in self.frames:
            await websocket.send(frame)
        await websocket.close(self.close_code, "bye" if self.close_code != 1000 else "")


@asynccontextmanager
async def running(exchange: FakeExchange) -> AsyncIterator[str]:
    async with serve(exchange.handler, "127.0.0.1", 0, process_request=exchange.process_request) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}"


def make_client(
    base: str, *, secret: str = SECRET, nonce: NonceSource | None = None, **kwargs: Any
) -> OrderEventsClient:
    return OrderEventsClient(base, Credentials(KEY, SecretStr(secret)), nonce=nonce or NonceSource(), **kwargs)


async def collect(client: OrderEventsClient) -> list[StreamMessage]:
    async with client.connect() as connection:
        return [message async for message in connection]


# --- the stream ------------------------------------------------------------------------------------------------


async def test_full_stream_sequence(caplog: pytest.LogCaptureFixture) -> None:
    bad_decimal = json.loads(events_frame("ws_fill.json", seq=8))
    bad_decimal[0]["fill"]["price"] = ""
    unknown_plus_known = json.loads(events_frame("ws_closed.json", "ws_cancelled.json", seq=9))
    unknown_plus_known[0]["type"] = "brand_new_event"
    frames = [
        ACK,
        events_frame("ws_initial.json", seq=0),  # initial orders
        heartbeat_frame(1),
        events_frame("ws_accepted.json", "ws_fill.json", seq=2),  # one message, one shared number
        events_frame("ws_fill.json", "ws_closed.json", seq=[3, 4]),  # one message spanning 3..4
        heartbeat_frame(5),
        heartbeat_frame(7),  # 6 went missing
        "this is not json {",
        json.dumps(bad_decimal),  # seq 8, fill.price ""
        json.dumps(unknown_plus_known),  # seq 9: unknown type skipped, cancelled kept
        heartbeat_frame(9),  # repeat
        events_frame("ws_cancelled.json", seq=0),  # reset
    ]
    exchange = FakeExchange(frames)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        async with running(exchange) as base:
            items = await collect(make_client(base))

    kinds = [type(item).__name__ for item in items]
    assert kinds == [
        "SubscriptionAck",
        "OrderEventBatch",
        "HeartbeatMessage",
        "OrderEventBatch",
        "OrderEventBatch",
        "HeartbeatMessage",
        "SequenceGap",
        "HeartbeatMessage",
        "BadFrame",
        "BadFrame",
        "OrderEventBatch",
        "SequenceGap",
        "HeartbeatMessage",
        "SequenceGap",
        "OrderEventBatch",
    ]
    ack, initial, beat1, batch2, batch3, beat5, gap, beat7, garbage, bad, batch9, repeat, beat9, reset, after = items
    assert isinstance(ack, SubscriptionAck) and ack.accountId == 5365
    assert isinstance(initial, OrderEventBatch) and initial.socket_sequence == 0
    assert initial.events[0].type == "initial" and initial.events[0].executed_amount == Decimal("2")
    assert isinstance(beat1, HeartbeatMessage) and beat1.socket_sequence == 1
    assert isinstance(batch2, OrderEventBatch) and batch2.socket_sequence == 2
    assert [e.type for e in batch2.events] == ["accepted", "fill"]
    assert batch2.events[1].fill is not None and batch2.events[1].fill.fee == Decimal("0.0182421816968335")
    assert isinstance(batch3, OrderEventBatch) and batch3.socket_sequence == 3
    assert [e.socket_sequence for e in batch3.events] == [3, 4]
    assert isinstance(beat5, HeartbeatMessage) and beat5.socket_sequence == 5
    assert gap == SequenceGap(expected=6, received=7)
    assert isinstance(beat7, HeartbeatMessage) and beat7.socket_sequence == 7
    assert isinstance(garbage, BadFrame) and garbage.reason == "invalid JSON"
    assert garbage.raw == "this is not json {"
    assert isinstance(bad, BadFrame) and "fill.price" in bad.reason
    assert isinstance(batch9, OrderEventBatch) and [e.type for e in batch9.events] == ["cancelled"]
    assert repeat == SequenceGap(expected=10, received=9)
    assert isinstance(beat9, HeartbeatMessage)
    assert reset == SequenceGap(expected=10, received=0)
    assert isinstance(after, OrderEventBatch) and after.socket_sequence == 0

    warnings = [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]
    assert any("bad frame (invalid JSON)" in w for w in warnings)
    assert any("brand_new_event" in w for w in warnings)
    assert any("gap" in w for w in warnings)
    assert all(SECRET not in w for w in caplog.text.splitlines())


async def test_upgrade_request_is_signed_with_filters_in_query_only() -> None:
    exchange = FakeExchange([ACK])
    nonce = NonceSource(lambda: 1_700_000_000_000)
    async with running(exchange) as base:
        client = make_client(
            base,
            nonce=nonce,
            symbol_filter=["btcusd", "ethbtc"],
            api_session_filter=["UI"],
            event_type_filter=["initial", "fill", "closed"],
            heartbeat=False,
        )
        items = await collect(client)
    assert len(items) == 1 and isinstance(items[0], SubscriptionAck)
    (request,) = exchange.requests
    split = urlsplit(request.path)
    assert split.path == "/v1/order/events"
    assert parse_qs(split.query) == {
        "symbolFilter": ["btcusd", "ethbtc"],
        "apiSessionFilter": ["UI"],
        "eventTypeFilter": ["initial", "fill", "closed"],
        "heartbeat": ["false"],
    }
    assert exchange.payloads == [{"request": "/v1/order/events", "nonce": 1_700_000_000_000}]
    assert nonce.last == 1_700_000_000_000
    assert request.headers["X-GEMINI-APIKEY"] == KEY
    assert SECRET not in str(request.headers)


async def test_each_connect_uses_a_new_nonce_and_recv_works() -> None:
    exchange = FakeExchange([ACK, heartbeat_frame(0)])
    async with running(exchange) as base:
        client = make_client(base)
        for _ in range(2):
            connection = await client.connect()
            assert isinstance(await connection.recv(), SubscriptionAck)
            beat = await connection.recv()
            assert isinstance(beat, HeartbeatMessage) and beat.socket_sequence == 0
            assert connection.expected_sequence == 1
            with pytest.raises(StreamClosed) as info:
                await connection.recv()
            assert info.value.code == 1000
            await connection.close()
    assert len(exchange.payloads) == 2
    assert exchange.payloads[1]["nonce"] > exchange.payloads[0]["nonce"]


async def test_abnormal_close_raises_stream_closed() -> None:
    exchange = FakeExchange([ACK, heartbeat_frame(0)], close_code=1011)
    async with running(exchange) as base:
        client = make_client(base)
        received: list[StreamMessage] = []
        with pytest.raises(StreamClosed) as info:
            async with client.connect() as connection:
                async for item in connection:
                    received.append(item)
    assert [type(i) for i in received] == [SubscriptionAck, HeartbeatMessage]
    assert info.value.code == 1011
    assert isinstance(info.value, TransportError)


# --- refused handshakes ----------------------------------------------------------------------------------------


async def test_wrong_secret_is_refused_with_authentication_error() -> None:
    exchange = FakeExchange([ACK])
    async with running(exchange) as base:
        with pytest.raises(AuthenticationError) as info:
            await make_client(base, secret="not-the-secret").connect()
    assert info.value.reason == "InvalidSignature"
    assert info.value.status == 400
    assert "not-the-secret" not in str(info.value) and "not-the-secret" not in repr(info.value)


@pytest.mark.parametrize(
    ("status", "reason", "cls"),
    [(400, "InvalidSignature", AuthenticationError), (400, "InvalidNonce", NonceError),
     (403, "MissingRole", PermissionDenied), (400, "WhoKnows", ApiError)],
)
async def test_refused_handshake_maps_json_body(status: int, reason: str, cls: type[ApiError]) -> None:
    exchange = FakeExchange(reject=(status, reason))
    async with running(exchange) as base:
        with pytest.raises(ApiError) as info:
            async with make_client(base).connect():
                pass  # pragma: no cover - never reached
    assert type(info.value) is cls
    assert (info.value.reason, info.value.status, info.value.message) == (reason, status, "refused by the test")


async def test_reused_nonce_is_refused_by_the_server() -> None:
    exchange = FakeExchange([ACK])
    async with running(exchange) as base:
        await collect(make_client(base, nonce=NonceSource(lambda: 5000)))
        with pytest.raises(NonceError):
            await make_client(base, nonce=NonceSource(lambda: 10)).connect()


async def test_connection_refused_is_transport_error() -> None:
    with socket.socket() as sock:  # a port with nothing listening on it
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(TransportError):
        await make_client(f"ws://127.0.0.1:{port}", open_timeout=5).connect()


# --- FrameDecoder (no sockets) ---------------------------------------------------------------------------------


def test_decoder_counts_from_zero_and_ignores_ack_for_sequence() -> None:
    decoder = FrameDecoder()
    assert [type(i) for i in decoder.feed(ACK)] == [SubscriptionAck]
    assert decoder.expected_sequence == 0
    assert [type(i) for i in decoder.feed(heartbeat_frame(0))] == [HeartbeatMessage]
    assert decoder.expected_sequence == 1


def test_decoder_first_message_not_zero_is_a_gap() -> None:
    decoder = FrameDecoder()
    decoder.feed(ACK)
    items = decoder.feed(events_frame("ws_initial.json", seq=3))
    assert items[0] == SequenceGap(expected=0, received=3)
    assert isinstance(items[1], OrderEventBatch)


def test_decoder_inconsistent_numbers_in_one_array_is_bad_frame() -> None:
    decoder = FrameDecoder()
    (item,) = decoder.feed(events_frame("ws_fill.json", "ws_closed.json", "ws_cancelled.json", seq=[0, 2, 1]))
    assert isinstance(item, BadFrame) and "inconsistent" in item.reason


@pytest.mark.parametrize(
    ("frame", "reason_part"),
    [
        ("", "invalid JSON"),
        ("[]", "empty array"),
        ("42", "unexpected JSON int"),
        ('{"type":"mystery"}', "unknown message type"),
        ('{"no_type": true}', "unknown message type"),
        ("[1, 2]", "not an object"),
        ('[{"type":"fill"}]', "socket_sequence"),
        ('{"type":"heartbeat","timestampms":1}', "socket_sequence"),
        ('{"type":"subscription_ack"}', "invalid subscription_ack"),
        ('{"result":"error","reason":"MissingRole","message":"no"}', "MissingRole"),
        (json.dumps(load("ws_fill.json")[0]), "outside an array"),
        ('[{"type":"fill","socket_sequence":0,"price":NaN}]', "invalid JSON"),
    ],
)
def test_decoder_bad_frames(frame: str, reason_part: str, caplog: pytest.LogCaptureFixture) -> None:
    decoder = FrameDecoder()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        items = decoder.feed(frame)
    bad = [i for i in items if isinstance(i, BadFrame)]
    assert len(bad) == 1 and reason_part in bad[0].reason
    assert bad[0].raw == frame
    assert any("bad frame" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("value", ["", "abc", "1.2.3", True])
def test_decoder_bad_decimal_is_bad_frame_but_counts_sequence(value: Any) -> None:
    decoder = FrameDecoder()
    frame = json.loads(events_frame("ws_fill.json", seq=0))
    frame[0]["executed_amount"] = value
    items = decoder.feed(json.dumps(frame))
    assert len(items) == 1 and isinstance(items[0], BadFrame)
    assert "executed_amount" in items[0].reason
    assert decoder.expected_sequence == 1
    assert decoder.feed(heartbeat_frame(1))[0].socket_sequence == 1  # type: ignore[union-attr]


def test_decoder_log_line_is_truncated(caplog: pytest.LogCaptureFixture) -> None:
    frame = "x" * 5000
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        FrameDecoder().feed(frame)
    (record,) = [r for r in caplog.records if r.name == LOGGER]
    assert "x" * 200 in record.getMessage()
    assert "x" * 201 not in record.getMessage()


def test_decoder_only_unknown_events_gives_no_batch_but_counts() -> None:
    decoder = FrameDecoder()
    frame = json.loads(events_frame("ws_fill.json", seq=0))
    frame[0]["type"] = "future_kind"
    assert decoder.feed(json.dumps(frame)) == []
    assert decoder.expected_sequence == 1


def test_decoder_bytes_frame() -> None:
    items = FrameDecoder().feed(events_frame("ws_initial.json", seq=0).encode())
    assert isinstance(items[0], OrderEventBatch)


def test_url_building() -> None:
    client = make_client("wss://api.gemini.com/", symbol_filter=["btcusd"])
    assert client.url == "wss://api.gemini.com/v1/order/events?symbolFilter=btcusd&heartbeat=true"
    assert SECRET not in repr(client) and KEY not in repr(client)
