"""GeminiVenue: Gemini's answers and order events reach the session as domain objects, through the Venue protocol."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from console.domain import errors as neutral
from console.domain.model import (
    CancelResult,
    EventKind,
    Fill,
    Liquidity,
    OrderState,
    OrderType,
    Side,
    StreamAck,
    StreamBadFrame,
    StreamEvents,
    StreamGap,
    StreamHeartbeat,
)
from console.domain.ticket import NewOrder
from console.venues.gemini.auth import NonceSource
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.errors import NonceError
from console.venues.gemini.models import OrderEventWire
from console.venues.gemini.order_events import FrameDecoder, OrderEventBatch, OrderEventsClient
from console.venues.gemini.rest import GeminiRestClient
from console.venues.gemini.venue import GeminiVenue, stream_events, stream_message

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gemini"
BASE = "https://api.example.test"
KEY = "account-0123456789abcdefXY12"
CREDENTIALS = Credentials(KEY, SecretStr("TOP-SECRET-hmac-key-value"))
NOW_MS = 1_700_000_000_000


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def decoded(*frames: str) -> list[Any]:
    """The domain messages of ``frames`` fed in order to one decoder (as one connection would)."""
    decoder = FrameDecoder()
    return [stream_message(message, NOW_MS) for frame in frames for message in decoder.feed(frame)]


def with_sequence(frame: str, sequence: int) -> str:
    data = json.loads(frame)
    for item in data if isinstance(data, list) else [data]:
        item["socket_sequence"] = sequence
    return json.dumps(data)


# -- the stream ---------------------------------------------------------------------------------------------------
def test_the_stream_lifecycle_arrives_as_domain_messages():
    ack, heartbeat, batch, gap = decoded(
        fixture("ws_subscription_ack.json"),
        with_sequence(fixture("ws_heartbeat.json"), 0),
        with_sequence(fixture("ws_fill.json"), 1),
        with_sequence(fixture("ws_heartbeat.json"), 5),
    )[:4]
    assert isinstance(ack, StreamAck) and isinstance(heartbeat, StreamHeartbeat)
    assert isinstance(batch, StreamEvents) and (batch.sequence, batch.unreadable) == (1, 0)
    [event] = batch.events
    assert event.kind is EventKind.FILL and event.order.order_id == "556309" and event.order.updated_ms == NOW_MS
    assert event.fill == Fill("557315", "556309", Decimal("0.01514"), Decimal("481.95988631"),
                              Decimal("0.0182421816968335"), "BTC", Liquidity.MAKER, 1478729284169)
    assert gap == StreamGap(expected=2, received=5)


@pytest.mark.parametrize(("frame", "lost"), [
    ('[{"type":"fill","order_id":', True),  # cut short: not JSON, may have held events
    ('[{"type":"booked","order_id":"1","socket_sequence":0}]', True),  # an events array that fails validation
    ('{"type":"heartbeat","socket_sequence":0,"timestampms":"soon"}', False),  # an object: never order events
])
def test_an_unreadable_frame_says_whether_order_events_may_be_lost(frame, lost):
    [message] = [m for m in decoded(frame) if isinstance(m, StreamBadFrame)]
    assert message.lost_events is lost and message.reason


def test_an_event_that_cannot_be_converted_is_counted_and_the_rest_kept(caplog):
    good = OrderEventWire.model_validate(json.loads(fixture("ws_fill.json"))[0])
    # Validation lets no such event through today; conversion still guards against one (e.g. a model change).
    bad = good.model_copy(update={"order_id": "556310", "side": "sideways"})
    batch = stream_events(OrderEventBatch(events=[good, bad], socket_sequence=7), NOW_MS)
    assert [e.order.order_id for e in batch.events] == ["556309"]
    assert (batch.sequence, batch.unreadable) == (7, 1)
    assert "order event None not convertible" in caplog.text


# -- REST calls -----------------------------------------------------------------------------------------------------
class Answers:
    """A MockTransport handler answering each path with a fixed (status, body); records the signed payloads."""

    def __init__(self, answers: dict[str, tuple[int, str]]) -> None:
        self.answers = answers
        self.payloads: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if "X-GEMINI-PAYLOAD" in request.headers:
            self.payloads.append(json.loads(base64.b64decode(request.headers["X-GEMINI-PAYLOAD"])))
        status, body = self.answers[request.url.path]
        return httpx.Response(status, content=body.encode())


def venue(answers: Answers, order_events: Any = None) -> GeminiVenue:
    nonce = NonceSource()
    rest = GeminiRestClient(BASE, CREDENTIALS, nonce=nonce, transport=httpx.MockTransport(answers))
    events = order_events or OrderEventsClient("wss://ws.example.test", CREDENTIALS, nonce=nonce)
    return GeminiVenue(rest, events, api_key=KEY, clock_ms=lambda: NOW_MS)


async def test_place_sends_the_client_order_id_once_and_answers_an_order():
    answers = Answers({"/v1/order/new": (200, fixture("order_new_response.json"))})
    new = NewOrder("btcusd", Side.BUY, OrderType.LIMIT, Decimal("3633.00"), Decimal("0.02"), client_order_id="tc-1")
    order = await venue(answers).place(new)
    [payload] = answers.payloads
    assert payload["client_order_id"] == "tc-1" and payload["symbol"] == "btcusd"
    assert order.order_id == json.loads(fixture("order_new_response.json"))["order_id"]
    assert order.state is OrderState.PARTIALLY_FILLED  # the sample is live with some executed


async def test_an_unknown_order_is_the_neutral_order_not_found():
    answers = Answers({"/v1/order/status": (404, '{"result":"error","reason":"OrderNotFound","message":"none"}')})
    with pytest.raises(neutral.OrderNotFound):
        await venue(answers).order_status(client_order_id="tc-404")


async def test_cancel_session_and_cancel_all_answer_order_ids_as_strings():
    answers = Answers({"/v1/order/cancel/session": (200, fixture("cancel_session_response.json")),
                       "/v1/order/cancel/all": (200, fixture("cancel_all_response.json"))})
    gemini = venue(answers)
    assert await gemini.cancel_session() == CancelResult(cancelled=(), rejected=("330429345",))
    result = await gemini.cancel_all()
    wire = json.loads(fixture("cancel_all_response.json"))["details"]
    assert result == CancelResult(tuple(map(str, wire["cancelledOrders"])), tuple(map(str, wire["cancelRejects"])))


async def test_open_orders_are_stamped_with_the_time_of_receipt():
    answers = Answers({"/v1/orders": (200, "[" + fixture("order_status_response.json") + "]")})
    [order] = await venue(answers).open_orders()
    assert order.updated_ms == NOW_MS


async def test_fills_since_asks_from_that_time_and_answers_oldest_first_with_their_order():
    trade = json.loads(fixture("mytrade.json"))
    later = trade | {"tid": trade["tid"] + 1, "order_id": "107317999", "timestampms": trade["timestampms"] + 5}
    answers = Answers({"/v1/mytrades": (200, json.dumps([later, trade]))})  # Gemini answers newest first
    fills = await venue(answers).fills_since(1_547_232_900_000)
    assert answers.payloads[0]["timestamp"] == 1_547_232_900_000
    assert [(f.trade_id, f.order_id) for f in fills] == [(str(trade["tid"]), "107317524"),
                                                         (str(trade["tid"] + 1), "107317999")]


async def test_a_refused_handshake_nonce_advances_the_key_nonce_before_the_session_retries():
    quoted = 1_900_000_000_000

    class Refusing:
        def connect(self) -> Any:
            async def refuse() -> Any:
                raise NonceError("InvalidNonce", f"Nonce '{quoted}' has not increased since your last call", 400)
            return refuse()

    gemini = venue(Answers({}), Refusing())
    with pytest.raises(neutral.VenueRefused) as raised:
        await gemini.connect_order_events()
    assert raised.value.reason == "InvalidNonce" and raised.value.retry_safe
    assert gemini.rest.nonce.next() > quoted


def test_the_session_hears_of_rate_limits_through_the_venue():
    gemini = venue(Answers({}))
    heard: list[tuple[str, float]] = []
    gemini.on_rate_limited = lambda path, pause_s: heard.append((path, pause_s))
    assert gemini.rest.on_rate_limited is not None
    gemini.rest.on_rate_limited("/v1/order/new", 1.0)
    assert heard == [("/v1/order/new", 1.0)]
