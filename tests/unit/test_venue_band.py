"""A venue's own price band (Roxom's documented bands) as a hard pre-trade guard: the stricter bound binds, the
message names the rule and the numbers, and an order inside every bound passes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from console.domain.guards import GuardKind, GuardLimits, PreTradeGuards, venue_band_breach
from console.domain.model import OrderType, Side, VenuePriceBand
from console.domain.ticket import NewOrder
from console.venues.roxom.convert import PRICE_BAND

D = Decimal
ROXOM = VenuePriceBand(touch_pct=D(10), mark_pct=D(50), venue="Roxom")
BID, ASK, MARK, TICK = D("0.024800"), D("0.025300"), D("0.025050"), D("0.000001")


def _order(side: Side, price: str, stop: str | None = None) -> NewOrder:
    order_type = OrderType.STOP_LIMIT if stop is not None else OrderType.LIMIT
    return NewOrder("gold-btc", side, order_type, D(price), D("1.00"), "tc-1",
                    stop_price=None if stop is None else D(stop))


def test_roxom_s_rules_carry_both_documented_bands() -> None:
    assert PRICE_BAND == ROXOM


@pytest.mark.parametrize(("side", "price", "words"), [
    # buy ≤ best ask × 1.1 = 0.02783 binds before mark × 1.5 = 0.037575
    (Side.BUY, "0.027900", "above Roxom's price band: a buy may be at most 0.027830 (best ask 0.025300 + 10%"),
    # sell ≥ best bid × 0.9 = 0.02232 binds before mark × 0.5 = 0.012525
    (Side.SELL, "0.022300", "below Roxom's price band: a sell must be at least 0.022320 (best bid 0.024800 − 10%"),
    # the rulebook's ±50% of mark is the only bound below a buy and above a sell
    (Side.BUY, "0.012500", "below Roxom's price band: a buy must be at least 0.012525 (mid 0.025050 − 50%"),
    (Side.SELL, "0.037600", "above Roxom's price band: a sell may be at most 0.037575 (mid 0.025050 + 50%"),
])
def test_a_price_outside_the_stricter_band_is_a_hard_breach(side: Side, price: str, words: str) -> None:
    breach = venue_band_breach(_order(side, price), ROXOM, bid=BID, ask=ASK, mark=MARK, mark_label="mid", tick=TICK)
    assert breach is not None and breach.hard and breach.kind is GuardKind.VENUE_BAND
    assert words in breach.text and "Roxom would refuse it." in breach.text
    # the bound shown is a price the trader may type: down to the tick for a maximum, up for a minimum
    odd = venue_band_breach(_order(Side.BUY, "0.030000"), ROXOM, bid=BID, ask=D("0.025301"), mark=MARK, tick=TICK)
    assert odd is not None and "at most 0.027831 (" in odd.text  # 0.0278311 rounded down


@pytest.mark.parametrize(("side", "price"), [
    (Side.BUY, "0.027830"), (Side.BUY, "0.012525"), (Side.SELL, "0.022320"), (Side.SELL, "0.037575"),
    (Side.BUY, "0.025000"), (Side.SELL, "0.025400"),
])
def test_a_price_on_or_inside_every_bound_passes(side: Side, price: str) -> None:
    assert venue_band_breach(_order(side, price), ROXOM, bid=BID, ask=ASK, mark=MARK) is None


def test_the_mark_band_binds_when_it_is_stricter_and_unknown_prices_are_not_checked() -> None:
    # a wide touch (ask far above the mark): mark × 1.5 binds before ask × 1.1
    breach = venue_band_breach(_order(Side.BUY, "0.040000"), ROXOM, bid=None, ask=D("0.036000"), mark=MARK)
    assert breach is not None and "at most 0.037575 (mark 0.025050 + 50%" in breach.text  # no tick: as computed
    # no touch and no mark: nothing to measure from
    assert venue_band_breach(_order(Side.BUY, "9"), ROXOM, bid=None, ask=None, mark=None) is None


def test_the_guard_blocks_a_stop_limit_whose_limit_is_outside_and_ignores_venues_without_a_band() -> None:
    guards = PreTradeGuards(GuardLimits(price_band_pct=D(1000), hard_price_band_pct=None))
    stop = _order(Side.BUY, "0.027900", stop="0.027800")
    verdict = guards.check(stop, reference=MARK, now_ms=0, band=ROXOM, bid=BID, ask=ASK)
    assert verdict.blocked and verdict.breaches[0].kind is GuardKind.VENUE_BAND
    assert guards.check(stop, reference=MARK, now_ms=0, bid=BID, ask=ASK).ok  # Gemini: no venue band
    assert guards.check(_order(Side.BUY, "0.025000"), reference=MARK, now_ms=0, band=ROXOM, bid=BID, ask=ASK).ok
