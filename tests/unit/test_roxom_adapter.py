"""Roxom's adapter without a network: documented samples parsed, status → state mapping, partial-update merges,
error classification, the transaction-log walker and bad frames."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from console.domain import errors as domain_errors
from console.domain.model import EventKind, Order, OrderState, OrderType, Side, StreamBadFrame
from console.venues.roxom import errors
from console.venues.roxom.convert import (
    event_from_update,
    fill_trade_id,
    fills_from_log,
    order_from_rest,
    rules_from_instrument,
    state_for,
)
from console.venues.roxom.models import (
    BalanceData,
    CancelAllData,
    CreateOrderData,
    Instrument,
    OrderBookData,
    OrderDetailData,
    OrderUpdate,
    TransactionLogData,
    WsDepthData,
    WsLevel1Data,
    WsTradeData,
)
from console.venues.roxom.rest import RoxomRestClient
from console.venues.roxom.venue import RoxomOrderEvents, RoxomVenue
from console.venues.roxom.ws import BadFrame, MarketMessage, Pong, RoxomWsClient, Subscribed, WsError, parse_frame

SAMPLES: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "roxom" / "documented_samples.json").read_text())
OID = "01981061-787c-7fd0-b707-18fa252f0d0b"


def sample(name: str) -> Any:
    return SAMPLES[name]["sample"]


# -- every documented sample parses -------------------------------------------------------------------------------
def test_rest_samples_parse_with_decimals_and_uuid_strings() -> None:
    assert CreateOrderData.model_validate(sample("create_order_response")["data"]).orderId == (
        "01234567-89ab-7def-8123-456789abcdea")
    detail = OrderDetailData.model_validate(sample("order_by_id")["data"])
    assert detail.order.px == Decimal("50000000") and detail.order.qty == Decimal("100.00")
    assert detail.order.clientOrderId == "my_order_001" and detail.fills == []
    assert CancelAllData.model_validate(sample("cancel_all_response")["data"]).cancelledOrderIds[1].endswith("deb")
    book = OrderBookData.model_validate(sample("orderbook_snapshot")["data"])
    assert book.buys[0].price == Decimal("0.030067") and book.sells[0].size == Decimal(1)
    instrument = Instrument.model_validate(sample("instrument"))
    assert instrument.tickSize == Decimal(1) and instrument.min_order_size == Decimal(100000)
    page = TransactionLogData.model_validate(sample("transaction_log_page")["data"])
    assert page.cursor is None and page.logs[0].is_fill and page.logs[0].amount == Decimal(1)


def test_ws_samples_parse() -> None:
    update = parse_frame(json.dumps(sample("ws_order_update")))
    assert isinstance(update, OrderUpdate)
    assert update.avgPx == Decimal("50125.50") and update.timestamp == 1752621480060801000
    level1 = parse_frame(json.dumps(sample("ws_level1")))
    assert isinstance(level1, MarketMessage) and (level1.channel, level1.symbol) == ("level1", "US500-BTC")
    assert WsLevel1Data.model_validate(level1.data).bid == [Decimal("0.00432450"), Decimal("0.5")]
    depth = parse_frame(json.dumps(sample("ws_depth_snapshot")))
    assert isinstance(depth, MarketMessage)
    assert WsDepthData.model_validate(depth.data).ask[1] == [Decimal("0.00089440"), Decimal("203.00")]
    trade = parse_frame(json.dumps(sample("ws_trade")))
    assert isinstance(trade, MarketMessage) and WsTradeData.model_validate(trade.data).vwap == Decimal("0.00432450")
    assert parse_frame(json.dumps(sample("ws_balance"))).__class__.__name__ == "AccountMessage"
    assert BalanceData.model_validate({"balances": [{"asset": "BTC", "available": "1", "current": "2"}]})
    error = parse_frame(json.dumps(sample("ws_error")))
    assert error == WsError("600010", "Authentication failed")
    assert parse_frame('{"op":"pong","timestamp":5}') == Pong(5)
    assert parse_frame('{"event":"subscribe","success":true,"args":[{"channel":"orders"}]}') == Subscribed(
        "subscribe", "orders", None, True)


@pytest.mark.parametrize(("raw", "maybe_order"), [
    ("not json", True),
    ("[1, 2]", True),
    ('{"type": "order", "data": {"orderId": "x"}}', True),
    ('{"type": "order", "data": {"orderId": "x", "symbol": "GOLD-BTC", "status": "filled", "executedQty": "NaN"}}',
     True),
    ('{"hello": 1}', False),
])
def test_bad_frames_are_reported_not_raised(raw: str, maybe_order: bool) -> None:
    frame = parse_frame(raw)
    assert isinstance(frame, BadFrame) and frame.maybe_order is maybe_order


def test_floats_booleans_and_nan_are_refused_as_decimals() -> None:
    base = {"orderId": OID, "symbol": "GOLD-BTC", "status": "submitted"}
    assert OrderUpdate.model_validate({**base, "executedQty": 0.1}).executedQty == Decimal("0.1")
    for bad in (True, "NaN", "Infinity", "abc"):
        with pytest.raises(ValueError):
            OrderUpdate.model_validate({**base, "executedQty": bad})


# -- status → state -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("status", "filled", "state"), [
    ("pendingsubmit", "0", OrderState.PENDING_NEW),
    ("waitingtrigger", "0", OrderState.WAITING_TRIGGER),
    ("submitted", "0", OrderState.LIVE),
    ("new", "0", OrderState.LIVE),
    ("open", "0", OrderState.LIVE),
    ("submitted", "0.5", OrderState.PARTIALLY_FILLED),
    ("partiallyfilled", "0.5", OrderState.PARTIALLY_FILLED),
    ("pendingcancel", "0", OrderState.PENDING_CANCEL),
    ("filled", "1", OrderState.FILLED),
    ("cancelled", "0", OrderState.CANCELLED),
    ("partiallyfilledcancelled", "0.5", OrderState.CANCELLED),
    ("expired", "0", OrderState.CANCELLED),
    ("inactive", "0", OrderState.CANCELLED),
    ("rejected", "0", OrderState.REJECTED),
])
def test_each_documented_status_maps_to_the_state_machine(status: str, filled: str, state: OrderState) -> None:
    assert state_for(status, Decimal(filled)) is state


def test_an_undocumented_status_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueError, match="unknown Roxom order status"):
        state_for("halfdone")


def _full_update(**changes: Any) -> OrderUpdate:
    data = {**sample("ws_order_update")["data"], **changes}
    return OrderUpdate.model_validate(data)


def _known() -> Order:
    event = event_from_update(_full_update(status="submitted", executedQty="0", remainingQty="1.00", avgPx=None,
                                           fillPx=None), None, api_session="key", updated_ms=1)
    return event.order


@pytest.mark.parametrize(("status", "kind", "state", "reason"), [
    ("pendingsubmit", EventKind.ACCEPTED, OrderState.PENDING_NEW, None),
    ("waitingtrigger", EventKind.ACCEPTED, OrderState.WAITING_TRIGGER, None),
    ("submitted", EventKind.BOOKED, OrderState.LIVE, None),
    ("pendingcancel", EventKind.ACCEPTED, OrderState.PENDING_CANCEL, None),
    ("cancelled", EventKind.CANCELLED, OrderState.CANCELLED, "usercancel"),
    ("expired", EventKind.CANCELLED, OrderState.CANCELLED, "gtdexpired"),
    ("inactive", EventKind.CANCELLED, OrderState.CANCELLED, "accountinactive"),
    ("rejected", EventKind.REJECTED, OrderState.REJECTED, "insufficientmargin"),
])
def test_a_partial_update_merges_into_the_known_order_without_blanking_it(
        status: str, kind: EventKind, state: OrderState, reason: str | None) -> None:
    known = _known()
    minimal = {"orderId": OID, "accountId": "a", "symbol": "GOLD-BTC", "status": status, "remainingQty": "1.00",
               "executedQty": "0", "avgPx": None, "timestamp": 2_000_000_000}
    if reason is not None and status not in ("expired", "inactive"):
        minimal["reason"] = reason
    event = event_from_update(OrderUpdate.model_validate(minimal), known, api_session="other", updated_ms=5)
    order = event.order
    assert event.kind is kind and order.state is state and event.sequence is None
    assert (order.side, order.price, order.amount, order.client_order_id, order.order_type) == (
        Side.BUY, Decimal("50200.00"), Decimal("1.00"), "my-order-123", OrderType.LIMIT)
    assert order.api_session == "key" and order.reason == reason and order.updated_ms == 5


def test_partiallyfilledcancelled_keeps_its_executed_amount() -> None:
    update = OrderUpdate.model_validate({"orderId": OID, "symbol": "GOLD-BTC", "status": "partiallyfilledcancelled",
                                         "remainingQty": "0", "executedQty": "0.50", "avgPx": "50125.50"})
    event = event_from_update(update, _known(), api_session="k", updated_ms=1)
    assert event.kind is EventKind.CANCELLED and event.order.filled == Decimal("0.50")
    assert event.order.avg_price == Decimal("50125.50") and event.order.open_amount == 0


def test_a_partial_update_of_an_unknown_order_is_doubt() -> None:
    update = OrderUpdate.model_validate({"orderId": OID, "symbol": "GOLD-BTC", "status": "cancelled"})
    with pytest.raises(ValueError, match="partial update of unknown order"):
        event_from_update(update, None, api_session="k", updated_ms=1)
    venue = RoxomVenue(RoxomRestClient("http://127.0.0.1:9", None), RoxomWsClient("ws://127.0.0.1:9/ws", None),
                       api_key="k", clock_ms=lambda: 7)
    batch = venue.stream_update(update)
    assert batch.events == [] and batch.unreadable == 1 and batch.sequence is None


def test_a_fill_while_pending_cancel_is_a_fill_with_the_log_s_trade_id() -> None:
    known = _known()
    update = OrderUpdate.model_validate({"orderId": OID, "symbol": "GOLD-BTC", "status": "pendingcancel",
                                         "remainingQty": "0.60", "executedQty": "0.40", "avgPx": "50200",
                                         "fillPx": "50200", "filledFees": "0.00001", "timestamp": 3_000_000})
    event = event_from_update(update, known, api_session="k", updated_ms=9)
    assert event.kind is EventKind.FILL and event.order.state is OrderState.PENDING_CANCEL
    assert event.fill is not None and event.fill.amount == Decimal("0.40") and event.fill.fee == Decimal("0.00001")
    assert event.fill.trade_id == fill_trade_id(OID, Decimal("0.4"))
    log = TransactionLogData.model_validate({"logs": [
        {"txId": "t1", "time": 1, "transactionType": "orderFill", "orderId": OID, "amount": "0.40", "fillPrice": "1",
         "fee": "0", "tradeId": "x1", "isTaker": False, "side": "buy", "symbol": "GOLD-BTC"},
        {"txId": "t2", "time": 2, "transactionType": "orderFill", "orderId": OID, "amount": "0.60", "fillPrice": "1",
         "fee": "0", "tradeId": "x2", "isTaker": True, "side": "buy", "symbol": "GOLD-BTC"},
        {"txId": "t3", "time": 3, "transactionType": "funding", "amount": "0.1"},
    ], "cursor": None})
    fills = fills_from_log(log.logs, {OID: Decimal("1.00")})
    assert [f.trade_id for f in fills] == [event.fill.trade_id, fill_trade_id(OID, Decimal(1))]
    assert fills[1].symbol == "gold-btc" and fills[1].liquidity == "taker"


def test_rest_order_and_instrument_convert() -> None:
    detail = OrderDetailData.model_validate(sample("order_by_id")["data"])
    order = order_from_rest(detail.order, api_session="other")
    assert (order.order_id, order.symbol, order.state, order.client_order_id) == (
        "01234567-89ab-7def-8123-456789abcdea", "oil-btc", OrderState.LIVE, "my_order_001")
    rules = rules_from_instrument(Instrument.model_validate(
        {**sample("instrument"), "tickSize": "0.000001", "qtyStep": "0.01", "minQty": "0.01"}))
    assert (rules.symbol, rules.price_increment, rules.quantity_increment, rules.min_order_size) == (
        "us500-btc", Decimal("0.000001"), Decimal("0.01"), Decimal("0.01"))


# -- errors -----------------------------------------------------------------------------------------------------------
def _body(status: int, message: str, details: str = "") -> str:
    return json.dumps({"error": {"code": status, "message": message, "details": details}, "timestamp": "t",
                       "requestId": "r"})


def test_errors_are_classified_for_the_session() -> None:
    auth = errors.error_from_roxom_answer(401, _body(401, "Invalid Signature"))
    assert isinstance(auth, domain_errors.AuthenticationFailed) and auth.halts_trading and not auth.outcome_unknown
    missing = errors.error_from_roxom_answer(404, _body(404, "Order not found"))
    assert isinstance(missing, domain_errors.OrderNotFound) and not missing.outcome_unknown
    cannot = errors.error_from_roxom_answer(409, _body(409, "Order cannot be cancelled", "order is filled"))
    assert isinstance(cannot, errors.CannotCancel) and cannot.order_status == "filled" and not cannot.halts_trading
    invalid = errors.error_from_roxom_answer(400, _body(400, "Price outside allowed range"))
    assert isinstance(invalid, errors.ValidationError) and invalid.reason == "Price outside allowed range"
    assert not (invalid.outcome_unknown or invalid.retry_safe or invalid.halts_trading)
    server = errors.error_from_roxom_answer(503, "<html>bad gateway</html>")
    assert isinstance(server, errors.ServerError) and server.outcome_unknown
    old = errors.error_from_roxom_answer(401, '{"error": 401, "message": "Invalid API key"}')
    assert old.reason == "Invalid API key" and old.halts_trading
    assert errors.TransportError("x").outcome_unknown


# -- the REST client over a mock transport ----------------------------------------------------------------------------
async def test_the_transaction_log_walker_stops_on_a_repeated_cursor() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        entry = {"txId": f"t{len(calls)}", "time": len(calls), "transactionType": "orderFill"}
        return httpx.Response(200, json={"data": {"logs": [entry], "cursor": "same"}, "error": False})

    client = RoxomRestClient("http://venue", None, transport=httpx.MockTransport(handler))
    entries = await client.transaction_log(from_ms=0)
    await client.close()
    assert len(entries) == 2 and len(calls) == 2 and "cursor=same" in calls[1]


async def test_the_walker_is_bounded_even_with_fresh_cursors() -> None:
    count = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal count
        count += 1
        entry = {"txId": f"t{count}", "time": count, "transactionType": "orderFill"}
        return httpx.Response(200, json={"data": {"logs": [entry], "cursor": f"c{count}"}, "error": False})

    client = RoxomRestClient("http://venue", None, transport=httpx.MockTransport(handler))
    assert len(await client.transaction_log(max_pages=5)) == 5 and count == 5
    await client.close()


async def test_a_network_failure_is_outcome_unknown_and_a_bad_body_invalid() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = RoxomRestClient("http://venue", None, transport=httpx.MockTransport(refuse))
    with pytest.raises(errors.TransportError) as caught:
        await client.place_order(symbol="GOLD-BTC", side="buy", order_type="limit", qty=Decimal(1), px=Decimal(1))
    assert caught.value.outcome_unknown
    await client.close()
    client = RoxomRestClient("http://venue", None, transport=httpx.MockTransport(
        lambda r: httpx.Response(200, text="<html>")))
    with pytest.raises(errors.InvalidResponse) as bad:
        await client.cancel_all()
    assert bad.value.outcome_unknown
    await client.close()


async def test_the_place_body_is_plain_decimal_strings() -> None:
    bodies: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json={"data": {"orderId": OID}, "error": False})

    client = RoxomRestClient("http://venue", None, transport=httpx.MockTransport(handler))
    assert await client.place_order(symbol="GOLD-BTC", side="sell", order_type="stoplimit", qty=Decimal("1E+0"),
                                    px=Decimal("1E-6"), trigger_px=Decimal("0.0000011"), post_only=True,
                                    client_order_id="tc-1") == OID
    await client.close()
    assert bodies == [{"symbol": "GOLD-BTC", "instType": "perpetual", "side": "sell", "orderType": "stoplimit",
                       "qty": "1", "timeInForce": "gtc", "unit": "btc", "px": "0.000001", "triggerPx": "0.0000011",
                       "postOnly": True, "clientOrderId": "tc-1"}]


class _FakeConnection:
    def __init__(self, frames: list[str]) -> None:
        self.frames = frames

    async def recv(self) -> Any:
        return parse_frame(self.frames.pop(0))


async def test_the_stream_acks_heartbeats_and_flags_doubt() -> None:
    venue = RoxomVenue(RoxomRestClient("http://127.0.0.1:9", None), RoxomWsClient("ws://127.0.0.1:9/ws", None),
                       api_key="k", clock_ms=lambda: 7)
    stream = RoxomOrderEvents(_FakeConnection([
        '{"event":"subscribe","success":true,"args":[{"channel":"orders"}]}',
        '{"op":"pong","timestamp":1}',
        json.dumps(sample("ws_order_update")),
        "garbage",
        '{"event":"error","code":"60017","msg":"parse"}',
    ]), venue)  # type: ignore[arg-type]  # a stand-in connection
    assert type(await stream.recv()).__name__ == "StreamAck"
    assert type(await stream.recv()).__name__ == "StreamHeartbeat"
    events = await stream.recv()
    assert type(events).__name__ == "StreamEvents"
    assert venue.known(OID) is not None and venue.known(OID).state is OrderState.PARTIALLY_FILLED  # type: ignore[union-attr]
    assert await stream.recv() == StreamBadFrame("invalid JSON", lost_events=True)
    assert await stream.recv() == StreamBadFrame("error 60017: parse", lost_events=False)
    await venue.close()


@pytest.mark.parametrize(("code", "words"), [
    ("usercancel", "at your request"),
    ("postonlywouldcross", "cancelled it (not rejected)"),
    ("selftradeprevention", "older, resting order"),
    ("immediateorcancel", "remainder was cancelled"),
    ("noliquidity", "No liquidity"),
    ("gtdexpired", "expired"),
    ("accountinactive", "restricted"),
    ("insufficientmargin", "margin"),
])
def test_each_roxom_reason_is_decoded_in_plain_language(code: str, words: str) -> None:
    from console.domain.reasons import explain

    assert words in explain(code, cancel=True).text


def _roxom_rules() -> Any:
    return rules_from_instrument(Instrument.model_validate({
        **sample("instrument"), "symbol": "GOLD-BTC", "tickSize": "0.000001", "qtyStep": "0.01", "minQty": "0.01",
        "maxQty": "10000", "minNotional": "0.0001", "maxLimitNotional": "2.5"}))


def test_instrument_rules_carry_max_size_and_notional_limits() -> None:
    rules = _roxom_rules()
    assert (rules.max_order_size, rules.min_notional, rules.max_notional) == (
        Decimal(10000), Decimal("0.0001"), Decimal("2.5"))


@pytest.mark.parametrize(("price", "amount", "message"), [
    ("0.025000", "10001", "above the maximum order size 10000"),
    ("0.000001", "0.01", "below the minimum 0.0001 BTC"),
    ("0.025000", "101", "above the maximum 2.5 BTC for a limit order"),
])
def test_the_ticket_checks_roxom_s_size_and_notional_limits(price: str, amount: str, message: str) -> None:
    from console.domain.ticket import TicketErrors, TicketInput, validate_ticket

    with pytest.raises(TicketErrors) as refused:
        validate_ticket(TicketInput("gold-btc", Side.BUY, OrderType.LIMIT, price, amount), _roxom_rules(), "tc-1")
    assert message in refused.value.errors["amount"]
    order = validate_ticket(TicketInput("gold-btc", Side.BUY, OrderType.LIMIT, "0.025000", "100"), _roxom_rules(),
                            "tc-1")
    assert order.notional == Decimal("2.5")


# -- one price convention (console/domain/fmt.py) and the contract unit ----------------------------------------------
def test_prices_leave_the_adapter_at_the_instrument_s_tick() -> None:
    """Roxom writes 8 decimals; the adapter re-expresses orders, fills, stream events at the tick (100 sats)."""
    from console.domain.fmt import fmt_price
    from console.venues.roxom.convert import PriceTicks

    ticks = PriceTicks()
    raw = order_from_rest(OrderDetailData.model_validate({"order": {
        "id": OID, "symbol": "GOLD-BTC", "type": "stoplimit", "side": "buy", "qty": "1.00", "px": "0.02500000",
        "triggerPx": "0.02490000", "status": "submitted", "clientOrderId": "c", "avgPx": "0.02500000"},
        "fills": [{"tradeId": "t1", "px": "0.02500000", "qty": "0.10", "fee": "0"}]}).order, api_session="k")
    assert ticks.order(raw) is raw  # tick unknown: as sent
    ticks.learn([_roxom_rules()])
    order = ticks.order(raw)
    assert (str(order.price), str(order.stop_price), str(order.avg_price)) == ("0.025000", "0.024900", "0.025000")
    assert order == raw.evolve(fills=order.fills)  # equal values: only how they are written changed
    assert fmt_price(order.price) == fmt_price(raw.price, Decimal("0.000001")) == "0.025000"
    assert str(ticks.price("GOLD-BTC", Decimal("0.0250005"))) == "0.0250005"  # off-tick: never rounded
    update = OrderUpdate.model_validate({**sample("ws_order_update")["data"], "limitPrice": "0.02500000",
                                         "fillPx": "0.02500000", "avgPx": "0.02500000"})
    event = ticks.event(event_from_update(update, None, api_session="k", updated_ms=1))
    assert event.fill is not None and str(event.fill.price) == "0.025000" and str(event.order.price) == "0.025000"


def test_a_roxom_amount_counts_contracts_not_the_base_asset() -> None:
    from console.domain.ticket import TicketErrors, TicketInput, validate_ticket

    rules = _roxom_rules()
    assert rules.quantity_unit == "contracts" and rules.amount_unit == "contracts" != rules.base_currency
    with pytest.raises(TicketErrors) as refused:
        validate_ticket(TicketInput("gold-btc", Side.BUY, OrderType.LIMIT, "0.025000", "0.001"), rules, "tc-1")
    message = refused.value.errors["amount"]
    assert "0.01 contracts" in message and rules.base_currency not in message
