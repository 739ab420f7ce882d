"""Pre-trade guards: catch fat fingers (price far from the market, notional too large, a double submit) before sending.

Pure domain code: the caller supplies the reference price (mid, or last when there is no two-sided quote) and the
clock. A *soft* breach can be sent anyway after an explicit second confirmation that states the numbers; a *hard*
breach cannot be overridden from the screen (change the configuration instead).

The price band applies to the limit price of every order type, stop-limit included (Gemini's own price controls
skip stop-limit orders), and to the stop price of a stop-limit order. The amount has a per-symbol maximum (base
currency), and a stop price already through the last trade (the order would trigger on arrival) asks first.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from types import MappingProxyType
from typing import Any

from console.domain.fmt import fmt_money, fmt_price, fmt_qty
from console.domain.model import Side, VenuePriceBand
from console.domain.ticket import NewOrder, stop_triggers_at_once

HUNDRED = Decimal(100)


class GuardKind(enum.StrEnum):
    """Which guard a breach comes from."""

    PRICE_BAND = "price_band"
    NOTIONAL = "notional"
    DUPLICATE = "duplicate"
    NO_REFERENCE = "no_reference"
    QUANTITY = "quantity"
    STOP_TRIGGERS = "stop_triggers"
    VENUE_BAND = "venue_band"


#: Soft maximum amount per symbol, base currency: each about 100,000 USD at the local exchange's starting prices.
DEFAULT_MAX_QUANTITY: Mapping[str, Decimal] = MappingProxyType(
    {"btcusd": Decimal("2"), "ethusd": Decimal("30"), "solusd": Decimal("500")})

#: Hard maximum amount per symbol, base currency: ten times the soft maximum.
DEFAULT_HARD_MAX_QUANTITY: Mapping[str, Decimal] = MappingProxyType(
    {"btcusd": Decimal("20"), "ethusd": Decimal("300"), "solusd": Decimal("5000")})

#: The per-symbol settings (``max_quantity.<symbol>`` in the config) and their defaults.
PER_SYMBOL: Mapping[str, Mapping[str, Decimal]] = MappingProxyType(
    {"max_quantity": DEFAULT_MAX_QUANTITY, "hard_max_quantity": DEFAULT_HARD_MAX_QUANTITY})


@dataclass(frozen=True, slots=True)
class GuardLimits:
    """The configurable limits (``[guards]`` in the config file).

    Attributes:
        price_band_pct: soft limit, percent from the reference price a limit or stop price may be (default 5).
        hard_price_band_pct: hard limit in percent (None: no hard price limit).
        max_notional: soft maximum of ``price × amount`` in quote currency (None: no soft limit).
        hard_max_notional: hard maximum of ``price × amount`` (None: no hard limit).
        duplicate_window_ms: the same ticket again within this many ms asks first (0 turns it off).
        require_reference: when true, an order whose reference price cannot be fetched asks first.
        max_quantity: soft maximum amount per lowercase symbol, base currency (a symbol not listed: no limit).
        hard_max_quantity: hard maximum amount per lowercase symbol, base currency.
    """

    price_band_pct: Decimal = Decimal("5")
    hard_price_band_pct: Decimal | None = Decimal("25")
    max_notional: Decimal | None = Decimal("100000")
    hard_max_notional: Decimal | None = None
    duplicate_window_ms: int = 2000
    require_reference: bool = True
    max_quantity: Mapping[str, Decimal] = field(default_factory=lambda: DEFAULT_MAX_QUANTITY)
    hard_max_quantity: Mapping[str, Decimal] = field(default_factory=lambda: DEFAULT_HARD_MAX_QUANTITY)

    def __post_init__(self) -> None:
        checked = [(name, getattr(self, name)) for name in
                   ("price_band_pct", "hard_price_band_pct", "max_notional", "hard_max_notional")]
        checked += [(f"{name}.{symbol}", value) for name in PER_SYMBOL for symbol, value in getattr(self, name).items()]
        for name, value in checked:
            if value is not None and (not isinstance(value, Decimal) or not value.is_finite() or value <= 0):
                raise ValueError(f"guards.{name} must be a positive decimal, got {value!r}")
        if self.duplicate_window_ms < 0:
            raise ValueError("guards.duplicate_window_ms must be >= 0")

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> GuardLimits:
        """Build limits from a ``[guards]`` table: numbers as strings or TOML numbers; ``false`` turns a limit off.

        Per-symbol limits come as a sub-table (``{"max_quantity": {"btcusd": "5"}}``) or dotted keys
        (``{"max_quantity.btcusd": "5"}``); each symbol named replaces that symbol's default, the others keep theirs.

        Raises:
            ValueError: an unknown key or a value that is not a positive number.
        """
        flat: dict[str, object] = {}
        for name, raw in data.items():
            if name in PER_SYMBOL and isinstance(raw, Mapping):
                flat.update({f"{name}.{symbol}": value for symbol, value in raw.items()})
            else:
                flat[name] = raw
        known = set(cls.__dataclass_fields__) - set(PER_SYMBOL)
        unknown = {name for name in flat if name not in known and name.partition(".")[0] not in PER_SYMBOL}
        if unknown:
            raise ValueError(f"unknown guard setting(s): {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}  # field -> its parsed value (Decimal, int, bool, None or a per-symbol table)
        per_symbol: dict[str, dict[str, Decimal]] = {name: dict(default) for name, default in PER_SYMBOL.items()}
        for name, raw in flat.items():
            table, _, symbol = name.partition(".")
            if table in PER_SYMBOL:
                if not symbol.strip():
                    raise ValueError(f"guards.{name}: name a symbol, e.g. {table}.btcusd")
                if raw is False or raw is None or str(raw).strip().lower() in ("", "off", "none", "false"):
                    per_symbol[table].pop(symbol.strip().lower(), None)
                    continue
                try:
                    per_symbol[table][symbol.strip().lower()] = Decimal(str(raw))
                except ArithmeticError:
                    raise ValueError(f"guards.{name} must be a decimal number, got {raw!r}") from None
            elif name == "duplicate_window_ms":
                values[name] = int(str(raw))
            elif name == "require_reference":
                values[name] = _boolean(raw, f"guards.{name}")
            elif raw is False or raw is None or str(raw).strip().lower() in ("", "off", "none", "false"):
                if name == "price_band_pct":
                    raise ValueError("guards.price_band_pct cannot be turned off")
                values[name] = None
            else:
                try:
                    values[name] = Decimal(str(raw))
                except ArithmeticError:
                    raise ValueError(f"guards.{name} must be a decimal number, got {raw!r}") from None
        values.update({name: MappingProxyType(table) for name, table in per_symbol.items()})
        return cls(**values)


def _boolean(raw: object, name: str) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, got {raw!r}")


@dataclass(frozen=True, slots=True)
class Breach:
    """One guard the order breaks, with the numbers to show the trader.

    Attributes:
        kind: which guard.
        hard: True when it cannot be overridden from the screen.
        text: one sentence with the numbers (formatted by :mod:`console.domain.fmt`), e.g.
            ``"Limit price 70,000.00 is 8.95% above the mid 64,250.00 (band 5%)."``.
    """

    kind: GuardKind
    hard: bool
    text: str


@dataclass(frozen=True, slots=True)
class GuardVerdict:
    """What the guards say about one order."""

    breaches: tuple[Breach, ...] = ()

    @property
    def ok(self) -> bool:
        """True when nothing was breached: send at once."""
        return not self.breaches

    @property
    def blocked(self) -> bool:
        """True when a hard limit is breached: the order cannot be sent from the screen."""
        return any(b.hard for b in self.breaches)


def _ticket_key(order: NewOrder) -> tuple[object, ...]:
    return (order.symbol, order.side, order.order_type, order.price, order.amount, order.stop_price, order.options)


def _pct(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}%"


def _band_breach(label: str, price: Decimal, reference: Decimal, ref_label: str, limits: GuardLimits) -> Breach | None:
    distance_pct = abs(price - reference) / reference * HUNDRED
    direction = "above" if price > reference else "below"
    if limits.hard_price_band_pct is not None and distance_pct > limits.hard_price_band_pct:
        return Breach(GuardKind.PRICE_BAND, True,
                      f"{label} {fmt_price(price)} is {_pct(distance_pct)} {direction} the {ref_label} "
                      f"{fmt_price(reference)} (hard limit {limits.hard_price_band_pct}%).")
    if distance_pct > limits.price_band_pct:
        return Breach(GuardKind.PRICE_BAND, False,
                      f"{label} {fmt_price(price)} is {_pct(distance_pct)} {direction} the {ref_label} "
                      f"{fmt_price(reference)} (band {limits.price_band_pct}%).")
    return None


def venue_band_breach(order: NewOrder, band: VenuePriceBand, *, bid: Decimal | None, ask: Decimal | None,
                      mark: Decimal | None, mark_label: str = "mark", tick: Decimal | None = None) -> Breach | None:
    """The venue's own price band on the order's limit price (a stop-limit's too): a hard breach when outside.

    Every documented bound applies and the stricter one binds: a buy's price at most ``ask × (1 + touch_pct)`` and
    ``mark × (1 + mark_pct)``, at least ``mark × (1 − mark_pct)``; a sell's at least ``bid × (1 − touch_pct)`` and
    ``mark × (1 − mark_pct)``, at most ``mark × (1 + mark_pct)``. A bound whose price is unknown (an empty side,
    no mark) is not checked.

    Args:
        order: the validated order.
        band: the venue's band (``SymbolRules.price_band``).
        bid / ask: the best bid and ask (quote currency), or None.
        mark: the mark price; the console reads none from a venue, so the guard's reference (mid of the touch, else
            the last trade) stands in for it, as the local Roxom venue computes its mark; ``mark_label`` names it.
        tick: the symbol's tick size: the message shows the bound as the nearest price the trader may type
            (an upper bound rounded down to the tick, a lower one up); None: the bound as computed.

    Returns:
        The breach (hard: the venue would refuse the order), or None when the price is inside every bound.
    """
    price = order.price
    upper: list[tuple[Decimal, str]] = []
    lower: list[tuple[Decimal, str]] = []
    if band.touch_pct is not None:
        factor = band.touch_pct / HUNDRED
        if order.side is Side.BUY and ask is not None and ask > 0:
            upper.append((ask * (1 + factor), f"best ask {fmt_price(ask)} + {band.touch_pct}%"))
        if order.side is Side.SELL and bid is not None and bid > 0:
            lower.append((bid * (1 - factor), f"best bid {fmt_price(bid)} − {band.touch_pct}%"))
    if band.mark_pct is not None and mark is not None and mark > 0:
        factor = band.mark_pct / HUNDRED
        upper.append((mark * (1 + factor), f"{mark_label} {fmt_price(mark)} + {band.mark_pct}%"))
        lower.append((mark * (1 - factor), f"{mark_label} {fmt_price(mark)} − {band.mark_pct}%"))
    side = order.side.value

    def shown(bound: Decimal, rounding: str) -> str:
        if tick is None or tick <= 0:
            return fmt_price(bound.normalize())
        return fmt_price((bound / tick).to_integral_value(rounding=rounding) * tick, tick)

    if upper:
        bound, rule = min(upper, key=lambda item: item[0])
        if price > bound:
            return Breach(GuardKind.VENUE_BAND, True,
                          f"Limit price {fmt_price(price, tick)} is above {band.venue}'s price band: a {side} may be "
                          f"at most {shown(bound, ROUND_FLOOR)} ({rule}; the stricter of its bands applies). "
                          f"{band.venue} would refuse it.")
    if lower:
        bound, rule = max(lower, key=lambda item: item[0])
        if price < bound:
            return Breach(GuardKind.VENUE_BAND, True,
                          f"Limit price {fmt_price(price, tick)} is below {band.venue}'s price band: a {side} must be "
                          f"at least {shown(bound, ROUND_CEILING)} ({rule}; the stricter of its bands applies). "
                          f"{band.venue} would refuse it.")
    return None


@dataclass
class PreTradeGuards:
    """Checks orders against the limits and remembers recent tickets for the double-submit guard.

    Args:
        limits: the configured limits.
    """

    limits: GuardLimits = field(default_factory=GuardLimits)
    _recent_ms: dict[tuple[object, ...], int] = field(default_factory=dict)

    def check(self, order: NewOrder, *, reference: Decimal | None, reference_label: str = "mid",
              now_ms: int, last: Decimal | None = None, band: VenuePriceBand | None = None,
              bid: Decimal | None = None, ask: Decimal | None = None, tick: Decimal | None = None) -> GuardVerdict:
        """Check one validated order.

        Args:
            order: the order about to be sent.
            reference: the reference price (quote currency), or None when it could not be fetched.
            reference_label: what the reference is (``"mid"`` or ``"last"``), for the message.
            now_ms: the console clock, ms since the epoch.
            last: the last trade price (quote currency), for a stop price already through the market; None when
                unknown (no check).
            band / bid / ask: the venue's own price band (``SymbolRules.price_band``) and the touch it is measured
                from; ``reference`` stands in for the mark (:func:`venue_band_breach`). None: no venue band.
            tick: the symbol's tick size, for the band's message.

        Returns:
            The breaches, hard ones first; empty when the order may go at once.
        """
        limits = self.limits
        breaches: list[Breach] = []
        if reference is None or reference <= 0:
            if limits.require_reference:
                breaches.append(Breach(GuardKind.NO_REFERENCE, False,
                                       f"No market price for {order.symbol.upper()}: "
                                       "the price band cannot be checked."))
        else:
            for label, price in (("Limit price", order.price), ("Stop price", order.stop_price)):
                if price is not None:
                    breach = _band_breach(label, price, reference, reference_label, limits)
                    if breach is not None:
                        breaches.append(breach)
        if band is not None:
            venue_breach = venue_band_breach(order, band, bid=bid, ask=ask, mark=reference,
                                             mark_label=reference_label or "mark", tick=tick)
            if venue_breach is not None:
                breaches.append(venue_breach)
        notional = order.notional
        quote = order.symbol[-3:].upper()
        if limits.hard_max_notional is not None and notional > limits.hard_max_notional:
            breaches.append(Breach(GuardKind.NOTIONAL, True,
                                   f"Notional {fmt_money(notional, quote)} is above the hard limit "
                                   f"{fmt_money(limits.hard_max_notional, quote)}."))
        elif limits.max_notional is not None and notional > limits.max_notional:
            breaches.append(Breach(GuardKind.NOTIONAL, False,
                                   f"Notional {fmt_money(notional, quote)} is above the maximum "
                                   f"{fmt_money(limits.max_notional, quote)}."))
        base = order.symbol[:-3].upper()
        hard_qty = limits.hard_max_quantity.get(order.symbol)
        soft_qty = limits.max_quantity.get(order.symbol)
        if hard_qty is not None and order.amount > hard_qty:
            breaches.append(Breach(GuardKind.QUANTITY, True,
                                   f"Amount {fmt_qty(order.amount)} {base} is above the hard limit "
                                   f"{fmt_qty(hard_qty)} {base} "
                                   f"for {order.symbol.upper()}."))
        elif soft_qty is not None and order.amount > soft_qty:
            breaches.append(Breach(GuardKind.QUANTITY, False,
                                   f"Amount {fmt_qty(order.amount)} {base} is above the maximum "
                                   f"{fmt_qty(soft_qty)} {base} "
                                   f"for {order.symbol.upper()}."))
        if order.stop_price is not None and last is not None and last > 0 and stop_triggers_at_once(
                order.side, order.stop_price, last):
            relation = "at or below" if order.side is Side.BUY else "at or above"
            breaches.append(Breach(GuardKind.STOP_TRIGGERS, False,
                                   f"Stop price {fmt_price(order.stop_price)} is {relation} the last trade "
                                   f"{fmt_price(last)}: "
                                   f"the stop triggers at once."))
        if limits.duplicate_window_ms:
            last_ms = self._recent_ms.get(_ticket_key(order))
            if last_ms is not None and 0 <= now_ms - last_ms < limits.duplicate_window_ms:
                breaches.append(Breach(GuardKind.DUPLICATE, False,
                                       f"The same ticket was sent {now_ms - last_ms} ms ago "
                                       f"(window {limits.duplicate_window_ms} ms)."))
        breaches.sort(key=lambda b: not b.hard)
        return GuardVerdict(tuple(breaches))

    def record_sent(self, order: NewOrder, now_ms: int) -> None:
        """Remember that ``order`` was sent at ``now_ms`` (for the double-submit guard); forget stale tickets."""
        window = self.limits.duplicate_window_ms
        self._recent_ms = {k: t for k, t in self._recent_ms.items() if now_ms - t < window}
        self._recent_ms[_ticket_key(order)] = now_ms


def reference_price(bid: Decimal | None, ask: Decimal | None, last: Decimal | None) -> tuple[Decimal | None, str]:
    """The guard's reference: the mid of a two-sided quote, else the last trade price.

    Returns:
        ``(price, label)`` with label ``"mid"`` or ``"last"``; ``(None, "")`` when there is neither.
    """
    if bid and ask and bid > 0 and ask > 0:
        return (bid + ask) / 2, "mid"
    if last and last > 0:
        return last, "last"
    return None, ""
