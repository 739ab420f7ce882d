"""Pre-trade guards: price band (limit and stop), notional, double submit, hard limits."""

from decimal import Decimal

import pytest

from console.domain.guards import GuardKind, GuardLimits, PreTradeGuards, reference_price
from console.domain.model import OrderType, Side
from console.domain.ticket import NewOrder

D = Decimal


def order(price="64250.00", amount="0.1", stop=None, order_type=OrderType.LIMIT, cid="c1"):
    return NewOrder("btcusd", Side.BUY, order_type, D(price), D(amount), cid, D(stop) if stop else None)


def test_inside_the_band_and_below_the_maximum_passes():
    verdict = PreTradeGuards().check(order("67000.00"), reference=D("64250.00"), now_ms=0)
    assert verdict.ok and not verdict.blocked


def test_limit_beyond_the_band_is_a_soft_breach_stating_the_numbers():
    verdict = PreTradeGuards().check(order("70000.00"), reference=D("64250.00"), now_ms=0)
    assert [b.kind for b in verdict.breaches] == [GuardKind.PRICE_BAND]
    assert not verdict.blocked
    text = verdict.breaches[0].text
    assert "70,000.00" in text and "8.95%" in text and "above" in text and "64,250.00" in text and "5%" in text


def test_stop_limit_orders_are_banded_on_limit_and_stop():
    o = order("64000.00", stop="58000.00", order_type=OrderType.STOP_LIMIT)
    verdict = PreTradeGuards().check(o, reference=D("64250.00"), now_ms=0)
    assert len(verdict.breaches) == 1 and "Stop price 58,000.00" in verdict.breaches[0].text
    assert "below" in verdict.breaches[0].text


def test_hard_band_blocks():
    verdict = PreTradeGuards().check(order("90000.00"), reference=D("64250.00"), now_ms=0)
    assert verdict.blocked and "hard limit 25%" in verdict.breaches[0].text


def test_notional_soft_and_hard():
    limits = GuardLimits(max_notional=D("1000"), hard_max_notional=D("5000"))
    soft = PreTradeGuards(limits).check(order(amount="0.02"), reference=D("64250.00"), now_ms=0)
    assert [b.kind for b in soft.breaches] == [GuardKind.NOTIONAL] and not soft.blocked
    assert "1,285.00 USD" in soft.breaches[0].text and "maximum 1,000.00 USD" in soft.breaches[0].text
    hard = PreTradeGuards(limits).check(order(amount="0.1"), reference=D("64250.00"), now_ms=0)
    assert hard.blocked and "hard limit 5,000.00 USD" in hard.breaches[0].text


def test_notional_text_groups_thousands_at_the_quote_currency_precision():
    """Issue 13: ``Notional 64600000 USD is above the maximum 100000`` hid how many zeros there were."""
    verdict = PreTradeGuards().check(order("64600.00", amount="1000"), reference=D("64600.00"), now_ms=0)
    (breach,) = [b for b in verdict.breaches if b.kind is GuardKind.NOTIONAL]
    assert breach.text == "Notional 64,600,000.00 USD is above the maximum 100,000.00 USD."


def test_same_ticket_twice_within_the_window_asks():
    guards = PreTradeGuards()
    first = order(cid="c1")
    assert guards.check(first, reference=D("64250"), now_ms=10_000).ok
    guards.record_sent(first, 10_000)
    again = order(cid="c2")  # a fresh client order id, the same ticket
    verdict = guards.check(again, reference=D("64250"), now_ms=11_500)
    assert [b.kind for b in verdict.breaches] == [GuardKind.DUPLICATE] and "1500 ms" in verdict.breaches[0].text
    assert guards.check(again, reference=D("64250"), now_ms=12_001).ok
    assert guards.check(order(amount="0.2"), reference=D("64250"), now_ms=11_500).ok


def test_missing_reference_asks_unless_configured_not_to():
    assert PreTradeGuards().check(order(), reference=None, now_ms=0).breaches[0].kind is GuardKind.NO_REFERENCE
    assert PreTradeGuards(GuardLimits(require_reference=False)).check(order(), reference=None, now_ms=0).ok


def test_reference_is_mid_else_last():
    assert reference_price(D("10"), D("12"), D("99")) == (D("11"), "mid")
    assert reference_price(None, D("12"), D("99")) == (D("99"), "last")
    assert reference_price(None, None, None) == (None, "")


def test_limits_from_a_config_table():
    limits = GuardLimits.from_mapping({"price_band_pct": 2.5, "max_notional": False, "hard_max_notional": "1e6",
                                       "duplicate_window_ms": 0})
    assert limits.price_band_pct == D("2.5") and limits.max_notional is None
    assert limits.hard_max_notional == D("1000000") and limits.duplicate_window_ms == 0
    with pytest.raises(ValueError, match="unknown"):
        GuardLimits.from_mapping({"price_band": 1})
    with pytest.raises(ValueError, match="positive"):
        GuardLimits.from_mapping({"max_notional": "-5"})
    with pytest.raises(ValueError, match="cannot be turned off"):
        GuardLimits.from_mapping({"price_band_pct": False})


def test_amount_above_the_symbols_maximum_asks_and_above_the_hard_maximum_blocks():
    limits = GuardLimits(max_quantity={"btcusd": D("0.5")}, hard_max_quantity={"btcusd": D("1")})
    guards = PreTradeGuards(limits)
    assert guards.check(order(amount="0.5"), reference=D("64250.00"), now_ms=0).ok  # at the maximum is fine
    soft = guards.check(order(amount="0.75"), reference=D("64250.00"), now_ms=0)
    assert [b.kind for b in soft.breaches] == [GuardKind.QUANTITY] and not soft.blocked
    assert soft.breaches[0].text == "Amount 0.75 BTC is above the maximum 0.5 BTC for BTCUSD."
    hard = guards.check(order(amount="1.5"), reference=D("64250.00"), now_ms=0)
    assert hard.blocked and [b.kind for b in hard.breaches] == [GuardKind.QUANTITY]
    assert "hard limit 1 BTC" in hard.breaches[0].text
    # Another symbol's maximum never applies: the limits are per symbol.
    eth = NewOrder("ethusd", Side.BUY, OrderType.LIMIT, D("3150.00"), D("5"), "c2")
    assert PreTradeGuards(limits).check(eth, reference=D("3150.00"), now_ms=0).ok


def test_default_maximum_quantities_exist_for_the_default_symbols():
    limits = GuardLimits()
    for symbol in ("btcusd", "ethusd", "solusd"):
        assert D(0) < limits.max_quantity[symbol] < limits.hard_max_quantity[symbol]
    verdict = PreTradeGuards().check(order(price="64250.00", amount="25"), reference=D("64250.00"), now_ms=0)
    assert verdict.blocked and GuardKind.QUANTITY in [b.kind for b in verdict.breaches]


def test_stop_already_through_the_last_trade_asks():
    buy_stop = order("64100.00", stop="64000.00", order_type=OrderType.STOP_LIMIT)
    verdict = PreTradeGuards().check(buy_stop, reference=D("64290.00"), now_ms=0, last=D("64290.00"))
    assert [b.kind for b in verdict.breaches] == [GuardKind.STOP_TRIGGERS] and not verdict.blocked
    assert verdict.breaches[0].text == ("Stop price 64,000.00 is at or below the last trade 64,290.00: "
                                        "the stop triggers at once.")
    # A buy stop above the last trade waits for the market; without a last price nothing is claimed.
    assert PreTradeGuards().check(buy_stop, reference=D("63900.00"), now_ms=0, last=D("63900.00")).ok
    assert PreTradeGuards().check(buy_stop, reference=D("64290.00"), now_ms=0).ok
    sell_stop = NewOrder("btcusd", Side.SELL, OrderType.STOP_LIMIT, D("64400.00"), D("0.1"), "c3", D("64500.00"))
    verdict = PreTradeGuards().check(sell_stop, reference=D("64290.00"), now_ms=0, last=D("64290.00"))
    assert [b.kind for b in verdict.breaches] == [GuardKind.STOP_TRIGGERS] and "at or above" in verdict.breaches[0].text
    at_last = NewOrder("btcusd", Side.SELL, OrderType.STOP_LIMIT, D("64190.00"), D("0.1"), "c4", D("64290.00"))
    assert not PreTradeGuards().check(at_last, reference=D("64290.00"), now_ms=0, last=D("64290.00")).ok


def test_per_symbol_limits_from_a_config_table():
    limits = GuardLimits.from_mapping({"max_quantity": {"btcusd": "5", "ETHUSD": 40},
                                       "hard_max_quantity.solusd": False})
    assert limits.max_quantity["btcusd"] == D("5") and limits.max_quantity["ethusd"] == D("40")
    assert limits.max_quantity["solusd"] == D("500")  # the default of a symbol not named stays
    assert "solusd" not in limits.hard_max_quantity and limits.hard_max_quantity["btcusd"] == D("20")
    with pytest.raises(ValueError, match="positive"):
        GuardLimits.from_mapping({"max_quantity.btcusd": "0"})
    with pytest.raises(ValueError, match="decimal"):
        GuardLimits.from_mapping({"max_quantity.btcusd": "lots"})
    with pytest.raises(ValueError, match="unknown"):
        GuardLimits.from_mapping({"max_qty.btcusd": "1"})
