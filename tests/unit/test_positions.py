"""Positions and P&L from fills: weighted average cost, zero crossing, broken trades, fees, order of arrival."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.model import Fill, Liquidity, Side
from console.domain.positions import (
    PositionLedger,
    PositionStart,
    mark_price,
    split_symbol,
    start_ms,
    total,
    usd_rates,
    value,
)

D = Decimal


def fill(tid: int | str, side: Side, amount: str, price: str, *, fee: str = "0", fee_currency: str = "USD",
         ts: int | None = None, symbol: str = "btcusd", broken: str | None = None) -> Fill:
    return Fill(trade_id=str(tid), order_id=f"o{tid}", price=D(price), amount=D(amount), fee=D(fee),
                fee_currency=fee_currency, liquidity=Liquidity.TAKER,
                timestamp_ms=1_000 * int(tid) if ts is None else ts, symbol=symbol, side=side, broken=broken)


BUY, SELL = Side.BUY, Side.SELL


def test_the_worked_example_of_the_docstring():
    ledger = PositionLedger()
    ledger.apply(fill(1, BUY, "1", "100"))
    ledger.apply(fill(2, BUY, "1", "110"))
    p = ledger.position("btcusd")
    assert p is not None and (p.net, p.cost, p.avg_cost, p.realised) == (2, 210, 105, 0)
    ledger.apply(fill(3, SELL, "0.5", "120"))
    p = ledger.position("btcusd")
    assert p is not None and (p.net, p.cost, p.avg_cost, p.realised) == (D("1.5"), D("157.5"), 105, D("7.5"))
    ledger.apply(fill(4, SELL, "2.5", "100"))
    p = ledger.position("btcusd")
    assert p is not None and (p.net, p.cost, p.avg_cost, p.realised) == (-1, -100, 100, 0)
    assert p.unrealised(D(90)) == 10 and p.exposure(D(90)) == -90
    assert p.cash_flow == 100
    assert p.realised + p.unrealised(D(90)) == p.cash_flow + p.net * 90


def test_weighted_average_cost_and_partial_close_keep_the_average():
    ledger = PositionLedger()
    ledger.apply_many([fill(1, BUY, "0.3", "64000"), fill(2, BUY, "0.1", "64400")])
    p = ledger.position("btcusd")
    assert p is not None and p.avg_cost == D("64100")
    ledger.apply(fill(3, SELL, "0.2", "64500"))
    p = ledger.position("btcusd")
    assert p is not None and p.avg_cost == D("64100") and p.net == D("0.2") and p.realised == D("80")


def test_short_position_realises_when_bought_back():
    ledger = PositionLedger()
    ledger.apply_many([fill(1, SELL, "2", "50"), fill(2, BUY, "1", "40")])
    p = ledger.position("btcusd")
    assert p is not None and (p.net, p.avg_cost, p.realised) == (-1, 50, 10)
    assert p.unrealised(D(45)) == 5


def test_selling_more_than_held_crosses_zero_at_the_fill_price():
    ledger = PositionLedger()
    ledger.apply_many([fill(1, BUY, "1", "100"), fill(2, SELL, "3", "120")])
    p = ledger.position("btcusd")
    assert p is not None
    assert p.realised == 20  # the long of 1 closed at 120
    assert p.net == -2 and p.avg_cost == 120 and p.cost == -240  # the rest opened short at the fill price
    ledger.apply(fill(3, BUY, "4", "110"))  # and back through zero the other way
    p = ledger.position("btcusd")
    assert p is not None and p.realised == 40 and p.net == 2 and p.avg_cost == 110


def test_closing_exactly_leaves_a_flat_position_with_no_cost():
    ledger = PositionLedger()
    ledger.apply_many([fill(1, BUY, "0.3", "100.01"), fill(2, BUY, "0.7", "99.97"), fill(3, SELL, "1", "101")])
    p = ledger.position("btcusd")
    assert p is not None and p.net == 0 and p.cost == 0 and p.avg_cost is None
    assert p.unrealised(None) == 0 and p.exposure(None) == 0
    assert p.realised == D("101") - D("30.003") - D("69.979")


def test_each_trade_counts_once():
    ledger = PositionLedger()
    assert ledger.apply(fill(1, BUY, "1", "100"))
    assert not ledger.apply(fill(1, BUY, "1", "100"))
    p = ledger.position("btcusd")
    assert p is not None and p.net == 1 and p.trades == 1


def test_a_broken_trade_is_reversed_by_recosting_the_rest():
    ledger = PositionLedger()
    ledger.apply_many([fill(1, BUY, "1", "100"), fill(2, BUY, "1", "200"), fill(3, SELL, "1", "180")])
    assert ledger.apply(fill(2, BUY, "1", "200", broken="manual"))
    p = ledger.position("btcusd")
    fresh = PositionLedger()
    fresh.apply_many([fill(1, BUY, "1", "100"), fill(3, SELL, "1", "180")])
    assert p == fresh.position("btcusd")
    assert p is not None and p.net == 0 and p.realised == 80
    assert not ledger.apply(fill(2, BUY, "1", "200"))  # a late copy of the broken trade never comes back
    assert ledger.position("btcusd") == fresh.position("btcusd")


def test_a_trade_reported_broken_before_it_is_seen_never_counts():
    ledger = PositionLedger()
    assert not ledger.apply(fill(5, BUY, "1", "100", broken="full"))
    assert not ledger.apply(fill(5, BUY, "1", "100"))
    assert ledger.position("btcusd") is None and ledger.positions() == []


def test_fills_before_the_start_do_not_count():
    ledger = PositionLedger(first_ms=2_000)
    assert not ledger.apply(fill(1, BUY, "1", "100"))
    assert ledger.apply(fill(2, BUY, "1", "100"))
    p = ledger.position("btcusd")
    assert p is not None and p.net == 1


def test_fees_in_the_quote_currency_add_up_and_others_stay_apart_until_a_rate_is_known():
    ledger = PositionLedger(currencies={"ethbtc": ("ETH", "BTC")})
    ledger.apply_many([
        fill(1, BUY, "1", "0.05", fee="0.0001", fee_currency="BTC", symbol="ethbtc"),
        fill(2, BUY, "1", "0.05", fee="2", fee_currency="USD", symbol="ethbtc"),
    ])
    p = ledger.position("ethbtc")
    assert p is not None and p.fees == D("0.0001") and p.other_fees == (("USD", D(2)),)
    no_rate = value(p, D("0.06"), "mid", {"USD": D(1)})
    assert no_rate.fees == D("0.0001") and no_rate.unconverted_fees == (("USD", D(2)),)
    rates = {"USD": D(1), "BTC": D(50000)}
    converted = value(p, D("0.06"), "mid", rates)
    assert converted.fees == D("0.0001") + D("0.00004") and converted.unconverted_fees == ()
    assert converted.unrealised == D("0.02")
    summed = total([converted], rates)
    assert summed.unrealised == D(1000) and summed.fees == D("7") and summed.missing == ()


def test_usd_total_leaves_out_what_has_no_rate_or_no_mark():
    ledger = PositionLedger()
    ledger.apply_many([fill(1, BUY, "1", "100", fee="0.1"), fill(2, BUY, "2", "10", symbol="ethusd"),
                       fill(3, BUY, "1", "0.05", symbol="ethbtc")])
    marks = {"btcusd": D(110)}
    rates = usd_rates(marks, {})
    assert rates == {"USD": 1, "BTC": 110}
    rows = [value(p, marks.get(p.symbol), "mid", rates) for p in ledger.positions()]
    summed = total(rows, rates)
    assert summed.missing == ("ethbtc", "ethusd")  # ethbtc has no mark; ethusd no mark either
    assert (summed.unrealised, summed.fees, summed.pnl, summed.exposure) == (10, D("0.1"), D("9.9"), 110)


def test_marks_and_starts():
    assert mark_price(D(100), D(102), D(90)) == (101, "mid")
    assert mark_price(None, D(102), D(90)) == (90, "last")
    assert mark_price(None, None, None) == (None, "")
    now = 1_795_444_200_000  # 2026-11-23 14:30 UTC
    assert start_ms(PositionStart.TODAY, now_ms=now, session_start_ms=5) == 1_795_392_000_000
    assert start_ms(PositionStart.SESSION, now_ms=now, session_start_ms=5) == 5
    assert start_ms(PositionStart.SINCE, now_ms=now, session_start_ms=5, since_ms=7) == 7
    with pytest.raises(ValueError):
        start_ms(PositionStart.SINCE, now_ms=now, session_start_ms=5)
    assert split_symbol("btcusd") == ("BTC", "USD") and split_symbol("ethgusd") == ("ETH", "GUSD")


def test_a_bad_fill_is_refused_and_changes_nothing():
    ledger = PositionLedger()
    ledger.apply(fill(1, BUY, "1", "100"))
    before = ledger.position("btcusd")
    for bad in (fill(2, BUY, "0", "100"), fill(3, BUY, "1", "-1"), fill(4, BUY, "1", "NaN")):
        with pytest.raises(ValueError):
            ledger.apply(bad)
    with pytest.raises(ValueError):
        ledger.apply(Fill("9", "o", D(1), D(1), D(0), "USD", Liquidity.MAKER, 9_000))  # no symbol nor side
    assert ledger.position("btcusd") == before and len(ledger.fills()) == 1


# -- properties ---------------------------------------------------------------------------------------------------
_fills = st.lists(
    st.tuples(
        st.sampled_from([BUY, SELL]),
        st.integers(min_value=1, max_value=10**9).map(lambda n: D(n).scaleb(-8)),  # amount, 8 decimals
        st.integers(min_value=1, max_value=10**8).map(lambda n: D(n).scaleb(-2)),  # price, 2 decimals
        st.integers(min_value=0, max_value=5),  # timestamp (ties broken by trade id)
        st.sampled_from(["btcusd", "ethusd"]),
    ),
    min_size=1,
    max_size=30,
).map(lambda rows: [fill(i + 1, side, str(a), str(p), fee=str(p * a / 1000), ts=t, symbol=s)
                    for i, (side, a, p, t, s) in enumerate(rows)])


@settings(max_examples=200, deadline=None)
@given(_fills, st.randoms(use_true_random=False))
def test_any_order_of_arrival_gives_the_position_of_trade_order(fills, rng):
    in_order = PositionLedger()
    in_order.apply_many(sorted(fills, key=lambda f: (f.timestamp_ms, int(f.trade_id))))
    shuffled = list(fills)
    rng.shuffle(shuffled)
    arrived = PositionLedger()
    arrived.apply_many(shuffled + shuffled[: len(shuffled) // 2])  # and some arrive twice
    assert arrived.positions() == in_order.positions()


@settings(max_examples=200, deadline=None)
@given(_fills, st.integers(min_value=1, max_value=10**8).map(lambda n: D(n).scaleb(-2)))
def test_pnl_identity_realised_plus_unrealised_is_cash_flow_plus_marked_value(fills, mark):
    ledger = PositionLedger()
    ledger.apply_many(fills)
    for p in ledger.positions():
        buys = sum((f.amount * f.price for f in fills if f.symbol == p.symbol and f.side is BUY), D(0))
        sells = sum((f.amount * f.price for f in fills if f.symbol == p.symbol and f.side is SELL), D(0))
        net = sum((f.amount if f.side is BUY else -f.amount for f in fills if f.symbol == p.symbol), D(0))
        assert p.net == net and p.cash_flow == sells - buys
        unrealised = p.unrealised(mark)
        assert unrealised is not None
        assert p.realised + unrealised == sells - buys + net * mark


@settings(max_examples=100, deadline=None)
@given(_fills, st.data())
def test_breaking_trades_equals_never_having_them(fills, data):
    broken = data.draw(st.sets(st.sampled_from([f.trade_id for f in fills])))
    ledger = PositionLedger()
    ledger.apply_many(fills)
    for f in fills:
        if f.trade_id in broken:
            ledger.apply(Fill(f.trade_id, f.order_id, f.price, f.amount, f.fee, f.fee_currency, f.liquidity,
                              f.timestamp_ms, f.symbol, f.side, broken="manual"))
    fresh = PositionLedger()
    fresh.apply_many(f for f in fills if f.trade_id not in broken)
    assert ledger.positions() == fresh.positions()
