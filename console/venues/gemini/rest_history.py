"""Paging of Gemini's history endpoints: page-size checks and the forward walk over a ``timestamp`` bound."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from typing import TypeVar

__all__ = ["MAX_PAGE", "walk_history"]

#: Gemini's maximum page size for ``limit_orders`` and ``limit_trades``.
MAX_PAGE = 500


def _limit(value: int, field: str) -> int:
    """Check a page size: an int in 1..500 (Gemini's documented maximum)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGE:
        raise ValueError(f"{field} must be an integer from 1 to {MAX_PAGE}, got {value!r}")
    return value


_H = TypeVar("_H")


async def walk_history(
    fetch: Callable[[int], Awaitable[list[_H]]],
    *,
    ident: Callable[[_H], Hashable],
    time_ms: Callable[[_H], int],
    page_size: int,
    since_ms: int = 0,
) -> AsyncIterator[_H]:
    """Walk a history endpoint with a ``timestamp`` lower bound forward: every item once, oldest first.

    Gemini's recipe for ``/v1/orders/history`` and ``/v1/mytrades``
    (https://developer.gemini.com/trading/rest-api/orders/list-past-orders and
    https://developer.gemini.com/trading/rest-api/orders/list-past-trades, "How to retrieve your ... history"):
    first ``timestamp: 0`` with a limit of 500, then ``timestamp`` = the page's highest timestamp + 1, until an
    empty list. Taken literally, ``+ 1`` would skip the items of the page's newest millisecond that did not fit
    in the page, so this asks again from that millisecond itself and drops the ids it has seen; once a page
    brings nothing new, it steps past the millisecond (ms + 1). It stops:

    - on a page shorter than ``page_size`` (nothing more at or after the bound), or an empty one;
    - when the next bound would not move forward: a page with nothing new after the step past its newest
      millisecond, or a page older than the bound. A venue that ignores ``timestamp`` or answers the same page
      forever therefore costs at most three requests, never a loop.

    Items of one millisecond beyond ``page_size`` cannot be reached through such an API; the walk steps past them.

    Args:
        fetch: one request: the page for a ``timestamp`` (ms), as the venue sends it (newest first).
        ident: the item's id (``order_id``, ``tid``).
        time_ms: the item's time in ms (``timestampms``).
        page_size: the limit sent with each request (a shorter page is the last one).
        since_ms: the first ``timestamp`` (ms); 0 for the whole history.

    Raises:
        Whatever ``fetch`` raises; items already yielded stay yielded.
    """
    seen: set[Hashable] = set()
    bound = since_ms
    while True:
        page = await fetch(bound)
        # The venue sends newest first: reversed and stably sorted by time, same-ms items keep ascending ids.
        fresh = sorted((item for item in reversed(page) if ident(item) not in seen), key=time_ms)
        for item in fresh:
            seen.add(ident(item))
            yield item
        if len(page) < page_size or not page:
            return
        newest_ms = max(time_ms(item) for item in page)
        next_bound = newest_ms if fresh and newest_ms > bound else newest_ms + 1
        if next_bound <= bound:
            return
        bound = next_bound
