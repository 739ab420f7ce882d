"""Scoped cancels: which open orders a scope takes in (a symbol, one side of a symbol, the blotter's filter).

A scope is cancelled order by order, by the venue's order id (never by a venue-wide cancel-all): only the orders
the preview listed are touched, and every other order keeps working. Plain Python, imports no console package but
the domain.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from console.domain.model import Order, Side
from console.domain.view import ViewFilter

__all__ = ["ScopeKind", "OrderScope", "ScopeOutcome", "scope_orders"]


class ScopeKind(enum.StrEnum):
    """What a scoped cancel takes in."""

    SYMBOL = "symbol"  # every open order of one symbol
    SIDE = "side"  # the buys (or the sells) of one symbol
    FILTER = "filter"  # every open order the blotter's filter shows


@dataclass(frozen=True, slots=True)
class OrderScope:
    """One scope of a scoped cancel.

    Attributes:
        kind: symbol, side or filter.
        symbol: lowercase symbol (``SYMBOL`` and ``SIDE``), e.g. ``"ethusd"``.
        side: the side (``SIDE`` only).
        view_filter: the blotter's filter (``FILTER`` only).

    Raises:
        ValueError: a part the kind needs is missing (``SIDE`` without a side, ``FILTER`` without an active filter).
    """

    kind: ScopeKind
    symbol: str | None = None
    side: Side | None = None
    view_filter: ViewFilter | None = None

    def __post_init__(self) -> None:
        if self.kind in (ScopeKind.SYMBOL, ScopeKind.SIDE) and not self.symbol:
            raise ValueError(f"a {self.kind.value} scope needs a symbol")
        if self.kind is ScopeKind.SIDE and self.side is None:
            raise ValueError("a side scope needs a side")
        if self.kind is ScopeKind.FILTER and (self.view_filter is None or not self.view_filter.active):
            raise ValueError("a filter scope needs an active filter")

    @classmethod
    def of_symbol(cls, symbol: str) -> OrderScope:
        """Every open order of ``symbol`` (any case)."""
        return cls(ScopeKind.SYMBOL, symbol=symbol.lower())

    @classmethod
    def of_side(cls, symbol: str, side: Side) -> OrderScope:
        """The open ``side`` orders of ``symbol``."""
        return cls(ScopeKind.SIDE, symbol=symbol.lower(), side=side)

    @classmethod
    def of_filter(cls, view_filter: ViewFilter) -> OrderScope:
        """Every open order ``view_filter`` keeps (what the orders table shows)."""
        return cls(ScopeKind.FILTER, view_filter=view_filter)

    def includes(self, order: Order) -> bool:
        """True when ``order`` is in the scope (its state is not looked at: see :func:`scope_orders`)."""
        if self.kind is ScopeKind.FILTER:
            assert self.view_filter is not None
            return self.view_filter.keeps(order)
        if order.symbol != self.symbol:
            return False
        return self.kind is ScopeKind.SYMBOL or order.side is self.side

    @property
    def label(self) -> str:
        """How the status pane and the dialogs name the scope: ``"ETHUSD"``, ``"ETHUSD buy"``,
        ``"filter ETHUSD working"``."""
        if self.kind is ScopeKind.FILTER:
            assert self.view_filter is not None
            return f"filter {self.view_filter.describe()}"
        assert self.symbol is not None
        if self.kind is ScopeKind.SIDE:
            assert self.side is not None
            return f"{self.symbol.upper()} {self.side.value}"
        return self.symbol.upper()


def scope_orders(orders: Iterable[Order], scope: OrderScope) -> list[Order]:
    """The open orders in ``scope`` that a cancel by order id can reach, in the order given.

    Orders in a terminal state are left out, and so are orders without the venue's order id yet (pending new or
    unknown): no cancel can name them until the venue answers.
    """
    return [o for o in orders if o.order_id and not o.state.is_terminal and scope.includes(o)]


@dataclass(frozen=True, slots=True)
class ScopeOutcome:
    """What a scoped cancel did, order by order, once every cancel was answered (or left pending).

    Attributes:
        scope: the scope cancelled.
        cancelled: orders the venue confirmed cancelled.
        closed: orders that had already ended (filled, or cancelled elsewhere) before the cancel reached them.
        pending: orders whose cancel is not confirmed yet (answer lost or still pending cancel; retried).
        refused: orders whose cancel the venue refused (they keep working; the status pane says why).
    """

    scope: OrderScope
    cancelled: int = 0
    closed: int = 0
    pending: int = 0
    refused: int = 0

    def text(self) -> str:
        """One status line, e.g. ``"cancelled 4 ETHUSD orders; 1 already closed"``."""
        noun = "order" if self.cancelled == 1 else "orders"
        parts = [f"cancelled {self.cancelled} {self.scope.label} {noun}"]
        if self.closed:
            parts.append(f"{self.closed} already closed")
        if self.pending:
            parts.append(f"{self.pending} awaiting the exchange's confirmation (retried)")
        if self.refused:
            parts.append(f"{self.refused} refused (still working)")
        return "; ".join(parts)
