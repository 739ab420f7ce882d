"""Every sample message of Gemini's documentation (copied to tests/fixtures/gemini) parses with its wire model."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from console.venues.gemini.models import (
    Balance,
    Book,
    CancelAllResponse,
    ErrorResponse,
    HeartbeatMessage,
    HeartbeatResponse,
    L2Updates,
    MarketTrade,
    MyTrade,
    NotionalVolume,
    OrderEventWire,
    OrderStatus,
    PublicTrade,
    PubTicker,
    SubscriptionAck,
    SymbolDetails,
    WrapResponse,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gemini"

#: fixture file → the type it parses as.
MODEL_FOR_FILE: dict[str, Any] = {
    "order_new_response.json": OrderStatus,
    "order_cancel_response.json": OrderStatus,
    "order_status_response.json": OrderStatus,
    "order_stop_limit_response.json": OrderStatus,
    "cancel_all_response.json": CancelAllResponse,
    "cancel_session_response.json": CancelAllResponse,
    "mytrade.json": MyTrade,
    "notionalvolume_response.json": NotionalVolume,
    "wrap_response.json": WrapResponse,
    "heartbeat_response.json": HeartbeatResponse,
    "balances_response.json": list[Balance],
    "error_missing_role.json": ErrorResponse,
    "error_bad_nonce.json": ErrorResponse,
    "symbols.json": list[str],
    "symbol_details.json": SymbolDetails,
    "pubticker.json": PubTicker,
    "book.json": Book,
    "public_trade.json": PublicTrade,
    "ws_subscription_ack.json": SubscriptionAck,
    "ws_heartbeat.json": HeartbeatMessage,
    "ws_initial.json": list[OrderEventWire],
    "ws_accepted.json": list[OrderEventWire],
    "ws_accepted_market_buy.json": list[OrderEventWire],
    "ws_rejected.json": list[OrderEventWire],
    "ws_fill.json": list[OrderEventWire],
    "ws_cancelled.json": list[OrderEventWire],
    "ws_cancel_rejected.json": list[OrderEventWire],
    "ws_closed.json": list[OrderEventWire],
    "md_l2_snapshot.json": L2Updates,
    "md_l2_delta.json": L2Updates,
    "md_trade.json": MarketTrade,
}

D = Decimal


def _parse(name: str) -> Any:
    return TypeAdapter(MODEL_FOR_FILE[name]).validate_json((FIXTURES / name).read_bytes())


def test_every_fixture_file_has_a_model() -> None:
    assert sorted(p.name for p in FIXTURES.glob("*.json")) == sorted(MODEL_FOR_FILE)


@pytest.mark.parametrize("name", sorted(MODEL_FOR_FILE))
def test_fixture_parses_with_its_model(name: str) -> None:
    parsed = _parse(name)
    # Parsing from a Python object (what the REST client does) agrees with parsing the JSON text.
    again = TypeAdapter(MODEL_FOR_FILE[name]).validate_python(json.loads((FIXTURES / name).read_text()))
    assert parsed == again


def test_order_new_response() -> None:
    order = _parse("order_new_response.json")
    assert order.order_id == "106817811"
    assert order.id == "106817811"
    assert order.symbol == "BTCUSD"
    assert order.avg_execution_price == D("3632.8508430064554")
    assert order.side == "buy"
    assert order.type == "exchange limit"
    assert order.timestamp == 1547220404
    assert order.timestampms == 1547220404836
    assert order.is_live is True and order.is_cancelled is False
    assert order.executed_amount == D("3.7567928949")
    assert order.remaining_amount == D("1.2432071051")
    assert order.original_amount == D("5")
    assert order.price == D("3633.00")
    assert order.client_order_id == "20190110-4738721"
    assert order.options == []
    assert order.reason is None and order.stop_price is None and order.trades is None


def test_order_cancel_response() -> None:
    order = _parse("order_cancel_response.json")
    assert order.is_cancelled is True and order.is_live is False
    assert order.reason == "Requested"
    assert order.price == D("2960.00")
    assert order.client_order_id is None


def test_order_status_response() -> None:
    order = _parse("order_status_response.json")
    assert order.order_id == "123456789012345"
    assert order.executed_amount == order.original_amount == D("3")
    assert order.remaining_amount == D("0")


def test_cancel_all_responses() -> None:
    everything = _parse("cancel_all_response.json")
    assert everything.result == "ok"
    assert everything.details.cancelledOrders == [330429106, 330429079, 330429082]
    assert everything.details.cancelRejects == []
    session = _parse("cancel_session_response.json")
    assert session.details.cancelRejects == [330429345]
    assert all(isinstance(i, int) for i in session.details.cancelRejects)


def test_mytrade() -> None:
    trade = _parse("mytrade.json")
    assert trade.price == D("3648.09")
    assert trade.amount == D("0.0027343246")
    assert trade.timestamp == 1547232911 and trade.timestampms == 1547232911021
    assert trade.type == "Buy" and trade.aggressor is True
    assert trade.fee_amount == D("0.024937655575035") and trade.fee_currency == "USD"
    assert trade.tid == 107317526 and isinstance(trade.tid, int)
    assert trade.order_id == "107317524"
    assert trade.is_clearing_fill is False and trade.is_auction_fill is False
    assert trade.break_ is None and trade.client_order_id is None


def test_mytrade_break_alias() -> None:
    data = json.loads((FIXTURES / "mytrade.json").read_text()) | {"break": "manual", "client_order_id": "c-1"}
    trade = MyTrade.model_validate(data)
    assert trade.break_ == "manual"
    assert trade.client_order_id == "c-1"


def test_balances() -> None:
    btc, usd = _parse("balances_response.json")
    assert (btc.currency, btc.amount, btc.available) == ("BTC", D("5.0"), D("4.5"))
    assert btc.availableForWithdrawal == D("4.5")
    assert btc.pendingWithdrawal == D("0.25") and btc.pendingDeposit == D("0.25")
    assert usd.amount == D("15000.00") and usd.pendingDeposit is None


def test_heartbeat_response_and_errors() -> None:
    assert _parse("heartbeat_response.json").result == "ok"
    error = _parse("error_missing_role.json")
    assert error.reason == "MissingRole" and error.message.startswith("To access this endpoint")


def test_notional_volume_and_wrap() -> None:
    volume = _parse("notionalvolume_response.json")
    assert volume.api_maker_fee_bps == D(10) and volume.api_taker_fee_bps == D(35)
    assert volume.last_updated_ms == 1551371446000
    wrap = _parse("wrap_response.json")
    assert wrap.orderId == 429135395 and wrap.totalSpend == D("1")


def test_symbol_details_numbers_are_exact_decimals() -> None:
    details = _parse("symbol_details.json")
    assert details.tick_size == D("1E-8")
    assert str(details.tick_size) == "1E-8"  # not 1.0000000000000000209E-8 from the binary float
    assert details.quote_increment == D("0.01")
    assert str(details.quote_increment) == "0.01"
    assert details.min_order_size == D("0.00001")
    assert details.status == "open"
    assert details.product_type == "spot"


@pytest.mark.parametrize("number", ["1e-8", "1e-9", "0.000001", "0.005", "0.5", "1e-7", "0.00001"])
def test_symbol_details_increments_from_doc_table_are_exact(number: str) -> None:
    text = (
        f'{{"symbol":"X","base_currency":"B","quote_currency":"Q","tick_size":{number},"quote_increment":{number},'
        '"min_order_size":"1","status":"open"}'
    )
    details = SymbolDetails.model_validate_json(text)
    assert details.tick_size == D(number)
    assert details.quote_increment.as_tuple() == D(number).as_tuple()


def test_symbol_details_older_sample_without_new_fields() -> None:
    details = SymbolDetails.model_validate(
        {"symbol": "ETHUSD", "base_currency": "ETH", "quote_currency": "USD", "tick_size": 0.000001,
         "quote_increment": 0.01, "min_order_size": "0.001", "status": "open"}
    )
    assert details.tick_size == D("0.000001")
    assert details.wrap_enabled is None


def test_pubticker_volume() -> None:
    ticker = _parse("pubticker.json")
    assert ticker.bid == D("977.59") and ticker.ask == D("977.35") and ticker.last == D("977.65")
    assert ticker.volume.timestamp == 1483018200000
    assert ticker.volume.amounts == {"BTC": D("2210.505328803"), "USD": D("2135477.463379586263")}
    assert ticker.volume["USD"] == D("2135477.463379586263")


def test_book_and_public_trade() -> None:
    book = _parse("book.json")
    assert book.bids[0].price == D("3607.85") and book.bids[0].amount == D("6.643373")
    assert book.bids[0].timestamp == 1547147541
    assert book.asks[0].price == D("3607.86")
    trade = _parse("public_trade.json")
    assert trade.tid == 5335307668 and trade.price == D("3610.85") and trade.type == "buy"
    assert trade.broken is False and trade.timestampms == 1547146811357


def test_symbols() -> None:
    assert _parse("symbols.json") == ["btcusd", "ethusd", "solusd", "btcgusdperp"]


def test_subscription_ack_and_heartbeat() -> None:
    ack = _parse("ws_subscription_ack.json")
    assert ack.accountId == 5365
    assert ack.subscriptionId == "ws-order-events-5365-b8bk32clqeb13g9tk8p0"
    assert ack.symbolFilter == ["btcusd"] and ack.apiSessionFilter == ["UI"]
    assert ack.eventTypeFilter == ["fill", "closed"]
    beat = _parse("ws_heartbeat.json")
    assert (beat.timestampms, beat.sequence, beat.trace_id, beat.socket_sequence) == (
        1547742998508, 31, "b8biknoqppr32kc7gfgg", 37,
    )


def test_initial_event_has_no_event_id() -> None:
    (event,) = _parse("ws_initial.json")
    assert event.type == "initial" and event.event_id is None
    assert event.executed_amount == D("2") and event.remaining_amount == D("3")
    assert event.original_amount == D("5") and event.price == D("713.95")
    assert event.timestamp == 1478789840 and event.socket_sequence == 0


def test_accepted_events() -> None:
    (limit,) = _parse("ws_accepted.json")
    assert limit.event_id == "372456299" and limit.client_order_id == "20170208_example"
    assert limit.executed_amount is None and limit.remaining_amount is None
    assert limit.original_amount == D("14.0296")
    (market,) = _parse("ws_accepted_market_buy.json")
    assert market.order_type == "market buy"
    assert market.original_amount is None and market.remaining_amount is None and market.price is None
    assert market.total_spend == D("200.00")


def test_rejected_event_without_optional_flags() -> None:
    (event,) = _parse("ws_rejected.json")
    assert event.reason == "InvalidPrice"
    assert event.is_cancelled is False and event.avg_execution_price is None
    assert event.price == D("703.14444444")


def test_fill_event() -> None:
    (event,) = _parse("ws_fill.json")
    assert event.fill is not None
    assert event.fill.trade_id == "557315" and event.fill.liquidity == "Maker"
    assert event.fill.price == D("0.01514") and event.fill.amount == D("481.95988631")
    assert event.fill.fee == D("0.0182421816968335") and event.fill.fee_currency == "BTC"
    assert event.side == "sell" and event.socket_sequence == 471177


def test_cancel_events_and_closed() -> None:
    (cancelled,) = _parse("ws_cancelled.json")
    assert cancelled.is_cancelled and cancelled.remaining_amount == D("10")
    (rejected,) = _parse("ws_cancel_rejected.json")
    assert rejected.cancel_command_id == "6433" and rejected.reason == "IneligibleTiming"
    assert rejected.order_type == "auction-only limit" and rejected.is_hidden
    (closed,) = _parse("ws_closed.json")
    assert closed.executed_amount == closed.original_amount == D("785.020886")


# --- refusals -----------------------------------------------------------------------------------------------


def _fill_event() -> dict[str, Any]:
    return json.loads((FIXTURES / "ws_fill.json").read_text())[0]


@pytest.mark.parametrize("bad", ["", "abc", "NaN", "Infinity", "1.2.3", " ", "1,000.00", True, None, [], {}])
def test_bad_decimal_fails_instead_of_becoming_zero(bad: Any) -> None:
    data = _fill_event()
    data["executed_amount"] = bad
    if bad is None:  # executed_amount is optional: null means absent, check a required decimal instead
        data["fill"]["price"] = bad
    with pytest.raises(ValidationError):
        OrderEventWire.model_validate(data)


@pytest.mark.parametrize("field", ["price", "amount", "fee"])
def test_bad_decimal_in_fill_object(field: str) -> None:
    data = _fill_event()
    data["fill"][field] = ""
    with pytest.raises(ValidationError):
        OrderEventWire.model_validate(data)


def test_bad_decimal_in_rest_models() -> None:
    data = json.loads((FIXTURES / "order_status_response.json").read_text())
    data["price"] = "abc"
    with pytest.raises(ValidationError):
        OrderStatus.model_validate(data)
    with pytest.raises(ValidationError):
        Balance.model_validate({"type": "exchange", "currency": "BTC", "amount": "", "available": "1",
                                "availableForWithdrawal": "1"})


@pytest.mark.parametrize("missing", ["order_id", "symbol", "side", "socket_sequence", "timestampms", "is_live"])
def test_missing_required_event_field_fails(missing: str) -> None:
    data = _fill_event()
    del data[missing]
    with pytest.raises(ValidationError):
        OrderEventWire.model_validate(data)


def test_unknown_event_type_fails_validation() -> None:
    data = _fill_event() | {"type": "exploded"}
    with pytest.raises(ValidationError):
        OrderEventWire.model_validate(data)


def test_extra_fields_are_ignored() -> None:
    data = _fill_event() | {"brand_new_field": {"x": 1}}
    assert OrderEventWire.model_validate(data).order_id == "556309"


def test_numeric_ids_become_strings_and_numbers_are_exact_decimals() -> None:
    data = _fill_event() | {"order_id": 556309, "executed_amount": 0.1}
    event = OrderEventWire.model_validate(data)
    assert event.order_id == "556309"
    assert event.executed_amount == D("0.1")


def test_models_are_frozen() -> None:
    (event,) = _parse("ws_fill.json")
    with pytest.raises(ValidationError):
        event.price = D(1)  # type: ignore[misc]
