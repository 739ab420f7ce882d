"""Venue-neutral market data vocabulary: whether a book feed can be trusted, its callbacks, and a price quote."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from console.domain.book import OrderBook, Trade

__all__ = ["FeedListener", "FeedState", "Quote"]


class FeedState(enum.StrEnum):
    """Whether the book may be trusted.

    * ``CONNECTING``: no snapshot yet (the book is empty).
    * ``LIVE``: snapshot applied and every delta since; the book is right.
    * ``STALE``: the stream went silent past the stall timeout; the book is shown but not trusted.
    * ``RESYNCING``: something was wrong; reconnecting for a fresh snapshot (the book is not trusted).
    """

    CONNECTING = "connecting"
    LIVE = "live"
    STALE = "stale"
    RESYNCING = "resyncing"


def _ignore_book(book: OrderBook) -> None:
    """Default ``book_changed``: nothing."""


def _ignore_trades(trades: list[Trade]) -> None:
    """Default ``trades_added``: nothing."""


def _ignore_state(state: FeedState, detail: str) -> None:
    """Default ``state_changed``: nothing."""


@dataclass
class FeedListener:
    """Callbacks a market data feed calls (in its own task); each defaults to doing nothing.

    Attributes:
        book_changed: the book's levels changed (read it from the book passed to the feed).
        trades_added: new trades, oldest first.
        state_changed: ``(state, detail)``; detail says why (e.g. ``"stream stalled 15 s"``).
    """

    book_changed: Callable[[OrderBook], None] = _ignore_book
    trades_added: Callable[[list[Trade]], None] = _ignore_trades
    state_changed: Callable[[FeedState, str], None] = _ignore_state


@dataclass(frozen=True, slots=True)
class Quote:
    """Best bid, best ask and last trade price of one symbol (quote currency), each None when not known."""

    bid: Decimal | None = None
    ask: Decimal | None = None
    last: Decimal | None = None
