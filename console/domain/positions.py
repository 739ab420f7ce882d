"""Positions and P&L of a spot account, built from its fills: net quantity, weighted average cost, realised and
unrealised P&L, fees and exposure per symbol, and a total in USD where a rate is known.

Costing method: **weighted average cost** (the desk norm for a running position). A position keeps its open
quantity ``net`` (base currency, negative when short) and its cost basis ``cost`` (quote currency, the same sign as
``net``); the average cost is ``cost / net``.

- A fill that opens or adds to the position adds its notional to the cost: the average becomes the quantity-weighted
  average of the prices paid.
- A fill that reduces the position closes part of it *at the average cost*: the cost leaving the position is
  ``cost × closed / |net|`` and the realised P&L of that part is the fill's notional minus that cost (for a short,
  the cost minus the notional). The average cost of what stays open does not change.
- A fill larger than the position crosses through zero: the closed part realises as above, and the rest opens a
  new position on the other side at the fill's price.
- Unrealised P&L is ``net × mark − cost``, with the mark the book's mid (the last trade price when the book has no
  two-sided quote). Exposure is ``net × mark`` in the quote currency.
- Fees are kept apart from the P&L (realised and unrealised are gross): fees in the quote currency add up in
  ``fees``; a fee in another currency is kept per currency and converted only where a rate is known.

Worked example (BTCUSD)::

    buy  1.0 @ 100    net  1.0  cost 100   avg 100    realised   0
    buy  1.0 @ 110    net  2.0  cost 210   avg 105    realised   0
    sell 0.5 @ 120    net  1.5  cost 157.5 avg 105    realised   7.5   (0.5 × 120 − 210 × 0.5 / 2)
    sell 2.5 @ 100    net −1.0  cost −100  avg 100    realised   0     (+ 1.5 × 100 − 157.5: closes the long,
                                                                         then the other 1.0 opens short @ 100)
    mark 90:          unrealised = −1 × 90 − (−100) = 10; exposure −90 USD
    identity:         realised + unrealised = 10 = cash flow (−100 − 110 + 60 + 250 = 100) + net × mark (−90)

So ``realised + unrealised`` always equals the cash the trades moved (sells minus buys, before fees) plus the marked
value of what is still open (``net × mark``): the P&L identity, exact because the cost that leaves a position is
rounded once (to :data:`COST_QUANTUM`) and both the realised P&L and the remaining cost use that same amount.

The position is a pure function of the set of fills since the chosen start, taken in trade order (execution time,
then trade id): each fill counts once (by trade id), whatever order the fills arrive in; a broken (reversed) trade
is removed and the symbol re-costed from the fills that remain. Money is ``Decimal`` throughout.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from console.domain.model import Fill, Side

__all__ = [
    "COST_QUANTUM",
    "Position",
    "PositionLedger",
    "PositionRow",
    "PositionStart",
    "PositionsTotal",
    "VenuePosition",
    "mark_price",
    "split_symbol",
    "start_ms",
    "total",
    "usd_rates",
    "value",
]

#: The cost that leaves a position on a partial close is rounded to this (quote currency), half-even, once.
COST_QUANTUM = Decimal("1E-18")
#: Arithmetic precision of the costing (digits): far beyond any price × amount, so sums are exact.
_PRECISION = 60
_ZERO = Decimal(0)

#: Quote currencies recognised at the end of a symbol the console has no rules for (longest first).
_QUOTES = ("GUSD", "USDT", "USDC", "RLUSD", "USD", "EUR", "GBP", "SGD", "BTC", "ETH", "DAI")


@dataclass(frozen=True, slots=True)
class VenuePosition:
    """A position as the venue itself keeps it (a perpetual's margin position: Roxom), the truth where a venue has
    one: its entry price, mark, liquidation price and unrealised P&L, not the console's costing of fills.

    Attributes:
        symbol: lowercase symbol, e.g. ``"gold-btc"``.
        net: open quantity (contracts for Roxom), negative when short; 0 when flat.
        entry_price / mark_price / liquidation_price: quote currency; None when the venue does not say.
        unrealised / realised: P&L in quote currency as the venue computes it; None when not given.
        quote_currency: e.g. ``"BTC"``.
        margin / leverage: as the venue states them; None when not given.
    """

    symbol: str
    net: Decimal
    entry_price: Decimal | None
    mark_price: Decimal | None
    liquidation_price: Decimal | None
    unrealised: Decimal | None
    realised: Decimal | None
    quote_currency: str
    margin: Decimal | None = None
    leverage: Decimal | None = None


class PositionStart(enum.StrEnum):
    """Where positions start counting fills: this session, today (UTC, the default) or a given time."""

    SESSION = "session"
    TODAY = "today"
    SINCE = "since"


def start_ms(start: PositionStart, *, now_ms: int, session_start_ms: int, since_ms: int | None = None) -> int:
    """The first fill time (ms since the epoch) counted for ``start``.

    Args:
        start: which start.
        now_ms: now (ms); ``TODAY`` is 00:00 UTC of now's date.
        session_start_ms: when the console session started (ms).
        since_ms: the given time of ``SINCE`` (ms).

    Raises:
        ValueError: ``SINCE`` without a non-negative ``since_ms``.
    """
    if start is PositionStart.SESSION:
        return session_start_ms
    if start is PositionStart.TODAY:
        return now_ms - now_ms % 86_400_000
    if since_ms is None or since_ms < 0:
        raise ValueError("a position start 'since' needs a time (ms since the epoch, not negative)")
    return since_ms


def start_text(start: PositionStart, first_ms: int) -> str:
    """``"today (since 2026-11-22 00:00 UTC)"``: the start for a status line."""
    when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(first_ms // 1000))
    label = {PositionStart.SESSION: "this session", PositionStart.TODAY: "today", PositionStart.SINCE: "since"}
    return f"{label[start]} (since {when} UTC)" if start is not PositionStart.SINCE else f"since {when} UTC"


def split_symbol(symbol: str) -> tuple[str, str]:
    """``"btcusd"`` → ``("BTC", "USD")``: base and quote currency of a symbol the console has no rules for.

    The symbol's rules (``SymbolRules``) are the truth where known; this recognises the common quote currencies
    at the end of the symbol and otherwise splits after three letters.
    """
    upper = symbol.upper()
    for quote in _QUOTES:
        if upper.endswith(quote) and len(upper) > len(quote):
            return upper[: -len(quote)], quote
    return upper[:3], upper[3:]


def _check(fill: Fill) -> None:
    """Raise ``ValueError`` unless ``fill`` has a side and a positive finite price and amount."""
    if fill.side is None:
        raise ValueError(f"fill {fill.trade_id} has no side")
    if not (fill.amount.is_finite() and fill.amount > 0 and fill.price.is_finite() and fill.price > 0):
        raise ValueError(f"fill {fill.trade_id}: price and amount must be positive decimals")
    if not fill.fee.is_finite():
        raise ValueError(f"fill {fill.trade_id}: the fee must be a finite decimal")


def _trade_order(fill: Fill) -> tuple[int, int, int, str]:
    """Trade order: execution time, then the trade id (numerically when it is a number)."""
    tid = fill.trade_id
    return (fill.timestamp_ms, 0 if tid.isdigit() else 1, int(tid) if tid.isdigit() else 0, tid)


@dataclass(frozen=True, slots=True)
class Position:
    """The position of one symbol after a run of fills (weighted average cost; see the module docstring).

    Attributes:
        symbol: lowercase symbol, e.g. ``"btcusd"``.
        base_currency / quote_currency: e.g. ``"BTC"`` / ``"USD"``.
        net: open quantity in base currency, negative when short.
        cost: cost basis of the open quantity in quote currency (the same sign as ``net``; 0 when flat).
        realised: realised P&L in quote currency, before fees.
        cash_flow: what the fills moved in quote currency before fees (sells minus buys).
        fees: fees paid in quote currency.
        other_fees: fees paid in other currencies, ``((currency, amount), ...)`` sorted by currency.
        bought / sold: base quantity bought and sold.
        trades: how many fills count.
        last_fill_ms: execution time of the latest fill counted (ms), 0 when none.
    """

    symbol: str
    base_currency: str
    quote_currency: str
    net: Decimal = _ZERO
    cost: Decimal = _ZERO
    realised: Decimal = _ZERO
    cash_flow: Decimal = _ZERO
    fees: Decimal = _ZERO
    other_fees: tuple[tuple[str, Decimal], ...] = ()
    bought: Decimal = _ZERO
    sold: Decimal = _ZERO
    trades: int = 0
    last_fill_ms: int = 0

    @property
    def avg_cost(self) -> Decimal | None:
        """Average cost of the open quantity (quote per base), None when flat."""
        if not self.net:
            return None
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            return self.cost / self.net

    def unrealised(self, mark: Decimal | None) -> Decimal | None:
        """``net × mark − cost`` in quote currency; 0 when flat; None when open and there is no mark."""
        if not self.net:
            return _ZERO
        if mark is None:
            return None
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            return self.net * mark - self.cost

    def exposure(self, mark: Decimal | None) -> Decimal | None:
        """``net × mark`` in quote currency (negative when short); 0 when flat; None without a mark."""
        if not self.net:
            return _ZERO
        if mark is None:
            return None
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            return self.net * mark

    def apply(self, fill: Fill) -> Position:
        """This position after ``fill`` (weighted average cost; crossing zero realises then reopens).

        Raises:
            ValueError: the fill has no side, or a price or amount that is not a positive finite decimal.
        """
        _check(fill)
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            qty = fill.amount if fill.side is Side.BUY else -fill.amount
            price = fill.price
            net, cost, realised = self.net, self.cost, self.realised
            if net and (net > 0) != (qty > 0):  # reduces the position: close at the average cost
                closed = min(abs(qty), abs(net))
                if closed == abs(net):
                    leaving = cost
                else:
                    leaving = (cost * closed / abs(net)).quantize(COST_QUANTUM, rounding=ROUND_HALF_EVEN)
                sign = 1 if net > 0 else -1
                realised += sign * closed * price - leaving
                cost -= leaving
                net -= sign * closed
                rest = abs(qty) - closed
                if rest:  # crossed through zero: the rest opens the other side at the fill price
                    net = -sign * rest
                    cost = net * price
            else:
                net += qty
                cost += qty * price
            fees, other = self.fees, dict(self.other_fees)
            if fill.fee:
                currency = fill.fee_currency.upper()
                if currency == self.quote_currency:
                    fees += fill.fee
                else:
                    other[currency] = other.get(currency, _ZERO) + fill.fee
            return replace(
                self,
                net=net,
                cost=cost if net else _ZERO,
                realised=realised,
                cash_flow=self.cash_flow - qty * price,
                fees=fees,
                other_fees=tuple(sorted(other.items())),
                bought=self.bought + (fill.amount if qty > 0 else _ZERO),
                sold=self.sold + (fill.amount if qty < 0 else _ZERO),
                trades=self.trades + 1,
                last_fill_ms=max(self.last_fill_ms, fill.timestamp_ms),
            )


@dataclass
class _Book:
    """The fills of one symbol by trade id, and the position they make."""

    position: Position
    fills: dict[str, Fill] = field(default_factory=dict)
    last_key: tuple[int, int, int, str] | None = None


class PositionLedger:
    """Positions per symbol from fills since ``first_ms``, each fill counted once, re-costed in trade order.

    Args:
        first_ms: fills executed before this (ms since the epoch) do not count.
        currencies: ``symbol → (base, quote)`` for the symbols the console has rules for; others are split by
            :func:`split_symbol`.

    A fill that arrives in trade order is applied at once; one that arrives out of order (or a broken trade)
    re-costs its symbol from all its fills, so the result never depends on the order of arrival.
    """

    def __init__(self, first_ms: int = 0, currencies: Mapping[str, tuple[str, str]] | None = None) -> None:
        self.first_ms = first_ms
        self._currencies = dict(currencies or {})
        self._books: dict[str, _Book] = {}
        self._broken: set[str] = set()

    def set_currencies(self, currencies: Mapping[str, tuple[str, str]]) -> None:
        """Learn symbols' base and quote currencies (from their rules); a symbol already held is re-costed."""
        for symbol, pair in currencies.items():
            symbol = symbol.lower()
            if self._currencies.get(symbol) == pair:
                continue
            self._currencies[symbol] = pair
            book = self._books.get(symbol)
            if book is not None:
                self._recost(symbol, book)

    def __contains__(self, trade_id: object) -> bool:
        return any(trade_id in book.fills for book in self._books.values())

    def knows(self, trade_id: str) -> bool:
        """True when the trade counts already or was broken."""
        return trade_id in self._broken or trade_id in self

    def apply(self, fill: Fill) -> bool:
        """Count ``fill`` once; a broken one removes the trade it reverses. True when a position changed.

        A fill before :attr:`first_ms` or already counted changes nothing.

        Raises:
            ValueError: the fill has no symbol or side, or a price or amount that is not positive.
        """
        if fill.symbol is None or fill.side is None:
            raise ValueError(f"fill {fill.trade_id} has no symbol or side")
        symbol = fill.symbol.lower()
        if fill.broken:
            self._broken.add(fill.trade_id)
            book = self._books.get(symbol)
            if book is None or book.fills.pop(fill.trade_id, None) is None:
                return False
            self._recost(symbol, book)
            return True
        if fill.trade_id in self._broken or fill.timestamp_ms < self.first_ms:
            return False
        book = self._books.get(symbol)
        if book is None:
            book = self._books[symbol] = _Book(self._empty(symbol))
        if fill.trade_id in book.fills:
            return False
        _check(fill)  # a bad fill is refused before it is recorded
        book.fills[fill.trade_id] = fill
        key = _trade_order(fill)
        if book.last_key is None or key > book.last_key:
            book.position = book.position.apply(fill)
            book.last_key = key
        else:
            self._recost(symbol, book)
        return True

    def apply_many(self, fills: Iterable[Fill]) -> bool:
        """Apply every fill (as :meth:`apply`); True when any position changed."""
        changed = False
        for fill in fills:
            changed = self.apply(fill) or changed
        return changed

    def position(self, symbol: str) -> Position | None:
        """The position of ``symbol`` (lowercase), None when no fill of it counts."""
        book = self._books.get(symbol.lower())
        return book.position if book is not None and book.fills else None

    def positions(self) -> list[Position]:
        """Every symbol with a counted fill, sorted by symbol."""
        return [book.position for _, book in sorted(self._books.items()) if book.fills]

    def fills(self) -> list[Fill]:
        """Every counted fill, in trade order."""
        return sorted((f for book in self._books.values() for f in book.fills.values()), key=_trade_order)

    def _empty(self, symbol: str) -> Position:
        base, quote = self._currencies.get(symbol) or split_symbol(symbol)
        return Position(symbol, base.upper(), quote.upper())

    def _recost(self, symbol: str, book: _Book) -> None:
        position = self._empty(symbol)
        ordered = sorted(book.fills.values(), key=_trade_order)
        for fill in ordered:
            position = position.apply(fill)
        book.position = position
        book.last_key = _trade_order(ordered[-1]) if ordered else None


def mark_price(bid: Decimal | None, ask: Decimal | None, last: Decimal | None) -> tuple[Decimal | None, str]:
    """The mark: the mid of a two-sided quote, else the last trade price; ``(price, "mid" | "last")`` or
    ``(None, "")``."""
    if bid and ask and bid > 0 and ask > 0:
        return (bid + ask) / 2, "mid"
    if last and last > 0:
        return last, "last"
    return None, ""


def usd_rates(marks: Mapping[str, Decimal], currencies: Mapping[str, tuple[str, str]]) -> dict[str, Decimal]:
    """USD per unit of each currency a rate is known for: USD itself, and the base of every marked ``…USD`` symbol.

    Args:
        marks: mark per lowercase symbol (quote currency).
        currencies: ``symbol → (base, quote)``; symbols missing here are split by :func:`split_symbol`.
    """
    rates = {"USD": Decimal(1)}
    for symbol, mark in marks.items():
        base, quote = currencies.get(symbol) or split_symbol(symbol)
        if quote.upper() == "USD" and mark > 0:
            rates[base.upper()] = mark
    return rates


@dataclass(frozen=True, slots=True)
class PositionRow:
    """A position valued at a mark: what the positions view shows for one symbol.

    Attributes:
        position: the position.
        mark / mark_label: the mark (quote currency) and ``"mid"`` or ``"last"``; None / ``""`` when not known.
        unrealised / exposure: in quote currency (None when open without a mark).
        fees: fees in quote currency, with those in other currencies converted where a rate is known.
        unconverted_fees: fees in other currencies without a rate, ``((currency, amount), ...)``.
    """

    position: Position
    mark: Decimal | None
    mark_label: str
    unrealised: Decimal | None
    exposure: Decimal | None
    fees: Decimal
    unconverted_fees: tuple[tuple[str, Decimal], ...]
    liquidation: Decimal | None = None

    @property
    def pnl(self) -> Decimal | None:
        """Realised plus unrealised minus fees (quote currency); None without a mark."""
        if self.unrealised is None:
            return None
        return self.position.realised + self.unrealised - self.fees


def value(position: Position, mark: Decimal | None, mark_label: str, rates: Mapping[str, Decimal]) -> PositionRow:
    """Value ``position`` at ``mark``; fees in other currencies converted with ``rates`` (USD per unit) when both
    their currency's and the quote currency's rates are known."""
    fees = position.fees
    unconverted: list[tuple[str, Decimal]] = []
    quote_rate = rates.get(position.quote_currency)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        for currency, amount in position.other_fees:
            rate = rates.get(currency)
            if rate is not None and quote_rate:
                fees += amount * rate / quote_rate
            else:
                unconverted.append((currency, amount))
    return PositionRow(position, mark, mark_label if mark is not None else "", position.unrealised(mark),
                       position.exposure(mark), fees, tuple(unconverted))


@dataclass(frozen=True, slots=True)
class PositionsTotal:
    """The USD total of the positions whose quote currency has a rate (and a mark when open).

    Attributes:
        realised / unrealised / fees / pnl / exposure: in USD; ``exposure`` is gross (sum of absolute values).
        missing: symbols left out for want of a rate or a mark, sorted.
    """

    realised: Decimal
    unrealised: Decimal
    fees: Decimal
    pnl: Decimal
    exposure: Decimal
    missing: tuple[str, ...]


def total(rows: Iterable[PositionRow], rates: Mapping[str, Decimal]) -> PositionsTotal:
    """Sum ``rows`` in USD with ``rates`` (USD per unit of each currency)."""
    realised = unrealised = fees = exposure = _ZERO
    missing: list[str] = []
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        for row in rows:
            rate = rates.get(row.position.quote_currency)
            if rate is None or row.unrealised is None or row.exposure is None or row.unconverted_fees:
                missing.append(row.position.symbol)
                continue
            realised += row.position.realised * rate
            unrealised += row.unrealised * rate
            fees += row.fees * rate
            exposure += abs(row.exposure) * rate
    return PositionsTotal(realised, unrealised, fees, realised + unrealised - fees, exposure, tuple(sorted(missing)))
