"""Flatten: the one order that brings a symbol's position to zero, as a marketable limit inside a price band.

A long position is sold at the best bid minus the band, a short one bought at the best ask plus the band, with the
immediate-or-cancel execution option (it fills what the book holds now, and the rest is cancelled: nothing is left
resting). The price is rounded to the tick towards the touch, so the limit is never further from the book than the
band (and, the touch being on a tick, still reaches it). On a spot account the console never sells what the account
does not hold: a long is sold for at most the base currency's available balance. Plain Python, ``Decimal`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from console.domain.fmt import fmt_qty
from console.domain.model import Side, SymbolRules

__all__ = ["BPS", "DEFAULT_FLATTEN_BAND_BPS", "FlattenRefused", "FlattenTerms", "flatten_terms", "round_to_step"]

#: Basis points in one.
BPS = Decimal(10_000)

#: How far past the touch a flatten's limit goes by default, basis points (0.5%): well inside the guards' default
#: price band (5%, measured from the mid), wide enough to take several levels of a normal book.
DEFAULT_FLATTEN_BAND_BPS = Decimal(50)


class FlattenRefused(Exception):
    """Nothing can be sent to flatten (no position, no book, nothing held, below the minimum size); the text
    says why, in one sentence for the trader."""


def round_to_step(value: Decimal, step: Decimal, *, up: bool) -> Decimal:
    """``value`` rounded to a multiple of ``step`` (up or down): ``round_to_step(Decimal("10.013"),
    Decimal("0.01"), up=True)`` → ``10.02``."""
    steps = (value / step).to_integral_value(rounding=ROUND_CEILING if up else ROUND_FLOOR)
    # Quantized to the step's exponent, so the value never prints in exponent form (``1E+3``): the ticket's
    # validation reads plain decimals.
    return (steps * step).quantize(step)


@dataclass(frozen=True, slots=True)
class FlattenTerms:
    """The flatten order's terms.

    Attributes:
        symbol: lowercase symbol.
        side: sell for a long position, buy for a short one.
        amount: base currency, a multiple of the quantity increment.
        price: the limit price (quote currency), on the tick.
        position: the position's net quantity (base currency, negative when short).
        touch: the best bid (selling) or ask (buying) the price was computed from.
        band_bps: the band, basis points.
        available: the base currency's available balance when it capped the amount (spot long), else None.
    """

    symbol: str
    side: Side
    amount: Decimal
    price: Decimal
    position: Decimal
    touch: Decimal
    band_bps: Decimal
    available: Decimal | None = None

    @property
    def notional(self) -> Decimal:
        """``price × amount``, quote currency: the most a buy pays, the least a sell receives."""
        return self.price * self.amount

    @property
    def capped(self) -> bool:
        """True when the amount is less than the position (capped by the available balance)."""
        return self.amount < abs(self.position)


def flatten_terms(*, symbol: str, net: Decimal, rules: SymbolRules, best_bid: Decimal | None,
                  best_ask: Decimal | None, band_bps: Decimal, available: Decimal | None = None,
                  spot: bool = True) -> FlattenTerms:
    """The order that brings a position of ``net`` to zero.

    Args:
        symbol: lowercase symbol, e.g. ``"ethusd"``.
        net: the position, base currency (negative when short).
        rules: the symbol's price increment, quantity increment and minimum order size.
        best_bid / best_ask: the book's touch (None for an empty side).
        band_bps: how far past the touch the limit may go, basis points (positive).
        available: the base currency's available balance (spot: a long is sold for at most this; None when not
            known, which refuses a spot long: the console never sells what it cannot see is held).
        spot: a spot account (a perpetual's long is not capped by a balance).

    Returns:
        The terms: side, amount, price (rounded to the tick towards the touch).

    Raises:
        FlattenRefused: flat; no bid (selling) or no ask (buying); nothing held; an amount below the minimum order
            size; a band that is not positive.
        ValueError: never for valid decimals (arithmetic on ``Decimal`` only).
    """
    name = symbol.upper()
    if not band_bps.is_finite() or band_bps <= 0:
        raise FlattenRefused(f"The flatten band must be a positive number of basis points, not {band_bps}.")
    if not net:
        raise FlattenRefused(f"No {name} position to flatten: nothing sent.")
    if net > 0:
        side, touch, label = Side.SELL, best_bid, "bid"
    else:
        side, touch, label = Side.BUY, best_ask, "ask"
    if touch is None or touch <= 0:
        raise FlattenRefused(f"The {name} book has no {label} to {side.value} into: nothing sent.")
    amount = abs(net)
    cap: Decimal | None = None
    if spot and side is Side.SELL:
        if available is None:
            raise FlattenRefused(f"The available {rules.base_currency.upper()} balance is not known: nothing sent "
                                 "(the console never sells what it cannot see the account holds).")
        if available < amount:
            amount, cap = max(available, Decimal(0)), available
    amount = round_to_step(amount, rules.quantity_increment, up=False)
    base = rules.base_currency.upper()
    if amount <= 0:
        raise FlattenRefused(f"No {base} available to sell (position {fmt_qty(net)} {base}): nothing sent.")
    if amount < rules.min_order_size:
        raise FlattenRefused(f"{fmt_qty(amount)} {base} is below {name}'s minimum order size "
                             f"{fmt_qty(rules.min_order_size)}: nothing sent.")
    factor = band_bps / BPS
    if side is Side.SELL:
        price = round_to_step(touch * (1 - factor), rules.price_increment, up=True)
    else:
        price = round_to_step(touch * (1 + factor), rules.price_increment, up=False)
    if price <= 0:
        raise FlattenRefused(f"The band of {band_bps} bps leaves no positive price below the bid: nothing sent.")
    return FlattenTerms(symbol.lower(), side, amount, price, net, touch, band_bps, cap)
