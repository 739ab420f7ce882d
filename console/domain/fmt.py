"""How numbers are shown to the trader: money by its currency's precision, prices and quantities by their step.

One convention everywhere (status texts, guards, the account views, the orders table, the ladder):

- **Money** (fees, balances, notionals, volumes) is rounded half-up to its currency's precision: 2 decimals for
  fiat and dollar-backed tokens (``11.22279025 USD`` → ``11.22 USD``), 8 for other crypto currencies
  (``0.00012 BTC`` → ``0.00012000 BTC``).
- **Prices and quantities** are never rounded (a rounded price or amount would misstate an order). They show at
  least the decimals of their step (tick size or quantity increment) when it is known, more only when the value
  carries more. Without a step, a quantity drops trailing zeros (``3.0`` → ``3``) and a price keeps the decimals
  it was given (``70000.00`` → ``70,000.00``).
- Thousands are grouped with commas (``64,600,000.00``); negative values keep their sign; ``None`` (and, where
  asked, zero) shows as an em dash ``—``.

Everything is ``Decimal``; no value passes through ``float``. Plain Python, imports no console package.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

__all__ = [
    "BLANK",
    "FIAT_DECIMALS",
    "CRYPTO_DECIMALS",
    "currency_decimals",
    "fmt_money",
    "fmt_price",
    "fmt_qty",
    "fmt_count",
    "at_step",
    "step_places",
]

#: What a missing number shows as.
BLANK = "—"

#: Decimals of fiat currencies and fiat-backed tokens as the trader reads them (cents).
FIAT_DECIMALS = 2
#: Decimals of a crypto currency (satoshi precision); used for every currency that is not fiat.
CRYPTO_DECIMALS = 8

#: Entries of each formatting cache. Numbers that are equal format alike wherever the text depends on the value only
#: (money, quantities, prices with their tick), so those texts are cached: the orders table, the status texts and
#: the ladder show the same few thousand prices and amounts again and again.
_CACHE_SIZE = 4096

#: Currencies shown with :data:`FIAT_DECIMALS` (Gemini's fiat currencies and its dollar token GUSD).
_FIAT = frozenset({"USD", "EUR", "GBP", "SGD", "AUD", "CAD", "CHF", "HKD", "GUSD", "USDC", "USDT"})


def currency_decimals(currency: str) -> int:
    """How many decimals money in ``currency`` is shown with: 2 for fiat (``"USD"``), 8 otherwise (``"BTC"``)."""
    return FIAT_DECIMALS if currency.upper() in _FIAT else CRYPTO_DECIMALS


@lru_cache(maxsize=1024)
def step_places(step: Decimal | None) -> int:
    """Decimals of a tick size or quantity increment: ``0.01`` → 2, ``1E-8`` → 8, ``1`` → 0, None → 0."""
    # Cached (a function of the value only: equal decimals normalize alike): called for every number shown.
    if step is None or not step.is_finite() or step <= 0:
        return 0
    exponent = step.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite values have an integer exponent
    return max(0, -exponent)


def at_step(value: Decimal, step: Decimal | None) -> Decimal:
    """``value`` written with the decimals a price or quantity of that ``step`` shows with, never rounded.

    For a venue whose wire carries more decimals than the tick (Roxom sends BTC prices with 8: ``"0.02500000"`` for
    a tick of ``0.000001``): once re-expressed, every view shows the price as ``fmt_price(price, tick)`` does, even
    one that is not given the tick. Equal in value to ``value``.

    Args:
        value: the price or quantity, e.g. ``Decimal("0.02500000")``.
        step: the tick size or quantity increment, e.g. ``Decimal("0.000001")``; None leaves ``value`` as it is.

    Returns:
        e.g. ``Decimal("0.025000")``; ``Decimal("0.0250005")`` stays (it carries more decimals than the tick).
    """
    if step is None or not value.is_finite():
        return value
    places = max(step_places(step), _value_places(value))
    return value.quantize(Decimal(1).scaleb(-places))  # exact: ``places`` holds every decimal the value carries


@lru_cache(maxsize=_CACHE_SIZE)
def _value_places(value: Decimal) -> int:
    """Decimals ``value`` needs to be shown exactly (trailing zeros dropped); cached, like ``step_places``."""
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def _grouped(value: Decimal, places: int) -> str:
    """``value`` with ``places`` decimals and grouped thousands; zero never shows a sign (``-0.00`` → ``0.00``)."""
    # Decimal's own formatting: exact, no float. Not cached here: its callers cache their whole text.
    return format(value if value else _ZERO, f",.{places}f")


_ZERO = Decimal(0)


def fmt_money(amount: Decimal | None, currency: str, *, unit: bool = True) -> str:
    """Money rounded half-up to its currency's precision, thousands grouped, with the currency code.

    Args:
        amount: the amount, e.g. ``Decimal("11.22279025")``; None shows as ``—``.
        currency: the currency code, any case, e.g. ``"usd"`` or ``"BTC"``.
        unit: False leaves the currency code off (a column whose header names the currency).

    Returns:
        e.g. ``"11.22 USD"``, ``"64,600,000.00 USD"``, ``"0.00012000 BTC"``.
    """
    if amount is None:
        return BLANK
    return _money(amount, currency, unit)


@lru_cache(maxsize=_CACHE_SIZE)
def _money(amount: Decimal, currency: str, unit: bool) -> str:
    places = currency_decimals(currency)
    text = _grouped(amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP), places)
    return f"{text} {currency.upper()}" if unit else text


@lru_cache(maxsize=_CACHE_SIZE)
def _exact(value: Decimal | None, step: Decimal | None, blank_zero: bool) -> str:
    """At least ``step``'s decimals, more only where the value carries more (None: trailing zeros dropped).

    A text of the value alone (equal decimals such as 1.5 and 1.50 share it), so it is cached.
    """
    if value is None or (blank_zero and value == 0):
        return BLANK
    return _grouped(value, max(step_places(step), _value_places(value)))


def fmt_price(price: Decimal | None, tick: Decimal | None = None, *, blank_zero: bool = False) -> str:
    """A price, exact, with at least its tick size's decimals, thousands grouped.

    Args:
        price: the price; None shows as ``—``.
        tick: the symbol's price increment (``quote_increment``), e.g. ``Decimal("0.01")``; None: the price's own
            decimals as given (``Decimal("70000.00")`` → ``"70,000.00"``).
        blank_zero: show zero as ``—`` (an average fill price of an order with no fill).

    Returns:
        e.g. ``"64,250.00"`` (tick 0.01), ``"0.015145"`` (more decimals than the tick).
    """
    if tick is not None:
        return _exact(price, tick, blank_zero)
    if price is None or (blank_zero and price == 0):
        return BLANK
    # The price's own decimals, so not cached (64250.0 and 64250.00 are equal but show differently): Decimal's "f"
    # without a precision shows exactly its exponent's digits (70000.00 → "70,000.00", 1E+2 → "100").
    return format(price if price else price.copy_abs(), ",f")


def fmt_qty(amount: Decimal | None, step: Decimal | None = None, *, blank_zero: bool = False) -> str:
    """A quantity (order amount, filled, remaining), exact, with at least its step's decimals, thousands grouped.

    Args:
        amount: the quantity in base currency; None shows as ``—``.
        step: the symbol's quantity increment (``tick_size``); None: trailing zeros are dropped (``3.0`` → ``3``).
        blank_zero: show zero as ``—``.

    Returns:
        e.g. ``"3"``, ``"0.5"``, ``"1,250.5"``, ``"0.01000000"`` (step 1E-8).
    """
    return _exact(amount, step, blank_zero)


def fmt_count(value: Decimal | int) -> str:
    """A plain number (a count, basis points) exact, trailing zeros dropped, grouped: ``12500`` → ``"12,500"``."""
    decimal = Decimal(value)
    return _grouped(decimal, _value_places(decimal))
