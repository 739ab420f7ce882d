"""Reference prices for the pre-trade price band, from the venue's quotes (book top, else ticker) until a live book
feeds them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal

from console.domain.errors import VenueError
from console.domain.guards import reference_price
from console.trading.market import MarketSession
from console.trading.venue_account import ReferenceQuotes

log = logging.getLogger(__name__)

#: ``async (symbol) -> (price or None, "mid" | "last" | "")``: what the guards compare a limit price with.
PriceSource = Callable[[str], Awaitable[tuple[Decimal | None, str]]]

#: ``async (symbol) -> last trade price or None``: what a stop price is compared with.
LastPriceSource = Callable[[str], Awaitable[Decimal | None]]

#: ``async (symbol) -> (best bid, best ask)``, each None when unknown: what a venue's own price band is measured from.
TouchSource = Callable[[str], Awaitable[tuple[Decimal | None, Decimal | None]]]


def touch_source(quotes: ReferenceQuotes, market: MarketSession | None) -> TouchSource:
    """The best bid and ask: the live book's when the market session is live on ``symbol``, else the venue's book
    top; ``(None, None)`` when a request fails (the venue band's touch bound is then not checked)."""

    async def source(symbol: str) -> tuple[Decimal | None, Decimal | None]:
        if market is not None and market.live and market.symbol == symbol.lower():
            return market.book.best_bid, market.book.best_ask
        try:
            top = await quotes.book_top(symbol)
        except VenueError as exc:
            log.warning("no touch for %s: %r", symbol, exc)
            return None, None
        return top.bid, top.ask

    return source


def quote_source(quotes: ReferenceQuotes) -> PriceSource:
    """A request/response price source: the mid of the venue's book top (both sides), else its ticker's mid or
    last price (:func:`console.domain.guards.reference_price`).

    Returns ``(None, "")`` when neither answers usefully or a request fails (the guards then ask the trader, since
    the band cannot be checked).
    """

    async def source(symbol: str) -> tuple[Decimal | None, str]:
        try:
            top = await quotes.book_top(symbol)
            if top.bid is not None and top.ask is not None:
                return reference_price(top.bid, top.ask, None)
            ticker = await quotes.ticker(symbol)
        except VenueError as exc:
            log.warning("no reference price for %s: %r", symbol, exc)
            return None, ""
        return reference_price(ticker.bid, ticker.ask, ticker.last)

    return source


def live_book_source(market: MarketSession, fallback: PriceSource) -> PriceSource:
    """The live book's mid (else its last trade) when the market session is live on ``symbol``; else ``fallback``.

    A stale, resyncing or other-symbol book is never used: the fallback answers then.
    """

    async def source(symbol: str) -> tuple[Decimal | None, str]:
        if market.live and market.symbol == symbol.lower():
            book = market.book
            price, label = reference_price(book.best_bid, book.best_ask, book.last)
            if price is not None:
                return price, label
        return await fallback(symbol)

    return source


def last_price_source(quotes: ReferenceQuotes, market: MarketSession | None) -> LastPriceSource:
    """The last trade price: the live book's when the market session is live on ``symbol`` and has seen a trade,
    else the ``last`` of the venue's ticker; None when neither answers (the stop check is then skipped: the price
    band still applies).
    """

    async def source(symbol: str) -> Decimal | None:
        if market is not None and market.live and market.symbol == symbol.lower() and market.book.last:
            return market.book.last
        try:
            ticker = await quotes.ticker(symbol)
        except VenueError as exc:
            log.warning("no last price for %s: %r", symbol, exc)
            return None
        return ticker.last if ticker.last and ticker.last > 0 else None

    return source
