"""Fast ingest paths agree with the reference ones: decimal cache, one-pass JSON, quick copies, bulk merges."""

from __future__ import annotations

import dataclasses
import inspect
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr, TypeAdapter, ValidationError

import console.venues.gemini.models.base as models  # the decimal parse cache the tests patch lives in models.base
import console.venues.gemini.order_events as order_events
from console.domain.blotter import Blotter
from console.domain.model import Fill, Liquidity, Order, OrderState, OrderType, Side, fast_init
from console.venues.gemini.convert import event_from_wire
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.models import (
    EXACT_DECIMALS,
    OrderEventWire,
    OrderStatus,
    SymbolDetails,
    decimal_from_text,
    validate_json_exact,
)
from console.venues.gemini.order_events import BadFrame, FrameDecoder, OrderEventBatch
from console.venues.gemini.rest import GeminiRestClient

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gemini"
EVENT_FIXTURES = (
    "ws_initial.json",
    "ws_accepted.json",
    "ws_accepted_market_buy.json",
    "ws_fill.json",
    "ws_cancelled.json",
    "ws_cancel_rejected.json",
    "ws_closed.json",
    "ws_rejected.json",
)


def fixture_event(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())[0]


# --- decimal strings, parsed once ------------------------------------------------------------------------------


def test_decimal_text_is_parsed_once_and_keeps_its_exponent() -> None:
    first = decimal_from_text("64250.50")
    assert first == Decimal("64250.50") and first.as_tuple() == Decimal("64250.50").as_tuple()
    assert decimal_from_text("64250.50") is first
    assert decimal_from_text("64250.5").as_tuple() == Decimal("64250.5").as_tuple()  # not the "…50" entry


@pytest.mark.parametrize("bad", ["", "abc", "NaN", "nan", "Infinity", "-Infinity", "inf", " 1", "1 ", "1,000",
                                 "1_000", "1.2.3", "0x10", "--1", "1e", "."])
def test_bad_decimal_text_fails_every_time_and_is_not_cached(bad: str) -> None:
    for _ in range(2):
        with pytest.raises(ValueError, match="not a decimal string"):
            decimal_from_text(bad)
    assert bad not in models._decimal_cache


def test_decimal_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "DECIMAL_CACHE_SIZE", 4)
    monkeypatch.setattr(models, "_decimal_cache", {})
    texts = [f"{n}.25" for n in range(11)]
    for text in texts * 2:
        assert decimal_from_text(text) == Decimal(text)
        assert len(models._decimal_cache) <= 4


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False), st.sampled_from(["{}", "{:e}", "{:f}"]))
def test_cached_parse_equals_decimal_of_the_text(value: Decimal, form: str) -> None:
    text = form.format(value)
    assert decimal_from_text(text).as_tuple() == Decimal(text).as_tuple()
    assert decimal_from_text(text).as_tuple() == Decimal(text).as_tuple()  # from the cache this time


def test_json_mode_refuses_a_float_decimal_only_when_asked_for_exact_decimals() -> None:
    body = (FIXTURES / "symbol_details.json").read_text()
    assert SymbolDetails.model_validate_json(body).tick_size == Decimal("1E-8")  # as it always was
    with pytest.raises(ValidationError, match="not exact"):
        SymbolDetails.model_validate_json(body, context=EXACT_DECIMALS)
    event = fixture_event("ws_fill.json") | {"executed_amount": 12}
    exact = TypeAdapter(OrderEventWire).validate_json(json.dumps(event), strict=True, context=EXACT_DECIMALS)
    assert exact.executed_amount == Decimal(12)  # a JSON integer is exact


# --- the one-pass decoder against the reference path -------------------------------------------------------------


@pytest.mark.parametrize("name", EVENT_FIXTURES)
def test_every_fixture_event_takes_the_fast_path(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    frame = json.dumps([fixture_event(name) | {"socket_sequence": 0}])

    class NoJson:
        @staticmethod
        def loads(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("the reference path ran")

    monkeypatch.setattr(order_events, "json", NoJson)
    (batch,) = FrameDecoder().feed(frame)
    assert isinstance(batch, OrderEventBatch) and batch.events[0].order_id


#: JSON texts put in place of one field: decimals good and bad, numbers the two parsers read differently (floats,
#: NaN, huge), wrong types, strings that lax validation coerces, lone surrogates.
RAW_VALUES = [
    '"1.5"', '"1.50"', '"1E-8"', '"-0"', '""', '"abc"', '" 1"', '"1_000"', '"\\u0661\\u0662"', '"NaN"',
    '"Infinity"', '"1795324183"', '"0123"', '"+5"', '"1.0"', '"true"', '"yes"', '"UI"', '"buy"', '"fill"',
    '"exploded"', '"Maker"', "0", "1", "5", "-1", "1795324183", str(2**70), "1.0", "1.5", "0.99999999999999999999",
    "1.2345678901234567891e20", "1e400", "-0.0", "1e-400", "true", "false", "null", "[]", "{}", "[1.5]",
    '{"a": NaN}', "NaN", "Infinity", "-Infinity", '"\\ud800"', '"a\\u0000b"',
]
FIELDS = sorted({key for name in EVENT_FIXTURES for key in fixture_event(name)} | {"extra_field"})
FILL_FIELDS = sorted(fixture_event("ws_fill.json")["fill"])

mutation = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(FIELDS), st.sampled_from(RAW_VALUES)),
    st.tuples(st.just("fill"), st.sampled_from(FILL_FIELDS), st.sampled_from(RAW_VALUES)),
    st.tuples(st.just("del"), st.sampled_from(FIELDS), st.just("")),
)


def spliced(objects: list[dict[str, Any]], mutations: list[tuple[int, tuple[str, str, str]]]) -> str:
    """``objects`` as a JSON array after each mutation ``(index, (op, key, raw))``: ``set`` puts the raw JSON text
    ``raw`` at ``key``, ``fill`` at ``key`` of the object's ``fill`` object, ``del`` removes ``key``."""
    raws: list[str] = []
    for index, (op, key, raw) in mutations:
        target: Any = objects[index % len(objects)]
        if op == "del":
            target.pop(key, None)
            continue
        if op == "fill":
            target = target.get("fill")
        if not isinstance(target, dict):
            continue
        target[key] = f"@@raw{len(raws)}@@"
        raws.append(raw)
    text = json.dumps(objects)
    for number, raw in enumerate(raws):
        text = text.replace(f'"@@raw{number}@@"', raw)
    return text


def build_frame(names: list[str], sequences: list[int], mutations: list[tuple[int, tuple[str, str, str]]]) -> str:
    """An events array from fixture events numbered ``sequences``, mutated as ``spliced`` says."""
    events = [fixture_event(name) | {"socket_sequence": seq} for name, seq in zip(names, sequences, strict=True)]
    return spliced(events, mutations)


def assert_same_items(frame: str, expected_start: int = 0) -> list[Any]:
    fast, reference = FrameDecoder(), FrameDecoder(fast=False)
    for decoder in (fast, reference):
        for number in range(expected_start):  # heartbeats move the count on
            decoder.feed(json.dumps({"type": "heartbeat", "timestampms": 1, "sequence": number,
                                     "socket_sequence": number}))
    got, want = fast.feed(frame), reference.feed(frame)
    assert repr(got) == repr(want)  # repr: Decimal exponents and bool-vs-int count too
    assert fast.expected_sequence == reference.expected_sequence
    return got


@settings(max_examples=400, derandomize=True, deadline=None)
@given(
    names=st.lists(st.sampled_from(EVENT_FIXTURES), min_size=1, max_size=3),
    numbering=st.sampled_from(["same", "consecutive", "mixed"]),
    start=st.sampled_from([0, 7]),
    mutations=st.lists(st.tuples(st.integers(0, 2), mutation), max_size=3),
)
def test_fast_decoder_gives_what_the_reference_path_gives(
    names: list[str], numbering: str, start: int, mutations: list[tuple[int, tuple[str, str, str]]]
) -> None:
    if numbering == "same":
        sequences = [start] * len(names)
    elif numbering == "consecutive":
        sequences = [start + i for i in range(len(names))]
    else:
        sequences = [start + (i * 2) % 3 for i in range(len(names))]
    assert_same_items(build_frame(names, sequences, mutations))


@pytest.mark.parametrize(
    "frame",
    [
        "[]",
        "[1]",
        " [" + json.dumps(fixture_event("ws_fill.json") | {"socket_sequence": 0}) + "]",
        "[" + json.dumps(fixture_event("ws_fill.json") | {"socket_sequence": 0}) + "] trailing",
        '[{"type":"fill","socket_sequence":0}]',
        json.dumps([fixture_event("ws_fill.json") | {"socket_sequence": True}]),
        json.dumps([fixture_event("ws_fill.json") | {"socket_sequence": "0"}]),
        json.dumps([fixture_event("ws_fill.json") | {"socket_sequence": 0, "is_live": "true"}]),
        json.dumps([fixture_event("ws_fill.json") | {"socket_sequence": 0, "timestamp": 1478729284}]),
        json.dumps([fixture_event("ws_fill.json") | {"socket_sequence": 0, "type": "future_kind"}]),
        # duplicate keys: the last one counts in both parsers
        json.dumps([fixture_event("ws_fill.json") | {"socket_sequence": 0}])[:-2] + ', "price": "1.25"}]',
        json.dumps([fixture_event("ws_fill.json") | {"socket_sequence": 0}])[:-2] + ', "price": ""}]',
    ],
)
def test_fast_decoder_edge_frames(frame: str) -> None:
    assert_same_items(frame)


#: JSON numbers whose float is not their text: the fast pass must refuse them, not round them.
INEXACT = ["0.99999999999999999999", "1.2345678901234567891e20", "1.0000000000000000001", "1e400", "1E+3", "2.0"]


@pytest.mark.parametrize("raw", INEXACT)
@pytest.mark.parametrize(
    ("op", "key"),
    [("set", "price"), ("set", "executed_amount"), ("fill", "fee"), ("set", "timestamp"), ("set", "timestampms"),
     ("set", "socket_sequence"), ("set", "is_live"), ("set", "order_id"), ("fill", "trade_id")],
)
def test_fast_decoder_never_rounds_a_json_number(op: str, key: str, raw: str) -> None:
    assert_same_items(build_frame(["ws_fill.json"], [0], [(0, (op, key, raw))]))


def test_fast_decoder_reports_gaps_and_bad_frames_like_the_reference() -> None:
    frame = build_frame(["ws_accepted.json", "ws_fill.json"], [5, 6], [])
    items = assert_same_items(frame, expected_start=2)
    assert [type(i).__name__ for i in items] == ["SequenceGap", "OrderEventBatch"]
    bad = build_frame(["ws_accepted.json", "ws_fill.json"], [0, 1], [(1, ("fill", "price", '""'))])
    (item,) = assert_same_items(bad)
    assert isinstance(item, BadFrame) and "fill.price" in item.reason


# --- orders: quick construction and copies -----------------------------------------------------------------------


def sample_order(**changes: Any) -> Order:
    order = Order("73000000001", "c-1", "btcusd", Side.BUY, OrderType.LIMIT, Decimal("64250.00"), Decimal("0.5"))
    return dataclasses.replace(order, **changes)


def test_fast_init_keeps_the_dataclass_signature_and_frozenness() -> None:
    parameters = inspect.signature(Order).parameters
    assert list(parameters) == [f.name for f in dataclasses.fields(Order)]
    for f in dataclasses.fields(Order):
        default = parameters[f.name].default
        assert default == (f.default if f.default is not dataclasses.MISSING else inspect.Parameter.empty)
    order = sample_order()
    with pytest.raises(dataclasses.FrozenInstanceError):
        order.state = OrderState.LIVE  # type: ignore[misc]
    with pytest.raises(TypeError):
        Order("1")  # type: ignore[call-arg]


def test_fast_init_refuses_fields_it_cannot_copy() -> None:
    with pytest.raises(TypeError, match="plain fields and defaults only"):

        @fast_init
        @dataclasses.dataclass(frozen=True, slots=True)
        class WithFactory:
            items: list[int] = dataclasses.field(default_factory=list)


def test_evolve_equals_dataclasses_replace() -> None:
    fill = Fill("t-1", "73000000001", Decimal("64250.00"), Decimal("0.1"), Decimal("0.01"), "USD", Liquidity.MAKER)
    order = sample_order(state=OrderState.LIVE, reason="x", fills=(fill,))
    changes: dict[str, Any] = {"state": OrderState.FILLED, "filled": Decimal("0.5"), "remaining": Decimal(0),
                               "updated_ms": 9, "fills": (), "stop_price": Decimal(1)}
    for name, value in changes.items():
        evolved = order.evolve(**{name: value})
        replaced = dataclasses.replace(order, **{name: value})
        assert evolved == replaced and evolved.fills == replaced.fills
    assert order.evolve(**changes) == dataclasses.replace(order, **changes)
    assert order.state is OrderState.LIVE  # the original is untouched
    with pytest.raises(TypeError, match="no field 'colour'"):
        order.evolve(colour="red")


def test_blotter_records_the_event_order_itself_only_when_nothing_is_merged_in() -> None:
    wire = TypeAdapter(list[OrderEventWire]).validate_json((FIXTURES / "ws_accepted.json").read_bytes())[0]
    blotter = Blotter()
    event = event_from_wire(wire, 0, updated_ms=100)
    assert event is not None
    applied = blotter.apply_event(event, 100)
    assert applied.order is event.order  # nothing differs: no copy
    # A second event converted with another clock: a copy carrying the blotter's time and the client order id.
    later = event_from_wire(wire.model_copy(update={"type": "booked", "event_id": "e-2", "client_order_id": None}),
                            1, updated_ms=0)
    assert later is not None
    booked = blotter.apply_event(later, 200).order
    assert booked is not None and booked is not later.order
    assert booked.updated_ms == 200 and booked.client_order_id == event.order.client_order_id
    assert booked.state is OrderState.LIVE


# --- /v1/orders: one pass for the 10,000 orders at start, the reference on any refusal ---------------------------


def order_status_body(mutations: list[tuple[int, tuple[str, str, str]]], count: int = 2) -> str:
    """A /v1/orders array from the order status fixture (the first with a trade), mutated as ``spliced`` says."""
    orders = [json.loads((FIXTURES / "order_status_response.json").read_text()) for _ in range(count)]
    orders[0]["trades"] = [json.loads((FIXTURES / "mytrade.json").read_text())]
    return spliced(orders, mutations)


STATUS_FIELDS = sorted(json.loads((FIXTURES / "order_status_response.json").read_text()) | {"stop_price": 1})
status_mutation = st.tuples(
    st.sampled_from(["set", "del"]), st.sampled_from([*STATUS_FIELDS, "reason"]), st.sampled_from(RAW_VALUES)
)


def reference_parse(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise ValueError(name)

    return TypeAdapter(list[OrderStatus]).validate_python(json.loads(text, parse_float=Decimal, parse_constant=refuse))


@settings(max_examples=300, derandomize=True, deadline=None)
@given(mutations=st.lists(st.tuples(st.integers(0, 1), status_mutation), max_size=3))
def test_one_pass_order_list_equals_the_reference_whenever_it_answers(
    mutations: list[tuple[int, tuple[str, str, str]]]
) -> None:
    text = order_status_body(mutations)
    fast = validate_json_exact(TypeAdapter(list[OrderStatus]), text)
    if fast is None:
        return  # refused: the caller takes the reference path
    assert repr(fast) == repr(reference_parse(text))


@pytest.mark.parametrize("raw", INEXACT)
@pytest.mark.parametrize("key", ["price", "executed_amount", "timestamp", "timestampms", "is_live", "order_id"])
def test_one_pass_order_list_never_rounds_a_json_number(key: str, raw: str) -> None:
    text = order_status_body([(0, ("set", key, raw))])
    fast = validate_json_exact(TypeAdapter(list[OrderStatus]), text)
    assert fast is None or repr(fast) == repr(reference_parse(text))


async def test_active_orders_body_with_a_float_price_keeps_it_exact() -> None:
    bodies = [order_status_body([]), order_status_body([(0, ("set", "price", "0.99999999999999999999"))])]
    answers = iter(bodies)
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=next(answers).encode()))
    async with GeminiRestClient("https://api.example.test", Credentials("account-0123456789abcdefXY12", SecretStr("s")),
                                transport=transport) as client:
        plain = await client.active_orders()
        exact = await client.active_orders()
    assert [o.price for o in plain] == [Decimal("400.00"), Decimal("400.00")]
    assert exact[0].price == Decimal("0.99999999999999999999")  # taken by the reference path, not via a float
    assert repr(plain) == repr(reference_parse(bodies[0]))


# --- bulk merging of REST snapshots ------------------------------------------------------------------------------


def test_apply_snapshots_is_apply_snapshot_in_order_with_one_notification() -> None:
    orders = [sample_order(order_id=str(n), client_order_id=f"c-{n}", state=OrderState.LIVE, created_ms=n % 3)
              for n in range(6)]
    impossible = sample_order(order_id="9", client_order_id="c-9", filled=Decimal(7), state=OrderState.LIVE)
    snapshots = [*orders, impossible, orders[2].evolve(state=OrderState.CANCELLED)]
    one_by_one, bulk = Blotter(), Blotter()
    heard: list[list[Order]] = []
    bulk.add_listener(heard.append)
    expected = [one_by_one.apply_snapshot(o, 50) for o in snapshots]
    results = bulk.apply_snapshots(snapshots, 50)
    assert results == expected and results[6] is None and len(bulk.flagged) == 1
    assert bulk.orders() == one_by_one.orders()
    assert len(heard) == 1 and [o.order_id for o in heard[0]] == ["0", "1", "2", "3", "4", "5"]
    assert heard[0][2].state is OrderState.CANCELLED  # the last version of each order
    assert bulk.open_orders() == [o for o in bulk.orders() if not o.state.is_terminal]
