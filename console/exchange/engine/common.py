"""Shared basics of the engine: listener types, ExchangeError, the exact decimal context, formatting and parsing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation, getcontext, setcontext
from functools import wraps
from typing import Any, ParamSpec, TypeVar, cast

EventListener = Callable[[int, list[dict[str, Any]]], None]
"""Receives ``(account_id, events)``: the order events of ONE engine action for one account, in exchange order.

The event dicts are shared between listeners: treat them as read-only (copy before adding ``socket_sequence``).
A listener must not raise.
"""

MarketListener = Callable[[str, list[tuple[str, str, str]], list[dict[str, Any]]], None]
"""Receives ``(SYMBOL, changes, trades)`` once per symbol per engine action whose book or trades changed.

``changes`` are the price levels that changed, ``("buy" | "sell", price, new level total)`` as decimal strings
(total ``"0"`` = the level is gone), in the order they were first touched; ``trades`` are the action's public
trades, oldest first, in the ``GET /v1/trades`` shape (``type`` = taker side). Applying the changes to the book
as it was before the action gives ``book(symbol, 0, 0)``. A listener must not raise.
"""

_ZERO = Decimal(0)
_ONE = Decimal(1)
# Money arithmetic stays exact: 60 significant digits is far beyond any balance x price product used here.
_CONTEXT = Context(prec=60, rounding=ROUND_HALF_EVEN)

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _exact(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run a public engine method in the engine's wide decimal context."""

    @wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        # setcontext/restore instead of localcontext(): localcontext copies the context on every call, which cost
        # ~1 us per order. The engine never changes _CONTEXT's settings, so it is shared instead of copied (only
        # its sticky status flags accumulate, and nothing reads them).
        outer = getcontext()
        setcontext(_CONTEXT)
        try:
            return method(*args, **kwargs)
        finally:
            setcontext(outer)

    return wrapper


class ExchangeError(Exception):
    """A request the exchange refuses: reason code (Gemini's `reason`), human message, HTTP status.

    Attributes:
        reason: Gemini's reason code, e.g. ``"InvalidQuantity"``.
        message: human text, e.g. ``"Invalid quantity for symbol BTCUSD: 1"``.
        status: HTTP status the server answers with (400, 404 OrderNotFound, 406 InsufficientFunds).
    """

    def __init__(self, reason: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.status = status

    def to_wire(self) -> dict[str, str]:
        """Return the error body ``{"result": "error", "reason": ..., "message": ...}``
        (https://docs.gemini.com/rest/error-codes)."""
        return {"result": "error", "reason": self.reason, "message": self.message}

    def __repr__(self) -> str:
        return f"ExchangeError({self.reason!r}, {self.message!r}, {self.status})"


# ----------------------------------------------------------------------------------------------------------------
# formatting and parsing helpers


def _fmt(value: Decimal) -> str:
    """Plain decimal string, never in exponent form (``Decimal("1E-8")`` -> ``"0.00000001"``)."""
    return format(value, "f")


def _fmt_amount(value: Decimal) -> str:
    """An amount as given, with zero rendered as ``"0"``."""
    return "0" if not value else format(value, "f")


def _fmt_norm(value: Decimal) -> str:
    """A computed amount (fee, balance) without trailing zeros."""
    return "0" if not value else format(value.normalize(), "f")


def _dollars(value: Decimal) -> str:
    """``Decimal("50776")`` -> ``"$50,776.00"`` (the observed InvalidStopPriceBuy message style)."""
    places = max(2, -cast(int, value.as_tuple().exponent))  # a finite price: an int exponent, not "n"/"N"/"F"
    return f"${value:,.{places}f}"


def _raw(value: object) -> str:
    return value if isinstance(value, str) else (_fmt(value) if isinstance(value, Decimal) else str(value))


def _to_decimal(value: object) -> Decimal | None:
    """Parse a wire decimal (string, int, Decimal; float via its repr); None when it is not a finite number."""
    try:
        if type(value) is str:  # the usual case first
            number = Decimal(value.strip())
        elif value is None or isinstance(value, bool):
            return None
        elif isinstance(value, Decimal):
            number = value
        elif isinstance(value, int):
            number = Decimal(value)
        elif isinstance(value, float):
            number = Decimal(repr(value))
        elif isinstance(value, str):
            number = Decimal(value.strip())
        else:
            return None
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _is_multiple(value: Decimal, increment: Decimal) -> bool:
    try:
        return value % increment == 0
    except InvalidOperation:
        return False
