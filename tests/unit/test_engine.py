"""Unit tests of the local exchange's matching engine: matching, options, cancels, validation, fees, events."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st

from console.exchange.engine import CHOICES, ExchangeError, MatchingEngine
from console.exchange.symbols import DEFAULT_SYMBOLS, SymbolSpec, symbol_details_wire

T0_MS = 1_700_000_000_123
FIRST_ID = 73_000_000_000

ORDER_KEYS = {
    "order_id", "id", "symbol", "exchange", "avg_execution_price", "side", "type", "timestamp", "timestampms",
    "is_live", "is_cancelled", "is_hidden", "was_forced", "executed_amount", "remaining_amount", "original_amount",
    "price", "options",
}  # fmt: skip
EVENT_KEYS = {
    "type", "order_id", "event_id", "api_session", "symbol", "side", "order_type", "timestamp", "timestampms",
    "is_live", "is_cancelled", "is_hidden", "avg_execution_price", "executed_amount", "remaining_amount",
    "original_amount", "price",
}  # fmt: skip
REJECTED_KEYS = {
    "type", "order_id", "event_id", "reason", "api_session", "symbol", "side", "order_type", "timestamp",
    "timestampms", "is_live", "original_amount", "price",
}  # fmt: skip
MY_TRADE_KEYS = {
    "price", "amount", "timestamp", "timestampms", "type", "aggressor", "fee_currency", "fee_amount", "tid",
    "order_id", "exchange", "is_auction_fill", "is_clearing_fill", "symbol",
}  # fmt: skip
PUBLIC_TRADE_KEYS = {"timestamp", "timestampms", "tid", "price", "amount", "exchange", "type", "broken"}
FILL_KEYS = {"trade_id", "liquidity", "price", "amount", "fee", "fee_currency"}


class Clock:
    """A settable clock in ms."""

    def __init__(self) -> None:
        self.now_ms = T0_MS

    def __call__(self) -> int:
        return self.now_ms


class Recorder:
    """An event listener that keeps every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, list[dict]]] = []

    def __call__(self, account_id: int, events: list[dict]) -> None:
        self.calls.append((account_id, list(events)))

    def clear(self) -> None:
        self.calls.clear()

    def events(self, account_id: int) -> list[dict]:
        return [e for acct, batch in self.calls if acct == account_id for e in batch]

    def types(self, account_id: int, order_id: str | None = None) -> list[str]:
        return [e["type"] for e in self.events(account_id) if order_id is None or e["order_id"] == order_id]

    def batches(self, account_id: int) -> list[list[dict]]:
        return [batch for acct, batch in self.calls if acct == account_id]


@dataclass
class Venue:
    engine: MatchingEngine
    clock: Clock
    events: Recorder
    alice: int
    bob: int
    carol: int


START = {"USD": "1000000", "BTC": "10", "ETH": "100"}


@pytest.fixture
def venue() -> Venue:
    clock = Clock()
    engine = MatchingEngine(clock_ms=clock, first_order_id=FIRST_ID)
    recorder = Recorder()
    engine.add_listener(recorder)
    alice = engine.add_account("alice", START)
    bob = engine.add_account("bob", START)
    carol = engine.add_account("carol", START)
    return Venue(engine, clock, recorder, alice, bob, carol)


def limit(v: Venue, account: int, side: str, amount: str, price: str, *, symbol: str = "btcusd",
          session: str = "key-1", **kwargs: object) -> dict:  # fmt: skip
    return v.engine.place_order(
        account, session, symbol=symbol, side=side, order_type="exchange limit", amount=amount, price=price, **kwargs
    )


def stop_limit(v: Venue, account: int, side: str, amount: str, price: str, stop: str, **kwargs: object) -> dict:
    return v.engine.place_order(
        account, "key-1", symbol="btcusd", side=side, order_type="exchange stop limit", amount=amount, price=price,
        stop_price=stop, **kwargs,
    )  # fmt: skip


def refused(call, *args: object, **kwargs: object) -> ExchangeError:
    with pytest.raises(ExchangeError) as info:
        call(*args, **kwargs)
    return info.value


def balance(v: Venue, account: int, currency: str) -> tuple[Decimal, Decimal]:
    """(amount, available) of one currency."""
    for row in v.engine.balances(account):
        if row["currency"] == currency:
            return Decimal(row["amount"]), Decimal(row["available"])
    raise AssertionError(f"no {currency} balance")


def trade_at(v: Venue, price: str, amount: str = "0.01") -> None:
    """Make a trade between carol (maker, sell) and bob (taker, buy) at ``price``."""
    limit(v, v.carol, "sell", amount, price)
    limit(v, v.bob, "buy", amount, price)


# ---------------------------------------------------------------------------------------------------------------
# resting and matching


def test_order_that_does_not_cross_rests_on_the_book(venue: Venue) -> None:
    ask = limit(venue, venue.alice, "sell", "0.5", "64300")
    bid = limit(venue, venue.bob, "buy", "0.25", "64200.00")

    assert ask["is_live"] and bid["is_live"]
    assert ask["executed_amount"] == "0" and ask["remaining_amount"] == "0.5"
    assert venue.engine.best_bid_ask("BTCUSD") == (Decimal("64200.00"), Decimal("64300.00"))
    assert venue.engine.book("btcusd") == {
        "bids": [{"price": "64200.00", "amount": "0.25", "timestamp": "1700000000"}],
        "asks": [{"price": "64300.00", "amount": "0.5", "timestamp": "1700000000"}],
    }
    assert venue.events.types(venue.alice) == ["accepted", "booked"]
    assert venue.engine.public_trades("btcusd") == []


def test_crossing_order_fills_at_maker_price_in_time_priority(venue: Venue) -> None:
    first = limit(venue, venue.alice, "sell", "0.3", "64250")
    second = limit(venue, venue.bob, "sell", "0.3", "64250")

    taker = limit(venue, venue.carol, "buy", "0.4", "64300")

    assert taker["executed_amount"] == "0.4" and taker["remaining_amount"] == "0"
    assert taker["avg_execution_price"] == "64250.00" and not taker["is_live"]
    first_now = venue.engine.order_status(venue.alice, order_id=first["order_id"])
    second_now = venue.engine.order_status(venue.bob, order_id=int(second["order_id"]))
    assert first_now["executed_amount"] == "0.3" and not first_now["is_live"]
    assert second_now["executed_amount"] == "0.1" and second_now["remaining_amount"] == "0.2"
    fills = [e["fill"] for e in venue.events.events(venue.carol) if e["type"] == "fill"]
    assert [(f["price"], f["amount"], f["liquidity"]) for f in fills] == [
        ("64250.00", "0.3", "Taker"),
        ("64250.00", "0.1", "Taker"),
    ]
    assert venue.engine.book("btcusd")["asks"] == [{"price": "64250.00", "amount": "0.2", "timestamp": "1700000000"}]


def test_better_price_fills_before_earlier_worse_price(venue: Venue) -> None:
    limit(venue, venue.alice, "sell", "0.1", "64260")
    limit(venue, venue.bob, "sell", "0.1", "64250")

    taker = limit(venue, venue.carol, "buy", "0.15", "64270")

    prices = [t["price"] for t in reversed(venue.engine.my_trades(venue.carol))]
    assert prices == ["64250.00", "64260.00"]
    assert taker["avg_execution_price"] == "64253.3333333333"  # 9638.5 / 0.15, 8 decimals past the cents


def test_partial_fill_then_booked(venue: Venue) -> None:
    limit(venue, venue.alice, "sell", "0.2", "64250")
    venue.events.clear()

    order = limit(venue, venue.bob, "buy", "0.5", "64250", client_order_id="part-1")

    assert order["is_live"] and order["executed_amount"] == "0.2" and order["remaining_amount"] == "0.3"
    assert venue.events.types(venue.bob) == ["accepted", "fill", "booked"]
    booked = venue.events.events(venue.bob)[-1]
    assert booked["is_live"] and booked["remaining_amount"] == "0.3" and booked["client_order_id"] == "part-1"
    assert venue.engine.book("btcusd") == {
        "bids": [{"price": "64250.00", "amount": "0.3", "timestamp": "1700000000"}],
        "asks": [],
    }
    assert venue.events.types(venue.alice) == ["fill", "closed"]


# ---------------------------------------------------------------------------------------------------------------
# execution options


def test_maker_or_cancel_that_would_cross_is_cancelled_whole(venue: Venue) -> None:
    limit(venue, venue.alice, "sell", "0.2", "64250")
    venue.events.clear()

    order = limit(venue, venue.bob, "buy", "0.5", "64250", options=["maker-or-cancel"])

    assert order["is_cancelled"] and not order["is_live"]
    assert order["reason"] == "MakerOrCancelWouldTake"
    assert order["executed_amount"] == "0" and order["remaining_amount"] == "0.5"
    assert venue.events.types(venue.bob) == ["accepted", "cancelled", "closed"]
    assert venue.events.events(venue.bob)[1]["reason"] == "MakerOrCancelWouldTake"
    assert venue.events.events(venue.bob)[1]["behavior"] == "maker-or-cancel"
    assert venue.events.types(venue.alice) == []
    assert venue.engine.book("btcusd")["asks"][0]["amount"] == "0.2"


def test_maker_or_cancel_that_does_not_cross_rests(venue: Venue) -> None:
    limit(venue, venue.alice, "sell", "0.2", "64250")

    order = limit(venue, venue.bob, "buy", "0.5", "64249.99", options=["maker-or-cancel"])

    assert order["is_live"] and not order["is_cancelled"] and "reason" not in order
    assert order["options"] == ["maker-or-cancel"]
    assert venue.events.types(venue.bob) == ["accepted", "booked"]


def test_immediate_or_cancel_fills_what_crosses_and_cancels_the_rest(venue: Venue) -> None:
    limit(venue, venue.alice, "sell", "0.2", "64250")

    order = limit(venue, venue.bob, "buy", "0.5", "64260", options=["immediate-or-cancel"])

    assert order["executed_amount"] == "0.2" and order["remaining_amount"] == "0.3"
    assert order["is_cancelled"] and order["reason"] == "ImmediateOrCancelWouldPost"
    assert venue.events.types(venue.bob) == ["accepted", "fill", "cancelled", "closed"]
    assert venue.engine.book("btcusd") == {"bids": [], "asks": []}


def test_immediate_or_cancel_fully_filled_is_not_cancelled(venue: Venue) -> None:
    limit(venue, venue.alice, "sell", "0.5", "64250")

    order = limit(venue, venue.bob, "buy", "0.2", "64260", options=["immediate-or-cancel"])

    assert not order["is_cancelled"] and "reason" not in order and order["remaining_amount"] == "0"
    assert venue.events.types(venue.bob) == ["accepted", "fill", "closed"]


def test_immediate_or_cancel_that_does_not_cross_never_rests(venue: Venue) -> None:
    order = limit(venue, venue.bob, "buy", "0.2", "64260", options=["immediate-or-cancel"])

    assert order["is_cancelled"] and order["reason"] == "ImmediateOrCancelWouldPost"
    assert venue.events.types(venue.bob) == ["accepted", "cancelled", "closed"]
    assert venue.engine.open_order_count(venue.bob) == 0


def test_fill_or_kill_that_cannot_fill_completely_executes_nothing(venue: Venue) -> None:
    limit(venue, venue.alice, "sell", "0.2", "64250")
    limit(venue, venue.alice, "sell", "0.2", "64270")

    order = limit(venue, venue.bob, "buy", "0.5", "64300", options=["fill-or-kill"])

    assert order["is_cancelled"] and order["reason"] == "FillOrKillWouldNotFill"
    assert order["executed_amount"] == "0"
    assert venue.events.types(venue.bob) == ["accepted", "cancelled", "closed"]
    assert [lvl["amount"] for lvl in venue.engine.book("btcusd")["asks"]] == ["0.2", "0.2"]


def test_fill_or_kill_that_can_fill_sweeps_levels(venue: Venue) -> None:
    limit(venue, venue.alice, "sell", "0.2", "64250")
    limit(venue, venue.alice, "sell", "0.4", "64270")

    order = limit(venue, venue.bob, "buy", "0.5", "64300", options=["fill-or-kill"])

    assert not order["is_cancelled"] and order["executed_amount"] == "0.5"
    assert venue.events.types(venue.bob) == ["accepted", "fill", "fill", "closed"]
    assert venue.engine.book("btcusd")["asks"] == [{"price": "64270.00", "amount": "0.1", "timestamp": "1700000000"}]


def test_fill_or_kill_counts_only_liquidity_inside_the_price_band(venue: Venue) -> None:
    trade_at(venue, "64250")
    limit(venue, venue.alice, "sell", "0.2", "64300")
    limit(venue, venue.alice, "sell", "1", "70000")  # beyond 64250 x 1.05 = 67462.50

    order = limit(venue, venue.bob, "buy", "0.5", "71000", options=["fill-or-kill"])

    assert order["reason"] == "FillOrKillWouldNotFill" and order["executed_amount"] == "0"


def test_self_cross_trades_other_accounts_first_then_cancels_the_taker(venue: Venue) -> None:
    """CHOICES 8: the taker trades until its next match is its own account's order; then its rest is cancelled."""
    limit(venue, venue.bob, "sell", "0.1", "64240")
    ahead = limit(venue, venue.carol, "sell", "0.05", "64250")  # same level as alice's ask, earlier
    own_ask = limit(venue, venue.alice, "sell", "0.2", "64250")
    behind = limit(venue, venue.bob, "sell", "0.3", "64250")  # same level, after alice's ask
    limit(venue, venue.carol, "sell", "0.4", "64255")
    venue.events.clear()

    order = limit(venue, venue.alice, "buy", "0.5", "64260")

    assert (order["is_cancelled"], order["reason"]) == (True, "SelfCrossPrevented")
    assert (order["executed_amount"], order["remaining_amount"]) == ("0.15", "0.35")
    assert venue.events.types(venue.alice, order["order_id"]) == ["accepted", "fill", "fill", "cancelled", "closed"]
    assert [t["price"] for t in venue.engine.public_trades("btcusd")] == ["64250.00", "64240.00"]
    assert not venue.engine.order_status(venue.carol, order_id=ahead["order_id"])["is_live"]
    assert venue.engine.order_status(venue.alice, order_id=own_ask["order_id"])["remaining_amount"] == "0.2"
    assert venue.engine.order_status(venue.bob, order_id=behind["order_id"])["executed_amount"] == "0"
    best_ask = venue.engine.book("btcusd")["asks"][0]
    assert (best_ask["price"], Decimal(best_ask["amount"])) == ("64250.00", Decimal("0.5"))  # alice's and bob's


def test_self_cross_cancels_nothing_when_the_order_never_reaches_its_own_order(venue: Venue) -> None:
    limit(venue, venue.bob, "sell", "0.1", "64240")
    limit(venue, venue.alice, "sell", "0.2", "64250")

    crossing_bob_only = limit(venue, venue.alice, "buy", "0.1", "64260")  # filled at 64240 before reaching 64250
    resting = limit(venue, venue.alice, "buy", "0.1", "64245")  # below its own ask: rests, as on any book

    assert (crossing_bob_only["executed_amount"], crossing_bob_only["is_cancelled"]) == ("0.1", False)
    assert (resting["is_live"], resting["is_cancelled"]) == (True, False)


def test_self_cross_fill_or_kill_counts_only_liquidity_ahead_of_its_own_order(venue: Venue) -> None:
    limit(venue, venue.bob, "sell", "0.1", "64240")
    limit(venue, venue.alice, "sell", "0.2", "64250")
    limit(venue, venue.bob, "sell", "5", "64255")

    blocked = limit(venue, venue.alice, "buy", "0.3", "64260", options=["fill-or-kill"])
    ahead_only = limit(venue, venue.alice, "buy", "0.1", "64260", options=["fill-or-kill"])

    assert (blocked["reason"], blocked["executed_amount"]) == ("FillOrKillWouldNotFill", "0")
    assert (ahead_only["executed_amount"], ahead_only["is_cancelled"]) == ("0.1", False)


def test_self_cross_immediate_or_cancel_with_own_and_foreign_bids_at_several_levels(venue: Venue) -> None:
    """The issue's case: foreign bids above the own bid are filled; the sell stops at the own bid."""
    limit(venue, venue.bob, "buy", "0.1", "64000")
    limit(venue, venue.carol, "buy", "0.2", "63990")
    own_bid = limit(venue, venue.alice, "buy", "0.5", "63980")
    limit(venue, venue.bob, "buy", "1", "63970")

    sell = limit(venue, venue.alice, "sell", "1", "63900", options=["immediate-or-cancel"])

    assert (sell["reason"], sell["executed_amount"], sell["remaining_amount"]) == ("SelfCrossPrevented", "0.3", "0.7")
    assert venue.engine.order_status(venue.alice, order_id=own_bid["order_id"])["is_live"]
    assert [level["price"] for level in venue.engine.book("btcusd")["bids"]] == ["63980.00", "63970.00"]


def test_exceeds_price_limits_cancels_the_rest_beyond_the_band(venue: Venue) -> None:
    trade_at(venue, "64250")
    limit(venue, venue.alice, "sell", "0.1", "64300")
    far = limit(venue, venue.alice, "sell", "0.1", "70000")
    venue.events.clear()

    order = limit(venue, venue.bob, "buy", "0.3", "71000")

    assert order["executed_amount"] == "0.1" and order["remaining_amount"] == "0.2"
    assert order["is_cancelled"] and order["reason"] == "ExceedsPriceLimits"
    assert venue.events.types(venue.bob) == ["accepted", "fill", "cancelled", "closed"]
    assert venue.engine.order_status(venue.alice, order_id=far["order_id"])["remaining_amount"] == "0.1"
    assert venue.engine.last_price("btcusd") == Decimal("64300.00")


def test_exceeds_price_limits_applies_to_sells_and_uses_the_mid_without_trades(venue: Venue) -> None:
    limit(venue, venue.alice, "buy", "0.1", "64000")
    limit(venue, venue.alice, "sell", "0.1", "64500")  # mid 64250, band floor 61037.50
    limit(venue, venue.alice, "buy", "0.1", "61000")

    order = limit(venue, venue.bob, "sell", "0.3", "60000")

    assert order["executed_amount"] == "0.1" and order["reason"] == "ExceedsPriceLimits"


def test_resting_order_far_from_the_reference_is_not_affected(venue: Venue) -> None:
    trade_at(venue, "64250")

    bid = limit(venue, venue.alice, "buy", "0.1", "30000")
    ask = limit(venue, venue.alice, "sell", "0.1", "90000")

    assert bid["is_live"] and ask["is_live"] and "reason" not in bid and "reason" not in ask


# ---------------------------------------------------------------------------------------------------------------
# cancels


def test_market_closed_cancels_that_symbols_orders_and_rejects_new_ones(venue: Venue) -> None:
    btc = limit(venue, venue.alice, "sell", "0.1", "64300")
    stop = stop_limit(venue, venue.alice, "buy", "0.1", "64500", "64400")
    eth = limit(venue, venue.alice, "sell", "1", "3200", symbol="ethusd")
    venue.events.clear()

    venue.engine.set_symbol_status("BTCUSD", "closed")

    for order in (btc, stop):
        now = venue.engine.order_status(venue.alice, order_id=order["order_id"])
        assert now["is_cancelled"] and now["reason"] == "MarketClosed"
    assert venue.engine.order_status(venue.alice, order_id=eth["order_id"])["is_live"]
    assert len(venue.events.batches(venue.alice)) == 1
    assert venue.events.types(venue.alice) == ["cancelled", "closed", "cancelled", "closed"]
    assert "cancel_command_id" not in venue.events.events(venue.alice)[0]
    assert venue.engine.symbol_details("btcusd")["status"] == "closed"
    error = refused(limit, venue, venue.bob, "buy", "0.1", "64000")
    assert (error.reason, error.status) == ("MarketNotOpen", 400)
    assert venue.events.types(venue.bob) == ["rejected"]

    venue.engine.set_symbol_status("btcusd", "open")
    assert limit(venue, venue.bob, "buy", "0.1", "64000")["is_live"]


def test_trading_closed_cancels_everything_and_rejects_new_orders(venue: Venue) -> None:
    btc = limit(venue, venue.alice, "sell", "0.1", "64300")
    eth = limit(venue, venue.bob, "buy", "1", "3000", symbol="ethusd")

    venue.engine.set_trading_open(False)

    for account, order in ((venue.alice, btc), (venue.bob, eth)):
        now = venue.engine.order_status(account, order_id=order["order_id"])
        assert now["is_cancelled"] and now["reason"] == "TradingClosed"
    assert venue.engine.symbol_details("ethusd")["status"] == "closed"
    assert refused(limit, venue, venue.carol, "buy", "0.1", "64000").reason == "MarketNotOpen"
    assert balance(venue, venue.bob, "USD") == (Decimal(1_000_000), Decimal(1_000_000))

    venue.engine.set_trading_open(True)
    assert venue.engine.symbol_details("ethusd")["status"] == "open"
    assert limit(venue, venue.carol, "buy", "0.1", "64000")["is_live"]


def test_cancel_order_is_requested_and_releases_the_hold(venue: Venue) -> None:
    order = limit(venue, venue.alice, "buy", "1", "60000", session="key-A")
    assert balance(venue, venue.alice, "USD")[1] == Decimal("1000000") - Decimal("60210")
    venue.events.clear()

    cancelled = venue.engine.cancel_order(venue.alice, order["order_id"], "key-B")

    assert cancelled["is_cancelled"] and not cancelled["is_live"] and cancelled["reason"] == "Requested"
    assert balance(venue, venue.alice, "USD") == (Decimal(1_000_000), Decimal(1_000_000))
    events = venue.events.events(venue.alice)
    assert [e["type"] for e in events] == ["cancelled", "closed"]
    assert events[0]["reason"] == "Requested" and int(events[0]["cancel_command_id"]) > int(order["order_id"])
    assert events[0]["api_session"] == "key-A"
    assert venue.engine.book("btcusd")["bids"] == []


def test_cancel_all_cancels_every_session_of_that_account_only(venue: Venue) -> None:
    first = limit(venue, venue.alice, "buy", "0.1", "60000", session="key-A")
    second = limit(venue, venue.alice, "sell", "1", "3300", symbol="ethusd", session="UI")
    stop = stop_limit(venue, venue.alice, "sell", "0.1", "60000", "60100")
    other = limit(venue, venue.bob, "buy", "0.1", "60000")

    result = venue.engine.cancel_all(venue.alice)

    assert result == {
        "cancelledOrders": [int(first["order_id"]), int(second["order_id"]), int(stop["order_id"])],
        "cancelRejects": [],
    }
    assert venue.engine.open_order_count(venue.alice) == 0
    assert venue.engine.order_status(venue.bob, order_id=other["order_id"])["is_live"]
    cancels = [e for e in venue.events.events(venue.alice) if e["type"] == "cancelled"]
    assert len({e["cancel_command_id"] for e in cancels}) == 1  # one command
    assert venue.engine.cancel_all(venue.alice) == {"cancelledOrders": [], "cancelRejects": []}


def test_cancel_session_cancels_only_that_sessions_orders(venue: Venue) -> None:
    mine = limit(venue, venue.alice, "buy", "0.1", "60000", session="key-A")
    ui = limit(venue, venue.alice, "buy", "0.1", "60001", session="UI")

    result = venue.engine.cancel_session(venue.alice, "key-A")

    assert result == {"cancelledOrders": [int(mine["order_id"])], "cancelRejects": []}
    assert venue.engine.order_status(venue.alice, order_id=ui["order_id"])["is_live"]
    assert venue.engine.order_status(venue.alice, order_id=mine["order_id"])["reason"] == "Requested"


def test_cancelling_an_already_cancelled_order_returns_it_unchanged(venue: Venue) -> None:
    order = limit(venue, venue.alice, "buy", "0.1", "60000")
    first = venue.engine.cancel_order(venue.alice, order["order_id"], "key-1")
    venue.events.clear()

    again = venue.engine.cancel_order(venue.alice, int(order["order_id"]), "key-1")

    assert again == first
    assert venue.events.calls == []


def test_cancelling_a_filled_order_returns_its_status_without_events(venue: Venue) -> None:
    order = limit(venue, venue.alice, "sell", "0.1", "64250")
    limit(venue, venue.bob, "buy", "0.1", "64250")
    venue.events.clear()

    status = venue.engine.cancel_order(venue.alice, order["order_id"], "key-1")

    assert not status["is_cancelled"] and status["executed_amount"] == "0.1" and "reason" not in status
    assert venue.events.calls == []


def test_unknown_or_foreign_orders_are_not_found(venue: Venue) -> None:
    order = limit(venue, venue.alice, "buy", "0.1", "60000")

    for call in (
        lambda: venue.engine.cancel_order(venue.alice, 123, "key-1"),
        lambda: venue.engine.cancel_order(venue.bob, order["order_id"], "key-1"),
        lambda: venue.engine.cancel_order(venue.alice, "not-a-number", "key-1"),
        lambda: venue.engine.order_status(venue.bob, order_id=order["order_id"]),
        lambda: venue.engine.order_status(venue.alice, client_order_id="nope"),
    ):
        error = refused(call)
        assert (error.reason, error.status) == ("OrderNotFound", 404)
    assert refused(venue.engine.order_status, venue.alice).reason == "MissingOrderField"
    assert venue.engine.order_status(venue.alice, order_id=order["order_id"])["is_live"]


# ---------------------------------------------------------------------------------------------------------------
# validation


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"symbol": "btcxyz"}, "InvalidSymbol"),
        ({"symbol": 5}, "InvalidSymbol"),
        ({"side": "hold"}, "InvalidSide"),
        ({"order_type": "exchange market"}, "InvalidOrderType"),
        ({"order_type": "market buy"}, "InvalidOrderType"),
        ({"options": "maker-or-cancel"}, "OptionsMustBeArray"),
        ({"options": ["maker-or-cancel", "fill-or-kill"]}, "ConflictingOptions"),
        ({"options": ["auction-only"]}, "UnsupportedOption"),
        ({"options": ["good-till-cancel"]}, "UnsupportedOption"),
        ({"order_type": "exchange stop limit", "stop_price": "64100", "options": ["immediate-or-cancel"]},
         "UnsupportedOption"),
        ({"client_order_id": 12345}, "ClientOrderIdMustBeString"),
        ({"client_order_id": "x" * 100}, "ClientOrderIdTooLong"),
    ],
)  # fmt: skip
def test_parse_errors_get_no_id_and_emit_nothing(venue: Venue, changes: dict, reason: str) -> None:
    request = {"symbol": "btcusd", "side": "buy", "order_type": "exchange limit", "amount": "0.1", "price": "64000"}
    request.update(changes)

    error = refused(venue.engine.place_order, venue.alice, "key-1", **request)

    assert (error.reason, error.status) == (reason, 400)
    assert venue.events.calls == []
    assert limit(venue, venue.alice, "buy", "0.1", "64000")["order_id"] == str(FIRST_ID)  # no id was used


def test_client_order_id_of_99_characters_is_accepted(venue: Venue) -> None:
    assert limit(venue, venue.alice, "buy", "0.1", "64000", client_order_id="x" * 99)["client_order_id"] == "x" * 99


@pytest.mark.parametrize(
    ("amount", "price", "reason", "message"),
    [
        ("0.000001", "64000", "InvalidQuantity", "Invalid quantity for symbol BTCUSD: 0.000001"),
        ("0.000010001", "64000", "InvalidQuantity", "Invalid quantity for symbol BTCUSD: 0.000010001"),
        ("-1", "64000", "InvalidQuantity", "Invalid quantity for symbol BTCUSD: -1"),
        ("abc", "64000", "InvalidQuantity", "Invalid quantity for symbol BTCUSD: abc"),
        ("0", "64000", "InvalidQuantity", "Invalid quantity for symbol BTCUSD: 0"),
        ("0.1", "64000.001", "InvalidPrice", "Invalid price for symbol BTCUSD: 64000.001"),
        ("0.1", "0", "InvalidPrice", "Invalid price for symbol BTCUSD: 0"),
        ("0.1", "-5", "InvalidPrice", "Invalid price for symbol BTCUSD: -5"),
        ("0.1", "NaN", "InvalidPrice", "Invalid price for symbol BTCUSD: NaN"),
    ],
)
def test_invalid_quantity_and_price_are_rejected_with_one_event(
    venue: Venue, amount: str, price: str, reason: str, message: str
) -> None:
    error = refused(limit, venue, venue.alice, "buy", amount, price, client_order_id="bad-1")

    assert (error.reason, error.message, error.status) == (reason, message, 400)
    assert len(venue.events.calls) == 1
    (event,) = venue.events.events(venue.alice)
    assert event["type"] == "rejected" and event["reason"] == reason and not event["is_live"]
    assert set(event) == REJECTED_KEYS | {"client_order_id"}
    assert event["order_id"] == str(FIRST_ID)
    assert refused(venue.engine.order_status, venue.alice, order_id=event["order_id"]).reason == "OrderNotFound"
    assert venue.engine.open_order_count(venue.alice) == 0


def test_quantity_must_respect_each_symbols_increment_and_minimum(venue: Venue) -> None:
    assert limit(venue, venue.alice, "buy", "0.001", "3000", symbol="ethusd")["is_live"]
    error = refused(limit, venue, venue.alice, "buy", "0.0009", "3000", symbol="ethusd")
    assert error.message == "Invalid quantity for symbol ETHUSD: 0.0009"
    assert refused(limit, venue, venue.alice, "buy", "0.0010001", "3000", symbol="ETHUSD").reason == "InvalidQuantity"
    assert limit(venue, venue.alice, "buy", "1", "140.125", symbol="solusd")["price"] == "140.125"
    assert refused(limit, venue, venue.alice, "buy", "1", "140.1255", symbol="solusd").reason == "InvalidPrice"


@pytest.mark.parametrize(
    ("side", "price", "stop", "reason", "message"),
    [
        ("buy", "49776", "50776", "InvalidStopPriceBuy",
         "Stop Price: $50,776.00 must be lower than Price: $49,776.00 for Stop Limit buy Orders"),
        ("buy", "50000", "50000", "InvalidStopPriceBuy",
         "Stop Price: $50,000.00 must be lower than Price: $50,000.00 for Stop Limit buy Orders"),
        ("sell", "50776", "49776.50", "InvalidStopPriceSell",
         "Stop Price: $49,776.50 must be higher than Price: $50,776.00 for Stop Limit sell Orders"),
        ("buy", "64000", "64000.005", "InvalidStopPrice", "Invalid stop price for symbol BTCUSD: 64000.005"),
        ("buy", "64000", "0", "InvalidStopPrice", "Invalid stop price for symbol BTCUSD: 0"),
        ("buy", "64000", None, "InvalidStopPrice", "Invalid stop price for symbol BTCUSD: None"),
        ("buy", "64000", "40000", "InvalidStopPriceRatio",
         "Limit Price: $64,000.00 must be within 50% of Stop Price: $40,000.00"),
        ("sell", "19000", "40000", "InvalidStopPriceRatio",
         "Limit Price: $19,000.00 must be within 50% of Stop Price: $40,000.00"),
    ],
)  # fmt: skip
def test_stop_price_errors(venue: Venue, side: str, price: str, stop: str | None, reason: str, message: str) -> None:
    error = refused(stop_limit, venue, venue.alice, side, "0.1", price, stop)

    assert (error.reason, error.message, error.status) == (reason, message, 400)
    assert venue.events.types(venue.alice) == ["rejected"]


def test_stop_price_ratio_boundary_is_accepted(venue: Venue) -> None:
    assert stop_limit(venue, venue.alice, "buy", "0.1", "60000", "40000")["is_live"]  # exactly +50%


def test_insufficient_funds_counts_holds_of_open_orders(venue: Venue) -> None:
    limit(venue, venue.alice, "buy", "10", "64250")  # holds 642500 x 1.0035 = 644748.75 USD
    assert balance(venue, venue.alice, "USD") == (Decimal("1000000"), Decimal("355251.25"))
    limit(venue, venue.alice, "buy", "5", "64250")  # 322374.375 more: fits
    assert balance(venue, venue.alice, "USD")[1] == Decimal("32876.875")

    error = refused(limit, venue, venue.alice, "buy", "0.6", "64250")  # needs 38684.925

    assert (error.reason, error.status) == ("InsufficientFunds", 406)
    assert venue.events.types(venue.alice)[-1] == "rejected"
    limit(venue, venue.bob, "sell", "10", "70000")
    assert refused(limit, venue, venue.bob, "sell", "0.00001", "70000").status == 406
    no_sol = refused(limit, venue, venue.carol, "sell", "1", "140", symbol="solusd")
    assert no_sol.reason == "InsufficientFunds"


# ---------------------------------------------------------------------------------------------------------------
# fees and balances


def test_fees_are_charged_exactly_in_quote_currency(venue: Venue) -> None:
    limit(venue, venue.alice, "sell", "0.5", "64250")
    limit(venue, venue.bob, "buy", "0.5", "64250")

    # notional 32125; maker 10 bps = 32.125, taker 35 bps = 112.4375
    assert balance(venue, venue.alice, "USD") == (Decimal("1032092.875"), Decimal("1032092.875"))
    assert balance(venue, venue.alice, "BTC") == (Decimal("9.5"), Decimal("9.5"))
    assert balance(venue, venue.bob, "USD") == (Decimal("967762.5625"), Decimal("967762.5625"))
    assert balance(venue, venue.bob, "BTC") == (Decimal("10.5"), Decimal("10.5"))
    maker_fill = venue.events.events(venue.alice)[-2]["fill"]
    taker_fill = venue.events.events(venue.bob)[-2]["fill"]
    assert (maker_fill["fee"], maker_fill["fee_currency"], maker_fill["liquidity"]) == ("32.125", "USD", "Maker")
    assert (taker_fill["fee"], taker_fill["liquidity"]) == ("112.4375", "Taker")
    assert maker_fill["trade_id"] == taker_fill["trade_id"]
    assert venue.engine.my_trades(venue.bob)[0]["fee_amount"] == "112.4375"
    assert venue.engine.fees_collected() == {"USD": Decimal("144.5625")}


def test_fee_rates_are_configurable() -> None:
    engine = MatchingEngine(clock_ms=lambda: T0_MS, maker_fee_bps=0, taker_fee_bps=20)
    maker = engine.add_account("m", {"ETH": "10"})
    taker = engine.add_account("t", {"BTC": "1"})
    engine.place_order(maker, "k", symbol="ethbtc", side="sell", order_type="exchange limit", amount="2",
                       price="0.05")  # fmt: skip
    engine.place_order(taker, "k", symbol="ethbtc", side="buy", order_type="exchange limit", amount="2",
                       price="0.05")  # fmt: skip
    assert engine.balances(taker) == [
        {"type": "exchange", "currency": "BTC", "amount": "0.8998", "available": "0.8998",
         "availableForWithdrawal": "0.8998"},
        {"type": "exchange", "currency": "ETH", "amount": "2", "available": "2", "availableForWithdrawal": "2"},
    ]  # fmt: skip
    assert engine.my_trades(maker)[0]["fee_amount"] == "0"


def test_balances_available_excludes_holds_and_a_taker_keeps_price_improvement(venue: Venue) -> None:
    limit(venue, venue.alice, "sell", "0.4", "64000")
    order = limit(venue, venue.bob, "buy", "1", "65000")  # fills 0.4 at 64000, rests 0.6 at 65000

    amount, available = balance(venue, venue.bob, "USD")
    paid = Decimal("25600") * Decimal("1.0035")
    assert amount == Decimal(1_000_000) - paid
    assert available == amount - Decimal("0.6") * Decimal("65000") * Decimal("1.0035")
    assert order["remaining_amount"] == "0.6"
    sell = limit(venue, venue.carol, "sell", "3", "90000")
    assert balance(venue, venue.carol, "BTC") == (Decimal(10), Decimal(7))
    venue.engine.cancel_order(venue.carol, sell["order_id"], "key-1")
    assert balance(venue, venue.carol, "BTC") == (Decimal(10), Decimal(10))
    rows = venue.engine.balances(venue.carol)
    assert [r["currency"] for r in rows] == ["USD", "BTC", "ETH"]
    assert all(set(r) == {"type", "currency", "amount", "available", "availableForWithdrawal"} for r in rows)


# ---------------------------------------------------------------------------------------------------------------
# stop-limit orders


def test_stop_limit_buy_triggers_on_a_trade_at_or_above_the_stop(venue: Venue) -> None:
    trade_at(venue, "64250")
    stop = stop_limit(venue, venue.alice, "buy", "0.2", "64400", "64300", client_order_id="stop-b")
    assert stop["is_live"] and stop["is_hidden"] and stop["type"] == "stop-limit"  # CHOICES 24
    assert stop["stop_price"] == "64300.00"
    assert venue.engine.book("btcusd")["bids"] == []
    assert [o["order_id"] for o in venue.engine.active_orders(venue.alice)] == [stop["order_id"]]
    assert venue.events.types(venue.alice) == ["accepted"]
    assert venue.events.events(venue.alice)[0]["is_hidden"]
    trade_at(venue, "64290")  # below the stop: nothing
    assert venue.engine.order_status(venue.alice, order_id=stop["order_id"])["is_hidden"]
    limit(venue, venue.carol, "sell", "0.5", "64350")
    venue.events.clear()

    trade_at(venue, "64300")  # carol sells 0.01 at 64300 to bob: the stop triggers and buys carol's 64350

    now = venue.engine.order_status(venue.alice, order_id=stop["order_id"])
    assert not now["is_hidden"] and now["executed_amount"] == "0.2" and now["avg_execution_price"] == "64350.00"
    assert venue.events.types(venue.alice) == ["fill", "closed"]
    trades = venue.engine.public_trades("btcusd", limit_trades=2)
    assert [t["price"] for t in trades] == ["64350.00", "64300.00"]  # the triggering trade came first
    assert len(venue.events.batches(venue.alice)) == 1


def test_stop_limit_sell_triggers_on_a_trade_at_or_below_the_stop_and_books(venue: Venue) -> None:
    trade_at(venue, "64250")
    stop = stop_limit(venue, venue.alice, "sell", "0.2", "64100", "64200")
    trade_at(venue, "64210")
    assert venue.engine.order_status(venue.alice, order_id=stop["order_id"])["is_hidden"]
    venue.events.clear()

    trade_at(venue, "64150")

    now = venue.engine.order_status(venue.alice, order_id=stop["order_id"])
    assert now["is_live"] and not now["is_hidden"] and now["executed_amount"] == "0"
    assert venue.events.types(venue.alice) == ["booked"]
    assert venue.engine.book("btcusd")["asks"] == [{"price": "64100.00", "amount": "0.2", "timestamp": "1700000000"}]


def test_stop_limit_triggers_at_placement_when_the_last_price_is_already_through(venue: Venue) -> None:
    trade_at(venue, "64250")
    limit(venue, venue.carol, "sell", "0.1", "64260")

    stop = stop_limit(venue, venue.alice, "buy", "0.1", "64300", "64200")

    assert stop["executed_amount"] == "0.1" and not stop["is_hidden"]
    assert venue.events.types(venue.alice) == ["accepted", "fill", "closed"]


def test_triggered_stops_run_in_a_queue_and_can_cascade(venue: Venue) -> None:
    trade_at(venue, "64250")
    first = stop_limit(venue, venue.alice, "sell", "0.1", "64000", "64200")
    second = stop_limit(venue, venue.bob, "sell", "0.1", "63900", "64100")
    limit(venue, venue.carol, "buy", "0.1", "64100")  # first stop's sell hits this and trades at 64100
    limit(venue, venue.carol, "buy", "0.1", "63950")  # second stop's sell hits this

    trade_at(venue, "64200")

    assert venue.engine.order_status(venue.alice, order_id=first["order_id"])["avg_execution_price"] == "64100.00"
    assert venue.engine.order_status(venue.bob, order_id=second["order_id"])["avg_execution_price"] == "63950.00"
    assert [t["price"] for t in venue.engine.public_trades("btcusd", limit_trades=3)] == [
        "63950.00", "64100.00", "64200.00",
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# events and wire shapes


def test_one_listener_call_per_account_per_action(venue: Venue) -> None:
    limit(venue, venue.alice, "sell", "0.1", "64250")
    limit(venue, venue.alice, "sell", "0.1", "64260")
    limit(venue, venue.bob, "sell", "0.1", "64270")
    venue.events.clear()

    limit(venue, venue.carol, "buy", "0.25", "64300", options=["immediate-or-cancel"])

    assert [acct for acct, _ in venue.events.calls] == [venue.carol, venue.alice, venue.bob]
    assert venue.events.types(venue.carol) == ["accepted", "fill", "fill", "fill", "closed"]
    assert venue.events.types(venue.alice) == ["fill", "closed", "fill", "closed"]
    assert venue.events.types(venue.bob) == ["fill"]
    all_ids = [int(e["event_id"]) for _, batch in venue.events.calls for e in batch]
    assert len(set(all_ids)) == len(all_ids)
    for _, batch in venue.events.calls:
        ids = [int(e["event_id"]) for e in batch]
        assert ids == sorted(ids)  # exchange order


def test_remove_listener_stops_delivery(venue: Venue) -> None:
    venue.engine.remove_listener(venue.events)
    limit(venue, venue.alice, "sell", "0.1", "64250")
    assert venue.events.calls == []
    venue.engine.remove_listener(venue.events)  # not subscribed: no error


def test_order_object_field_sets_are_exact(venue: Venue) -> None:
    plain = limit(venue, venue.alice, "buy", "0.1", "60000")
    with_id = limit(venue, venue.alice, "buy", "0.1", "60000", client_order_id="c-1", options=["maker-or-cancel"])
    stop = stop_limit(venue, venue.alice, "sell", "0.1", "59000", "59500")
    cancelled = venue.engine.cancel_order(venue.alice, plain["order_id"], "key-1")

    assert set(plain) == ORDER_KEYS
    assert set(with_id) == ORDER_KEYS | {"client_order_id"}
    assert set(stop) == ORDER_KEYS | {"stop_price"}
    assert set(cancelled) == ORDER_KEYS | {"reason"}
    detailed = venue.engine.order_status(venue.alice, order_id=plain["order_id"], include_trades=True)
    assert set(detailed) == ORDER_KEYS | {"reason", "trades"}
    assert plain == {
        "order_id": str(FIRST_ID), "id": str(FIRST_ID), "symbol": "btcusd", "exchange": "gemini",
        "avg_execution_price": "0.00", "side": "buy", "type": "exchange limit", "timestamp": "1700000000",
        "timestampms": T0_MS, "is_live": True, "is_cancelled": False, "is_hidden": False, "was_forced": False,
        "executed_amount": "0", "remaining_amount": "0.1", "original_amount": "0.1", "price": "60000.00",
        "options": [],
    }  # fmt: skip


def test_event_field_sets_are_exact(venue: Venue) -> None:
    limit(venue, venue.alice, "sell", "0.1", "64250")
    order = limit(venue, venue.bob, "buy", "0.3", "64250", client_order_id="ev-1")
    venue.engine.cancel_order(venue.bob, order["order_id"], "key-1")
    ioc = limit(venue, venue.bob, "buy", "0.1", "1000", options=["immediate-or-cancel"])
    stop = stop_limit(venue, venue.bob, "buy", "0.1", "64400", "64300")

    by_type: dict[str, list[dict]] = defaultdict(list)
    for event in venue.events.events(venue.bob):
        by_type[event["type"]].append(event)
    with_coid = EVENT_KEYS | {"client_order_id"}
    assert set(by_type["accepted"][0]) == with_coid
    assert set(by_type["fill"][0]) == with_coid | {"fill"}
    assert set(by_type["fill"][0]["fill"]) == FILL_KEYS
    assert set(by_type["booked"][0]) == with_coid
    assert set(by_type["cancelled"][0]) == with_coid | {"reason", "cancel_command_id"}
    assert set(by_type["closed"][0]) == with_coid
    ioc_events = [e for e in venue.events.events(venue.bob) if e["order_id"] == ioc["order_id"]]
    assert set(ioc_events[1]) == EVENT_KEYS | {"behavior", "reason"}  # an option cancel has no command id
    stop_accepted = by_type["accepted"][-1]
    assert stop_accepted["order_id"] == stop["order_id"]
    assert set(stop_accepted) == EVENT_KEYS | {"stop_price"}
    assert stop_accepted["order_type"] == "exchange stop limit"
    assert all("socket_sequence" not in e for e in venue.events.events(venue.bob))
    (initial,) = venue.engine.initial_events(venue.bob)
    assert initial["type"] == "initial" and set(initial) == (EVENT_KEYS - {"event_id"}) | {"stop_price"}


def test_event_lifecycle_per_order_follows_the_documented_workflow(venue: Venue) -> None:
    maker = limit(venue, venue.alice, "sell", "0.3", "64250")
    taker = limit(venue, venue.bob, "buy", "0.1", "64250")
    limit(venue, venue.carol, "buy", "0.2", "64250")

    assert venue.events.types(venue.alice, maker["order_id"]) == ["accepted", "booked", "fill", "fill", "closed"]
    assert venue.events.types(venue.bob, taker["order_id"]) == ["accepted", "fill", "closed"]
    maker_events = [e for e in venue.events.events(venue.alice)]
    assert [e["remaining_amount"] for e in maker_events] == ["0.3", "0.3", "0.2", "0", "0"]
    assert [e["is_live"] for e in maker_events] == [True, True, True, False, False]


def test_decimals_are_plain_strings_never_exponents(venue: Venue) -> None:
    order = limit(venue, venue.alice, "buy", "1E-5", "6.425E+4")
    assert order["original_amount"] == "0.00001" and order["price"] == "64250.00"
    assert venue.engine.book("btcusd")["bids"][0]["amount"] == "0.00001"


def test_ids_come_from_one_increasing_counter(venue: Venue) -> None:
    first = limit(venue, venue.alice, "sell", "0.1", "64250")
    second = limit(venue, venue.bob, "buy", "0.1", "64250")

    ids = [int(e["event_id"]) for e in venue.events.events(venue.alice) + venue.events.events(venue.bob)]
    assert int(first["order_id"]) == FIRST_ID
    assert min(ids) > FIRST_ID and int(second["order_id"]) > FIRST_ID
    assert venue.engine.my_trades(venue.bob)[0]["tid"] > int(second["order_id"])


def test_order_status_by_client_order_id_returns_the_most_recent_with_trades(venue: Venue) -> None:
    limit(venue, venue.alice, "buy", "0.1", "60000", client_order_id="dup")
    limit(venue, venue.bob, "sell", "0.3", "64250")
    latest = limit(venue, venue.alice, "buy", "0.3", "64250", client_order_id="dup")

    status = venue.engine.order_status(venue.alice, client_order_id="dup", include_trades=True)

    assert status["order_id"] == latest["order_id"]
    (trade,) = status["trades"]
    assert set(trade) == MY_TRADE_KEYS | {"client_order_id"}
    assert trade["order_id"] == latest["order_id"] and trade["client_order_id"] == "dup"
    assert "trades" not in venue.engine.order_status(venue.alice, client_order_id="dup")


def test_my_trades_shape_order_and_filters(venue: Venue) -> None:
    limit(venue, venue.alice, "sell", "0.1", "64250")
    limit(venue, venue.bob, "buy", "0.1", "64250")
    venue.clock.now_ms = T0_MS + 60_000
    limit(venue, venue.alice, "sell", "1", "3150", symbol="ethusd")
    limit(venue, venue.bob, "buy", "1", "3150", symbol="ethusd")

    trades = venue.engine.my_trades(venue.bob)
    assert [t["symbol"] for t in trades] == ["ETHUSD", "BTCUSD"]  # newest first, uppercase
    assert all(set(t) == MY_TRADE_KEYS for t in trades)
    assert trades[1] == {
        "price": "64250.00", "amount": "0.1", "timestamp": 1700000000, "timestampms": T0_MS, "type": "Buy",
        "aggressor": True, "fee_currency": "USD", "fee_amount": "22.4875", "tid": trades[1]["tid"],
        "order_id": trades[1]["order_id"], "exchange": "gemini", "is_auction_fill": False,
        "is_clearing_fill": False, "symbol": "BTCUSD",
    }  # fmt: skip
    maker_side = venue.engine.my_trades(venue.alice, "BTCUSD")
    assert [(t["type"], t["aggressor"]) for t in maker_side] == [("Sell", False)]
    assert len(venue.engine.my_trades(venue.bob, limit_trades=1)) == 1
    assert [t["symbol"] for t in venue.engine.my_trades(venue.bob, timestamp=(T0_MS + 1000) // 1000)] == ["ETHUSD"]
    assert [t["symbol"] for t in venue.engine.my_trades(venue.bob, timestamp=T0_MS + 1)] == ["ETHUSD"]
    assert len(venue.engine.my_trades(venue.bob, timestamp=T0_MS)) == 2


def test_public_trades_shape_and_taker_side(venue: Venue) -> None:
    limit(venue, venue.alice, "sell", "0.1", "64250")
    limit(venue, venue.bob, "buy", "0.1", "64250")
    venue.clock.now_ms = T0_MS + 5_000
    limit(venue, venue.alice, "buy", "0.2", "64240")
    limit(venue, venue.carol, "sell", "0.2", "64240")

    trades = venue.engine.public_trades("BTCUSD")

    assert all(set(t) == PUBLIC_TRADE_KEYS for t in trades)
    assert [(t["type"], t["price"], t["amount"]) for t in trades] == [("sell", "64240.00", "0.2"),
                                                                      ("buy", "64250.00", "0.1")]  # fmt: skip
    assert trades[0]["timestamp"] == (T0_MS + 5_000) // 1000 and trades[0]["broken"] is False
    assert trades[0]["tid"] > trades[1]["tid"]
    assert len(venue.engine.public_trades("btcusd", since_ms=T0_MS + 1)) == 1
    assert len(venue.engine.public_trades("btcusd", limit_trades=1)) == 1
    assert refused(venue.engine.public_trades, "nope").reason == "InvalidSymbol"


def test_book_aggregates_levels_best_first_with_limits(venue: Venue) -> None:
    limit(venue, venue.alice, "buy", "0.1", "64000")
    limit(venue, venue.bob, "buy", "0.25", "64000")
    limit(venue, venue.alice, "buy", "0.1", "64100")
    limit(venue, venue.alice, "buy", "0.1", "63900")
    for price in ("64300", "64200", "64400"):
        limit(venue, venue.carol, "sell", "0.5", price)

    book = venue.engine.book("btcusd", limit_bids=2, limit_asks=0)

    assert [(lvl["price"], lvl["amount"]) for lvl in book["bids"]] == [("64100.00", "0.1"), ("64000.00", "0.35")]
    assert [lvl["price"] for lvl in book["asks"]] == ["64200.00", "64300.00", "64400.00"]
    assert len(venue.engine.book("btcusd")["bids"]) == 3
    assert refused(venue.engine.book, "xyz").reason == "InvalidSymbol"


def test_ticker_and_symbol_details_shapes(venue: Venue) -> None:
    assert venue.engine.ticker("btcusd") == {
        "bid": None, "ask": None, "last": None, "volume": {"BTC": "0", "USD": "0", "timestamp": T0_MS},
    }  # fmt: skip
    limit(venue, venue.alice, "sell", "0.5", "64250")
    limit(venue, venue.bob, "buy", "0.2", "64250")
    limit(venue, venue.bob, "buy", "0.1", "64000")

    assert venue.engine.ticker("BTCUSD") == {
        "bid": "64000.00", "ask": "64250.00", "last": "64250.00",
        "volume": {"BTC": "0.2", "USD": "12850", "timestamp": T0_MS},
    }  # fmt: skip
    venue.clock.now_ms = T0_MS + 24 * 3600 * 1000 + 1
    assert venue.engine.ticker("btcusd")["volume"]["BTC"] == "0"
    assert venue.engine.symbol_details("BTCUSD") == {
        "symbol": "BTCUSD", "base_currency": "BTC", "quote_currency": "USD", "tick_size": 1e-8,
        "quote_increment": 0.01, "min_order_size": "0.00001", "status": "open", "wrap_enabled": False,
        "product_type": "spot", "contract_type": "vanilla", "contract_price_currency": "USD",
    }  # fmt: skip
    error = refused(venue.engine.symbol_details, "abcusd")
    assert (error.reason, error.status) == ("InvalidSymbol", 400)
    assert venue.engine.symbols() == list(DEFAULT_SYMBOLS)


def test_default_symbols_match_the_documented_increments() -> None:
    expected = {
        "btcusd": ("0.00001", "1E-8", "0.01", "64250.00"),
        "ethusd": ("0.001", "0.000001", "0.01", "3150.00"),
        "solusd": ("0.001", "0.000001", "0.001", "142.500"),
    }
    for symbol, (minimum, qty, price, start) in expected.items():
        spec = DEFAULT_SYMBOLS[symbol]
        assert (spec.min_order_size, spec.tick_size, spec.quote_increment, spec.initial_price) == (
            Decimal(minimum), Decimal(qty), Decimal(price), Decimal(start),
        )  # fmt: skip
    for spec in DEFAULT_SYMBOLS.values():
        assert spec.initial_price % spec.quote_increment == 0 and spec.symbol == spec.symbol.lower()
    assert symbol_details_wire(DEFAULT_SYMBOLS["solusd"], "post_only")["quote_increment"] == 0.001


def test_set_symbol_status_rejects_unknown_status_and_symbol(venue: Venue) -> None:
    with pytest.raises(ValueError):
        venue.engine.set_symbol_status("btcusd", "halted")
    assert refused(venue.engine.set_symbol_status, "zzz", "closed").reason == "InvalidSymbol"


def test_choices_are_written_down() -> None:
    for topic in ("rejected", "cancel_rejected", "Requested", "MarketNotOpen", "SelfCrossPrevented", "stop_price"):
        assert topic in CHOICES


def test_exchange_modules_import_no_ui_or_network_code() -> None:
    code = (
        "import sys, console.exchange.engine, console.exchange.liquidity, console.exchange.symbols\n"
        "bad = [m for m in ('textual', 'rich', 'asyncio', 'aiohttp', 'httpx') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------------------------------------------
# property test: invariants under random order flow

TEST_SPEC = SymbolSpec(
    symbol="tstusd",
    base_currency="TST",
    quote_currency="USD",
    tick_size=Decimal("0.1"),
    quote_increment=Decimal("1"),
    min_order_size=Decimal("0.1"),
    initial_price=Decimal("100"),
)
PROPERTY_START = {"USD": Decimal("5000"), "TST": Decimal("40")}
LIFECYCLE = re.compile(r"^(rejected|accepted( fill)*( booked( fill)*)?( cancelled)?( closed)?)$")

OPTIONS = [None, None, None, "maker-or-cancel", "immediate-or-cancel", "fill-or-kill"]
# One flat tuple per action: (kind, account flip, side flip, price offset, tenths of an amount, option, stop gap,
# which own order to cancel). The simplest values make a plain order that alternates accounts and sides with the
# action's position, so even shrunk examples trade.
action = st.tuples(
    st.sampled_from(["place", "place", "place", "stop", "cancel"]),
    st.integers(0, 1),
    st.booleans(),
    st.integers(0, 8),
    st.integers(1, 40),
    st.sampled_from(OPTIONS),
    st.integers(1, 5),
    st.integers(0, 60),
)
actions = st.lists(action, min_size=4, max_size=40)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions)
def test_random_order_flow_keeps_the_invariants(steps: list[tuple]) -> None:
    engine = MatchingEngine({"tstusd": TEST_SPEC}, clock_ms=lambda: T0_MS)
    recorder = Recorder()
    engine.add_listener(recorder)
    accounts = [engine.add_account("a", PROPERTY_START), engine.add_account("b", PROPERTY_START)]
    placed: list[tuple[int, str]] = []
    for account, side, price in ((accounts[0], "buy", "99"), (accounts[1], "sell", "101")):  # a two-sided book
        order = engine.place_order(account, "k", symbol="tstusd", side=side, order_type="exchange limit",
                                   amount="2", price=price)  # fmt: skip
        placed.append((account, order["order_id"]))

    for number, (kind, account_flip, side_flip, offset, tenths, option, gap, pick) in enumerate(steps):
        who = accounts[(number + account_flip) % 2]
        is_buy = side_flip != (number % 2 == 0)
        amount = str(Decimal(tenths) / 10)
        try:
            if kind == "place":  # buys at 98..106, sells at 94..102: most cross
                price = 106 - offset if is_buy else 94 + offset
                engine.place_order(who, "k", symbol="tstusd", side="buy" if is_buy else "sell",
                                   order_type="exchange limit", amount=amount, price=str(price),
                                   options=[option] if option else None)  # fmt: skip
            elif kind == "stop":
                stop = 96 + offset
                price = stop + gap if is_buy else stop - gap
                engine.place_order(who, "k", symbol="tstusd", side="buy" if is_buy else "sell",
                                   order_type="exchange stop limit", amount=amount, price=str(price),
                                   stop_price=str(stop))  # fmt: skip
            else:
                mine = [oid for acct, oid in placed if acct == who]
                engine.cancel_order(who, mine[pick % len(mine)], "k")
        except ExchangeError as error:
            assert error.reason == "InsufficientFunds"
        for account, batch in recorder.calls[-2:]:
            for event in batch:
                if event["type"] == "accepted" and (account, event["order_id"]) not in placed:
                    placed.append((account, event["order_id"]))
        _check_invariants(engine, accounts, placed)

    hypothesis_event("traded" if engine.fees_collected() else "no trade")
    by_order: dict[str, list[str]] = defaultdict(list)
    for _, batch in recorder.calls:
        for event in batch:
            by_order[event["order_id"]].append(event["type"])
    for types in by_order.values():
        assert LIFECYCLE.match(" ".join(types)), types
    for account, order_id in placed:  # every execution at the order's limit price or better
        order = engine.order_status(account, order_id=order_id, include_trades=True)
        limit_price = Decimal(order["price"])
        for trade in order["trades"]:
            price = Decimal(trade["price"])
            assert price <= limit_price if order["side"] == "buy" else price >= limit_price, (order, trade)
    for account in accounts:
        engine.cancel_all(account)
        assert all(row["amount"] == row["available"] for row in engine.balances(account))


def _check_invariants(engine: MatchingEngine, accounts: list[int], placed: list[tuple[int, str]]) -> None:
    bid, ask = engine.best_bid_ask("tstusd")
    assert bid is None or ask is None or bid < ask, (bid, ask)
    book = engine.book("tstusd", 0, 0)
    assert all(Decimal(level["amount"]) > 0 for side in book.values() for level in side)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for account in accounts:
        for row in engine.balances(account):
            assert Decimal(row["available"]) >= 0 and Decimal(row["amount"]) >= 0, row
            totals[row["currency"]] += Decimal(row["amount"])
    for currency, fee in engine.fees_collected().items():
        totals[currency] += fee
    assert totals == {currency: amount * 2 for currency, amount in PROPERTY_START.items()}
    resting = Decimal(0)
    for account, order_id in placed:
        order = engine.order_status(account, order_id=order_id)
        executed, remaining = Decimal(order["executed_amount"]), Decimal(order["remaining_amount"])
        assert executed + remaining == Decimal(order["original_amount"])
        assert not (order["is_live"] and order["is_cancelled"])
        if order["is_live"] and not order["is_hidden"]:
            resting += remaining
    assert resting == sum(Decimal(level["amount"]) for side in book.values() for level in side)
