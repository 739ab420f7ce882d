"""The local Roxom venue's matching core without sockets: positions, PnL, margin, fees, stops, ordering of updates."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest

import console.exchange.roxom.matching as matching_module
from console.exchange.roxom.engine import OrderRequest, RoxomEngine, RoxomError, to_unit

GOLD = "GOLD-BTC"
NOW_NS = 1_780_000_000_000_000_000


def _engine() -> tuple[RoxomEngine, list[tuple[int, dict[str, Any]]]]:
    counter = itertools.count(1)
    engine = RoxomEngine(clock_ns=lambda: NOW_NS, id_factory=lambda: f"id-{next(counter)}")
    messages: list[tuple[int, dict[str, Any]]] = []
    engine.add_listener(lambda account_id, message: messages.append((account_id, message)))
    return engine, messages


def _limit(side: str, qty: str, px: str, **extra: Any) -> OrderRequest:
    return OrderRequest(GOLD, side, "limit", Decimal(qty), Decimal(px), **extra)


def test_position_nets_reduces_and_flips_with_realized_pnl_and_fees() -> None:
    engine, _ = _engine()
    user = engine.add_account("user", Decimal(5))
    maker = engine.add_account("maker", Decimal(100))
    engine.place(maker, _limit("sell", "2.00", "0.025000"))
    engine.place(user, _limit("buy", "2.00", "0.025000"))
    engine.place(maker, _limit("buy", "3.00", "0.026000"))
    engine.place(user, _limit("sell", "3.00", "0.026000"))
    position = engine.account(user).positions[GOLD]
    assert (position.qty, position.entry_px) == (Decimal(-1), Decimal("0.026000"))  # flipped short at the fill
    assert position.realized_pnl == Decimal("0.002")  # 2 contracts x (0.026 - 0.025)
    fees = Decimal("0.050") * Decimal("0.0005") + Decimal("0.078") * Decimal("0.0005")  # both as taker
    assert engine.account(user).balance == Decimal(5) + Decimal("0.002") - fees
    maker_position = engine.account(maker).positions[GOLD]
    assert (maker_position.qty, maker_position.realized_pnl) == (Decimal(1), Decimal("-0.002"))


def test_margin_is_held_for_open_orders_and_released_by_fills_and_cancels() -> None:
    engine, _ = _engine()
    user = engine.add_account("user", Decimal(1))
    maker = engine.add_account("maker", Decimal(100))
    order = engine.place(user, _limit("buy", "4.00", "0.025000"))
    assert engine.locked(user) == Decimal("0.0100")  # 10% of 0.1 BTC notional
    engine.place(maker, _limit("sell", "1.00", "0.025000"))
    assert order.margin == Decimal("0.0075")  # three quarters still open
    engine.request_cancel(user, order.id)
    assert engine.complete_cancel(order.id) is True
    assert order.status == "partiallyfilledcancelled" and order.margin == 0
    assert engine.locked(user) == Decimal("0.0025")  # the position's margin only
    assert engine.complete_cancel(order.id) is False  # already done


def test_updates_of_one_order_arrive_in_lifecycle_order() -> None:
    engine, messages = _engine()
    user = engine.add_account("user", Decimal(5))
    maker = engine.add_account("maker", Decimal(100))
    engine.place(maker, _limit("sell", "1.00", "0.025000"))
    messages.clear()
    order = engine.place(user, _limit("buy", "1.00", "0.025000"))
    kinds = [(m["type"], m["data"]["status"] if m["type"] == "order" else None) for a, m in messages if a == user]
    assert kinds == [("order", "pendingsubmit"), ("order", "submitted"), ("position", None), ("order", "filled"),
                     ("balance", None)]
    filled = [m for a, m in messages if a == user and m["type"] == "order"][-1]["data"]
    assert (filled["fillPx"], filled["executedQty"], filled["remainingQty"], filled["avgPx"]) == (
        "0.02500000", "1.00", "0.00", "0.02500000")
    assert order.fills[0].is_taker is True


def test_sell_stop_triggers_on_a_trade_at_or_below_its_trigger() -> None:
    engine, _ = _engine()
    user = engine.add_account("user", Decimal(5))
    maker = engine.add_account("maker", Decimal(100))
    other = engine.add_account("other", Decimal(100))
    stop = engine.place(user, OrderRequest(GOLD, "sell", "stoplimit", Decimal(1), Decimal("0.024800"),
                                           Decimal("0.024900")))
    assert (stop.status, stop.is_triggered) == ("waitingtrigger", False)
    engine.place(maker, _limit("buy", "3.00", "0.024900"))
    engine.place(other, _limit("sell", "1.00", "0.024900"))  # last trade 0.0249: the stop triggers and sells
    assert (stop.status, stop.is_triggered) == ("filled", True)


def test_validate_rejects_before_an_id_and_to_unit_rounds_sats() -> None:
    engine, messages = _engine()
    with pytest.raises(RoxomError) as info:
        engine.validate(_limit("buy", "1.00", "0.0250001"))
    assert (info.value.status, info.value.message) == (400, "Invalid price")
    assert messages == []
    assert to_unit(Decimal("0.025"), "sats") == "2500000"
    assert to_unit(Decimal("0.000000015"), "sats") == "2"  # half even
    assert to_unit(Decimal("0.025"), "btc") == "0.02500000"


def test_a_stop_triggered_while_its_cancel_is_pending_stays_pending_cancel() -> None:
    engine, messages = _engine()
    user = engine.add_account("user", Decimal(5))
    maker = engine.add_account("maker", Decimal(100))
    other = engine.add_account("other", Decimal(100))
    stop = engine.place(user, OrderRequest(GOLD, "buy", "stoplimit", Decimal(1), Decimal("0.024000"),
                                           Decimal("0.025100")))
    engine.request_cancel(user, stop.id)
    engine.place(maker, _limit("sell", "1.00", "0.025100"))
    engine.place(other, _limit("buy", "1.00", "0.025100"))  # triggers the stop; it rests below the market
    assert (stop.status, stop.is_triggered, stop.on_book) == ("pendingcancel", True, True)
    assert "submitted" not in [m["data"]["status"] for a, m in messages if a == user and m["type"] == "order"][2:]
    assert engine.complete_cancel(stop.id) is True and stop.status == "cancelled" and not stop.on_book


def test_closed_orders_are_forgotten_past_the_kept_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(matching_module, "CLOSED_ORDERS_KEPT", 2)
    engine, _ = _engine()
    user = engine.add_account("user", Decimal(5))
    ids = [engine.place(user, _limit("buy", "1.00", "0.025000", time_in_force="ioc")).id for _ in range(3)]
    with pytest.raises(RoxomError, match="Order not found"):
        engine.order(user, ids[0])
    assert [o.id for o in engine.orders(user, include_closed=True)] == ids[1:]
