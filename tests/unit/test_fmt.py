"""The one number-formatting convention: money by currency precision, prices and quantities exact, grouped."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.domain.fmt import at_step, currency_decimals, fmt_count, fmt_money, fmt_price, fmt_qty, step_places

D = Decimal


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("11.22279025", "USD", "11.22 USD"),
        ("64600000", "USD", "64,600,000.00 USD"),
        ("100000", "usd", "100,000.00 USD"),
        ("0.005", "USD", "0.01 USD"),  # half-up, as a desk reads cents
        ("-0.001", "USD", "0.00 USD"),  # no "-0.00"
        ("-1234.5", "GUSD", "-1,234.50 GUSD"),
        ("0.00012", "BTC", "0.00012000 BTC"),
        ("0.0182421816968335", "btc", "0.01824218 BTC"),
        ("1000.5", "ETH", "1,000.50000000 ETH"),
    ],
)
def test_money_is_rounded_to_its_currency_precision_and_grouped(amount, currency, shown):
    assert fmt_money(D(amount), currency) == shown


def test_money_without_unit_and_missing_money():
    assert fmt_money(D("15000"), "USD", unit=False) == "15,000.00"
    assert fmt_money(None, "USD") == "—"
    assert (currency_decimals("usd"), currency_decimals("BTC"), currency_decimals("NEWCOIN")) == (2, 8, 8)


@pytest.mark.parametrize(
    ("amount", "step", "shown"),
    [
        ("3.0", None, "3"),
        ("3", None, "3"),
        ("1E+2", None, "100"),
        ("1250.50", None, "1,250.5"),
        ("0.01", "1E-8", "0.01000000"),
        ("0.000000015", "1E-8", "0.000000015"),  # more decimals than the step: never rounded away
        ("5", "1", "5"),
    ],
)
def test_quantities_keep_their_step_and_drop_trailing_zeros_without_one(amount, step, shown):
    assert fmt_qty(D(amount), D(step) if step else None) == shown


@pytest.mark.parametrize(
    ("price", "tick", "shown"),
    [
        ("64250", "0.01", "64,250.00"),
        ("70000.00", None, "70,000.00"),  # no tick: the decimals it was given
        ("0.015145", "0.00001", "0.015145"),
        ("1234567.5", "0.01", "1,234,567.50"),
    ],
)
def test_prices_keep_their_tick_precision_and_are_grouped(price, tick, shown):
    assert fmt_price(D(price), D(tick) if tick else None) == shown


def test_missing_and_zero_average_prices_show_a_dash():
    assert fmt_price(None) == "—" and fmt_qty(None) == "—"
    assert fmt_price(D("0"), blank_zero=True) == "—" and fmt_price(D("0")) == "0"
    assert fmt_qty(D("0.000"), blank_zero=True) == "—"


def test_step_places_and_counts():
    assert [step_places(D(s)) for s in ("0.01", "1E-8", "1", "10", "0.50")] == [2, 8, 0, 0, 1]
    assert step_places(None) == 0
    assert fmt_count(12500) == "12,500" and fmt_count(D("35.0")) == "35" and fmt_count(D("2.5")) == "2.5"


decimals = st.decimals(min_value=D("-1E12"), max_value=D("1E12"), allow_nan=False, allow_infinity=False, places=10)


@given(decimals)
def test_prices_and_quantities_are_exact(value):
    """Strip the grouping and the text is the same number: nothing went through float or was rounded."""
    assert D(fmt_qty(value).replace(",", "")) == value
    assert D(fmt_price(value, D("0.01")).replace(",", "")) == value


@given(decimals)
def test_money_is_within_half_a_cent(value):
    shown = D(fmt_money(value, "USD", unit=False).replace(",", ""))
    assert abs(shown - value) <= D("0.005") and shown.as_tuple().exponent == -2


@pytest.mark.parametrize(("value", "step", "written"), [
    ("0.02500000", "0.000001", "0.025000"),  # Roxom's 8-decimal BTC price at its 100-sat tick
    ("0.02523200", "0.000001", "0.025232"),
    ("0.0250005", "0.000001", "0.0250005"),  # more decimals than the tick: kept, never rounded
    ("64250", "0.01", "64250.00"),
    ("0E-8", "0.000001", "0.000000"),
    ("0.02500000", None, "0.02500000"),  # no tick: as sent
])
def test_at_step_writes_a_value_at_its_step_s_decimals(value, step, written):
    result = at_step(Decimal(value), None if step is None else Decimal(step))
    assert str(result) == written and result == Decimal(value)
    # Once written at the tick, a view without the tick shows what the orders table (with the tick) shows.
    assert fmt_price(result) == fmt_price(Decimal(value), None if step is None else Decimal(step))


any_exponent = st.builds(lambda digits, exponent: D(digits).scaleb(exponent),
                         st.integers(min_value=-10**15, max_value=10**15), st.integers(min_value=-12, max_value=6))


@given(any_exponent)
def test_a_price_without_a_tick_shows_exactly_the_decimals_it_was_given(value):
    exponent = value.as_tuple().exponent
    shown = fmt_price(value)
    assert D(shown.replace(",", "")) == value
    assert len(shown.partition(".")[2]) == max(0, -exponent)
    assert not shown.startswith("-") or value < 0  # zero never shows a sign


@given(decimals, st.integers(min_value=1, max_value=4))
def test_equal_numbers_written_differently_share_only_the_texts_of_their_value(value, more):
    """The texts that depend on the value alone are cached by value; a price without a tick is not one of them."""
    longer = value.quantize(D(1).scaleb(-(10 + more)))  # the same number, more trailing zeros
    assert longer == value and str(longer) != str(value)
    for first, second in ((value, longer), (longer, value)):  # either one may be the cache's first entry
        assert fmt_qty(first) == fmt_qty(second)
        assert fmt_price(first, D("0.01")) == fmt_price(second, D("0.01"))
        assert fmt_money(first, "BTC") == fmt_money(second, "BTC")
        assert fmt_price(first) != fmt_price(second)  # its own decimals: 1.50 and 1.5000 differ
