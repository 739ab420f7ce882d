"""Pre-trade guards: catch fat fingers (price far from the market, notional too large, a double submit) before sending.

Pure domain code: the caller supplies the reference price (mid, or last when there is no two-sided quote) and the
clock. A *soft* breach can be sent anyway after an explicit second confirmation that states the numbers; a *hard*
breach cannot be overridden from the screen (change the configuration instead).

The price band applies to the limit price of every order type, stop-limit included (Gemini's own price controls
skip stop-limit orders), and to the stop price of a stop-limit order.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from console.orders.fmt import fmt_money, fmt_price
from console.orders.ticket import NewOrder

HUNDRED = Decimal(100)


class GuardKind(enum.StrEnum):
    """Which guard a breach comes from."""

    PRICE_BAND = "price_band"
    NOTIONAL = "notional"
    DUPLICATE = "duplicate"
    NO_REFERENCE = "no_reference"


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
    """

    price_band_pct: Decimal = Decimal("5")
    hard_price_band_pct: Decimal | None = Decimal("25")
    max_notional: Decimal | None = Decimal("100000")
    hard_max_notional: Decimal | None = None
    duplicate_window_ms: int = 2000
    require_reference: bool = True

    def __post_init__(self) -> None:
        for name in ("price_band_pct", "hard_price_band_pct", "max_notional", "hard_max_notional"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, Decimal) or not value.is_finite() or value <= 0):
                raise ValueError(f"guards.{name} must be a positive decimal, got {value!r}")
        if self.duplicate_window_ms < 0:
            raise ValueError("guards.duplicate_window_ms must be >= 0")

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> GuardLimits:
        """Build limits from a ``[guards]`` table: numbers as strings or TOML numbers; ``false`` turns a limit off.

        Raises:
            ValueError: an unknown key or a value that is not a positive number.
        """
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown guard setting(s): {', '.join(sorted(unknown))}")
        values: dict[str, object] = {}
        for name, raw in data.items():
            if name == "duplicate_window_ms":
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
        return cls(**values)  # type: ignore[arg-type]


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
        text: one sentence with the numbers (formatted by :mod:`console.orders.fmt`), e.g.
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


def _ticket_key(order: NewOrder) -> tuple:
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


@dataclass
class PreTradeGuards:
    """Checks orders against the limits and remembers recent tickets for the double-submit guard.

    Args:
        limits: the configured limits.
    """

    limits: GuardLimits = field(default_factory=GuardLimits)
    _recent_ms: dict[tuple, int] = field(default_factory=dict)

    def check(self, order: NewOrder, *, reference: Decimal | None, reference_label: str = "mid",
              now_ms: int) -> GuardVerdict:
        """Check one validated order.

        Args:
            order: the order about to be sent.
            reference: the reference price (quote currency), or None when it could not be fetched.
            reference_label: what the reference is (``"mid"`` or ``"last"``), for the message.
            now_ms: the console clock, ms since the epoch.

        Returns:
            The breaches, hard ones first; empty when the order may go at once.
        """
        limits = self.limits
        breaches: list[Breach] = []
        if reference is None or reference <= 0:
            if limits.require_reference:
                breaches.append(Breach(GuardKind.NO_REFERENCE, False,
                                       f"No market price for {order.symbol.upper()}: the price band cannot be checked."))
        else:
            for label, price in (("Limit price", order.price), ("Stop price", order.stop_price)):
                if price is not None:
                    breach = _band_breach(label, price, reference, reference_label, limits)
                    if breach is not None:
                        breaches.append(breach)
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
