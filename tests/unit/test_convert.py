"""Wire → domain conversion: orders, states, events, fills and symbol rules."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.domain.model import EventKind, ExecOption, Liquidity, OrderState, OrderType, Side, SymbolRules
from console.venues.gemini.convert import (
    derive_state,
    event_from_wire,
    fill_from_event,
    fill_from_my_trade,
    order_from_status,
    order_type_from_wire,
    rules_from_details,
)
from console.venues.gemini.models import MyTrade, OrderEventWire, OrderStatus, SymbolDetails

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gemini"
D = Decimal


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def status(name: str = "order_new_response.json", **changes: Any) -> OrderStatus:
    return OrderStatus.model_validate(load(name) | changes)


def event(name: str, **changes: Any) -> OrderEventWire:
    return OrderEventWire.model_validate(load(name)[0] | changes)


# --- REST order status ---------------------------------------------------------------------------------------


def test_order_from_new_order_response() -> None:
    order = order_from_status(status(), updated_ms=99)
    assert order.order_id == "106817811"
    assert order.client_order_id == "20190110-4738721"
    assert order.symbol == "btcusd"  # the create example echoes BTCUSD
    assert order.side is Side.BUY
    assert order.order_type is OrderType.LIMIT
    assert order.price == D("3633.00")
    assert order.amount == D("5")
    assert order.filled == D("3.7567928949")
    assert order.remaining == D("1.2432071051")
    assert order.avg_price == D("3632.8508430064554")
    assert order.state is OrderState.PARTIALLY_FILLED
    assert order.options == ()
    assert order.created_ms == 1547220404836
    assert order.updated_ms == 99
    assert order.stop_price is None and order.reason is None


def test_cancelled_status_keeps_reason() -> None:
    order = order_from_status(status("order_cancel_response.json"))
    assert order.state is OrderState.CANCELLED
    assert order.reason == "Requested"


def test_filled_status() -> None:
    assert order_from_status(status("order_status_response.json")).state is OrderState.FILLED


@pytest.mark.parametrize(
    ("changes", "state"),
    [
        ({"is_live": True, "executed_amount": "0", "remaining_amount": "5"}, OrderState.LIVE),
        ({"is_live": True, "executed_amount": "1", "remaining_amount": "4"}, OrderState.PARTIALLY_FILLED),
        ({"is_live": False, "executed_amount": "5", "remaining_amount": "0"}, OrderState.FILLED),
        ({"is_live": False, "is_cancelled": True, "executed_amount": "5"}, OrderState.CANCELLED),
        ({"is_live": False, "is_cancelled": True, "executed_amount": "2"}, OrderState.CANCELLED),
        ({"is_live": True, "is_hidden": True, "type": "exchange stop limit", "executed_amount": "0",
          "stop_price": "3600"}, OrderState.WAITING_TRIGGER),
        ({"is_live": True, "is_hidden": False, "type": "exchange stop limit", "executed_amount": "0"},
         OrderState.LIVE),
        ({"is_live": True, "is_hidden": True, "type": "exchange limit", "executed_amount": "0"}, OrderState.LIVE),
        ({"is_live": False, "executed_amount": "0"}, OrderState.UNKNOWN),
    ],
)
def test_status_state_mapping(changes: dict[str, Any], state: OrderState) -> None:
    assert order_from_status(status(**changes)).state is state


def test_maker_or_cancel_that_would_take() -> None:
    order = order_from_status(
        status(is_live=False, is_cancelled=True, reason="MakerOrCancelWouldTake", executed_amount="0",
               remaining_amount="5", options=["maker-or-cancel"])
    )
    assert order.state is OrderState.CANCELLED
    assert order.options == (ExecOption.MAKER_OR_CANCEL,)
    assert order.reason == "MakerOrCancelWouldTake"


def test_stop_limit_status() -> None:
    order = order_from_status(status(type="exchange stop limit", stop_price="3600.50", is_hidden=True))
    assert order.order_type is OrderType.STOP_LIMIT
    assert order.stop_price == D("3600.50")


def test_gemini_documented_stop_limit_example_says_stop_limit() -> None:
    """Gemini's own stop-limit example (order 7419662) answers ``"type": "stop-limit"``, not the request's type."""
    wire = status("order_stop_limit_response.json")
    assert wire.type == "stop-limit" and wire.remaining_amount is None
    order = order_from_status(wire)
    assert order.order_type is OrderType.STOP_LIMIT
    assert (order.stop_price, order.price, order.amount) == (D("10400.00"), D("10500.00"), D("0.01"))
    assert order.state is OrderState.LIVE and order.filled == 0


def test_unknown_options_are_dropped() -> None:
    order = order_from_status(status(options=["auction-only", "immediate-or-cancel"]))
    assert order.options == (ExecOption.IMMEDIATE_OR_CANCEL,)


def test_status_with_trades_gives_fills() -> None:
    trade = load("mytrade.json") | {"order_id": "106817811"}
    order = order_from_status(status(trades=[trade]))
    (fill,) = order.fills
    assert fill.trade_id == "107317526" and fill.order_id == "106817811"
    assert fill.liquidity is Liquidity.TAKER


@pytest.mark.parametrize(
    ("text", "stop", "expected"),
    [
        ("exchange limit", None, OrderType.LIMIT),
        ("exchange stop limit", None, OrderType.STOP_LIMIT),
        ("stop-limit", None, OrderType.STOP_LIMIT),
        ("Exchange Stop Limit", None, OrderType.STOP_LIMIT),
        ("market buy", None, OrderType.LIMIT),
        ("auction-only limit", None, OrderType.LIMIT),
        ("block_trade", None, OrderType.LIMIT),
        ("exchange limit", D("1"), OrderType.STOP_LIMIT),
    ],
)
def test_order_type_mapping(text: str, stop: Decimal | None, expected: OrderType) -> None:
    assert order_type_from_wire(text, stop) is expected


# --- order events --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "state"),
    [
        ("ws_initial.json", EventKind.INITIAL, OrderState.PARTIALLY_FILLED),
        ("ws_accepted.json", EventKind.ACCEPTED, OrderState.LIVE),
        ("ws_accepted_market_buy.json", EventKind.ACCEPTED, OrderState.ACCEPTED),
        ("ws_rejected.json", EventKind.REJECTED, OrderState.REJECTED),
        ("ws_fill.json", EventKind.FILL, OrderState.PARTIALLY_FILLED),
        ("ws_cancelled.json", EventKind.CANCELLED, OrderState.CANCELLED),
        ("ws_cancel_rejected.json", EventKind.CANCEL_REJECTED, OrderState.LIVE),
        ("ws_closed.json", EventKind.CLOSED, OrderState.FILLED),
    ],
)
def test_every_sample_event_converts(name: str, kind: EventKind, state: OrderState) -> None:
    wire = event(name)
    converted = event_from_wire(wire, sequence=7)
    assert converted is not None
    assert converted.kind is kind
    assert converted.order.state is state
    assert converted.order.order_id == wire.order_id
    assert converted.event_id == wire.event_id
    assert converted.sequence == 7
    assert converted.order.created_ms == wire.timestampms
    assert converted.order.api_session == wire.api_session


def test_initial_event_has_no_event_id() -> None:
    converted = event_from_wire(event("ws_initial.json"))
    assert converted is not None and converted.event_id is None and converted.sequence is None


def test_fill_event() -> None:
    converted = event_from_wire(event("ws_fill.json"), sequence=3)
    assert converted is not None and converted.fill is not None
    fill = converted.fill
    assert fill.trade_id == "557315" and fill.order_id == "556309"
    assert fill.price == D("0.01514") and fill.amount == D("481.95988631")
    assert fill.fee == D("0.0182421816968335") and fill.fee_currency == "BTC"
    assert fill.liquidity is Liquidity.MAKER
    assert fill.timestamp_ms == 1478729284169
    order = converted.order
    assert order.side is Side.SELL and order.symbol == "ethbtc"
    assert order.filled == D("481.95988631") and order.remaining == D("303.06099969")
    assert order.amount == D("785.020886")
    assert order.fills == ()


def test_rejected_event_reason() -> None:
    converted = event_from_wire(event("ws_rejected.json"))
    assert converted is not None
    assert converted.reason == "InvalidPrice" and converted.order.reason == "InvalidPrice"
    assert converted.order.filled == D(0) and converted.order.avg_price == D(0)


def test_cancel_rejected_keeps_order_resting() -> None:
    converted = event_from_wire(event("ws_cancel_rejected.json"))
    assert converted is not None
    assert converted.reason == "IneligibleTiming"
    assert converted.order.state.is_open


def test_market_buy_without_amounts() -> None:
    converted = event_from_wire(event("ws_accepted_market_buy.json"))
    assert converted is not None
    order = converted.order
    assert order.price == D(0) and order.amount == D(0) and order.remaining == D(0)
    assert order.open_amount == D(0)


def test_behavior_maps_to_options() -> None:
    converted = event_from_wire(event("ws_accepted.json", behavior="immediate-or-cancel"))
    assert converted is not None and converted.order.options == (ExecOption.IMMEDIATE_OR_CANCEL,)


def test_ioc_fill_before_its_cancel_event_is_partially_filled() -> None:
    wire = event("ws_fill.json", is_live=False, behavior="immediate-or-cancel")
    converted = event_from_wire(wire)
    assert converted is not None and converted.order.state is OrderState.PARTIALLY_FILLED


def test_closed_without_cancel_flag_and_remaining_is_cancelled() -> None:
    wire = event("ws_closed.json", executed_amount="1", remaining_amount="784.020886")
    converted = event_from_wire(wire)
    assert converted is not None and converted.order.state is OrderState.CANCELLED


def test_stop_limit_event_waiting_for_trigger() -> None:
    wire = event("ws_accepted.json", order_type="exchange stop limit", is_hidden=True, stop_price="1000")
    converted = event_from_wire(wire)
    assert converted is not None
    assert converted.order.state is OrderState.WAITING_TRIGGER
    assert converted.order.stop_price == D("1000")


def test_non_order_event_kind_gives_none() -> None:
    wire = event("ws_fill.json").model_copy(update={"type": "not_an_order_event"})
    assert event_from_wire(wire) is None


@given(
    executed=st.decimals(min_value=0, max_value=100, places=4),
    original=st.decimals(min_value=D("0.0001"), max_value=100, places=4),
    is_live=st.booleans(),
    is_cancelled=st.booleans(),
)
def test_derive_state_invariants(executed: Decimal, original: Decimal, is_live: bool, is_cancelled: bool) -> None:
    state = derive_state(
        is_live=is_live, is_cancelled=is_cancelled, is_hidden=False, executed=executed, original=original,
        order_type=OrderType.LIMIT,
    )
    if is_cancelled:
        assert state is OrderState.CANCELLED
    elif is_live:
        assert state in (OrderState.LIVE, OrderState.PARTIALLY_FILLED)
        assert (state is OrderState.PARTIALLY_FILLED) == (executed > 0)
    elif executed >= original:
        assert state is OrderState.FILLED
    assert state is not OrderState.REJECTED


# --- fills and rules -----------------------------------------------------------------------------------------


def test_fill_from_my_trade() -> None:
    trade = MyTrade.model_validate(load("mytrade.json"))
    fill = fill_from_my_trade(trade)
    assert fill.trade_id == "107317526" and fill.order_id == "107317524"
    assert fill.price == D("3648.09") and fill.amount == D("0.0027343246")
    assert fill.fee == D("0.024937655575035") and fill.fee_currency == "USD"
    assert fill.liquidity is Liquidity.TAKER  # aggressor
    assert fill.timestamp_ms == 1547232911021
    maker = fill_from_my_trade(trade.model_copy(update={"aggressor": False}))
    assert maker.liquidity is Liquidity.MAKER
    # What the fills view shows besides: symbol, side, client order id, broken, auction and clearing flags.
    assert (fill.symbol, fill.side, fill.client_order_id, fill.broken) == ("btcusd", Side.BUY, None, None)
    assert (fill.is_auction, fill.is_clearing) == (False, False)
    broken = fill_from_my_trade(trade.model_copy(update={"break_": "full", "type": "Sell",
                                                          "client_order_id": "desk-1", "is_auction_fill": True}))
    assert (broken.side, broken.client_order_id, broken.broken, broken.is_auction) == (Side.SELL, "desk-1", "full",
                                                                                       True)


@pytest.mark.parametrize(("text", "liquidity"), [("Maker", Liquidity.MAKER), ("Taker", Liquidity.TAKER),
                                                 ("maker", Liquidity.MAKER), ("Auction", Liquidity.TAKER)])
def test_fill_from_event_liquidity(text: str, liquidity: Liquidity) -> None:
    wire = event("ws_fill.json").fill
    assert wire is not None
    assert fill_from_event(wire.model_copy(update={"liquidity": text}), order_id="1").liquidity is liquidity


def test_rules_from_details() -> None:
    rules = rules_from_details(SymbolDetails.model_validate_json((FIXTURES / "symbol_details.json").read_bytes()))
    assert rules == SymbolRules(
        symbol="btcusd",
        base_currency="BTC",
        quote_currency="USD",
        quantity_increment=D("1E-8"),
        price_increment=D("0.01"),
        min_order_size=D("0.00001"),
        status="open",
    )
    assert str(rules.quantity_increment) == "1E-8"


def _state_by_the_documented_rules(
    is_live: bool, is_cancelled: bool, is_hidden: bool, executed: Decimal | None, original: Decimal | None,
    order_type: OrderType, event_type: str | None,
) -> OrderState:
    """The module docstring's table, rule by rule, first match wins (the reference ``derive_state`` must equal)."""
    filled = executed if executed is not None else D(0)
    fully_filled = original is not None and original > 0 and filled >= original
    rules = [
        (event_type == "rejected", OrderState.REJECTED),
        (is_cancelled, OrderState.CANCELLED),
        (not is_live and fully_filled, OrderState.FILLED),
        (event_type == "closed",
         OrderState.FILLED if original is None or fully_filled else OrderState.CANCELLED),
        (order_type is OrderType.STOP_LIMIT and is_hidden and is_live, OrderState.WAITING_TRIGGER),
        (is_live and filled > 0, OrderState.PARTIALLY_FILLED),
        (is_live, OrderState.LIVE),
        (event_type == "accepted", OrderState.ACCEPTED),
        (filled > 0, OrderState.PARTIALLY_FILLED),
    ]
    return next((state for matches, state in rules if matches), OrderState.UNKNOWN)


def test_derive_state_follows_the_documented_rules_in_every_combination() -> None:
    amounts = [None, D(0), D("0.5"), D(1), D(2)]
    kinds = [None, "initial", "accepted", "rejected", "booked", "fill", "cancelled", "cancel_rejected", "closed"]
    checked = 0
    for is_live, is_cancelled, is_hidden in itertools.product([True, False], repeat=3):
        for executed, original, order_type, kind in itertools.product(amounts, amounts, OrderType, kinds):
            args = (is_live, is_cancelled, is_hidden, executed, original, order_type, kind)
            assert derive_state(*args) is _state_by_the_documented_rules(*args), args
            checked += 1
    assert checked == 8 * 5 * 5 * len(OrderType) * len(kinds)


def test_order_type_strings_are_read_the_same_every_time() -> None:
    # The converter remembers each type string it has read: the second reading must give the first's answer.
    for _ in range(2):
        assert order_type_from_wire("exchange stop limit") is OrderType.STOP_LIMIT
        assert order_type_from_wire("Exchange Stop Limit") is OrderType.STOP_LIMIT
        assert order_type_from_wire("exchange limit") is OrderType.LIMIT
        assert order_type_from_wire("exchange limit", D("1")) is OrderType.STOP_LIMIT  # a stop price decides
